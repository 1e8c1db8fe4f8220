"""Reads for the reporting pages: what a township's period contains (counts of its records and
the indicators computed for it) and the county's status of every township's periods."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import IndicatorResult
from cadres.models import FieldDay
from core.scope import scope_of
from households.models import IncomeRecord, Visit
from pairing.models import Meeting, PartyDay, StudyTrip, Training
from periods import rules
from periods.models import PeriodEvent, PeriodState, ReportingPeriod
from villages.models import Region, RegionLevel, Village, VillageIncome

if TYPE_CHECKING:
    from accounts.models import User


# --- one period ----------------------------------------------------------------------------
@dataclass
class PeriodView:
    township: Region
    county: Region | None
    rule: rules.CountyRule
    label: str
    start: datetime.date
    end: datetime.date
    row: ReportingPeriod | None
    lock: rules.Lock | None
    today: datetime.date

    @property
    def display(self) -> str:
        return rules.display(self.rule.granularity, self.start)

    @property
    def state(self) -> str:
        return self.row.state if self.row is not None else PeriodState.OPEN

    @property
    def ended(self) -> bool:
        return self.today > self.end

    @property
    def governed(self) -> bool:
        return rules.governed(self.end)

    @property
    def due_on(self) -> datetime.date:
        return rules.due_on(self.end)

    @property
    def overdue(self) -> bool:
        until = self.row.reopened_until if self.row is not None else None
        return rules.is_overdue(self.state, self.end, self.today, until)

    @property
    def expires_on(self) -> datetime.date:
        return self.rule.expires_on(self.end)

    @property
    def can_submit(self) -> bool:
        return (
            self.governed
            and self.ended
            and self.state in (PeriodState.OPEN, PeriodState.RETURNED, PeriodState.REOPENED)
        )

    @property
    def can_review(self) -> bool:
        return self.state == PeriodState.SUBMITTED

    @property
    def can_reopen(self) -> bool:
        return self.lock is not None

    @property
    def status_label(self) -> str:
        return status_label(self)

    @property
    def status_css(self) -> str:
        return status_css(self)


def status_label(view: PeriodView) -> str:
    if not view.governed:
        return _("未纳入报送")
    if not view.ended:
        return _("进行中")
    if view.state == PeriodState.OPEN and view.overdue:
        return _("逾期未报送")
    if view.state in (PeriodState.RETURNED, PeriodState.REOPENED) and view.overdue:
        return _("%(state)s（逾期）") % {"state": PeriodState(view.state).label}
    return str(PeriodState(view.state).label)


def status_css(view: PeriodView) -> str:
    if view.state == PeriodState.APPROVED:
        return "ok"
    if view.overdue:
        return "bad"
    if view.state == PeriodState.SUBMITTED:
        return "wait"
    if view.state == PeriodState.RETURNED:
        return "warn"
    return ""


def township_in_scope(user: User, township_id: int) -> Region:
    """A township of the user's scope (404 otherwise)."""
    township = (
        scope_of(user).regions([RegionLevel.TOWNSHIP]).filter(pk=township_id).first()
        if user.is_authenticated
        else None
    )
    if township is None:
        raise Http404
    return township


def period_view(
    township: Region, label: str | None = None, *, day: datetime.date | None = None
) -> PeriodView:
    """The township's period named by `label` (or containing `day`); 404 for a label that is
    not one of its county's periods."""
    today = timezone.localdate()
    county = rules.county_of(township)
    rule = rules.county_rule(county.pk if county else None)
    if label is not None:
        found = rules.parse_label(rule.granularity, label)
        if found is None:
            raise Http404
        start, end = found
    else:
        label, start, end = rules.bounds(rule.granularity, day or today)
    row = (
        ReportingPeriod.objects.select_related("submitted_by", "approved_by")
        .filter(township=township, start=start)
        .first()
    )
    lock = rules.lock_of_row(row, township=township, rule=rule, start=start, end=end, today=today)
    return PeriodView(township, county, rule, label, start, end, row, lock, today)


@dataclass
class Line:
    label: str
    count: int
    note: str = ""


