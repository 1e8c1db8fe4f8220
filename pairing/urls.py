from django.urls import path

from pairing import views

app_name = "pairing"

urlpatterns = [
    path("", views.activities, name="activities"),
    *views.TRAINING_PAGES.urls("trainings"),
    *views.MEETING_PAGES.urls("meetings"),
    *views.PARTY_DAY_PAGES.urls("party-days"),
    *views.STUDY_TRIP_PAGES.urls("study-trips"),
]
