from django.contrib import admin

from accounts.admin_mixins import ScopedAdmin
from households.idcard import mask_id_number
from households.models import (
    Household,
    HouseholdPairing,
    IncomeRecord,
    Measure,
    Member,
    Plan,
    Visit,
    VisitPhoto,
)


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0


class IncomeInline(admin.TabularInline):
    model = IncomeRecord
    extra = 0


class PairingInline(admin.TabularInline):
    model = HouseholdPairing
    extra = 0
    autocomplete_fields = ("helper", "unit")


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    list_display = (
        "head_name",
        "masked_id",
        "village",
        "township",
        "size",
        "cause",
        "track",
        "key_difficulty",
        "status",
        "exit_year",
    )
    list_filter = ("status", "track", "cause", "key_difficulty", "exit_year", "township")
    search_fields = ("head_name", "name_initials", "head_id_number", "village__name")
    list_select_related = ("village", "township")
    autocomplete_fields = ("village",)
    inlines = [MemberInline, IncomeInline, PairingInline]

    @admin.display(description="户主身份证号")
    def masked_id(self, obj):
        return mask_id_number(obj.head_id_number)


@admin.register(Member)
class MemberAdmin(ScopedAdmin):
    list_display = ("name", "relation", "household", "birth_year")
    list_filter = ("relation", "household__township")
    search_fields = ("name", "household__head_name")
    list_select_related = ("household",)
    autocomplete_fields = ("household",)


@admin.register(IncomeRecord)
class IncomeRecordAdmin(ScopedAdmin):
    list_display = ("household", "year", "per_capita_net_income")
    list_filter = ("year", "household__township")
    search_fields = ("household__head_name",)
    list_select_related = ("household",)
    autocomplete_fields = ("household",)


class MeasureInline(admin.TabularInline):
    model = Measure
    extra = 0
    autocomplete_fields = ("owner",)


@admin.register(Plan)
class PlanAdmin(ScopedAdmin):
    list_display = ("household", "drawn_up_on")
    list_filter = ("drawn_up_on", "household__township")
    search_fields = ("household__head_name",)
    list_select_related = ("household",)
    autocomplete_fields = ("household",)
    inlines = [MeasureInline]


@admin.register(Measure)
class MeasureAdmin(ScopedAdmin):
    list_display = ("content", "plan", "owner", "deadline", "status")
    list_filter = ("status", "deadline", "plan__household__township")
    search_fields = ("content", "plan__household__head_name")
    list_select_related = ("plan__household", "owner")
    autocomplete_fields = ("plan", "owner")


@admin.register(HouseholdPairing)
class HouseholdPairingAdmin(ScopedAdmin):
    list_display = ("household", "helper", "unit", "start_date", "end_date")
    list_filter = ("start_date", "end_date", "household__township")
    search_fields = ("household__head_name", "helper__name", "unit__name")
    list_select_related = ("household", "helper", "unit")
    autocomplete_fields = ("household", "helper", "unit")


class PhotoInline(admin.TabularInline):
    model = VisitPhoto
    extra = 0


@admin.register(Visit)
class VisitAdmin(ScopedAdmin):
    list_display = (
        "visited_on",
        "helper",
        "household",
        "village",
        "township",
        "kind",
        "credit_status",
    )
    list_filter = ("kind", "credit_status", "visited_on", "township")
    search_fields = ("household__head_name", "helper__name", "village__name")
    list_select_related = ("helper", "household", "village", "township")
    autocomplete_fields = ("household", "village", "helper", "org_pairing", "measure")
    readonly_fields = (
        "household_pairing",
        "created_by",
        "created_at",
        "updated_at",
        "reviewed_by",
        "reviewed_at",
    )
    date_hierarchy = "visited_on"
    inlines = [PhotoInline]