def period_contents(township: Region, start: datetime.date, end: datetime.date) -> list[Line]:
    """What the township submits: its records dated in the period, one count per kind (a
    yearly figure is in the period that contains 31 December of its year)."""
    villages = Village.objects.filter(township=township)
    visits = Visit.objects.filter(township=township, visited_on__range=(start, end)).aggregate(
        total=Count("id"), counted=Count("id", filter=Visit.objects.counted_condition())
    )
    years = [y for y in range(start.year, end.year + 1) if start <= datetime.date(y, 12, 31) <= end]
    lines = [
        Line(
            _("走访"),
            visits["total"],
            _("其中计入考核 %(n)d 次") % {"n": visits["counted"]},
        ),
        Line(
            _("培训"),
            Training.objects.filter(village__in=villages, held_on__range=(start, end)).count(),
        ),
        Line(
            _("会议与调研"),
            Meeting.objects.filter(village__in=villages, held_on__range=(start, end)).count(),
        ),
        Line(
            _("固定党日"),
            PartyDay.objects.filter(village__in=villages, held_on__range=(start, end)).count(),
        ),
        Line(
            _("外出学习考察"),
            StudyTrip.objects.filter(village__in=villages, started_on__range=(start, end)).count(),
        ),
        Line(
            _("在岗天数"),
            FieldDay.objects.filter(
                Q(region=township) | Q(region__path__startswith=township.path),
                day__range=(start, end),
            ).count(),
        ),
        Line(
            _("贫困户年度收入"),
            IncomeRecord.objects.filter(household__village__in=villages, year__in=years).count(),
            _("年度收入计入含12月31日的期间") if not years else "",
        ),
        Line(
            _("村集体经济收入"),
            VillageIncome.objects.filter(village__in=villages, year__in=years).count(),
            _("年度收入计入含12月31日的期间") if not years else "",
        ),
    ]
    return lines


@dataclass
class IndicatorLine:
    code: str
    name: str
    subjects: int
    met: int

    @property
    def share(self) -> str:
        if not self.subjects:
            return "—"
        return f"{100 * self.met / self.subjects:.1f}%"


def period_indicators(township: Region, label: str) -> list[IndicatorLine]:
    """The indicators evaluated for the period in the township (stored results; for an approved
    period the figures as they were approved)."""
    rows = (
        IndicatorResult.objects.filter(period=label, township=township)
        .values("indicator__code", "indicator__name")
        .annotate(subjects=Count("id"), met=Count("id", filter=Q(met=True)))
        .order_by("indicator__code")
    )
    return [
        IndicatorLine(r["indicator__code"], r["indicator__name"], r["subjects"], r["met"])
        for r in rows
    ]


def period_history(row: ReportingPeriod | None) -> list[PeriodEvent]:
    if row is None:
        return []
    return list(row.events.select_related("user").order_by("at", "id"))


# --- the county's status page ----------------------------------------------------------------
@dataclass
class StatusRow:
    township: Region
    cells: list[PeriodView] = field(default_factory=list)


@dataclass
class StatusGrid:
    county: Region
    labels: list[tuple[str, str]]  # (label, display)
    rows: list[StatusRow]

    def count(self, css: str) -> int:
        return sum(1 for r in self.rows for c in r.cells if c.status_css == css)

    @property
    def count_wait(self) -> int:
        return self.count("wait")

    @property
    def count_bad(self) -> int:
        return self.count("bad")

    @property
    def count_ok(self) -> int:
        return self.count("ok")


def recent_periods(
    rule: rules.CountyRule, today: datetime.date, n: int
) -> list[tuple[str, datetime.date, datetime.date]]:
    """The last `n` governed periods that have ended, newest first."""
    out: list[tuple[str, datetime.date, datetime.date]] = []
    _label, start, _end = rules.bounds(rule.granularity, today)
    day = start - datetime.timedelta(days=1)
    while len(out) < n:
        label, p_start, p_end = rules.bounds(rule.granularity, day)
        if not rules.governed(p_end):
            break
        out.append((label, p_start, p_end))
        day = p_start - datetime.timedelta(days=1)
    return out


def counties_in_scope(user: User) -> QuerySet[Region]:
    return scope_of(user).regions([RegionLevel.COUNTY]).order_by("code")


def status_grid(county: Region, *, n: int = 6) -> StatusGrid:
    """Every township of the county × its running period and last `n` ended ones (a fixed
    number of queries)."""
    today = timezone.localdate()
    rule = rules.county_rule(county.pk)
    current = rules.bounds(rule.granularity, today)
    periods = ([current] if rules.governed(current[2]) else []) + recent_periods(rule, today, n)
    townships = list(
        Region.objects.filter(level=RegionLevel.TOWNSHIP, path__startswith=county.path).order_by(
            "code"
        )
    )
    starts = [p[1] for p in periods]
    rows = {
        (r.township_id, r.start): r
        for r in ReportingPeriod.objects.filter(
            path__startswith=county.path, start__in=starts
        ).select_related("approved_by")
    }
    grid = []
    for township in townships:
        row = StatusRow(township)
        for label, start, end in periods:
            stored = rows.get((township.pk, start))
            lock = rules.lock_of_row(
                stored, township=township, rule=rule, start=start, end=end, today=today
            )
            row.cells.append(
                PeriodView(township, county, rule, label, start, end, stored, lock, today)
            )
        grid.append(row)
    return StatusGrid(
        county,
        [(label, rules.display(rule.granularity, start)) for label, start, _e in periods],
        grid,
    )
