"""Writes of the accounts app: the security log, role groups, unlocking, revealing a full ID.

Other apps log their own security events (ledger exports, voided draws) through
`security_event_record`, so every row carries the same user, address and region fields.
"""

from __future__ import annotations

import contextvars
import datetime
import ipaddress
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ROLE_GROUPS, Role, SecurityEvent, SecurityEventTally, User

# The request being served, so model signals (user, role, threshold changes) know who acted and
# from where. Set by accounts.middleware.AccountSecurityMiddleware for the request's duration.
current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "current_request", default=None
)

# The legal floor: logs of a graded-protection system are kept at least six months.
SECURITY_LOG_MIN_KEEP_DAYS = 180


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address. Behind TRUSTED_PROXY_COUNT reverse proxies (nginx in front of
    gunicorn) it is the address the outermost trusted proxy saw, taken from X-Forwarded-For;
    a client cannot forge it because only entries added by our proxies are read."""
    if request is None:
        return None
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    candidate = request.META.get("REMOTE_ADDR", "")
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def _request_user(request: HttpRequest | None) -> User | None:
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None


def security_event_record(
    *,
    kind: str,
    request: HttpRequest | None = None,
    user: User | None = None,
    username: str = "",
    region_code: str = "",
    rows: int | None = None,
    detail: dict[str, Any] | None = None,
) -> SecurityEvent:
    """Append one row to the security log. `request` defaults to the one being served (for
    the address, and for the acting user when `user` is not given)."""
    if request is None:
        request = current_request.get()
    if user is None:
        user = _request_user(request)
    if not username and user is not None:
        username = user.get_username()
    if not region_code and user is not None and getattr(user, "region_id", None):
        region = user.region
        if region is not None:  # a region id names a region (reading it raises otherwise)
            region_code = region.code
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=username[:150],
        ip_address=client_ip(request),
        region_code=region_code[:15],
        rows=rows,
        detail=detail or {},
    )


def security_event_fold(
    *,
    kind: str,
    user: User,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime.datetime | None = None,
) -> int:
    """Log an event that may repeat many times (a probe of out-of-scope objects, a program
    retrying an expired token) as one security-log row per user, kind and hour: the first
    occurrence writes the row (with its detail), later ones add one to its tally with a
    conditional UPDATE (`count = count + 1`), so concurrent requests never lose a count and
    the security-log row itself is never updated. Returns the count so far this hour."""
    now = now or timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    username = user.get_username()[:150]
    tally = SecurityEventTally.objects.filter(kind=kind, username=username, hour=hour)
    if tally.update(count=F("count") + 1, last_at=now):
        return tally.values_list("count", flat=True).first() or 1
    try:
        with transaction.atomic():
            event = security_event_record(
                kind=kind,
                request=request,
                user=user,
                detail={**(detail or {}), "folded": "hour", "hour": hour.isoformat()},
            )
            SecurityEventTally.objects.create(
                event=event, kind=kind, username=username, hour=hour, count=1, last_at=now
            )
        return 1
    except IntegrityError:  # another request wrote this hour's row first
        tally.update(count=F("count") + 1, last_at=now)
        return tally.values_list("count", flat=True).first() or 1


# --- roles as groups ---------------------------------------------------------------------------
VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
_ALL = {VIEW, ADD, CHANGE, DELETE}
_WRITE = {VIEW, ADD, CHANGE}
_DOMAIN_APPS = (
    "villages",
    "households",
    "pairing",
    "cadres",
    "assessments",
    "inspections",
    "notifications",
    "ledgers",
)

# Model permissions per role: (app, model or "*", actions). "*" covers models added later too.
# What a person may see is still decided by the region scope (`visible_to`) on every path;
# these permissions decide which kinds of records a role may write, in the admin and elsewhere.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str, set[str]]]] = {
    Role.TOWNSHIP_STAFF: [
        *[(app, "*", {VIEW}) for app in ("villages", "households", "pairing", "cadres")],
        ("assessments", "indicatorresult", {VIEW}),
        ("assessments", "indicator", {VIEW}),
        ("inspections", "rectificationitem", {VIEW, CHANGE}),
        ("inspections", "rectificationevidence", {VIEW, ADD}),
        ("notifications", "*", {VIEW}),
        ("villages", "villageincome", _WRITE),
        *[
            ("households", model, _WRITE)
            for model in (
                "household",
                "member",
                "incomerecord",
                "plan",
                "measure",
                "householdpairing",
                "visit",
                "visitphoto",
            )
        ],
        *[("pairing", model, _WRITE) for model in ("training", "meeting", "partyday", "studytrip")],
        ("cadres", "fieldday", _WRITE),
    ],
    Role.CADRE: [
        ("villages", "village", {VIEW}),
        ("villages", "villageincome", {VIEW}),
        ("households", "*", {VIEW}),
        ("households", "visit", _WRITE),
        ("households", "visitphoto", _WRITE),
        ("households", "measure", _WRITE),
        ("cadres", "fieldday", _WRITE),
        ("cadres", "cadre", {VIEW}),
        ("inspections", "rectificationitem", {VIEW}),
        ("inspections", "rectificationevidence", {VIEW, ADD}),
        ("notifications", "*", {VIEW}),
    ],
    Role.COORDINATOR: [
        ("villages", "village", {VIEW}),
        ("pairing", "*", {VIEW}),
        *[
            ("pairing", model, _WRITE)
            for model in (
                "project",
                "donation",
                "meeting",
                "training",
                "studytrip",
                "pairingyearplan",
            )
        ],
        ("households", "household", {VIEW}),
        ("households", "householdpairing", {VIEW}),
        ("households", "visit", _WRITE),
        ("households", "visitphoto", _WRITE),
        ("cadres", "cadre", {VIEW}),
        ("notifications", "*", {VIEW}),
    ],
    Role.REVIEWER: [
        *[(app, "*", {VIEW}) for app in _DOMAIN_APPS],
        ("inspections", "*", _WRITE),
        ("assessments", "evaluationrun", {VIEW, ADD}),
        ("cadres", "yearlygrade", _WRITE),
        ("ledgers", "exportjob", {VIEW, ADD}),
    ],
    Role.ADMIN: [
        *[(app, "*", _ALL) for app in _DOMAIN_APPS],
        ("accounts", "user", _ALL),
        ("accounts", "securityevent", {VIEW}),
        ("auth", "group", {VIEW}),
        ("authtoken", "*", _ALL),
        ("django_celery_beat", "*", _ALL),
        ("axes", "*", {VIEW, DELETE}),
    ],
}


def role_groups_sync() -> None:
    """Create the role groups and give each exactly its permissions. Idempotent; runs after
    every `migrate` so models added later are covered by the "*" rules."""
    from django.contrib.auth.models import Group, Permission

    permissions = list(Permission.objects.select_related("content_type"))
    with transaction.atomic():
        for role, group_name in ROLE_GROUPS.items():
            group, _created = Group.objects.get_or_create(name=group_name)
            wanted = []
            for permission in permissions:
                app = permission.content_type.app_label
                model = permission.content_type.model
                action = permission.codename.split("_", 1)[0]
                for rule_app, rule_model, actions in ROLE_PERMISSIONS[role]:
                    if rule_app == app and rule_model in ("*", model) and action in actions:
                        wanted.append(permission)
                        break
            group.permissions.set(wanted)


def user_role_group_sync(*, user: User) -> None:
    """Put the user in the group of their role and in no other role group (other groups an
    administrator made are left as they are)."""
    from django.contrib.auth.models import Group

    role_groups = Group.objects.filter(name__in=ROLE_GROUPS.values())
    wanted = ROLE_GROUPS.get(user.role)
    current = {group.name: group for group in user.groups.filter(name__in=ROLE_GROUPS.values())}
    stale = [group for name, group in current.items() if name != wanted]
    if stale:
        user.groups.remove(*stale)
    if wanted and wanted not in current:
        group = role_groups.filter(name=wanted).first()
        if group is None:  # a database migrated before the groups existed
            group = Group.objects.create(name=wanted)
        user.groups.add(group)


# --- lockout -----------------------------------------------------------------------------------
def user_unlock(*, user: User, by: User, request: HttpRequest | None = None) -> int:
    """Lift a login lockout (all failed attempts of the username) and log who lifted it."""
    from axes.utils import reset

    removed = reset(username=user.get_username())
    security_event_record(
        kind=SecurityEvent.Kind.UNLOCK,
        request=request,
        user=by,
        detail={"unlocked_user": user.get_username(), "attempts_removed": removed},
    )
    return removed


# --- personal data -----------------------------------------------------------------------------
# What a reveal reads of a household: households.models.Household, which accounts may not name
# even for typing (an app above it; `manage.py import_graph` counts every import).
class _CodedRegion(Protocol):
    @property
    def code(self) -> str: ...


class _RegionVillage(Protocol):
    @property
    def region(self) -> _CodedRegion: ...


class RevealedHousehold(Protocol):
    @property
    def pk(self) -> Any: ...
    @property
    def village(self) -> _RegionVillage: ...
    @property
    def head_name(self) -> str: ...
    @property
    def head_id_number(self) -> str: ...
    @property
    def phone(self) -> str: ...


def full_id_reveal(
    *, user: User, household: RevealedHousehold, request: HttpRequest | None = None
) -> dict[str, str]:
    """The household's full ID and phone numbers, for roles that may see them; every reveal is
    logged. The caller has already scoped `household` to the user (out of scope is a 404)."""
    if not user.can_view_full_id:
        raise PermissionDenied(_("您的角色无权查看完整身份证号码。"))
    security_event_record(
        kind=SecurityEvent.Kind.FULL_ID_VIEW,
        request=request,
        user=user,
        region_code=household.village.region.code,
        detail={"household_id": household.pk, "head_name": household.head_name},
    )
    return {"id_number": household.head_id_number, "phone": household.phone}


# --- retention ---------------------------------------------------------------------------------
def security_log_purge(*, now: datetime.datetime | None = None, dry_run: bool = False) -> int:
    """Delete events older than SECURITY_LOG_KEEP_DAYS (never fewer than 180 days)."""
    keep_days = settings.SECURITY_LOG_KEEP_DAYS
    if keep_days < SECURITY_LOG_MIN_KEEP_DAYS:
        raise ValueError(
            _("安全日志保存期不得少于%(n)d天（当前设置为%(k)d天）。")
            % {"n": SECURITY_LOG_MIN_KEEP_DAYS, "k": keep_days}
        )
    cutoff = (now or timezone.now()) - datetime.timedelta(days=keep_days)
    if dry_run:
        return SecurityEvent.objects.filter(created_at__lt=cutoff).count()
    return SecurityEvent.objects.purge_before(cutoff)
