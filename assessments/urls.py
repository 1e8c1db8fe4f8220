from django.urls import path

from assessments import views

app_name = "assessments"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("indicators/<str:code>/", views.indicator_detail, name="indicator"),
    path("units/", views.unit_list, name="units"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("results/<int:pk>/", views.result_detail, name="result"),
    path("evaluate/", views.evaluate, name="evaluate"),
    path("charts.css", views.chart_css, name="chart_css"),
    path("thresholds/", views.thresholds, name="thresholds"),
    path("thresholds/<str:code>/", views.threshold_detail, name="threshold"),
    path(
        "thresholds/<str:code>/clear/<int:pk>/",
        views.threshold_clear_view,
        name="threshold_clear",
    ),
]
