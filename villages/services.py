"""Writes for villages: the collective economic income of a year (村集体经济收入), entered
(core/entries.py: role, scope, validation, edit window); and the region tree and the villages
themselves, kept by reviewers within their subtree (core/kept.py, core/keepers.py "region",
"village")."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
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
from core.existing import existing_record
from core.kept import (
    kept_apply,
    kept_delete,
    kept_ensure_visible,
    kept_require,
    kept_save,
    references,
)
from core.scope import scope_of
from villages.models import LEVEL_ORDER, Region, RegionLevel, Village, VillageIncome

if TYPE_CHECKING:
    from accounts.models import User


def region_choices_for_field_days(user: User) -> QuerySet[Region]:
    """Regions where a user may record days in the field: villages and townships in scope."""
    return scope_of(user).regions([RegionLevel.VILLAGE, RegionLevel.TOWNSHIP])


# --- village collective income ------------------------------------------------------------
INCOME_FIELDS = {"year", "amount", "sources"}


def _village_income_of_year(
    village_id: int | None, year: int | None, *, exclude: int | None = None
) -> ValidationError | None:
    """The refusal naming the village's income already entered for that year, if any."""
    if year is None or village_id is None:
        return None
    other = VillageIncome.objects.filter(village_id=village_id, year=year)
    if exclude is not None:
        other = other.exclude(pk=exclude)
    row = other.select_related("village").first()
    if row is None:
        return None
    return existing_record(
        _("%(village)s %(year)s 年的集体经济收入已填报（%(amount)s 元）")
        % {"village": row.village.name, "year": year, "amount": row.amount},
        pk=row.pk,
        edit="villages:income_edit",
        api="api:village-income-detail",
    )


def village_income_record(
    *, user: User, village: Village, year: int, amount: Decimal, sources: str = ""
) -> VillageIncome:
    """A village's collective income for a year. One figure per village and year: a second
    entry for the same year is refused (change the existing one instead)."""
    entry_require_role(user)
    entry_ensure_visible(Village, user, village)
    errors: dict[str, list[Any]] = {}
    if year is not None and year > timezone.localdate().year:
        errors.setdefault("year", []).append(_("年度不能晚于今年。"))
    existing = _village_income_of_year(village.pk, year)
    if existing is not None:
        errors.setdefault("year", []).append(existing)
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
    errors: dict[str, list[Any]] = {}
    if income.year is not None and income.year > timezone.localdate().year:
        errors.setdefault("year", []).append(_("年度不能晚于今年。"))
    existing = _village_income_of_year(income.village_id, income.year, exclude=income.pk)
    if existing is not None:
        errors.setdefault("year", []).append(existing)
    return entry_save(
        income, errors=errors, unique_error=("year", _("该村该年度的集体经济收入已填报。"))
    )


def village_income_delete(*, user: User, income: VillageIncome) -> None:
    entry_ensure_editable(user, income, created_by_field="recorded_by", at_field="recorded_at")
    income.delete()


# --- the region tree and villages, kept by reviewers ---------------------------------------
# The statistics bureau's division codes (统计用区划代码): 2 digits a province, 4 a prefecture,
# 6 a county, 9 a township, 12 a village (15 a village group, this product's own). Regions are
# stored in that short form (demo/builder.py); the 12-digit form with trailing zeros is
# accepted for every level (510105000000 is the county 510105).
LEVEL_BY_LENGTH: dict[int, str] = {
    2: RegionLevel.PROVINCE,
    4: RegionLevel.PREFECTURE,
    6: RegionLevel.COUNTY,
    9: RegionLevel.TOWNSHIP,
    12: RegionLevel.VILLAGE,
    15: RegionLevel.GROUP,
}
PARENT_LENGTH: dict[int, int] = {4: 2, 6: 4, 9: 6, 12: 9, 15: 12}
REGION_FIELDS = {"name", "is_poverty_county", "planned_delist_year", "delisted_year"}
VILLAGE_FIELDS = {
    "name",
    "is_poor_village",
    "is_difficult_village",
    "planned_exit_year",
    "exit_year",
    "branch_name",
    "branch_secretary",
    "venue_area_m2",
    "leading_industries",
    "infrastructure_notes",
    "population",
    "latitude",
    "longitude",
    "ended_on",
    "end_reason",
}
FIRST_YEAR, LAST_YEAR = 2000, 2100


