from django.contrib import admin

from ledgers.models import ExportJob, RosterImport, SheetImport


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


@admin.register(RosterImport)
class RosterImportAdmin(admin.ModelAdmin):
    """Who imported which roster and what it changed (the rows themselves are in the security
    log and the households' change history)."""

    list_display = (
        "created_at",
        "user",
        "original_name",
        "status",
        "total_rows",
        "created_count",
        "updated_count",
        "imported_at",
    )
    list_filter = ("status", "created_at")
    search_fields = ("user__username", "original_name", "sha256")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    exclude = ("file",)  # the upload holds full ID numbers; it is not offered for download here
    readonly_fields = (
        "user",
        "original_name",
        "sha256",
        "income_year",
        "status",
        "sheet",
        "header_row",
        "total_rows",
        "created_count",
        "updated_count",
        "unchanged_count",
        "refusal",
        "errors",
        "changes",
        "imported_at",
    )

    def has_add_permission(self, request):
        return False


@admin.register(SheetImport)
class SheetImportAdmin(admin.ModelAdmin):
    """Who imported which workbook of kept records (ledgers/sheets/) and what it changed."""

    list_display = (
        "created_at",
        "user",
        "kind",
        "original_name",
        "status",
        "total_rows",
        "created_count",
        "updated_count",
        "imported_at",
    )
    list_filter = ("kind", "status", "created_at")
    search_fields = ("user__username", "original_name", "sha256")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    exclude = ("file",)  # the upload may hold full ID numbers; not offered for download here
    readonly_fields = (
        "kind",
        "user",
        "original_name",
        "sha256",
        "status",
        "sheet",
        "header_row",
        "total_rows",
        "created_count",
        "updated_count",
        "unchanged_count",
        "refusal",
        "errors",
        "changes",
        "imported_at",
    )

    def has_add_permission(self, request):
        return False
