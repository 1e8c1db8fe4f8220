from django.urls import path

from ledgers import views

app_name = "ledgers"

urlpatterns = [
    path("", views.export, name="export"),
    path("jobs/<int:job_id>/", views.job, name="job"),
    path("jobs/<int:job_id>/status/", views.job_status, name="job_status"),
    path("jobs/<int:job_id>/download/", views.job_download, name="job_download"),
    path("import/", views.roster_import, name="import"),
    path("import/template/", views.roster_template, name="import_template"),
    path("import/<int:roster_id>/", views.roster_detail, name="import_detail"),
    path("import/<int:roster_id>/apply/", views.roster_apply, name="import_apply"),
    path("import/<int:roster_id>/errors/", views.roster_errors, name="import_errors"),
]
