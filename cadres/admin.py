from django.contrib import admin

from accounts.admin_mixins import ScopedAdmin
from cadres.models import (
    Cadre,
    Coverage,
    FieldDay,
    Liaison,
    ReserveCadre,
    TalentAssignment,
    Term,
    WorkingFund,
    WorkTeam,
    WorkTeamMember,
    YearlyGrade,
)


class GradeInline(admin.TabularInline):
    model = YearlyGrade
    extra = 0


class FundInline(admin.TabularInline):
    model = WorkingFund
    extra = 0


@admin.register(Cadre)
class CadreAdmin(ScopedAdmin):
    list_display = ("name", "kind", "unit", "position", "phone", "home_region")
    list_filter = ("kind", "unit__kind")
    search_fields = ("name", "phone", "unit__name")
    list_select_related = ("unit", "home_region")
    autocomplete_fields = ("unit", "party_organisation", "home_region")
    inlines = [GradeInline, FundInline]


class MemberInline(admin.TabularInline):
    model = WorkTeamMember
    extra = 0
    autocomplete_fields = ("cadre",)


@admin.register(WorkTeam)
class WorkTeamAdmin(ScopedAdmin):
    list_display = ("name", "dispatching_unit", "start_date", "end_date")
    list_filter = ("start_date", "end_date")
    search_fields = ("name", "dispatching_unit__name")
    list_select_related = ("dispatching_unit",)
    filter_horizontal = ("villages",)
    inlines = [MemberInline]


@admin.register(Term)
class TermAdmin(ScopedAdmin):
    list_display = (
        "cadre",
        "village",
        "role",
        "dispatching_unit",
        "start_date",
        "end_date",
        "recalled_on",
    )
    list_filter = ("role", "end_date", "village__county", "village__township")
    search_fields = ("cadre__name", "village__name")
    list_select_related = ("cadre", "village", "dispatching_unit")
    autocomplete_fields = ("cadre", "village", "dispatching_unit")


@admin.register(YearlyGrade)
class YearlyGradeAdmin(ScopedAdmin):
    list_display = ("cadre", "year", "grade")
    list_filter = ("year", "grade")
    search_fields = ("cadre__name",)
    list_select_related = ("cadre",)
    autocomplete_fields = ("cadre",)


@admin.register(WorkingFund)
class WorkingFundAdmin(ScopedAdmin):
    list_display = ("cadre", "year", "amount", "source", "granted_on")
    list_filter = ("year",)
    search_fields = ("cadre__name",)
    list_select_related = ("cadre",)
    autocomplete_fields = ("cadre",)


@admin.register(Liaison)
class LiaisonAdmin(ScopedAdmin):
    list_display = ("village", "role", "name", "phone", "unit")
    list_filter = ("role", "village__county", "village__township")
    search_fields = ("name", "village__name")
    list_select_related = ("village", "unit")
    autocomplete_fields = ("village", "cadre", "unit")


@admin.register(ReserveCadre)
class ReserveCadreAdmin(ScopedAdmin):
    list_display = ("name", "village", "gender", "birth_year", "education", "added_on", "left_on")
    list_filter = ("added_on", "village__county", "village__township")
    search_fields = ("name", "village__name")
    list_select_related = ("village",)
    autocomplete_fields = ("village",)


@admin.register(TalentAssignment)
class TalentAssignmentAdmin(ScopedAdmin):
    list_display = ("cadre", "village", "specialty", "start_date", "end_date")
    list_filter = ("start_date", "village__county")
    search_fields = ("cadre__name", "village__name", "specialty")
    list_select_related = ("cadre", "village")
    autocomplete_fields = ("cadre", "village")


@admin.register(Coverage)
class CoverageAdmin(ScopedAdmin):
    list_display = ("level", "cadre", "unit", "region", "start_date", "end_date")
    list_filter = ("level", "start_date")
    search_fields = ("cadre__name", "unit__name", "region__name")
    list_select_related = ("cadre", "unit", "region")
    autocomplete_fields = ("cadre", "unit", "region")


@admin.register(FieldDay)
class FieldDayAdmin(ScopedAdmin):
    list_display = ("cadre", "region", "day", "note")
    list_filter = ("day",)
    search_fields = ("cadre__name", "region__name")
    list_select_related = ("cadre", "region")
    autocomplete_fields = ("cadre", "region")
    date_hierarchy = "day"
