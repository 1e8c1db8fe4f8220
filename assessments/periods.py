"""Assessment periods as people write them: a year `2026`, a quarter `2026-Q3`, a month `2026-09`
and an ISO week `2026-W38` (Monday to Sunday, ISO 8601, the week the calendar on a township
office wall shows). A period knows its first and last day and which indicators it evaluates."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from assessments.models import EvaluationRun, PeriodKind

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


def looks_like_period(text: str) -> bool:
    """Written like a period (2026, 2026-Q3, 2026-09, 2026-W38), whether or not it is one."""
    raw = (text or "").strip()
    return any(pattern.match(raw) for pattern in (_YEAR, _QUARTER, _MONTH, _WEEK))


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


@dataclass(frozen=True)
class WeekDue:
    """The week a weekly duty is due in (HH-VISIT-WEEKLY: the ISO week, Monday to Sunday, both
    included) as of `today`, and the days left to do it, today included: 7 on a Monday, 1 on
    the Sunday. The one definition of "this week" for the home page, the household list's
    filter, the household page and the weekly reminder."""

    start: datetime.date
    end: datetime.date
    today: datetime.date

    @property
    def days_left(self) -> int:
        return (self.end - self.today).days + 1

    @property
    def period(self) -> Period:
        return period_containing(PeriodKind.WEEK, self.today)

    @property
    def sentence(self) -> str:
        """What the page and the reminder say about the deadline."""
        return _(
            "本周（周一至周日，%(start)s至%(end)s）应走访、截至周日还剩 %(n)d 天（含今天）"
        ) % {
            "start": self.start.strftime("%m-%d"),
            "end": self.end.strftime("%m-%d"),
            "n": self.days_left,
        }


def week_due(today: datetime.date) -> WeekDue:
    week = period_containing(PeriodKind.WEEK, today)
    return WeekDue(start=week.start, end=week.end, today=today)


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


# --- the period picker ----------------------------------------------------------------------------
PICKER_KINDS = (PeriodKind.YEAR, PeriodKind.QUARTER, PeriodKind.MONTH, PeriodKind.WEEK)


def picker_group_label(kind: str) -> str:
    labels: dict[str, str] = {
        PeriodKind.YEAR: _("年度"),
        PeriodKind.QUARTER: _("季度"),
        PeriodKind.MONTH: _("月份"),
        PeriodKind.WEEK: _("周"),
    }
    return labels[kind]


def has_begun(period: Period, today: datetime.date) -> bool:
    """A period may be looked at (on a dashboard, in a ledger) once its first day has come: no
    future year, quarter, month or week is offered or accepted."""
    return period.start <= today


def periods_between(first: datetime.date, today: datetime.date) -> dict[str, list[Period]]:
    """Every year, quarter, month and ISO week from the one containing `first` to the one
    containing `today` (the current ones included, none in the future), newest first."""
    first = min(first, today)
    out: dict[str, list[Period]] = {}
    for kind in PICKER_KINDS:
        periods = []
        period = period_containing(kind, today)
        while period.end >= first:
            periods.append(period)
            try:
                period = period_containing(kind, period.start - datetime.timedelta(days=1))
            except PeriodError:  # before MIN_YEAR
                break
        out[kind] = periods
    return out


def first_period_day(today: datetime.date) -> datetime.date:
    """The first day the picker offers: 1 January of the year of the earliest period evaluated
    (the finished assessment runs), or of ASSESSMENT_FIRST_YEAR if earlier, else of this year."""
    first = datetime.date(today.year, 1, 1)
    configured = getattr(settings, "ASSESSMENT_FIRST_YEAR", None)
    if configured:
        first = min(first, datetime.date(int(configured), 1, 1))
    labels = (
        EvaluationRun.objects.filter(status=EvaluationRun.Status.DONE)
        .order_by()
        .values_list("period", flat=True)
        .distinct()
    )
    for label in labels:
        try:
            first = min(first, datetime.date(parse_period(label).start.year, 1, 1))
        except PeriodError:
            continue
    return first


def period_choices(first: datetime.date, today: datetime.date) -> list[tuple[str, list]]:
    """The picker's grouped choices (a <select> with <optgroup>s): (label, display) pairs."""
    return [
        (picker_group_label(kind), [(p.label, p.display) for p in periods])
        for kind, periods in periods_between(first, today).items()
    ]


def _month_end(year: int, month: int) -> datetime.date:
    if month == 12:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)
