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
    # 数据导入: the kinds of kept records (ledgers/sheets/)
    path("imports/", views.imports, name="imports"),
    path("imports/<slug:kind>/", views.sheet_import, name="sheet_import"),
    path("imports/<slug:kind>/template/", views.sheet_template, name="sheet_template"),
    path("imports/<slug:kind>/<int:import_id>/", views.sheet_detail, name="sheet_detail"),
    path("imports/<slug:kind>/<int:import_id>/apply/", views.sheet_apply, name="sheet_apply"),
    path("imports/<slug:kind>/<int:import_id>/errors/", views.sheet_errors, name="sheet_errors"),
]