def division_code(value: Any) -> str:
    """The stored form of a division code, or a ValidationError (on "code") saying why not."""
    code = str(value or "").strip().replace(" ", "")
    code = code.translate({cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)})
    if not code:
        raise ValidationError({"code": [_("请填写区划代码。")]})
    if not (code.isascii() and code.isdigit()):
        raise ValidationError({"code": [_("区划代码应只含数字。")]})
    # The 12-digit form (统计用区划代码) and the 6-digit form (GB/T 2260) with trailing zeros.
    cuts = {12: (2, 4, 6, 9), 6: (2, 4)}.get(len(code), ())
    for keep in cuts:
        if code[keep:] == "0" * (len(code) - keep):
            return code[:keep]
    if len(code) not in LEVEL_BY_LENGTH:
        raise ValidationError(
            {
                "code": [
                    _(
                        "区划代码应为统计用12位代码（如 510105001001），或省2位、市4位、县6位、"
                        "乡镇9位的短代码；当前为%(n)d位。"
                    )
                    % {"n": len(code)}
                ]
            }
        )
    if (len(code) in (9, 12, 15) and code.endswith("000")) or (
        len(code) == 4 and code.endswith("00")
    ):
        raise ValidationError({"code": [_("区划代码 %(code)s 不是有效的代码。") % {"code": code}]})
    return code


def region_level_of(code: str) -> str:
    """The level a stored division code names."""
    return LEVEL_BY_LENGTH[len(code)]


def region_parent_code(code: str) -> str | None:
    length = PARENT_LENGTH.get(len(code))
    return code[:length] if length else None


def _own_region_guard(user: User, region: Region) -> None:
    """A reviewer keeps the regions below their own; their own region is kept from above."""
    if scope_of(user).everything:
        return
    if user.region_id == region.pk:
        raise PermissionDenied(_("您所在的区划由上级维护，您可以维护其下级区划和村。"))


def _parent_for(user: User, code: str, parent: Region | None) -> Region | None:
    """The region a new code goes under: the one its code names, inside the user's scope."""
    parent_code = region_parent_code(code)
    if parent is not None:
        kept_ensure_visible(Region, user, parent)
        if parent.code != parent_code:
            raise ValidationError(
                {
                    "parent": [
                        _("上级区划应为 %(code)s（由区划代码的前%(n)d位确定）。")
                        % {"code": parent_code or "—", "n": len(parent_code or "")}
                    ]
                }
            )
        found: Region | None = parent
    elif parent_code is None:
        found = None
    else:
        found = Region.objects.visible_to(user).filter(code=parent_code).first()
        if found is None:
            raise ValidationError(
                {
                    "code": [
                        _(
                            "上级区划 %(code)s 不存在或不在您的管辖范围内：只能在您管辖的区划下"
                            "新增，请先添加上级区划。"
                        )
                        % {"code": parent_code}
                    ]
                }
            )
    if found is None:
        if not scope_of(user).everything:
            raise ValidationError({"code": [_("只有系统管理员可以新增省级区划。")]})
        return None
    level = region_level_of(code)
    expected = LEVEL_ORDER[LEVEL_ORDER.index(level) - 1]
    if found.level != expected:
        raise ValidationError(
            {
                "code": [
                    _("上级区划 %(code)s 是%(level)s，不能在其下新增%(new)s。")
                    % {
                        "code": found.code,
                        "level": found.get_level_display(),
                        "new": RegionLevel(level).label,
                    }
                ]
            }
        )
    return found


def _check_region(region: Region, errors: dict[str, list[str]]) -> None:
    if not (region.name or "").strip():
        errors.setdefault("name", []).append(_("请填写名称。"))
    for name in ("planned_delist_year", "delisted_year"):
        year = getattr(region, name)
        if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
            errors.setdefault(name, []).append(
                _("年度应在%(a)d年至%(b)d年之间。") % {"a": FIRST_YEAR, "b": LAST_YEAR}
            )
    if region.delisted_year and region.delisted_year > timezone.localdate().year:
        errors.setdefault("delisted_year", []).append(_("实际摘帽年度不能晚于今年。"))


def region_record(
    *,
    user: User,
    code: str,
    name: str,
    parent: Region | None = None,
    is_poverty_county: bool = False,
    planned_delist_year: int | None = None,
    delisted_year: int | None = None,
) -> Region:
    """A new region under one inside the user's scope; its level and parent follow from its
    code. A village-level region gets its village (村) at once."""
    kept_require(user, "region")
    code = division_code(code)
    level = region_level_of(code)
    if level == RegionLevel.VILLAGE:
        kept_require(user, "village")
    with transaction.atomic():
        above = _parent_for(user, code, parent)
        existing = Region.objects.filter(code=code).first()
        errors: dict[str, list[str]] = {}
        if existing is not None:
            errors["code"] = [
                _("区划代码 %(code)s 已存在（%(name)s）。") % {"code": code, "name": existing.name}
            ]
        region = Region(
            code=code,
            name=(name or "").strip(),
            level=level,
            parent=above,
            is_poverty_county=bool(is_poverty_county),
            planned_delist_year=planned_delist_year,
            delisted_year=delisted_year,
        )
        _check_region(region, errors)
        region.path = (above.path if above is not None else "") + code + "/"
        kept_save(region, errors=errors, unique_error=("code", _("区划代码已存在。")))
        if level == RegionLevel.VILLAGE:
            village = Village(region=region, name=region.name)
            village.sync_region_columns()
            kept_save(village)
    return region


