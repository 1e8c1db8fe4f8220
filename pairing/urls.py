from django.urls import path

from pairing import views

app_name = "pairing"

urlpatterns = [
    path("", views.activities, name="activities"),
    *views.TRAINING_PAGES.urls("trainings"),
    *views.MEETING_PAGES.urls("meetings"),
    *views.PARTY_DAY_PAGES.urls("party-days"),
    *views.STUDY_TRIP_PAGES.urls("study-trips"),
    # The structure: units, Party organisations, pairings, projects, donations.
    path("my-unit/", views.my_unit, name="my_unit"),
    *views.UNIT_PAGES.urls("units"),
    *views.ORGANISATION_PAGES.urls("organisations"),
    *views.PAIRING_PAGES.urls("pairings"),
    path(
        "pairings/<int:pk>/participants/new/",
        views.participant_add,
        name="participant_add",
    ),
    path(
        "pairings/<int:pk>/participants/<int:participant_pk>/remove/",
        views.participant_remove,
        name="participant_remove",
    ),
    path("pairings/<int:pk>/plans/new/", views.year_plan_add, name="year_plan_add"),
    path(
        "pairings/<int:pk>/plans/<int:plan_pk>/edit/",
        views.year_plan_edit,
        name="year_plan_edit",
    ),
    *views.PROJECT_PAGES.urls("projects"),
    *views.DONATION_PAGES.urls("donations"),
]
