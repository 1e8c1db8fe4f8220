"""Writes for villages: the collective economic income of a year (村集体经济收入).

The rules every entered record shares (role, scope, validation, edit window) are
core/entries.py.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.entries import (
    entry_apply_changes,
    entry_ensure_editable,
    entry_ensure_visible,
    entry_require_role,
    entry_save,
)
from villages.models import Region, RegionLevel, Village, VillageIncome

if TYPE_CHECKING:
    from accounts.models import User


def region_choices_for_field_days(user: User) -> QuerySet[Region]:
    """Regions where a user may record days in the field: villages and townships in scope."""
    from core.scope import scope_of

    return scope_of(user).regions([RegionLevel.VILLAGE, RegionLevel.TOWNSHIP])


# --- village collective income ------------------------------------------------------------
INCOME_FIELDS = {"year", "amount", "sources"}


def village_income_record(
    *, user: User, village: Village, year: int, amount: Decimal, sources: str = ""
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


def village_income_update(*, user: User, income: VillageIncome, **changes: Any) -> VillageIncome:
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


def village_income_delete(*, user: User, income: VillageIncome) -> None:
    entry_ensure_editable(user, income, created_by_field="recorded_by", at_field="recorded_at")
    income.delete()
