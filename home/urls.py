"""The home app's pages. The household and village pages keep their URLs and names
(households:list, households:detail, villages:list, villages:detail): config/urls.py mounts
these patterns in those namespaces together with the households and villages apps' own."""

from django.urls import path

from home import views

household_patterns = [
    path("", views.household_list_view, name="list"),
    path("<int:pk>/", views.household_detail_view, name="detail"),
]

village_patterns = [
    path("", views.village_list_view, name="list"),
    path("<int:pk>/", views.village_detail_view, name="detail"),
]
