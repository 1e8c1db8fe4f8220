"""Administrators see the periods in the admin; their states change only through the workflow
(reporting/services.py), so the periods and their history are read-only here."""

from django.contrib import admin

from accounts.admin_mixins import ScopedAdmin
from periods.models import PeriodEvent, PeriodSetting, ReportingPeriod


@admin.register(PeriodSetting)
class PeriodSettingAdmin(ScopedAdmin):
    list_display = ("county", "granularity", "lock_days", "updated_by", "updated_at")
    readonly_fields = ("updated_by",)


class ReadOnly(ScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(ReadOnly):
    list_display = ("township", "label", "state", "submitted_by", "approved_by", "approved_at")
    list_filter = ("state", "granularity")
    search_fields = ("township__name", "label")
    list_select_related = ("township", "submitted_by", "approved_by")


@admin.register(PeriodEvent)
class PeriodEventAdmin(ReadOnly):
    list_display = ("period", "action", "user", "reason", "at")
    list_filter = ("action",)
    list_select_related = ("period__township", "user")
