"""The monitoring records in the admin, read only: every change goes through
monitoring/services.py (the order of the steps, the notices' days, the removal's conditions),
which the admin's forms would bypass."""

from django.contrib import admin

from accounts.admin_mixins import ScopedAdmin
from monitoring.models import (
    HouseholdFinance,
    MonitoringCase,
    MonitoringMeasure,
    MonitoringRange,
    MonitoringStep,
    PublicNotice,
    RiskClue,
    RiskRemoval,
)


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MonitoringRange)
class MonitoringRangeAdmin(ReadOnlyAdmin):
    list_display = ("region", "year", "amount", "basis", "set_by")
    list_filter = ("year",)
    list_select_related = ("region", "set_by")


@admin.register(RiskClue)
class RiskClueAdmin(ReadOnlyAdmin):
    list_display = ("household", "village", "channel", "received_on", "decided_on", "outcome")
    list_filter = ("channel", "outcome", "township")
    list_select_related = ("household", "village", "township")
    search_fields = ("household__head_name",)


@admin.register(MonitoringCase)
class MonitoringCaseAdmin(ReadOnlyAdmin):
    list_display = ("household", "village", "category", "status", "received_on", "decided_on")
    list_filter = ("category", "status", "township")
    list_select_related = ("household", "village", "township")
    search_fields = ("household__head_name",)


@admin.register(MonitoringStep)
class MonitoringStepAdmin(ReadOnlyAdmin):
    list_display = ("case", "procedure", "kind", "done_on", "recorded_by")
    list_filter = ("procedure", "kind")
    list_select_related = ("case", "case__household", "recorded_by")


@admin.register(RiskRemoval)
class RiskRemovalAdmin(ReadOnlyAdmin):
    list_display = ("case", "kind", "status", "proposed_on", "decided_on")
    list_filter = ("kind", "status")
    list_select_related = ("case", "case__household")


@admin.register(MonitoringMeasure)
class MonitoringMeasureAdmin(ReadOnlyAdmin):
    list_display = ("case", "kind", "start_date", "status", "before_decision")
    list_filter = ("kind", "status", "before_decision")
    list_select_related = ("case", "case__household")


@admin.register(HouseholdFinance)
class HouseholdFinanceAdmin(ReadOnlyAdmin):
    list_display = ("household", "year", "per_capita_net_income", "rigid_state", "assessed_on")
    list_filter = ("year", "rigid_state")
    list_select_related = ("household",)


@admin.register(PublicNotice)
class PublicNoticeAdmin(ReadOnlyAdmin):
    list_display = ("village", "purpose", "start_date", "end_date")
    list_filter = ("purpose",)
    list_select_related = ("village",)
