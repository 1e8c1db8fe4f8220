"""Security events that happen wherever a model is saved or a login is tried: the admin, the
pages, the API, a shell. Connected in AccountsConfig.ready()."""

from __future__ import annotations

import contextlib
import contextvars

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_save
from django.dispatch import receiver

from accounts.middleware import session_idle_stamp
from accounts.models import ROLE_GROUPS, TRACKED_USER_FIELDS, SecurityEvent, User
from accounts.services import role_groups_sync, security_event_record, user_role_group_sync

Kind = SecurityEvent.Kind

# Set while the product itself rearranges groups (after migrate, or following a role change that
# is already logged), so those follow-on changes are not logged a second time.
_quiet: contextvars.ContextVar[bool] = contextvars.ContextVar("security_quiet", default=False)


@contextlib.contextmanager
def quiet():
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


# --- logins ------------------------------------------------------------------------------------
@receiver(user_logged_in, dispatch_uid="security_login")
def log_login(sender, request, user, **kwargs):
    security_event_record(kind=Kind.LOGIN, request=request, user=user)


@receiver(user_logged_in, dispatch_uid="session_idle_stamp")
def stamp_session(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None:
        session_idle_stamp(session)


@receiver(user_login_failed, dispatch_uid="security_login_failed")
def log_login_failed(sender, credentials, request=None, **kwargs):
    detail = {}
    if getattr(request, "axes_locked_out", False):
        detail["locked"] = True
    security_event_record(
        kind=Kind.LOGIN_FAILED,
        request=request,
        username=str(credentials.get("username", "")),
        detail=detail,
    )


@receiver(user_logged_out, dispatch_uid="security_logout")
def log_logout(sender, request, user, **kwargs):
    if user is not None:
        security_event_record(kind=Kind.LOGOUT, request=request, user=user)


@receiver(user_locked_out, dispatch_uid="security_lockout")
def log_lockout(sender, request, username, ip_address, **kwargs):
    # Axes signals again on every attempt made while locked; those are logged as failed logins
    # (detail "locked"), the lockout itself once, when the limit is reached.
    if AccessAttempt.objects.filter(
        username=username,
        ip_address=ip_address,
        failures_since_start__gt=settings.AXES_FAILURE_LIMIT,
    ).exists():
        return
    security_event_record(
        kind=Kind.LOCKOUT,
        request=request,
        username=str(username or ""),
        detail={"ip_address": ip_address},
    )


# --- users, roles and scopes -------------------------------------------------------------------
def _describe(name: str, value):
    """Codes and names instead of bare ids, so the log reads on its own years later."""
    if value is None:
        return None
    if name == "region_id":
        region = apps.get_model("villages", "Region").objects.filter(pk=value).first()
        return f"{region.code} {region.name}" if region else value
    if name == "unit_id":
        unit = apps.get_model("pairing", "Unit").objects.filter(pk=value).first()
        return str(unit) if unit else value
    if name == "cadre_id":
        cadre = apps.get_model("cadres", "Cadre").objects.filter(pk=value).first()
        return str(cadre) if cadre else value
    return value


def _current_values(user: User) -> dict:
    return {name: getattr(user, name) for name in TRACKED_USER_FIELDS}


@receiver(post_save, sender=User, dispatch_uid="security_user_saved")
def log_user_saved(sender, instance: User, created, update_fields, raw=False, **kwargs):
    if raw:
        return
    now = _current_values(instance)
    password_set = getattr(instance, "_password_was_set", False)
    instance._password_was_set = False
    if created:
        changes = {
            name.removesuffix("_id"): [None, _describe(name, value)]
            for name, value in now.items()
            if value not in (None, "", False)
        }
        security_event_record(
            kind=Kind.USER_CHANGE,
            detail={"action": "created", "target": instance.username, "changes": changes},
        )
        with quiet():
            user_role_group_sync(user=instance)
        instance._loaded_security_values = now
        return

    before = getattr(instance, "_loaded_security_values", None)
    saved = None if update_fields is None else set(update_fields)
    if before is None:
        # Built in memory with a primary key rather than loaded: nothing to compare with.
        if saved is None or "role" in saved:
            with quiet():
                user_role_group_sync(user=instance)
    else:
        changes = {
            name.removesuffix("_id"): [_describe(name, before[name]), _describe(name, now[name])]
            for name in before
            if before[name] != now[name] and (saved is None or name.removesuffix("_id") in saved)
        }
        if changes:
            security_event_record(
                kind=Kind.USER_CHANGE,
                detail={"action": "changed", "target": instance.username, "changes": changes},
            )
        if "role" in changes:
            with quiet():
                user_role_group_sync(user=instance)
    # The new baseline: what is now in the database (a partial save leaves the rest as it was).
    if before is None or saved is None:
        instance._loaded_security_values = now
    else:
        instance._loaded_security_values = {
            name: now[name] if name.removesuffix("_id") in saved else value
            for name, value in before.items()
        }

    # Django re-saves the hash alone (update_fields={"password"}) when it upgrades the hashing
    # algorithm at login; that is not a change of password.
    if password_set and saved != {"password"}:
        security_event_record(
            kind=Kind.PASSWORD_CHANGE,
            detail={"target": instance.username},
        )


@receiver(post_delete, sender=User, dispatch_uid="security_user_deleted")
def log_user_deleted(sender, instance: User, **kwargs):
    security_event_record(
        kind=Kind.USER_CHANGE, detail={"action": "deleted", "target": instance.username}
    )


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="security_user_groups")
@receiver(
    m2m_changed, sender=User.user_permissions.through, dispatch_uid="security_user_permissions"
)
def log_user_m2m(sender, instance, action, reverse, model, pk_set, **kwargs):
    if _quiet.get() or action not in {"post_add", "post_remove", "pre_clear"}:
        return
    field = "groups" if sender is User.groups.through else "user_permissions"
    if action == "pre_clear":
        # The rows are gone by post_clear; name them while they are still there.
        if reverse:
            pk_set = set(instance.user_set.values_list("pk", flat=True))
        else:
            pk_set = set(getattr(instance, field).values_list("pk", flat=True))
        if not pk_set:
            return
    verb = "added" if action == "post_add" else "removed"
    role_groups = set(ROLE_GROUPS.values())
    if reverse:  # group.user_set.add(...) or permission.user_set.add(...)
        if field == "groups" and instance.name in role_groups:
            return  # role groups follow the role, whose change is logged
        targets = list(User.objects.filter(pk__in=pk_set).values_list("username", flat=True))
        detail = {"action": f"{field}_{verb}", "targets": targets, "items": [str(instance)]}
    else:
        items = [str(obj) for obj in model.objects.filter(pk__in=pk_set)]
        if field == "groups":
            items = [name for name in items if name not in role_groups]
        if not items:
            return
        detail = {"action": f"{field}_{verb}", "target": instance.username, "items": items}
    security_event_record(kind=Kind.USER_CHANGE, detail=detail)


