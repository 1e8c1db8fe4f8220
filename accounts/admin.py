from axes.admin import AccessAttemptAdmin as BaseAccessAttemptAdmin
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import ROLE_GROUPS, SecurityEvent, User
from accounts.services import security_event_record, user_role_group_sync, user_unlock


class ResetPasswordForm(AdminPasswordChangeForm):
    """A password an administrator set is known to two people: the owner must replace it."""

    def save(self, commit=True):
        self.user.must_change_password = True
        return super().save(commit)


def _is_admin(request) -> bool:
    user = request.user
    return bool(user.is_active and getattr(user, "is_admin", False))


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "display_name",
        "role",
        "region",
        "unit",
        "is_active",
        "locked",
        "last_login",
    )
    change_password_form = ResetPasswordForm
    actions = ["unlock_selected"]
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

    @admin.display(description=_("登录锁定"), boolean=True)
    def locked(self, obj):
        return getattr(obj, "is_locked", False)

    def get_queryset(self, request):
        # Users are managed by administrators only: other staff see none, whatever their perms.
        if not _is_admin(request):
            return super().get_queryset(request).none()
        locked = AccessAttempt.objects.filter(
            username=OuterRef("username"), failures_since_start__gte=settings.AXES_FAILURE_LIMIT
        )
        return super().get_queryset(request).annotate(is_locked=Exists(locked))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Role groups follow the role field; only other groups are chosen by hand.
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.exclude(name__in=ROLE_GROUPS.values())
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The form's groups.set() dropped the role group; put it back.
        user_role_group_sync(user=form.instance)

    def save_model(self, request, obj, form, change):
        if not change:  # created by an administrator: the owner sets their own password
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    @admin.action(description=_("解除所选用户的登录锁定"), permissions=["change"])
    def unlock_selected(self, request, queryset):
        unlocked = 0
        for user in queryset:
            if user_unlock(user=user, by=request.user, request=request):
                unlocked += 1
        self.message_user(
            request,
            ngettext("已解除%(n)d个用户的登录锁定。", "已解除%(n)d个用户的登录锁定。", unlocked)
            % {"n": unlocked},
            messages.SUCCESS,
        )


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only: the security log cannot be altered or deleted through the product."""

    list_display = (
        "created_at",
        "kind",
        "username",
        "ip_address",
        "region_code",
        "rows",
        "folded_count",
    )
    list_filter = ("kind", "created_at")
    search_fields = ("username", "ip_address", "region_code")
    list_select_related = ("user", "tally")
    date_hierarchy = "created_at"

    @admin.display(description=_("本小时次数"))
    def folded_count(self, obj):
        # Folded events (refused out-of-scope objects, expired tokens): one row per user and
        # hour, the count in accounts.SecurityEventTally.
        tally = getattr(obj, "tally", None)  # a missing one raises an AttributeError subclass
        return tally.count if tally is not None else ""

    def has_view_permission(self, request, obj=None):
        return _is_admin(request)

    def has_module_permission(self, request):
        return _is_admin(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(BaseAccessAttemptAdmin):
    """Deleting a failed-login record lifts the lockout it caused: that is logged as an unlock."""

    def delete_model(self, request, obj):
        self._log_unlock(request, [obj.username])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        self._log_unlock(request, list(queryset.values_list("username", flat=True)))
        super().delete_queryset(request, queryset)

    @staticmethod
    def _log_unlock(request, usernames):
        security_event_record(
            kind=SecurityEvent.Kind.UNLOCK,
            request=request,
            detail={"unlocked_user": sorted({u for u in usernames if u}), "via": "admin"},
        )


_site_has_permission = admin.site.has_permission


def _admin_site_permission(request) -> bool:
    """系统管理 is for administrators only (users, regions, indicator settings, schedules, the
    security log: DOMAIN.md). Its forms and filters show full ID numbers and every region's
    names, so a reviewer or a township clerk whose account has is_staff ticked by mistake is
    still kept out; their work is on the product's pages, under their region scope."""
    return _site_has_permission(request) and _is_admin(request)


admin.site.has_permission = _admin_site_permission
