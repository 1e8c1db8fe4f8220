from django.urls import path

from villages import views

app_name = "villages"

urlpatterns = [
    path("", views.village_list_view, name="list"),
    path("<int:pk>/", views.village_detail_view, name="detail"),
    *views.INCOME_PAGES.urls("income"),
]
