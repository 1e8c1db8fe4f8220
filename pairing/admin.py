from django.contrib import admin

from accounts.admin_mixins import ScopedAdmin
from pairing.models import (
    Donation,
    Meeting,
    Pairing,
    PairingParticipant,
    PairingYearPlan,
    PartyDay,
    PartyOrganisation,
    Project,
    StudyTrip,
    Training,
    Unit,
)


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    list_display = ("name", "kind", "credit_code", "region", "principal_leader")
    list_filter = ("kind",)
    search_fields = ("name", "credit_code")
    list_select_related = ("region",)
    autocomplete_fields = ("region",)


@admin.register(PartyOrganisation)
class PartyOrganisationAdmin(ScopedAdmin):
    list_display = ("name", "kind", "unit", "village", "parent", "secretary")
    list_filter = ("kind", "village__county")
    search_fields = ("name", "secretary", "unit__name", "village__name")
    list_select_related = ("unit", "village", "parent")
    autocomplete_fields = ("unit", "village", "parent")


class ParticipantInline(admin.TabularInline):
    model = PairingParticipant
    extra = 0
    autocomplete_fields = ("organisation",)


class YearPlanInline(admin.TabularInline):
    model = PairingYearPlan
    extra = 0


@admin.register(Pairing)
class PairingAdmin(ScopedAdmin):
    list_display = ("name", "kind", "lead_unit", "region", "start_date", "end_date")
    list_filter = ("kind", "start_date", "region__level")
    search_fields = ("name", "lead_unit__name", "region__name")
    list_select_related = ("lead_unit", "region")
    autocomplete_fields = (
        "lead_unit",
        "lead_organisation",
        "region",
        "village",
        "village_organisation",
    )
    inlines = [ParticipantInline, YearPlanInline]
    date_hierarchy = "start_date"


@admin.register(Project)
class ProjectAdmin(ScopedAdmin):
    list_display = (
        "name",
        "kind",
        "unit",
        "village",
        "year",
        "direct_funds",
        "coordinated_funds",
        "status",
    )
    list_filter = ("kind", "status", "year", "village__county")
    search_fields = ("name", "unit__name", "village__name")
    list_select_related = ("unit", "village")
    autocomplete_fields = ("pairing", "unit", "village")


@admin.register(Donation)
class DonationAdmin(ScopedAdmin):
    list_display = ("donor", "unit", "village", "amount", "donated_on")
    list_filter = ("donated_on", "village__county")
    search_fields = ("donor", "unit__name", "village__name")
    list_select_related = ("unit", "village")
    autocomplete_fields = ("unit", "organisation", "village")


class ActivityAdmin(ScopedAdmin):
    list_select_related = ("village", "village__township")
    search_fields = ("village__name",)
    autocomplete_fields = ("village",)
    readonly_fields = ("created_by", "created_at", "updated_at")

    @admin.display(description="乡镇")
    def township(self, obj):
        return obj.village.township


@admin.register(Training)
class TrainingAdmin(ActivityAdmin):
    list_display = ("title", "kind", "held_on", "village", "township", "unit", "attendance")
    list_filter = ("kind", "held_on", "village__county", "village__township")
    search_fields = ("title", "village__name", "unit__name")
    list_select_related = ("village", "village__township", "unit")
    autocomplete_fields = ("village", "unit")
    date_hierarchy = "held_on"


@admin.register(Meeting)
class MeetingAdmin(ActivityAdmin):
    list_display = ("title", "kind", "held_on", "village", "township", "unit", "leader_level")
    list_filter = ("kind", "leader_level", "held_on", "village__county", "village__township")
    search_fields = ("title", "village__name", "unit__name")
    list_select_related = ("village", "village__township", "unit")
    autocomplete_fields = ("village", "unit", "pairing")
    date_hierarchy = "held_on"


@admin.register(PartyDay)
class PartyDayAdmin(ActivityAdmin):
    list_display = ("village", "township", "held_on", "theme", "attendance")
    list_filter = ("held_on", "village__county", "village__township")
    search_fields = ("theme", "village__name")
    date_hierarchy = "held_on"


@admin.register(StudyTrip)
class StudyTripAdmin(ActivityAdmin):
    list_display = ("destination", "unit", "village", "township", "started_on", "participants")
    list_filter = ("started_on", "village__county", "village__township")
    search_fields = ("destination", "unit__name", "village__name")
    list_select_related = ("village", "village__township", "unit")
    autocomplete_fields = ("village", "unit")
    date_hierarchy = "started_on"
