"""Assessment periods as people write them: a year `2026`, a quarter `2026-Q3`, a month `2026-09`
and an ISO week `2026-W38` (Monday to Sunday, ISO 8601, the week the calendar on a township
office wall shows). A period knows its first and last day and which indicators it evaluates."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from assessments.models import PeriodKind

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-?[Ww](\d{1,2})$")

MIN_YEAR, MAX_YEAR = 2000, 2100


class PeriodError(ValueError):
    """The text is not a period; the message is for the person who typed it."""


@dataclass(frozen=True)
class Period:
    kind: str  # a PeriodKind other than SNAPSHOT
    label: str  # canonical: 2026, 2026-Q3, 2026-09, 2026-W38
    start: datetime.date
    end: datetime.date

    def __str__(self) -> str:
        return self.label

    @property
    def year(self) -> int:
        return self.start.year if self.kind != PeriodKind.WEEK else self.start.isocalendar()[0]

    @property
    def indicator_kinds(self) -> tuple[str, ...]:
        """Which indicators a period evaluates: its own kind, and for a year also the
        snapshot indicators (the state on the year's last day, or today for the current year)."""
        if self.kind == PeriodKind.YEAR:
            return (PeriodKind.YEAR, PeriodKind.SNAPSHOT)
        return (self.kind,)

    def as_of(self, today: datetime.date) -> datetime.date:
        """The day snapshot indicators are read on: the period's last day, or today if the
        period has not ended yet."""
        return min(self.end, today)

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    @property
    def spot_check_quarter(self) -> str:
        """The spot-check draw's spelling of a quarter (inspections: `2026Q4`)."""
        return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"

    @property
    def display(self) -> str:
        if self.kind == PeriodKind.YEAR:
            return _("%(year)d年") % {"year": self.start.year}
        if self.kind == PeriodKind.QUARTER:
            return _("%(year)d年第%(q)d季度") % {
                "year": self.start.year,
                "q": (self.start.month - 1) // 3 + 1,
            }
        if self.kind == PeriodKind.MONTH:
            return _("%(year)d年%(month)d月") % {"year": self.start.year, "month": self.start.month}
        return _("%(year)d年第%(week)d周（%(start)s至%(end)s）") % {
            "year": self.year,
            "week": self.start.isocalendar()[1],
            "start": self.start.strftime("%m-%d"),
            "end": self.end.strftime("%m-%d"),
        }

    def quarters(self) -> list[Period]:
        """The four quarters of a year period (a unit's yearly grade reads them)."""
        return [parse_period(f"{self.start.year}-Q{q}") for q in range(1, 5)]


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(
            _("年度应在 %(min)d 至 %(max)d 之间。") % {"min": MIN_YEAR, "max": MAX_YEAR}
        )


def parse_period(text: str) -> Period:
    """`2026`, `2026-Q3`, `2026-09` or `2026-W38` into a Period; PeriodError otherwise."""
    raw = (text or "").strip()
    if match := _YEAR.match(raw):
        year = int(match[1])
        _check_year(year)
        return Period(
            PeriodKind.YEAR, f"{year}", datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        )
    if match := _QUARTER.match(raw):
        year, quarter = int(match[1]), int(match[2])
        _check_year(year)
        start = datetime.date(year, 3 * quarter - 2, 1)
        return Period(
            PeriodKind.QUARTER, f"{year}-Q{quarter}", start, _month_end(year, 3 * quarter)
        )
    if match := _MONTH.match(raw):
        year, month = int(match[1]), int(match[2])
        _check_year(year)
        if not 1 <= month <= 12:
            raise PeriodError(_("月份应在 1 至 12 之间。"))
        return Period(
            PeriodKind.MONTH,
            f"{year}-{month:02d}",
            datetime.date(year, month, 1),
            _month_end(year, month),
        )
    if match := _WEEK.match(raw):
        year, week = int(match[1]), int(match[2])
        _check_year(year)
        try:
            start = datetime.date.fromisocalendar(year, week, 1)
        except ValueError as exc:
            raise PeriodError(
                _("%(year)d年没有第%(week)d周。") % {"year": year, "week": week}
            ) from exc
        return Period(
            PeriodKind.WEEK, f"{year}-W{week:02d}", start, start + datetime.timedelta(days=6)
        )
    raise PeriodError(
        _("考核期“%(text)s”无法识别，请写成 2026、2026-Q3、2026-09 或 2026-W38。")
        % {"text": raw[:20]}
    )


def period_containing(kind: str, day: datetime.date) -> Period:
    """The year, quarter, month or ISO week that contains `day`."""
    if kind == PeriodKind.YEAR:
        return parse_period(f"{day.year}")
    if kind == PeriodKind.QUARTER:
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    if kind == PeriodKind.MONTH:
        return parse_period(f"{day.year}-{day.month:02d}")
    if kind == PeriodKind.WEEK:
        iso_year, iso_week, _weekday = day.isocalendar()
        return parse_period(f"{iso_year}-W{iso_week:02d}")
    raise PeriodError(_("未知的考核周期类型：%(kind)s") % {"kind": kind})


def current_periods(today: datetime.date) -> list[Period]:
    """What the nightly job evaluates: every period that contains yesterday (so the night after
    a week, month, quarter or year ends settles it) and every period that contains today."""
    yesterday = today - datetime.timedelta(days=1)
    periods: list[Period] = []
    for day in (yesterday, today):
        for kind in (PeriodKind.YEAR, PeriodKind.QUARTER, PeriodKind.MONTH, PeriodKind.WEEK):
            period = period_containing(kind, day)
            if period not in periods:
                periods.append(period)
    return periods


def _month_end(year: int, month: int) -> datetime.date:
    if month == 12:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)
