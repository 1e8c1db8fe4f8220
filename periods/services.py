"""Writes of periods' own records: a county's reporting setting (core.keepers "period_setting":
reviewers, for the counties of their scope). The workflow itself (submit, approve, return,
reopen) is reporting/services.py: it shows and evaluates what lives above this floor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404

from core.kept import kept_require, kept_save
from core.scope import scope_of
from periods.models import Granularity, PeriodSetting
from villages.models import Region, RegionLevel

if TYPE_CHECKING:
    from accounts.models import User


def period_setting_save(
    *, user: User, county: Region, granularity: str, lock_days: int | None
) -> PeriodSetting:
    """A county's reporting period (month, quarter or year) and its expiry days (empty: the
    system's PERIOD_LOCK_DAYS). A county outside the reviewer's scope is a 404."""
    kept_require(user, "period_setting")
    if county.level != RegionLevel.COUNTY or not scope_of(user).covers(county):
        raise Http404
    setting = PeriodSetting.objects.filter(county=county).first() or PeriodSetting(county=county)
    setting.granularity = granularity or Granularity.MONTH
    setting.lock_days = lock_days
    setting.updated_by = user
    return kept_save(setting)
