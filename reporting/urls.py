from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("", views.index, name="index"),
    path("county/<int:county_id>/", views.status, name="status"),
    path("township/<int:township_id>/", views.township, name="township"),
    path("township/<int:township_id>/<str:label>/", views.period, name="period"),
    path("township/<int:township_id>/<str:label>/submit/", views.submit, name="submit"),
    path("township/<int:township_id>/<str:label>/approve/", views.approve, name="approve"),
    path("township/<int:township_id>/<str:label>/return/", views.return_, name="return"),
    path("township/<int:township_id>/<str:label>/reopen/", views.reopen, name="reopen"),
]
