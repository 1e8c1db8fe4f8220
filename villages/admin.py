from django.contrib import admin

from accounts.admin_mixins import ScopedAdmin
from villages.models import Region, Village, VillageIncome


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = ("code", "name", "level", "parent", "is_poverty_county")
    list_filter = ("level", "is_poverty_county")
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)


class VillageIncomeInline(admin.TabularInline):
    model = VillageIncome
    extra = 0
    fields = ("year", "amount", "sources")


@admin.register(Village)
class VillageAdmin(ScopedAdmin):
    list_display = (
        "name",
        "township",
        "county",
        "is_poor_village",
        "is_difficult_village",
        "planned_exit_year",
        "exit_year",
    )
    list_filter = (
        "is_poor_village",
        "is_difficult_village",
        "planned_exit_year",
        "exit_year",
        "county",
    )
    search_fields = ("name", "region__code", "branch_secretary")
    list_select_related = ("township", "county")
    autocomplete_fields = ("region",)
    inlines = [VillageIncomeInline]


@admin.register(VillageIncome)
class VillageIncomeAdmin(ScopedAdmin):
    list_display = ("village", "township", "year", "amount")
    list_filter = ("year", "village__county", "village__township")
    search_fields = ("village__name",)
    list_select_related = ("village", "village__township")
    autocomplete_fields = ("village",)

    @admin.display(description="乡镇")
    def township(self, obj):
        return obj.village.township
