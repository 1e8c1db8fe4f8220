from django.urls import path

from inspections import views

app_name = "inspections"

urlpatterns = [
    path("draws/", views.draw_list, name="draw_list"),
    path("draws/<int:pk>/", views.draw_detail, name="draw_detail"),
    path("draws/<int:pk>/recheck/", views.draw_recheck, name="draw_recheck"),
    path("draws/<int:pk>/void/", views.draw_void, name="draw_void"),
    path("items/<int:item_pk>/inspection/", views.inspection_record, name="inspection_record"),
    path(
        "inspections/<int:inspection_pk>/rectifications/new/",
        views.rectification_create,
        name="rectification_create",
    ),
    path("rectifications/", views.rectification_list, name="rectification_list"),
    path("rectifications/overdue/", views.overdue_overview, name="overdue_overview"),
    path("rectifications/<int:pk>/", views.rectification_detail, name="rectification_detail"),
    path(
        "rectifications/<int:pk>/<slug:action>/",
        views.rectification_action,
        name="rectification_action",
    ),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
]