@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="security_group_perms")
def log_group_permissions(sender, instance, action, reverse, model, pk_set, **kwargs):
    if _quiet.get() or action not in {"post_add", "post_remove", "pre_clear"} or reverse:
        return
    if action == "pre_clear":
        pk_set = set(instance.permissions.values_list("pk", flat=True))
        if not pk_set:
            return
    codenames = sorted(
        model.objects.filter(pk__in=pk_set).values_list("content_type__app_label", "codename")
    )
    verb = "added" if action == "post_add" else "removed"
    security_event_record(
        kind=Kind.USER_CHANGE,
        detail={
            "action": f"group_permissions_{verb}",
            "group": instance.name,
            "items": [f"{app}.{codename}" for app, codename in codenames],
        },
    )


@receiver(post_save, sender=Group, dispatch_uid="security_group_saved")
@receiver(post_delete, sender=Group, dispatch_uid="security_group_deleted")
def log_group_saved(sender, instance, created=None, raw=False, **kwargs):
    if _quiet.get() or raw or created is False:
        return
    action = "group_created" if created else "group_deleted"
    security_event_record(kind=Kind.USER_CHANGE, detail={"action": action, "group": instance.name})


@receiver(post_migrate, dispatch_uid="security_role_groups")
def sync_role_groups_after_migrate(sender, **kwargs):
    # Permissions of every app exist only once the last app has migrated (the last with
    # models: post_migrate is not sent for an app without them, such as home or demo).
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if sender.label != with_models[-1].label:
        return
    with quiet():
        role_groups_sync()


# --- indicator thresholds ----------------------------------------------------------------------
THRESHOLD_FIELDS = {
    "Indicator": ("threshold", "comparison", "period_kind", "active"),
    "IndicatorOverride": ("threshold", "indicator_id", "region_id"),
}


def _threshold_pre_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    fields = THRESHOLD_FIELDS[sender.__name__]
    instance._threshold_before = (
        sender.objects.filter(pk=instance.pk).values(*fields).first() if instance.pk else None
    )


def _threshold_subject(instance) -> tuple[str, str]:
    if instance.__class__.__name__ == "IndicatorOverride":
        return instance.indicator.code, instance.region.code
    return instance.code, ""


def _threshold_post_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    fields = THRESHOLD_FIELDS[sender.__name__]
    before = getattr(instance, "_threshold_before", None) or {}
    after = {name: getattr(instance, name) for name in fields}
    changes = {
        name: [str(before[name]) if name in before else None, str(after[name])]
        for name in fields
        if created or before.get(name) != after[name]
    }
    if not changes:
        return
    code, region_code = _threshold_subject(instance)
    security_event_record(
        kind=Kind.THRESHOLD_CHANGE,
        region_code=region_code,
        detail={
            "action": "created" if created else "changed",
            "model": sender.__name__,
            "indicator": code,
            "changes": changes,
        },
    )


def _threshold_post_delete(sender, instance, **kwargs):
    code, region_code = _threshold_subject(instance)
    security_event_record(
        kind=Kind.THRESHOLD_CHANGE,
        region_code=region_code,
        detail={
            "action": "deleted",
            "model": sender.__name__,
            "indicator": code,
            "threshold": str(instance.threshold),
        },
    )


def connect_threshold_signals() -> None:
    for name in THRESHOLD_FIELDS:
        model = apps.get_model("assessments", name)
        pre_save.connect(_threshold_pre_save, sender=model, dispatch_uid=f"security_pre_{name}")
        post_save.connect(_threshold_post_save, sender=model, dispatch_uid=f"security_post_{name}")
        post_delete.connect(
            _threshold_post_delete, sender=model, dispatch_uid=f"security_del_{name}"
        )
