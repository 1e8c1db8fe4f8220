from django.contrib import admin

from ledgers.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "user",
        "kind",
        "region",
        "period",
        "status",
        "total_rows",
        "finished_at",
    )
    list_filter = ("kind", "status", "created_at")
    search_fields = ("user__username", "region__name")
    list_select_related = ("user", "region")
    raw_id_fields = ("user", "region")
