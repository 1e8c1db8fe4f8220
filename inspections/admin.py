from django.contrib import admin

from accounts.admin_mixins import ScopedAdmin
from inspections.models import (
    Inspection,
    RectificationEvidence,
    RectificationItem,
    RectificationLog,
    SpotCheckDraw,
    SpotCheckItem,
)


class ItemInline(admin.TabularInline):
    model = SpotCheckItem
    extra = 0
    raw_id_fields = ("village", "household", "township")


@admin.register(SpotCheckDraw)
class SpotCheckDrawAdmin(ScopedAdmin):
    list_display = (
        "region",
        "quarter",
        "share",
        "households_per_village",
        "seed",
        "drawn_by",
        "drawn_at",
        "voided",
    )
    list_filter = ("quarter", "voided")
    search_fields = ("region__name", "quarter")
    list_select_related = ("region", "drawn_by")
    raw_id_fields = ("region",)
    readonly_fields = ("drawn_by", "voided_by", "voided_at")


@admin.register(SpotCheckItem)
class SpotCheckItemAdmin(ScopedAdmin):
    list_display = ("draw", "township", "village", "household")
    list_filter = ("draw__quarter", "township")
    search_fields = ("village__name", "household__head_name")
    list_select_related = ("draw", "draw__region", "township", "village", "household")
    raw_id_fields = ("draw", "village", "household", "township")


@admin.register(Inspection)
class InspectionAdmin(ScopedAdmin):
    list_display = ("item", "inspector", "inspected_on", "no_problem")
    list_filter = ("inspected_on", "no_problem")
    search_fields = ("item__village__name", "findings")
    list_select_related = ("item", "item__village", "item__household", "inspector")
    raw_id_fields = ("item",)


class EvidenceInline(admin.TabularInline):
    model = RectificationEvidence
    extra = 0


class LogInline(admin.TabularInline):
    """The item's history is written by the services only; the admin shows it."""

    model = RectificationLog
    extra = 0
    can_delete = False
    readonly_fields = ("action", "user", "note", "at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RectificationItem)
class RectificationItemAdmin(ScopedAdmin):
    list_display = (
        "problem",
        "village",
        "responsible_unit",
        "responsible_person",
        "deadline",
        "status",
        "closed_on",
    )
    list_filter = ("status", "deadline", "village__county", "village__township")
    search_fields = ("problem", "task", "village__name")
    list_select_related = ("village", "responsible_unit", "responsible_person")
    raw_id_fields = (
        "inspection",
        "village",
        "household",
        "responsible_unit",
        "responsible_person",
        "closed_by",
    )
    inlines = [EvidenceInline, LogInline]
