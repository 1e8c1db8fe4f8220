from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import SecurityEvent, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "region", "unit", "is_active", "last_login")
    list_filter = ("role", "is_active", "region__level")
    search_fields = ("username", "first_name", "last_name", "phone", "region__name")
    list_select_related = ("region", "unit")
    autocomplete_fields = ("region", "unit", "cadre")
    fieldsets = BaseUserAdmin.fieldsets + (
        (
            _("角色与范围"),
            {"fields": ("role", "region", "unit", "cadre", "phone", "must_change_password")},
        ),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("角色与范围"), {"fields": ("role", "region", "unit", "cadre", "phone")}),
    )

    @admin.display(description=_("姓名"))
    def display_name(self, obj):
        return obj.display_name


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only: the security log cannot be altered or deleted through the product."""

    list_display = ("created_at", "kind", "username", "ip_address", "region_code", "rows")
    list_filter = ("kind", "created_at")
    search_fields = ("username", "ip_address", "region_code")
    list_select_related = ("user",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
