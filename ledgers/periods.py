"""The period a ledger covers, as reviewers write it: a year `2026`, a quarter `2026-Q3` or a
month `2026-09`. Ledgers for superiors are yearly, quarterly (spot checks) or monthly."""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")

MIN_YEAR, MAX_YEAR = 2000, 2100
QUARTER_NAMES = {1: "一", 2: "二", 3: "三", 4: "四"}


class PeriodError(ValueError):
    """The text is not a period; the message is for the person who typed it."""


@dataclass(frozen=True)
class LedgerPeriod:
    key: str  # canonical: 2026, 2026-Q3, 2026-09
    start: datetime.date
    end: datetime.date

    def __str__(self) -> str:
        return self.key

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def label(self) -> str:
        if _YEAR.match(self.key):
            return _("%(year)d年") % {"year": self.year}
        if "Q" in self.key:
            quarter = (self.start.month - 1) // 3 + 1
            return _("%(year)d年第%(q)s季度") % {"year": self.year, "q": QUARTER_NAMES[quarter]}
        return _("%(year)d年%(month)d月") % {"year": self.year, "month": self.start.month}

    def as_of(self, today: datetime.date) -> datetime.date:
        """The day 'in force' questions are asked on: the period's last day, or today while the
        period is still running."""
        return max(self.start, min(self.end, today))


def parse_period(text: str) -> LedgerPeriod:
    value = (text or "").strip()
    if match := _YEAR.match(value):
        year = _year(match.group(1))
        return LedgerPeriod(str(year), datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    if match := _QUARTER.match(value):
        year, quarter = _year(match.group(1)), int(match.group(2))
        first_month = 3 * (quarter - 1) + 1
        last_month = first_month + 2
        return LedgerPeriod(
            f"{year}-Q{quarter}",
            datetime.date(year, first_month, 1),
            datetime.date(year, last_month, calendar.monthrange(year, last_month)[1]),
        )
    if match := _MONTH.match(value):
        year, month = _year(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(_("月份应在1至12之间。"))
        return LedgerPeriod(
            f"{year}-{month:02d}",
            datetime.date(year, month, 1),
            datetime.date(year, month, calendar.monthrange(year, month)[1]),
        )
    raise PeriodError(_("期间应写作年度（如 2026）、季度（如 2026-Q3）或月份（如 2026-09）。"))


def _year(text: str) -> int:
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(_("年度应在%(min)d至%(max)d之间。") % {"min": MIN_YEAR, "max": MAX_YEAR})
    return year
