from django.urls import path

from cadres import views

app_name = "cadres"

urlpatterns = [
    *views.FIELD_DAY_PAGES.urls("field-days"),
    path("me/", views.my_profile_view, name="my_profile"),
    *views.CADRE_PAGES.urls("cadres"),
    *views.HELPER_PAGES.urls("helpers"),
    path("terms/<int:pk>/replace/", views.term_replace_view, name="term_replace"),
    path("terms/<int:pk>/assess/", views.term_assess_view, name="term_assess"),
    *views.TERM_PAGES.urls("terms"),
    *views.WORK_TEAM_PAGES.urls("work-teams"),
    *views.TEAM_MEMBER_PAGES.urls("team-members"),
    *views.GRADE_PAGES.urls("grades"),
    *views.FUND_PAGES.urls("funds"),
    path("liaisons/by-village/", views.liaison_villages_view, name="liaison_villages"),
    *views.LIAISON_PAGES.urls("liaisons"),
    *views.RESERVE_PAGES.urls("reserve-cadres"),
    *views.TALENT_PAGES.urls("talents"),
]
