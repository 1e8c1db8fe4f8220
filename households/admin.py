from django.contrib import admin

from accounts.admin_mixins import ScopedAdmin
from core.idcard import mask_id_number
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
from households.services import visits_recredit


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

    def save_formset(self, request, form, formset, change):
        """A pairing changed in the inline decides the household's visits again (the visit
        service's pairing rule), in the admin's transaction."""
        super().save_formset(request, form, formset, change)
        if formset.model is HouseholdPairing and formset.has_changed():
            visits_recredit(household_id=form.instance.pk)

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

    # The admin keeps the visits in step with the pairing like the pages and the API do: the
    # pairing rule is decided again for the old and the new helper in the same transaction.
    def save_model(self, request, obj, form, change):
        old_helper = form.initial.get("helper") if change else None
        super().save_model(request, obj, form, change)
        helpers = {obj.helper_id} | ({old_helper} if old_helper else set())
        visits_recredit(household_id=obj.household_id, helper_ids=helpers)

    def delete_model(self, request, obj):
        household_id, helper_id = obj.household_id, obj.helper_id
        super().delete_model(request, obj)
        visits_recredit(household_id=household_id, helper_ids={helper_id})

    def delete_queryset(self, request, queryset):
        touched = set(queryset.values_list("household_id", flat=True))
        super().delete_queryset(request, queryset)
        for household_id in touched:
            visits_recredit(household_id=household_id)


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
