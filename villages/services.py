"""Writes for villages: the collective economic income of a year (村集体经济收入).

Also the few rules every entered record shares (trainings, meetings, Party days, study trips,
days in the field, village income), used by pairing/services.py and cadres/services.py:
the role may enter work, every object named is inside the user's scope (otherwise 404 and
nothing written), the model's own validation runs with field names, and an update or delete
honours the edit window (accounts/permissions.py).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can_edit_entry
from villages.models import Region, RegionLevel, Village, VillageIncome


def entry_require_role(user) -> None:
    if not (user.is_authenticated and user.is_active and user.can_enter_work):
        raise PermissionDenied(_("您的角色不能填报工作记录。"))


def entry_ensure_visible(model, user, obj) -> None:
    """A write naming an object outside the user's scope changes nothing: it is 'not found'."""
    if obj is None:
        return
    if not model.objects.visible_to(user).filter(pk=obj.pk).exists():
        raise Http404


def entry_ensure_editable(
    user, entry, *, created_by_field: str = "created_by", at_field="created_at"
):
    """Scope first (404), then the edit window (PermissionDenied with a Chinese message)."""
    entry_ensure_visible(type(entry), user, entry)

    @dataclass
    class _Entry:
        created_by_id: int | None
        created_at: datetime.datetime | None

    view = _Entry(
        created_by_id=getattr(entry, f"{created_by_field}_id", None),
        created_at=getattr(entry, at_field, None),
    )
    if not can_edit_entry(user, view):
        raise PermissionDenied(_("已超过修改期限（或不是您填报的记录），只有审核人员可以修改。"))


def entry_not_in_future(day: datetime.date | None, field: str, errors: dict) -> None:
    if day is not None and day > timezone.localdate():
        errors.setdefault(field, []).append(_("日期不能晚于今天。"))


def entry_save(
    instance, *, errors: dict | None = None, unique_error: tuple[str, str] | None = None
):
    """Validate (model rules plus the caller's `errors`) and save in one transaction.
    `unique_error` = (field, message) reports a unique-constraint race on that field."""
    errors = dict(errors or {})
    try:
        # Constraints are checked by the callers (with messages that name the field) and,
        # against races, by the database (IntegrityError below).
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        if unique_error is None:
            raise
        raise ValidationError({unique_error[0]: [unique_error[1]]}) from exc
    return instance


def entry_apply_changes(instance, changes: dict, allowed: set[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({name: [_("该字段不能修改。")] for name in sorted(unknown)})
    for name, value in changes.items():
        setattr(instance, name, value)


def region_choices_for_field_days(user):
    """Regions where a user may record days in the field: villages and townships in scope."""
    from accounts.scope import scope_of

    scope = scope_of(user)
    levels = [RegionLevel.VILLAGE, RegionLevel.TOWNSHIP]
    base = Region.objects.filter(level__in=levels)
    if scope.nothing:
        return base.none()
    if scope.everything:
        return base
    if scope.region_path is not None:
        return base.filter(path__startswith=scope.region_path)
    villages = Village.objects.visible_to(user)
    return base.filter(
        pk__in=list(villages.values_list("region_id", flat=True))
        + list(villages.values_list("township_id", flat=True))
    )


# --- village collective income ------------------------------------------------------------
INCOME_FIELDS = {"year", "amount", "sources"}


def village_income_record(
    *, user, village: Village, year: int, amount: Decimal, sources: str = ""
) -> VillageIncome:
    """A village's collective income for a year. One figure per village and year: a second
    entry for the same year is refused (change the existing one instead)."""
    entry_require_role(user)
    entry_ensure_visible(Village, user, village)
    errors: dict[str, list[str]] = {}
    if year is not None and year > timezone.localdate().year:
        errors.setdefault("year", []).append(_("年度不能晚于今年。"))
    if year is not None and VillageIncome.objects.filter(village=village, year=year).exists():
        errors.setdefault("year", []).append(
            _("%(village)s %(year)s 年的集体经济收入已填报，请修改原记录。")
            % {"village": village.name, "year": year}
        )
    income = VillageIncome(
        village=village, year=year, amount=amount, sources=(sources or "").strip(), recorded_by=user
    )
    return entry_save(
        income,
        errors=errors,
        unique_error=("year", _("该村该年度的集体经济收入已填报，请修改原记录。")),
    )


def village_income_update(*, user, income: VillageIncome, **changes) -> VillageIncome:
    """Within the edit window the author may change the figure (a reviewer at any time). The
    window runs from the last change (VillageIncome keeps `recorded_by`/`recorded_at`)."""
    entry_ensure_editable(user, income, created_by_field="recorded_by", at_field="recorded_at")
    entry_apply_changes(income, changes, INCOME_FIELDS)
    errors: dict[str, list[str]] = {}
    if income.year is not None and income.year > timezone.localdate().year:
        errors.setdefault("year", []).append(_("年度不能晚于今年。"))
    if (
        VillageIncome.objects.filter(village_id=income.village_id, year=income.year)
        .exclude(pk=income.pk)
        .exists()
    ):
        errors.setdefault("year", []).append(_("该村该年度的集体经济收入已填报。"))
    return entry_save(
        income, errors=errors, unique_error=("year", _("该村该年度的集体经济收入已填报。"))
    )


def village_income_delete(*, user, income: VillageIncome) -> None:
    entry_ensure_editable(user, income, created_by_field="recorded_by", at_field="recorded_at")
    income.delete()
