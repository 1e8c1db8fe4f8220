from django.contrib import admin

from accounts.admin_mixins import ScopedAdmin
from assessments.models import (
    EvaluationRun,
    Indicator,
    IndicatorOverride,
    IndicatorResult,
    UnitAssessment,
)


class OverrideInline(admin.TabularInline):
    model = IndicatorOverride
    extra = 0
    autocomplete_fields = ("region",)


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "subject_kind",
        "period_kind",
        "comparison",
        "threshold",
        "unit_label",
        "active",
    )
    list_filter = ("subject_kind", "period_kind", "active")
    list_editable = ("threshold", "active")
    search_fields = ("code", "name")
    inlines = [OverrideInline]


@admin.register(IndicatorOverride)
class IndicatorOverrideAdmin(admin.ModelAdmin):
    list_display = ("indicator", "region", "threshold", "note")
    list_select_related = ("indicator", "region")
    search_fields = ("indicator__code", "region__name")
    autocomplete_fields = ("indicator", "region")


@admin.register(IndicatorResult)
class IndicatorResultAdmin(ScopedAdmin):
    list_display = (
        "indicator",
        "period",
        "subject_label",
        "value",
        "threshold",
        "met",
        "shortfall",
    )
    list_filter = ("met", "period", "indicator", "township")
    search_fields = ("subject_label", "indicator__code")
    list_select_related = ("indicator",)
    raw_id_fields = ("township", "village", "household", "unit", "helper", "pairing")


@admin.register(UnitAssessment)
class UnitAssessmentAdmin(admin.ModelAdmin):
    list_display = ("unit", "year", "met_share", "earned_grade", "capped", "final_grade")
    list_filter = ("year", "capped", "final_grade")
    search_fields = ("unit__name",)
    list_select_related = ("unit",)
    autocomplete_fields = ("unit",)


@admin.register(EvaluationRun)
class EvaluationRunAdmin(admin.ModelAdmin):
    list_display = (
        "period",
        "region",
        "status",
        "results",
        "seconds",
        "started_at",
        "requested_by",
    )
    list_filter = ("status", "period")
    list_select_related = ("region", "requested_by")
