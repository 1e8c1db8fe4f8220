"""Writes for cadres: days in the field (驻村 / 下乡天数), which the field-day indicators count
(003: township leaders ≥ 8 days a month in their village, county leaders ≥ 4 in their
township, dispatched talents ≥ 2). The browser form and the API both call these."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cadres.models import Cadre, FieldDay
from core.entries import (
    entry_apply_changes,
    entry_ensure_editable,
    entry_ensure_visible,
    entry_not_in_future,
    entry_require_role,
    entry_save,
)
from core.permissions import entry_author_cadre, records_own_entries
from villages.models import Region
from villages.services import region_choices_for_field_days

if TYPE_CHECKING:
    from accounts.models import User

FIELD_DAY_FIELDS = {"cadre", "region", "day", "note"}
FIELD_DAY_TAKEN = gettext_lazy("该干部这一天已登记过在岗天数。")


def _check_region(user: User, region: Region | None) -> None:
    if region is not None and not region_choices_for_field_days(user).filter(pk=region.pk).exists():
        raise Http404


def _field_day_errors(field_day: FieldDay) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    entry_not_in_future(field_day.day, "day", errors)
    if (
        field_day.day
        and field_day.cadre_id
        and FieldDay.objects.filter(cadre_id=field_day.cadre_id, day=field_day.day)
        .exclude(pk=field_day.pk)
        .exists()
    ):
        errors.setdefault("day", []).append(str(FIELD_DAY_TAKEN))
    return errors


def field_day_record(
    *,
    user: User,
    region: Region,
    day: datetime.date,
    cadre: Cadre | None = None,
    note: str = "",
) -> FieldDay:
    """A cadre records their own days; township staff record them for cadres in their scope.
    The region is a village or township inside the user's scope."""
    entry_require_role(user)
    cadre = entry_author_cadre(user, cadre)
    errors: dict[str, list[str]] = {}
    if cadre is None:
        errors["cadre"] = [_("请选择干部。")]
    else:
        entry_ensure_visible(Cadre, user, cadre)
    _check_region(user, region)
    field_day = FieldDay(
        cadre=cadre, region=region, day=day, note=(note or "").strip(), created_by=user
    )
    if cadre is not None:
        errors.update(_field_day_errors(field_day))
    else:
        entry_not_in_future(day, "day", errors)
    return entry_save(field_day, errors=errors, unique_error=("day", str(FIELD_DAY_TAKEN)))


def field_day_update(*, user: User, field_day: FieldDay, **changes: Any) -> FieldDay:
    entry_ensure_editable(user, field_day)
    if records_own_entries(user):
        changes.pop("cadre", None)
    if changes.get("cadre") is not None:
        entry_ensure_visible(Cadre, user, changes["cadre"])
    _check_region(user, changes.get("region"))
    entry_apply_changes(field_day, changes, FIELD_DAY_FIELDS)
    return entry_save(
        field_day, errors=_field_day_errors(field_day), unique_error=("day", str(FIELD_DAY_TAKEN))
    )


def field_day_delete(*, user: User, field_day: FieldDay) -> None:
    entry_ensure_editable(user, field_day)
    field_day.delete()