def region_update(*, user: User, region: Region, **changes: Any) -> Region:
    """Rename a region or correct its delisting (摘帽) years; its code and place in the tree do
    not change (a wrong code is deleted and added again). A village's name follows."""
    kept_require(user, "region")
    kept_ensure_visible(Region, user, region)
    _own_region_guard(user, region)
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
    kept_apply(region, changes, REGION_FIELDS)
    errors: dict[str, list[str]] = {}
    _check_region(region, errors)
    with transaction.atomic():
        kept_save(region, errors=errors)
        village = Village.objects.filter(region=region).first()
        if village is not None and village.name != region.name:
            village.name = region.name
            kept_save(village)
    return region


def region_delete(*, user: User, region: Region) -> None:
    """Remove a region added by mistake; one with lower regions, a village or other records is
    refused (say which)."""
    kept_require(user, "region")
    kept_ensure_visible(Region, user, region)
    _own_region_guard(user, region)
    kept_delete(region, end_field=None)


def _check_village(village: Village, errors: dict[str, list[str]]) -> None:
    this_year = timezone.localdate().year
    if not (village.name or "").strip():
        errors.setdefault("name", []).append(_("请填写村名。"))
    for name in ("planned_exit_year", "exit_year"):
        year = getattr(village, name)
        if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
            errors.setdefault(name, []).append(
                _("年度应在%(a)d年至%(b)d年之间。") % {"a": FIRST_YEAR, "b": LAST_YEAR}
            )
    if village.exit_year and village.exit_year > this_year:
        errors.setdefault("exit_year", []).append(_("实际退出年度不能晚于今年。"))
    if village.exit_year and not village.is_poor_village:
        errors.setdefault("exit_year", []).append(_("只有建档立卡贫困村才有退出年度。"))
    if village.ended_on and village.ended_on > timezone.localdate():
        errors.setdefault("ended_on", []).append(_("撤销日期不能晚于今天。"))
    if village.end_reason and not village.ended_on:
        errors.setdefault("ended_on", []).append(_("填写了撤销原因，请同时填写撤销日期。"))


def village_record(*, user: User, code: str, name: str, **fields: Any) -> Village:
    """A new village under a township in the user's scope, with its region node (the 12-digit
    code names both the village and its township)."""
    kept_require(user, "village")
    kept_require(user, "region")
    unknown = set(fields) - VILLAGE_FIELDS
    if unknown:
        raise ValidationError({n: [_("该字段不能修改。")] for n in sorted(unknown)})
    code = division_code(code)
    if region_level_of(code) != RegionLevel.VILLAGE:
        raise ValidationError(
            {"code": [_("村的区划代码应为12位，后3位不全为0（如 510105001001）。")]}
        )
    with transaction.atomic():
        region = region_record(user=user, code=code, name=name)
        village = Village.objects.get(region=region)
        kept_apply(village, fields, VILLAGE_FIELDS)
        errors: dict[str, list[str]] = {}
        _check_village(village, errors)
        kept_save(village, errors=errors)
    return village


def village_update(*, user: User, village: Village, **changes: Any) -> Village:
    """Change a village's facts (its branch, venue, industries, exit …); a new name renames its
    region node too."""
    kept_require(user, "village")
    kept_ensure_visible(Village, user, village)
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
    for name in ("branch_name", "branch_secretary", "leading_industries", "end_reason"):
        if name in changes:
            changes[name] = (changes[name] or "").strip()
    kept_apply(village, changes, VILLAGE_FIELDS)
    errors: dict[str, list[str]] = {}
    _check_village(village, errors)
    with transaction.atomic():
        kept_save(village, errors=errors)
        region = village.region
        if region.name != village.name:
            region.name = village.name
            kept_save(region)
    return village


def village_end(*, user: User, village: Village, day: datetime.date, reason: str = "") -> Village:
    """A village merged or abolished (撤并) on a day: it keeps its households, visits and
    history; lists show it as ended."""
    kept_require(user, "village")
    kept_ensure_visible(Village, user, village)
    if day is None:
        raise ValidationError({"ended_on": [_("请填写撤销日期。")]})
    village.ended_on = day
    village.end_reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    _check_village(village, errors)
    return kept_save(village, errors=errors)


def village_delete(*, user: User, village: Village) -> None:
    """Remove a village added by mistake, with its region node. A village that records refer
    to (households, pairings, incomes …) is refused: it is ended (撤销日期) instead."""
    kept_require(user, "village")
    kept_ensure_visible(Village, user, village)
    region = village.region
    found = references(village) + references(region, ignore={"village"})
    if found:
        raise ValidationError(
            {
                "__all__": [
                    _("已有记录引用（%(refs)s），不能删除；请填写“撤销日期”以结束它。")
                    % {"refs": "、".join(found)}
                ]
            }
        )
    with transaction.atomic():
        village.delete()
        region.delete()
