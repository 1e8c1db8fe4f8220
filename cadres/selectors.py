"""Reads about cadres: a cadre's days in the field this month against their target."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings

from cadres.models import CadreKind, FieldDay
from villages.selectors import indicator_threshold

# The field-day indicators of 003 by the kind of cadre. Stationed cadres and first secretaries
# have no monthly figure in the source documents; STATIONED_FIELD_DAYS_TARGET (default 20, the
# usual provincial rule of being in the village most working days) is shown for them.
FIELD_DAY_INDICATORS = {
    CadreKind.COUNTY_LEADER: ("COUNTY-LEADER-DAYS", 4),
    CadreKind.TOWNSHIP_LEADER: ("TOWNSHIP-LEADER-DAYS", 8),
    CadreKind.TALENT: ("TALENT-DAYS", 2),
}


@dataclass
class FieldDaysMonth:
    days: int
    target: int
    month_start: datetime.date

    @property
    def met(self) -> bool:
        return self.days >= self.target

    @property
    def short(self) -> int:
        return max(self.target - self.days, 0)


def field_day_target(cadre) -> int:
    if cadre.kind in FIELD_DAY_INDICATORS:
        code, default = FIELD_DAY_INDICATORS[cadre.kind]
        return int(indicator_threshold(code, default))
    return int(settings.STATIONED_FIELD_DAYS_TARGET)


def field_days_this_month(cadre, today: datetime.date) -> FieldDaysMonth:
    start = today.replace(day=1)
    days = FieldDay.objects.filter(cadre=cadre, day__gte=start, day__lte=today).count()
    return FieldDaysMonth(days=days, target=field_day_target(cadre), month_start=start)
