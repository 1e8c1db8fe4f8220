"""The evaluation engine: one class per metric of the indicator catalogue (METRICS, keyed by the
metric name indicators store).

Each metric's `rows` answers, for one period, "who are the subjects and what is each one's
value" with a fixed number of aggregate queries (grouped by subject) and returns rows; the
caller (`evaluate`) applies thresholds and the caller of that (services.py) writes the rows.
No query is issued per subject, so a province costs the same number of queries as a village.
Its `records` lists the records behind one stored result (the result page), from the same
querysets and conditions, so the figure and the list cannot disagree.

Semantics, where DOMAIN.md and the source documents leave a choice (product decisions):

Periods and dates
- A period is a year, quarter, month or ISO week (periods.py). A year evaluates the yearly
  indicators and the snapshot ones; other periods evaluate only indicators of their own kind.
- Snapshot indicators are read on the period's last day, or today while the period runs
  ("as of" below). Counts of a running period are counts so far.
- Duties with their own dates (a helper paired with a household, a leader's or department's
  coverage, a talent's assignment) are judged for a week or month only when they were in force
  for the whole of it: a handover in mid-week is not held against either helper that week.
  Yearly subjects (units, organisation pairings, first secretaries) are judged when they were in
  force at any time in the year.
- Visits count as `Visit.objects.counted()` says, the one definition: the visit service decides
  when a visit is written (and again when a pairing changes) that a household visit counts only
  when the visiting helper was that household's responsible helper on the day of the visit. A
  household that changed helpers in July keeps the visits of both halves of the year; a former
  helper's visit after the handover does not count; a visit held for review counts once a
  reviewer accepts it.

Subjects
- "Poor household" (HH-VISIT-YEAR, HH-PAIRED, HH-VISIT-WEEKLY) means every household on the
  register (建档立卡户) whatever its status, registered in or before the period's year:
  households that have exited keep their helpers (脱贫不脱帮扶), so they are still visited.
- "Low-income household" (HH-PLAN) means a household whose status is poor, monitored or
  low-income (not exited).
- HH-VISIT-YEAR counts every credited visit to the household (home, phone or group visit);
  HH-VISIT-WEEKLY counts home visits (入户) only, by the pairing's own helper.
- A helping unit (UNIT-*) is a unit that leads or takes part in an organisation pairing in force
  in the period; a lead unit (LEAD-JOINT-MEETING) one that leads a 1+1+1+N or designated
  pairing. A unit's result sits at the deepest region that contains all its pairings.
- ORG-REP-VISIT judges organisation pairings with a village; it counts credited visits linked to
  the pairing (org_pairing) on dates the pairing was in force.
- Village indicators: VILLAGE-COLLECTIVE-INCOME, VILLAGE-RESERVE-CADRES and VILLAGE-TALENT judge
  registered poor villages; VILLAGE-VENUE, VILLAGE-CADRE-TRAINING and PARTY-DAY every village.
  A missing income figure counts as 0 (not met). VILLAGE-CADRE-TRAINING adds up the village
  cadres trained (`village_cadres_trained`) in rotation trainings (年度轮训) of the year.
- PARTY-DAY counts the first Fridays of the period (up to "as of") on which the village branch
  held its fixed Party day; a month whose first Friday has not come yet is not judged.
- Leader and department days: a day counts when it was spent in the covered region or anywhere
  below it (a county leader in one of the township's villages is in the township).
  DEPT-MONTHLY-VISIT counts credited village-work visits (到村工作调研) to the covered village by
  cadres of the covering department.
- SECRETARY-FUNDS judges each first secretary with a term in the year (not recalled before it),
  by the working funds recorded for them for that year.
- SPOT-CHECK-RATE judges every county, and any other region with a live draw in the quarter: the
  share (in %) of its villages that appear in a live (not voided) draw of the quarter.

Monitoring against relapse (防止返贫动态监测, DOMAIN.md "After 2020")
- A "monitored household" is one with a monitoring case in status monitored on "as of": decided
  by the county on or before that day and not closed (risk removed) by it. Cases carry no
  status history, so this is read from the case's decision and closing days.
- MON-CLUE-15D judges each township with clues received in the period: the share (in %) of
  them decided within the deadline. The deadline is monitoring.selectors' (`clues_late`,
  `clue_deadline`), judged on the day of the evaluation, so a clue received late in a month and
  decided on time in the next counts once it is decided. A clue still undecided and not yet
  past its deadline is not judged (neither on time nor late) until it is decided or overdue.
- MON-HELPER: 1 when the monitored household has a helper in force on "as of" (the household
  pairing rule of HH-PAIRED) and its case at least one measure in force on that day
  (`MonitoringMeasure.objects.in_force`), else 0.
- MON-VISIT-MONTH: counted visits (`Visit.objects.counted()`) of the period to each monitored
  household, against the threshold (1 a month).
- MON-NOTICE-DAYS judges each village with public notices starting in the period: the share (in
  %) of them whose length (`notice_days`) reaches their minimum (`notice_minimum_days`).

Attribution (the helper, unit and organisation pairing stored with each result)
- Household results: the household pairing in force on "as of" (else the last one in the
  period), its helper and unit.
- Village results: the village's organisation pairing in force on "as of" and its lead unit, so
  a unit's ranking includes the villages it is paired with.
- Leaders, talents, first secretaries: the cadre; departments and first secretaries: their unit.

Thresholds
- A result copies its threshold from `assessments.selectors.Thresholds`, the one resolver: the
  indicator's, or the override of the most specific region on the subject's region path.
"""

from __future__ import annotations

import datetime
import gc
import logging
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Concat, RowNumber, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import Comparison, Indicator, IndicatorResult, SubjectKind
from assessments.periods import Period, parse_period
from assessments.selectors import RECORD_LIMIT, Records, Thresholds, path_prefixes
from cadres.models import Coverage, FieldDay, ReserveCadre, TalentAssignment, Term, WorkingFund
from households.models import (
    Household,
    HouseholdPairing,
    Plan,
    PovertyStatus,
    Visit,
    VisitKind,
)
from inspections.models import SpotCheckDraw, SpotCheckItem
from monitoring.models import CaseStatus, MonitoringCase, MonitoringMeasure, PublicNotice, RiskClue
from monitoring.selectors import clue_deadline, clues_late, notice_days, notice_minimum_days
from pairing.models import (
    Meeting,
    Pairing,
    PairingKind,
    PairingParticipant,
    PartyDay,
    StudyTrip,
    Training,
    TrainingKind,
    Unit,
)
from villages.models import Region, RegionLevel, Village, VillageIncome

if TYPE_CHECKING:
    from accounts.models import User
    from households.models import Visit

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")


@dataclass(slots=True)
class Row:
    """One subject's value before thresholds are applied."""

    subject_kind: str
    subject_id: int
    label: str
    path: str
    value: Decimal
    township_id: int | None = None
    village_id: int | None = None
    household_id: int | None = None
    unit_id: int | None = None
    helper_id: int | None = None
    pairing_id: int | None = None


@dataclass(slots=True)
class Result:
    """A row with its threshold applied; what services.py writes as an IndicatorResult."""

    indicator_id: int
    row: Row
    threshold: Decimal
    met: bool
    shortfall: Decimal


def judge(value: Decimal, threshold: Decimal, comparison: str) -> tuple[bool, Decimal]:
    """Met or not, and how far behind (never negative)."""
    if comparison == Comparison.LTE:
        return value <= threshold, max(value - threshold, ZERO)
    return value >= threshold, max(threshold - value, ZERO)


def judge_sql(
    comparison: str, value: str = "q.value", threshold: str = "q.threshold"
) -> tuple[str, str]:
    """`judge` as SQL over two column expressions, for the results a metric computes in the
    database (SqlMetric): (met, shortfall)."""
    if comparison == Comparison.LTE:
        return (
            f"({value} <= {threshold})",
            f"(CASE WHEN {value} > {threshold} THEN {value} - {threshold} ELSE 0 END)",
        )
    return (
        f"({value} >= {threshold})",
        f"(CASE WHEN {threshold} > {value} THEN {threshold} - {value} ELSE 0 END)",
    )


def common_path(paths: Iterable[str]) -> str:
    """The deepest region path containing every given path ('51/5108/' for two counties)."""
    parts: list[str] | None = None
    for path in paths:
        segments = [s for s in path.split("/") if s]
        if parts is None:
            parts = segments
            continue
        keep = 0
        for a, b in zip(parts, segments, strict=False):
            if a != b:
                break
            keep += 1
        parts = parts[:keep]
    return "".join(f"{s}/" for s in parts or [])


def first_fridays(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The first Friday of every month whose first Friday falls within [start, end]."""
    days = []
    month = datetime.date(start.year, start.month, 1)
    while month <= end:
        friday = month + datetime.timedelta(days=(4 - month.weekday()) % 7)
        if start <= friday <= end:
            days.append(friday)
        month = (
            datetime.date(month.year + 1, 1, 1)
            if month.month == 12
            else datetime.date(month.year, month.month + 1, 1)
        )
    return days


@dataclass(slots=True)
class HouseholdPairingSpan:
    id: int
    household_id: int
    helper_id: int
    helper_name: str
    unit_id: int | None
    start: datetime.date
    end: datetime.date | None

    def in_force(self, day: datetime.date) -> bool:
        return self.start <= day and (self.end is None or self.end >= day)


@dataclass(slots=True)
class VillageInfo:
    id: int
    name: str
    township_id: int
    path: str
    region_id: int
    is_poor: bool
    venue_area: Decimal | None


class Context:
    """What every metric of one evaluation shares: the period, the region it is limited to, and
    the base rows (households, villages, pairings) fetched once."""

    def __init__(self, *, period: Period, today: datetime.date, region_path: str = ""):
        self.period = period
        self.today = today
        self.as_of = period.as_of(today)
        self.start = period.start
        self.end = period.end
        # Counting stops at "as of": nothing after today can have happened yet.
        self.count_end = self.as_of
        self.region_path = region_path

    def within(self, qs, field: str = "path"):
        """Limit a queryset to the evaluation's region, if any."""
        if self.region_path:
            return qs.filter(**{f"{field}__startswith": self.region_path})
        return qs

    def in_region(self, path: str) -> bool:
        return not self.region_path or path.startswith(self.region_path)

    # --- base data, one query each ------------------------------------------------------------
    @cached_property
    def regions(self) -> dict[str, tuple[int, str, str]]:
        """Region path -> (id, level, name) for every region above the village group."""

        rows = Region.objects.exclude(level=RegionLevel.GROUP).values_list(
            "path", "id", "level", "name"
        )
        return {path: (rid, level, name) for path, rid, level, name in rows}

    def township_of(self, path: str) -> int | None:

        for prefix in path_prefixes(path):
            region = self.regions.get(prefix)
            if region and region[1] == RegionLevel.TOWNSHIP:
                return region[0]
        return None

    def village_of_path(self, path: str) -> int | None:
        region = self.regions.get(path)
        if region is None:
            return None
        return self.village_by_region.get(region[0])

    @cached_property
    def villages(self) -> dict[int, VillageInfo]:

        rows = self.within(Village.objects.all()).values_list(
            "id", "name", "township_id", "path", "region_id", "is_poor_village", "venue_area_m2"
        )
        return {row[0]: VillageInfo(*row) for row in rows}

    @cached_property
    def village_by_region(self) -> dict[int, int]:
        return {v.region_id: v.id for v in self.villages.values()}

    def household_queryset(self, *, registered: bool) -> QuerySet[Household]:
        """Every household registered in or before the period's year (within the region), not
        merged into another (households/merge.py);
        with `registered`, only the registered poor households (建档立卡户): an ordinary
        household counts in the monitoring indicators only."""
        qs = self.within(Household.objects.not_merged()).filter(
            Q(registered_year__isnull=True) | Q(registered_year__lte=self.end.year)
        )
        if registered:
            qs = qs.exclude(status=PovertyStatus.ORDINARY)
        return qs.order_by()

    @cached_property
    def all_households(self) -> list[tuple[int, str, int, int, str, str]]:
        """(id, head name, village id, township id, path, status) of `household_queryset`,
        ordinary (never registered poor) ones included: a monitored household may be either."""
        return list(
            self.household_queryset(registered=False).values_list(
                "id", "head_name", "village_id", "township_id", "path", "status"
            )
        )

    @cached_property
    def households(self) -> list[tuple[int, str, int, int, str, str]]:
        """The registered poor households of `household_queryset`, as rows."""
        return list(
            self.household_queryset(registered=True).values_list(
                "id", "head_name", "village_id", "township_id", "path", "status"
            )
        )

    @cached_property
    def household_pairings(self) -> dict[int, list[HouseholdPairingSpan]]:
        """Household id -> its helper pairings that overlap the period (started by "as of")."""

        qs = (
            self.within(HouseholdPairing.objects.all(), "household__path")
            .filter(start_date__lte=self.as_of)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=self.start))
            .order_by()
            .values_list(
                "id",
                "household_id",
                "helper_id",
                "helper__name",
                "unit_id",
                "start_date",
                "end_date",
            )
        )
        spans: dict[int, list[HouseholdPairingSpan]] = defaultdict(list)
        for row in qs:
            spans[row[1]].append(HouseholdPairingSpan(*row))
        return spans

    def responsible_queryset(self) -> QuerySet[HouseholdPairing]:
        """The pairing each household's results are attributed to, one row per household: of
        its pairings that overlap the period (started by "as of"), the one in force on "as of"
        (the latest started, if several), else the last one that ended. A window over the
        pairings, so the engine's SQL and its Python read the same rule."""
        in_force = Q(end_date__isnull=True) | Q(end_date__gte=self.as_of)
        return (
            self.within(HouseholdPairing.objects.all(), "household__path")
            .filter(start_date__lte=self.as_of)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=self.start))
            .annotate(
                attributed=Window(
                    RowNumber(),
                    partition_by=[F("household_id")],
                    order_by=[
                        Case(When(in_force, then=Value(1)), default=Value(0)).desc(),
                        Case(When(in_force, then=F("start_date")), default=F("end_date")).desc(),
                        F("start_date").desc(),
                        F("id").desc(),
                    ],
                )
            )
            .filter(attributed=1)
            .order_by()
        )

    @cached_property
    def responsible_pairing(self) -> dict[int, HouseholdPairingSpan]:
        """Household id -> its attributed pairing (`responsible_queryset`)."""
        rows = self.responsible_queryset().values_list(
            "id", "household_id", "helper_id", "helper__name", "unit_id", "start_date", "end_date"
        )
        return {row[1]: HouseholdPairingSpan(*row) for row in rows}

    def responsible(self, household_id: int) -> HouseholdPairingSpan | None:
        return self.responsible_pairing.get(household_id)

    @cached_property
    def monitored_cases(self) -> dict[int, int]:
        """Household id -> the id of its case monitored on "as of" (`monitored_on`)."""
        return dict(
            self.within(MonitoringCase.objects.filter(monitored_on(self.as_of)))
            .order_by("decided_on", "id")
            .values_list("household_id", "id")
        )

    @cached_property
    def village_org_pairing(self) -> dict[int, tuple[int, int]]:
        """Village id -> (organisation pairing id, lead unit id) in force on "as of" (else the
        last one that overlapped the period)."""

        qs = (
            self.within(Pairing.objects.filter(village__isnull=False))
            .overlapping(self.start, self.as_of)
            .order_by("village_id", "start_date", "id")
            .values_list("village_id", "id", "lead_unit_id", "start_date", "end_date")
        )
        chosen: dict[int, tuple[int, int]] = {}
        chosen_in_force: set[int] = set()
        for village_id, pairing_id, unit_id, _start, end in qs:
            in_force = end is None or end >= self.as_of
            if in_force or village_id not in chosen_in_force:
                chosen[village_id] = (pairing_id, unit_id)
                if in_force:
                    chosen_in_force.add(village_id)
        return chosen

    def village_row(self, village: VillageInfo, kind: str, value: Decimal) -> Row:
        pairing = self.village_org_pairing.get(village.id)
        return Row(
            subject_kind=kind,
            subject_id=village.id,
            label=village.name,
            path=village.path,
            value=value,
            township_id=village.township_id,
            village_id=village.id,
            pairing_id=pairing[0] if pairing else None,
            unit_id=pairing[1] if pairing else None,
        )

    @cached_property
    def unit_subjects(self) -> dict[int, tuple[str, str, set[int]]]:
        """Helping units in the period: unit id -> (name, common region path, pairing ids)."""

        pairings = Pairing.objects.overlapping(self.start, self.as_of)
        paths: dict[int, list[str]] = defaultdict(list)
        pairing_ids: dict[int, set[int]] = defaultdict(set)
        for pid, unit_id, path in pairings.order_by().values_list("id", "lead_unit_id", "path"):
            paths[unit_id].append(path)
            pairing_ids[unit_id].add(pid)
        participants = (
            PairingParticipant.objects.filter(pairing__in=pairings.values("id"))
            .exclude(organisation__unit_id__isnull=True)
            .order_by()
            .values_list("organisation__unit_id", "pairing_id", "pairing__path")
        )
        for unit_id, pid, path in participants:
            paths[unit_id].append(path)
            pairing_ids[unit_id].add(pid)
        return self._units(paths, pairing_ids)

    @cached_property
    def lead_unit_subjects(self) -> dict[int, tuple[str, str, set[int]]]:

        pairings = Pairing.objects.overlapping(self.start, self.as_of).filter(
            kind__in=[PairingKind.ONE_PLUS, PairingKind.DESIGNATED]
        )
        paths: dict[int, list[str]] = defaultdict(list)
        pairing_ids: dict[int, set[int]] = defaultdict(set)
        for pid, unit_id, path in pairings.order_by().values_list("id", "lead_unit_id", "path"):
            paths[unit_id].append(path)
            pairing_ids[unit_id].add(pid)
        return self._units(paths, pairing_ids)

    def _units(self, paths, pairing_ids) -> dict[int, tuple[str, str, set[int]]]:

        names = dict(Unit.objects.filter(id__in=list(paths)).values_list("id", "name"))
        out = {}
        for unit_id, unit_paths in paths.items():
            path = common_path(unit_paths)
            if path and self.in_region(path) and unit_id in names:
                out[unit_id] = (names[unit_id], path, pairing_ids[unit_id])
        return out

    def unit_rows(self, subjects, kind: str, counts: dict[int, int]) -> Iterator[Row]:
        for unit_id, (name, path, pairing_ids) in subjects.items():
            village_id = self.village_of_path(path)
            yield Row(
                subject_kind=kind,
                subject_id=unit_id,
                label=name,
                path=path,
                value=Decimal(counts.get(unit_id, 0)),
                township_id=self.township_of(path),
                village_id=village_id,
                unit_id=unit_id,
                pairing_id=next(iter(pairing_ids)) if len(pairing_ids) == 1 else None,
            )


# --- metrics: one class per metric of the catalogue --------------------------------------------
class Metric(ABC):
    """One metric of the indicator catalogue: `rows` computes every subject's value for a period
    with a fixed number of set-based queries; `records` lists the records behind one stored
    result, within a user's scope. Both build their querysets and conditions from the same
    methods of the class, so a rule is written once and the two cannot disagree. A subclass sets
    `name`, the metric name indicators store (as data) in `Indicator.metric`."""

    name: ClassVar[str] = ""

    @abstractmethod
    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:
        """Every subject's value for the period."""

    def records(self, *, user: User, result: IndicatorResult) -> Records:
        return Records(_("依据"), [], [], _("该计算口径没有可列出的明细记录。"))

    def __call__(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:
        return self.rows(ctx, indicator)


class SqlMetric(Metric):
    """A metric whose rows are one SELECT (`select`): the evaluation copies it into the stored
    results with `INSERT … SELECT`, so a province's rows never pass through Python; `rows`
    reads the same SELECT, so the two cannot disagree."""

    @abstractmethod
    def select(self, ctx: Context, indicator: Indicator, threshold: Any) -> tuple[str, list[Any]]:
        """SQL and parameters giving SELECT_COLUMNS (assessments/storing.py) for every subject,
        `threshold` being the database expression of the subject's threshold over its path."""

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:
        thresholds = Thresholds([indicator.code])
        sql, params = self.select(ctx, indicator, thresholds.evaluated_expression(indicator.code))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for (
                subject_id,
                label,
                path,
                township_id,
                village_id,
                household_id,
                unit_id,
                helper_id,
                pairing_id,
                value,
                _threshold,
            ) in cursor.fetchall():
                yield Row(
                    subject_kind=indicator.subject_kind,
                    subject_id=subject_id,
                    label=label,
                    path=path,
                    value=Decimal(value),
                    township_id=township_id,
                    village_id=village_id,
                    household_id=household_id,
                    unit_id=unit_id,
                    helper_id=helper_id,
                    pairing_id=pairing_id,
                )


METRICS: dict[str, Metric] = {}

MetricClass = TypeVar("MetricClass", bound=type[Metric])


def registered(cls: MetricClass) -> MetricClass:
    """Class decorator: put one instance of the metric in METRICS under its name."""
    if not cls.name or cls.name in METRICS:
        raise ValueError(f"metric name missing or taken: {cls.name!r}")
    METRICS[cls.name] = cls()
    return cls


# What a metric's records say about each record: does it count toward the result's value?
def counted_header() -> str:
    return _("计入本指标")


def counted_label(counts: bool, reason: str = "") -> str:
    if counts:
        return _("是")
    return _("否：%(reason)s") % {"reason": reason} if reason else _("否")


def _visit_counted(visit: Visit) -> str:
    """A visit counts when its own credit status says so (`Visit.objects.counted()`): the visit
    service applied the pairing rule when the visit was written."""
    return counted_label(visit.is_credited, visit.get_credit_status_display())


def _flagged(qs: QuerySet, condition: Q) -> QuerySet:
    """The queryset with `counts`: whether each row meets `condition` (the filter `rows` uses)."""
    return qs.annotate(counts=ExpressionWrapper(condition, output_field=BooleanField()))


def _dated(field: str, start: datetime.date, end: datetime.date) -> Q:
    return Q(**{f"{field}__gte": start, f"{field}__lte": end})


def _result_as_of(result: IndicatorResult) -> datetime.date:
    """The day a stored result's snapshot rules are read on, for its records: the period's last
    day (records are read live, after the result was computed)."""
    return result.period_end


# --- households ------------------------------------------------------------------------------
def household_select(
    ctx: Context,
    households: QuerySet[Household],
    threshold: Any,
    *,
    value: str,
    joins: Iterable[tuple[str, QuerySet]] = (),
) -> tuple[str, list[Any]]:
    """The SELECT of a household metric (SqlMetric): each household of `households` labelled
    and attributed as `_household_row` does (its attributed pairing's helper and unit), `value`
    an SQL expression over the joined querysets. Each join is (alias, queryset whose columns
    are named c0 = the household id, c1 … the figures), LEFT JOINed on the household."""
    hh_sql, hh_params = households.values(
        c0=F("id"),
        c1=Substr(Concat(F("head_name"), Value("（"), F("village__name"), Value("）")), 1, 200),
        c2=F("path"),
        c3=F("township_id"),
        c4=F("village_id"),
        c5=threshold,
    ).query.sql_with_params()
    resp_sql, resp_params = (
        ctx.responsible_queryset()
        .values(c0=F("household_id"), c1=F("helper_id"), c2=F("unit_id"))
        .query.sql_with_params()
    )
    sql = [
        "SELECT h.c0 AS subject_id, h.c1 AS subject_label, h.c2 AS path, h.c3 AS township_id, "
        "h.c4 AS village_id, h.c0 AS household_id, r.c2 AS unit_id, r.c1 AS helper_id, "
        "CAST(NULL AS bigint) AS pairing_id, ",
        value,
        f" AS value, h.c5 AS threshold FROM ({hh_sql}) h LEFT JOIN ({resp_sql}) r ON r.c0 = h.c0",
    ]
    params = [*hh_params, *resp_params]
    for alias, qs in joins:
        join_sql, join_params = qs.query.sql_with_params()
        sql.append(f" LEFT JOIN ({join_sql}) {alias} ON {alias}.c0 = h.c0")
        params += join_params
    return "".join(sql), params


def _household_row(
    ctx: Context, household: tuple[int, str, int, int, str, str], kind: str, value: Decimal
) -> Row:
    hh_id, head_name, village_id, township_id, path, _status = household
    village = ctx.villages.get(village_id)
    label = f"{head_name}（{village.name}）" if village else head_name
    span = ctx.responsible(hh_id)
    return Row(
        subject_kind=kind,
        subject_id=hh_id,
        label=label[:200],
        path=path,
        value=value,
        township_id=township_id,
        village_id=village_id,
        household_id=hh_id,
        helper_id=span.helper_id if span else None,
        unit_id=span.unit_id if span else None,
    )


class HouseholdVisitRecords(Metric):
    """What the household visit metrics share: the visits of a period and the records behind a
    result."""

    def visits(self, start: datetime.date, end: datetime.date) -> QuerySet[Visit]:
        """Household visits of the period, counted or not (`rows` keeps the counted ones)."""

        return Visit.objects.filter(
            household__isnull=False, visited_on__gte=start, visited_on__lte=end
        )

    def result_visits(self, *, user: User, result: IndicatorResult) -> QuerySet[Visit]:
        return (
            self.visits(result.period_start, result.period_end)
            .visible_to(user)
            .filter(household_id=result.household_id)
            .select_related("helper")
            .order_by("visited_on", "id")
        )

    def counted(self, visit: Visit) -> str:
        return _visit_counted(visit)

    def note(self) -> str:
        return _("只有“计入考核”的走访才计数（走访人当天是否为该户帮扶责任人，填报走访时已核定）。")

    def records(self, *, user: User, result: IndicatorResult) -> Records:
        visits = self.result_visits(user=user, result=result)
        return Records(
            _("走访记录"),
            [_("日期"), _("走访人"), _("方式"), counted_header(), _("说明")],
            [
                [
                    v.visited_on,
                    v.helper.name,
                    v.get_kind_display(),
                    self.counted(v),
                    v.credit_reason,
                ]
                for v in visits[:RECORD_LIMIT]
            ],
            self.note(),
        )


@registered
class HouseholdVisits(HouseholdVisitRecords, SqlMetric):
    """HH-VISIT-YEAR: counted visits to the household (home, phone or group visit)."""

    name = "visits"

    def select(self, ctx: Context, indicator: Indicator, threshold: Any) -> tuple[str, list[Any]]:
        counts = (
            ctx.within(self.visits(ctx.start, ctx.count_end).counted())
            .order_by()
            .values(c0=F("household_id"))
            .annotate(c1=Count("*"))
        )
        return household_select(
            ctx,
            ctx.household_queryset(registered=True),
            threshold,
            value="COALESCE(c.c1, 0)",
            joins=[("c", counts)],
        )


@registered
class HouseholdHelperHomeVisits(HouseholdVisitRecords):
    """HH-VISIT-WEEKLY: counted home visits by the pairing's helper while the pairing was in
    force for the whole period."""

    name = "home_visits"

    @staticmethod
    def home_kind() -> str:

        return VisitKind.HOME

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:
        counts: dict[tuple[int, int], int] = {
            (hh, helper): n
            for hh, helper, n in ctx.within(self.visits(ctx.start, ctx.count_end).counted())
            .filter(kind=self.home_kind())
            .order_by()
            .values("household_id", "helper_id")
            .annotate(n=Count("*"))
            .values_list("household_id", "helper_id", "n")
        }
        for household in ctx.households:
            hh_id, head_name, village_id, township_id, path, _status = household
            for span in ctx.household_pairings.get(hh_id, ()):
                if not (span.start <= ctx.start and (span.end is None or span.end >= ctx.end)):
                    continue
                yield Row(
                    subject_kind=indicator.subject_kind,
                    subject_id=span.id,
                    label=f"{head_name} / {span.helper_name}"[:200],
                    path=path,
                    value=Decimal(counts.get((hh_id, span.helper_id), 0)),
                    township_id=township_id,
                    village_id=village_id,
                    household_id=hh_id,
                    helper_id=span.helper_id,
                    unit_id=span.unit_id,
                )

    def result_visits(self, *, user: User, result: IndicatorResult) -> QuerySet[Visit]:
        return super().result_visits(user=user, result=result).filter(helper_id=result.helper_id)

    def counted(self, visit: Visit) -> str:
        if visit.is_credited and visit.kind != self.home_kind():
            return counted_label(False, _("不是入户走访"))
        return _visit_counted(visit)

    def note(self) -> str:
        return _("只计该结对帮扶责任人“计入考核”的入户走访。")


@registered
class HouseholdHelpers(SqlMetric):
    """HH-PAIRED: distinct helpers paired with the household on "as of"."""

    name = "helpers_in_force"

    def select(self, ctx: Context, indicator: Indicator, threshold: Any) -> tuple[str, list[Any]]:
        helpers = (
            ctx.within(HouseholdPairing.objects.in_force(ctx.as_of), "household__path")
            .order_by()
            .values(c0=F("household_id"))
            .annotate(c1=Count("helper_id", distinct=True))
        )
        return household_select(
            ctx,
            ctx.household_queryset(registered=True),
            threshold,
            value="COALESCE(p.c1, 0)",
            joins=[("p", helpers)],
        )

    def records(self, *, user: User, result: IndicatorResult) -> Records:

        as_of = _result_as_of(result)
        pairings = (
            HouseholdPairing.objects.visible_to(user)
            .filter(household_id=result.household_id)
            .select_related("helper", "unit")
            .order_by("start_date", "id")
        )
        seen: set[int] = set()
        rows = []
        for p in pairings:
            span = HouseholdPairingSpan(
                p.id, p.household_id, p.helper_id, "", p.unit_id, p.start_date, p.end_date
            )
            if not span.in_force(as_of):
                label = counted_label(False, _("%(day)s 不在结对期内") % {"day": as_of})
            elif p.helper_id in seen:
                label = counted_label(False, _("同一帮扶责任人已计"))
            else:
                seen.add(p.helper_id)
                label = counted_label(True)
            rows.append([p.helper.name, p.unit or "", p.start_date, p.end_date or "", label])
        return Records(
            _("结对帮扶责任人"),
            [_("帮扶责任人"), _("单位"), _("结对日期"), _("解除日期"), counted_header()],
            rows,
        )


LOW_INCOME_STATUSES = ("poor", "monitored", "low_income")


@registered
class HouseholdPlan(SqlMetric):
    """HH-PLAN: 1 when a one-household-one-plan drawn up by "as of" exists, else 0."""

    name = "has_plan"

    @staticmethod
    def drawn_up_by(as_of: datetime.date) -> Q:
        return Q(drawn_up_on__lte=as_of)

    def select(self, ctx: Context, indicator: Indicator, threshold: Any) -> tuple[str, list[Any]]:
        plans = (
            ctx.within(Plan.objects.all(), "household__path")
            .filter(self.drawn_up_by(ctx.as_of))
            .order_by()
            .values(c0=F("household_id"))
            .annotate(c1=Count("*"))
        )
        return household_select(
            ctx,
            ctx.household_queryset(registered=True).filter(status__in=LOW_INCOME_STATUSES),
            threshold,
            value="(CASE WHEN p.c1 IS NULL THEN 0 ELSE 1 END)",
            joins=[("p", plans)],
        )

    def records(self, *, user: User, result: IndicatorResult) -> Records:

        as_of = _result_as_of(result)
        plans = _flagged(
            Plan.objects.visible_to(user).filter(household_id=result.household_id),
            self.drawn_up_by(as_of),
        )
        return Records(
            _("一户一策"),
            [_("制定日期"), _("帮扶思路"), counted_header()],
            [
                [p.drawn_up_on, p.summary, counted_label(p.counts, _("期末后制定"))]
                for p in plans[:1]
            ],
        )


# --- organisation pairings and units ---------------------------------------------------------
@registered
class PairingRepVisits(Metric):
    """ORG-REP-VISIT: counted visits linked to the pairing on days it was in force."""

    name = "org_rep_visits"

    def visits(self, start: datetime.date, end: datetime.date) -> QuerySet[Visit]:

        return Visit.objects.filter(visited_on__gte=start, visited_on__lte=end)

    @staticmethod
    def pairing_in_force() -> Q:
        """The visit's day falls within its organisation pairing's dates."""
        return Q(visited_on__gte=F("org_pairing__start_date")) & (
            Q(org_pairing__end_date__isnull=True) | Q(visited_on__lte=F("org_pairing__end_date"))
        )

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:

        pairings = list(
            ctx.within(Pairing.objects.filter(village__isnull=False))
            .overlapping(ctx.start, ctx.as_of)
            .order_by()
            .values_list("id", "name", "path", "village_id", "lead_unit_id")
        )
        counts = (
            dict(
                self.visits(ctx.start, ctx.count_end)
                .counted()
                .filter(org_pairing__in=[p[0] for p in pairings])
                .filter(self.pairing_in_force())
                .order_by()
                .values("org_pairing_id")
                .annotate(n=Count("*"))
                .values_list("org_pairing_id", "n")
            )
            if pairings
            else {}
        )
        for pid, name, path, village_id, unit_id in pairings:
            village = ctx.villages.get(village_id)
            yield Row(
                subject_kind=indicator.subject_kind,
                subject_id=pid,
                label=name[:200],
                path=path,
                value=Decimal(counts.get(pid, 0)),
                township_id=village.township_id if village else ctx.township_of(path),
                village_id=village_id,
                unit_id=unit_id,
                pairing_id=pid,
            )

    def records(self, *, user: User, result: IndicatorResult) -> Records:
        visits = _flagged(
            self.visits(result.period_start, result.period_end)
            .visible_to(user)
            .filter(org_pairing_id=result.subject_id),
            self.pairing_in_force(),
        )
        visits = visits.select_related("helper").order_by("visited_on", "id")

        def counted(visit: Visit) -> str:
            if visit.is_credited and not visit.counts:
                return counted_label(False, _("不在结对期内"))
            return _visit_counted(visit)

        return Records(
            _("结对党组织代表走访"),
            [_("日期"), _("走访人"), counted_header(), _("内容")],
            [[v.visited_on, v.helper.name, counted(v), v.learned] for v in visits[:RECORD_LIMIT]],
        )


def _unit_subjects(ctx: Context, indicator: Indicator) -> dict[int, tuple[str, str, set[int]]]:
    if indicator.subject_kind == SubjectKind.LEAD_UNIT:
        return ctx.lead_unit_subjects
    return ctx.unit_subjects


class UnitActivities(Metric):
    """A helping unit's activities of one kind in the period, counted by date."""

    date_field: ClassVar[str] = "held_on"

    def title(self) -> str:
        return _("会议与调研")

    @abstractmethod
    def activities(self) -> QuerySet:
        """The activities of this kind (meetings of a kind, night schools, study trips)."""

    def counted_activities(self, start: datetime.date, end: datetime.date) -> QuerySet:
        return self.activities().filter(_dated(self.date_field, start, end), unit__isnull=False)

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:
        counts = dict(
            self.counted_activities(ctx.start, ctx.count_end)
            .order_by()
            .values("unit_id")
            .annotate(n=Count("*"))
            .values_list("unit_id", "n")
        )
        yield from ctx.unit_rows(_unit_subjects(ctx, indicator), indicator.subject_kind, counts)

    def result_activities(self, *, user: User, result: IndicatorResult) -> QuerySet:
        return (
            self.counted_activities(result.period_start, result.period_end)
            .visible_to(user)
            .filter(unit_id=result.subject_id)
            .order_by(self.date_field, "id")
        )

    @abstractmethod
    def headers(self) -> list[str]:
        """The record table's column titles (before the "counted" column)."""

    @abstractmethod
    def cells(self, activity: Any) -> list[Any]:
        """One activity's cells, in the order of `headers`."""

    def records(self, *, user: User, result: IndicatorResult) -> Records:
        activities = self.result_activities(user=user, result=result)
        return Records(
            self.title(),
            [*self.headers(), counted_header()],
            [[*self.cells(a), counted_label(True)] for a in activities[:RECORD_LIMIT]],
        )


class UnitMeetings(UnitActivities):
    """Meetings (or research visits) of one kind the unit held."""

    kind: ClassVar[str] = ""
    leader_level: ClassVar[str | None] = None

    def activities(self) -> QuerySet:

        qs = Meeting.objects.filter(kind=self.kind)
        if self.leader_level:
            qs = qs.filter(leader_level=self.leader_level)
        return qs

    def result_activities(self, *, user: User, result: IndicatorResult) -> QuerySet:
        return super().result_activities(user=user, result=result).select_related("village")

    def headers(self) -> list[str]:
        return [_("日期"), _("主题"), _("村"), _("带队领导")]

    def cells(self, activity: Any) -> list[Any]:
        village = activity.village.name if activity.village_id else ""
        return [activity.held_on, activity.title, village, activity.get_leader_level_display()]


# UNIT-LEADER-VISIT, UNIT-DEPUTY-VISIT: research visits (调研) by the principal leader or the
# deputy in charge; UNIT-SPECIAL-MEETING, LEAD-JOINT-MEETING: meetings the unit held.
@registered
class PrincipalResearch(UnitMeetings):
    name = "principal_research"
    kind = "research"
    leader_level = "principal"


@registered
class DeputyResearch(UnitMeetings):
    name = "deputy_research"
    kind = "research"
    leader_level = "deputy"


@registered
class SpecialMeetings(UnitMeetings):
    name = "special_meetings"
    kind = "special"


@registered
class JointMeetings(UnitMeetings):
    name = "joint_meetings"
    kind = "joint"


def _training_headers() -> list[str]:
    return [_("日期"), _("主题"), _("村"), _("参训人数"), _("其中村干部")]


def _training_cells(training: Any) -> list[Any]:
    village = training.village.name if training.village_id else ""
    return [
        training.held_on,
        training.title,
        village,
        training.attendance,
        training.village_cadres_trained,
    ]


@registered
class UnitNightSchools(UnitActivities):
    """UNIT-NIGHT-SCHOOL: farmer-night-school lectures the unit organised."""

    name = "night_schools"

    def activities(self) -> QuerySet:

        return Training.objects.filter(kind=TrainingKind.NIGHT_SCHOOL)

    def result_activities(self, *, user: User, result: IndicatorResult) -> QuerySet:
        return super().result_activities(user=user, result=result).select_related("village")

    def headers(self) -> list[str]:
        return _training_headers()

    def cells(self, activity: Any) -> list[Any]:
        return _training_cells(activity)

    def title(self) -> str:
        return _("培训")


@registered
class UnitStudyTrips(UnitActivities):
    """UNIT-STUDY-TRIP: study trips the unit organised, by departure date."""

    name = "study_trips"
    date_field = "started_on"

    def activities(self) -> QuerySet:

        return StudyTrip.objects.all()

    def headers(self) -> list[str]:
        return [_("出发日期"), _("考察地点"), _("天数"), _("参加人数")]

    def cells(self, activity: Any) -> list[Any]:
        return [activity.started_on, activity.destination, activity.days, activity.participants]

    def title(self) -> str:
        return _("外出学习考察")


# --- villages --------------------------------------------------------------------------------
def _poor_villages(ctx: Context) -> list[VillageInfo]:
    return [v for v in ctx.villages.values() if v.is_poor]


@registered
class VillageIncomeMetric(Metric):
    """VILLAGE-COLLECTIVE-INCOME: the collective income recorded for the period's year."""

    name = "collective_income"

    @staticmethod
    def of_year(year: int) -> Q:
        return Q(year=year)

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:

        amounts = dict(
            ctx.within(VillageIncome.objects.all(), "village__path")
            .filter(self.of_year(ctx.end.year))
            .values_list("village_id", "amount")
        )
        for village in _poor_villages(ctx):
            yield ctx.village_row(village, indicator.subject_kind, amounts.get(village.id) or ZERO)

    def records(self, *, user: User, result: IndicatorResult) -> Records:

        incomes = _flagged(
            VillageIncome.objects.visible_to(user).filter(village_id=result.village_id),
            self.of_year(result.period_end.year),
        ).order_by("-year")
        return Records(
            _("村集体经济收入"),
            [_("年度"), _("收入（元）"), _("收入来源"), counted_header()],
            [
                [i.year, i.amount, i.sources, counted_label(i.counts, _("其他年度"))]
                for i in incomes
            ],
            _("未填报当年收入的按 0 元计。"),
        )


@registered
class VillageReserveCadres(Metric):
    """VILLAGE-RESERVE-CADRES: reserve cadres on file on "as of" (added, not yet left)."""

    name = "reserve_cadres"

    @staticmethod
    def on_file(as_of: datetime.date) -> Q:
        return Q(added_on__lte=as_of) & (Q(left_on__isnull=True) | Q(left_on__gt=as_of))

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:

        counts = dict(
            ctx.within(ReserveCadre.objects.all(), "village__path")
            .filter(self.on_file(ctx.as_of))
            .order_by()
            .values("village_id")
            .annotate(n=Count("*"))
            .values_list("village_id", "n")
        )
        for village in _poor_villages(ctx):
            yield ctx.village_row(
                village, indicator.subject_kind, Decimal(counts.get(village.id, 0))
            )

    def records(self, *, user: User, result: IndicatorResult) -> Records:

        as_of = _result_as_of(result)
        reserves = _flagged(
            ReserveCadre.objects.visible_to(user).filter(village_id=result.village_id),
            self.on_file(as_of),
        ).order_by("added_on", "id")
        return Records(
            _("村级后备干部"),
            [
                _("姓名"),
                _("出生年份"),
                _("文化程度"),
                _("纳入日期"),
                _("退出日期"),
                counted_header(),
            ],
            [
                [
                    r.name,
                    r.birth_year or "",
                    r.education,
                    r.added_on,
                    r.left_on or "",
                    counted_label(r.counts, _("%(day)s 不在册") % {"day": as_of}),
                ]
                for r in reserves
            ],
        )


@registered
class VillageTalents(Metric):
    """VILLAGE-TALENT: professional talents assigned to the village on "as of"."""

    name = "talents"

    @staticmethod
    def in_force(as_of: datetime.date) -> QuerySet:

        return TalentAssignment.objects.in_force(as_of)

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:
        counts = dict(
            ctx.within(self.in_force(ctx.as_of), "village__path")
            .order_by()
            .values("village_id")
            .annotate(n=Count("cadre_id", distinct=True))
            .values_list("village_id", "n")
        )
        for village in _poor_villages(ctx):
            yield ctx.village_row(
                village, indicator.subject_kind, Decimal(counts.get(village.id, 0))
            )

    def records(self, *, user: User, result: IndicatorResult) -> Records:

        as_of = _result_as_of(result)
        talents = (
            TalentAssignment.objects.visible_to(user)
            .filter(village_id=result.village_id)
            .annotate(counts=Exists(self.in_force(as_of).filter(pk=OuterRef("pk"))))
            .select_related("cadre")
            .order_by("start_date", "id")
        )
        seen: set[int] = set()
        rows = []
        for t in talents:
            if not t.counts:
                label = counted_label(False, _("%(day)s 不在岗") % {"day": as_of})
            elif t.cadre_id in seen:
                label = counted_label(False, _("同一人才已计"))
            else:
                seen.add(t.cadre_id)
                label = counted_label(True)
            rows.append([t.cadre.name, t.specialty, t.start_date, t.end_date or "", label])
        return Records(
            _("下派专业人才"),
            [_("姓名"), _("专业领域"), _("开始日期"), _("结束日期"), counted_header()],
            rows,
        )


@registered
class VillageVenue(Metric):
    """VILLAGE-VENUE: the activity venue's area in m² (unknown counts as 0)."""

    name = "venue_area"

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:
        for village in ctx.villages.values():
            yield ctx.village_row(village, indicator.subject_kind, village.venue_area or ZERO)

    def records(self, *, user: User, result: IndicatorResult) -> Records:
        village = result.village
        return Records(
            _("村级活动阵地"),
            [_("村"), _("阵地面积（㎡）")],
            [
                [
                    village.name,
                    village.venue_area_m2 if village.venue_area_m2 is not None else _("未填报"),
                ]
            ]
            if village
            else [],
        )


@registered
class VillageCadreTrainings(Metric):
    """VILLAGE-CADRE-TRAINING: village cadres trained in the yearly rotation (年度轮训)."""

    name = "cadre_trainings"

    def trainings(self, start: datetime.date, end: datetime.date) -> QuerySet:

        return Training.objects.filter(kind=TrainingKind.ROTATION).filter(
            _dated("held_on", start, end)
        )

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:
        counts = dict(
            ctx.within(self.trainings(ctx.start, ctx.count_end), "village__path")
            .order_by()
            .values("village_id")
            .annotate(n=Sum("village_cadres_trained"))
            .values_list("village_id", "n")
        )
        for village in ctx.villages.values():
            yield ctx.village_row(
                village, indicator.subject_kind, Decimal(counts.get(village.id) or 0)
            )

    def records(self, *, user: User, result: IndicatorResult) -> Records:
        trainings = (
            self.trainings(result.period_start, result.period_end)
            .visible_to(user)
            .filter(village_id=result.village_id)
            .select_related("village")
            .order_by("held_on", "id")
        )
        return Records(
            _("培训"),
            [*_training_headers(), counted_header()],
            [[*_training_cells(t), counted_label(True)] for t in trainings[:RECORD_LIMIT]],
            _("计其中村干部人数。"),
        )


@registered
class VillagePartyDays(Metric):
    """PARTY-DAY: first Fridays of the period (up to "as of") with a fixed Party day held."""

    name = "first_friday_party_day"

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:

        fridays = first_fridays(ctx.start, ctx.as_of)
        if not fridays:
            return  # the month's first Friday is still to come: nothing to judge yet
        counts = dict(
            ctx.within(PartyDay.objects.filter(held_on__in=fridays), "village__path")
            .order_by()
            .values("village_id")
            .annotate(n=Count("*"))
            .values_list("village_id", "n")
        )
        for village in ctx.villages.values():
            yield ctx.village_row(
                village, indicator.subject_kind, Decimal(counts.get(village.id, 0))
            )

    def records(self, *, user: User, result: IndicatorResult) -> Records:

        start, end = result.period_start, result.period_end
        fridays = set(first_fridays(start, _result_as_of(result)))
        days = (
            PartyDay.objects.visible_to(user)
            .filter(village_id=result.subject_id, held_on__gte=start, held_on__lte=end)
            .order_by("held_on", "id")
        )
        return Records(
            _("固定党日"),
            [_("日期"), _("主题"), _("参加党员人数"), _("是否每月第一个星期五"), counted_header()],
            [
                [
                    d.held_on,
                    d.theme,
                    d.attendance,
                    _("是") if d.on_first_friday else _("否"),
                    counted_label(d.held_on in fridays, _("不是每月第一个星期五")),
                ]
                for d in days
            ],
        )


# --- leaders, departments, talents, first secretaries ----------------------------------------
def _in_force_whole_period(
    qs: QuerySet, ctx: Context, start_field: str = "start_date", end_field: str = "end_date"
) -> QuerySet:
    return qs.filter(**{f"{start_field}__lte": ctx.start}).filter(
        Q(**{f"{end_field}__isnull": True}) | Q(**{f"{end_field}__gte": ctx.end})
    )


@registered
class FieldDays(Metric):
    """TOWNSHIP-LEADER-DAYS, COUNTY-LEADER-DAYS (a leader's coverage) and TALENT-DAYS (a talent's
    assignment): days the cadre spent in the covered region or below it."""

    name = "field_days"

    @staticmethod
    def days(start: datetime.date, end: datetime.date) -> QuerySet:

        return FieldDay.objects.filter(day__gte=start, day__lte=end)

    def _field_days(self, ctx: Context, cadre_ids: Iterable[int]) -> dict[int, list[str]]:
        """Cadre id -> the region path of each day the cadre spent in the field in the period."""
        days: dict[int, list[str]] = defaultdict(list)
        ids = list(set(cadre_ids))
        if not ids:
            return days
        rows = (
            self.days(ctx.start, ctx.count_end)
            .filter(cadre_id__in=ids)
            .order_by()
            .values_list("cadre_id", "region__path")
        )
        for cadre_id, path in rows:
            days[cadre_id].append(path)
        return days

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:

        if indicator.subject_kind == SubjectKind.TALENT:
            duties = list(
                _in_force_whole_period(
                    ctx.within(TalentAssignment.objects.all(), "village__path"), ctx
                )
                .order_by()
                .values_list(
                    "id",
                    "cadre_id",
                    "cadre__name",
                    "cadre__unit_id",
                    "village__path",
                    "village__name",
                )
            )
        else:
            level = (
                Coverage.Level.COUNTY_LEADER
                if indicator.subject_kind == SubjectKind.COUNTY_LEADER
                else Coverage.Level.TOWNSHIP_LEADER
            )
            duties = list(
                _in_force_whole_period(
                    ctx.within(
                        Coverage.objects.filter(level=level, cadre__isnull=False), "region__path"
                    ),
                    ctx,
                )
                .order_by()
                .values_list(
                    "id", "cadre_id", "cadre__name", "unit_id", "region__path", "region__name"
                )
            )
        days = self._field_days(ctx, (d[1] for d in duties))
        for duty_id, cadre_id, cadre_name, unit_id, path, region_name in duties:
            value = sum(1 for day_path in days.get(cadre_id, ()) if day_path.startswith(path))
            yield Row(
                subject_kind=indicator.subject_kind,
                subject_id=duty_id,
                label=f"{cadre_name} → {region_name}"[:200],
                path=path,
                value=Decimal(value),
                township_id=ctx.township_of(path),
                village_id=ctx.village_of_path(path),
                helper_id=cadre_id,
                unit_id=unit_id,
            )

    def records(self, *, user: User, result: IndicatorResult) -> Records:
        days = (
            self.days(result.period_start, result.period_end)
            .visible_to(user)
            .filter(cadre_id=result.helper_id, region__path__startswith=result.path)
            .select_related("region")
            .order_by("day", "id")
        )
        return Records(
            _("在岗天数"),
            [_("日期"), _("地点"), _("工作内容"), counted_header()],
            [[d.day, d.region.name, d.note, counted_label(True)] for d in days[:RECORD_LIMIT]],
        )


@registered
class DepartmentVisits(Metric):
    """DEPT-MONTHLY-VISIT: counted village-work visits to the covered village by cadres of the
    covering department."""

    name = "department_visits"

    def visits(self, start: datetime.date, end: datetime.date) -> QuerySet[Visit]:

        return Visit.objects.filter(
            kind=VisitKind.VILLAGE_WORK,
            visited_on__gte=start,
            visited_on__lte=end,
            helper__unit__isnull=False,
        )

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:

        duties = list(
            _in_force_whole_period(
                ctx.within(
                    Coverage.objects.filter(level=Coverage.Level.DEPARTMENT, unit__isnull=False),
                    "region__path",
                ),
                ctx,
            )
            .order_by()
            .values_list("id", "unit_id", "unit__name", "region_id", "region__path", "region__name")
        )
        counts = (
            {
                (village_id, unit_id): n
                for village_id, unit_id, n in ctx.within(
                    self.visits(ctx.start, ctx.count_end).counted()
                )
                .order_by()
                .values("village_id", "helper__unit_id")
                .annotate(n=Count("*"))
                .values_list("village_id", "helper__unit_id", "n")
            }
            if duties
            else {}
        )
        for duty_id, unit_id, unit_name, region_id, path, region_name in duties:
            village_id = ctx.village_by_region.get(region_id)
            yield Row(
                subject_kind=indicator.subject_kind,
                subject_id=duty_id,
                label=f"{unit_name} → {region_name}"[:200],
                path=path,
                value=Decimal(counts.get((village_id, unit_id), 0)),
                township_id=ctx.township_of(path),
                village_id=village_id,
                unit_id=unit_id,
            )

    def records(self, *, user: User, result: IndicatorResult) -> Records:
        visits = (
            self.visits(result.period_start, result.period_end)
            .visible_to(user)
            .filter(village_id=result.village_id, helper__unit_id=result.unit_id)
            .select_related("helper")
            .order_by("visited_on", "id")
        )
        return Records(
            _("部门到村工作走访"),
            [_("日期"), _("走访人"), counted_header(), _("内容")],
            [
                [v.visited_on, v.helper.name, _visit_counted(v), v.learned]
                for v in visits[:RECORD_LIMIT]
            ],
        )


@registered
class SecretaryFunds(Metric):
    """SECRETARY-FUNDS: working funds recorded for the first secretary for the year."""

    name = "working_funds"

    @staticmethod
    def funds(year: int) -> QuerySet:

        return WorkingFund.objects.filter(year=year)

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:

        terms = (
            ctx.within(Term.objects.filter(role=Term.TermRole.FIRST_SECRETARY), "village__path")
            .filter(start_date__lte=ctx.as_of, end_date__gte=ctx.start)
            .filter(Q(recalled_on__isnull=True) | Q(recalled_on__gte=ctx.start))
            .order_by("cadre_id", "start_date", "id")
            .values_list("cadre_id", "cadre__name", "village_id", "dispatching_unit_id")
        )
        latest: dict[int, tuple[str, int, int | None]] = {}
        for cadre_id, name, village_id, unit_id in terms:
            latest[cadre_id] = (name, village_id, unit_id)  # ordered by start: the last one wins
        amounts = (
            dict(
                self.funds(ctx.end.year)
                .filter(cadre_id__in=list(latest))
                .order_by()
                .values("cadre_id")
                .annotate(total=Sum("amount"))
                .values_list("cadre_id", "total")
            )
            if latest
            else {}
        )
        for cadre_id, (name, village_id, unit_id) in latest.items():
            village = ctx.villages.get(village_id)
            if village is None:
                continue
            yield Row(
                subject_kind=indicator.subject_kind,
                subject_id=cadre_id,
                label=f"{name}（{village.name}）"[:200],
                path=village.path,
                value=amounts.get(cadre_id) or ZERO,
                township_id=village.township_id,
                village_id=village.id,
                helper_id=cadre_id,
                unit_id=unit_id,
            )

    def records(self, *, user: User, result: IndicatorResult) -> Records:
        funds = (
            self.funds(result.period_end.year)
            .visible_to(user)
            .filter(cadre_id=result.subject_id)
            .order_by("granted_on", "id")
        )
        return Records(
            _("第一书记工作经费"),
            [_("年度"), _("金额（元）"), _("来源"), _("拨付日期"), counted_header()],
            [[f.year, f.amount, f.source, f.granted_on or "", counted_label(True)] for f in funds],
        )


# --- reviewing regions -----------------------------------------------------------------------
@registered
class SpotCheckShare(Metric):
    """SPOT-CHECK-RATE: % of the region's villages in a live draw of the quarter."""

    name = "spot_check_share"

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:

        quarter = ctx.period.spot_check_quarter
        live = SpotCheckDraw.objects.filter(quarter=quarter, voided=False)
        subject_paths = {
            path
            for path, (_rid, level, _name) in ctx.regions.items()
            if level == RegionLevel.COUNTY
        }
        subject_paths.update(live.values_list("region__path", flat=True))
        subject_paths = {p for p in subject_paths if ctx.in_region(p)}
        totals: dict[str, int] = defaultdict(int)
        for village in ctx.villages.values():
            for prefix in path_prefixes(village.path):
                totals[prefix] += 1
        drawn: dict[str, int] = defaultdict(int)
        drawn_paths = (
            ctx.within(SpotCheckItem.objects.filter(draw__in=live), "village__path")
            .order_by()
            .values_list("village__path", flat=True)
            .distinct()
        )
        for path in drawn_paths:
            for prefix in path_prefixes(path):
                drawn[prefix] += 1
        for path in sorted(subject_paths):
            region = ctx.regions.get(path)
            if region is None or not totals.get(path):
                continue
            share = (Decimal(drawn.get(path, 0)) * HUNDRED / Decimal(totals[path])).quantize(CENT)
            yield Row(
                subject_kind=indicator.subject_kind,
                subject_id=region[0],
                label=region[2],
                path=path,
                value=share,
                township_id=region[0]
                if region[1] == RegionLevel.TOWNSHIP
                else ctx.township_of(path),
            )

    def records(self, *, user: User, result: IndicatorResult) -> Records:

        quarter = parse_period(result.period).spot_check_quarter
        draws = (
            SpotCheckDraw.objects.visible_to(user)
            .filter(quarter=quarter)
            .select_related("region")
            .annotate(villages=Count("items__village", distinct=True))
            .order_by("drawn_at")
        )
        return Records(
            _("本季度抽查"),
            [_("抽查区划"), _("抽取时间"), _("抽中村数"), _("状态")],
            [
                [d.region.name, d.drawn_at, d.villages, _("已作废") if d.voided else _("有效")]
                for d in draws
            ],
        )


# --- monitoring against relapse ----------------------------------------------------------------
def monitored_on(day: datetime.date) -> Q:
    """A case in status monitored on `day`: decided by the county by then and not closed (its
    risk removed) by then. (monitoring has no selector for a past day; this reads the case's
    own decision and closing days, which its services set with the status.)"""
    return Q(status__in=[CaseStatus.MONITORED, CaseStatus.REMOVED], decided_on__lte=day) & (
        Q(closed_on__isnull=True) | Q(closed_on__gt=day)
    )


def _monitored_case(household_id: int | None, day: datetime.date) -> MonitoringCase | None:
    if household_id is None:
        return None
    return (
        MonitoringCase.objects.filter(household_id=household_id)
        .filter(monitored_on(day))
        .order_by("-decided_on", "-id")
        .first()
    )


def _monitored_households(ctx: Context) -> Iterator[tuple[int, str, int, int, str, str]]:
    """The evaluation's households with a case monitored on "as of"."""
    monitored = ctx.monitored_cases
    for household in ctx.all_households:
        if household[0] in monitored:
            yield household


@registered
class MonitoringClueDeadline(Metric):
    """MON-CLUE-15D: per township, the share (%) of the clues received in the period that were
    decided within the deadline (monitoring.selectors.clues_late), judged on the evaluation's
    day; undecided clues not yet past the deadline are not judged."""

    name = "clues_decided_in_time"

    @staticmethod
    def clues(start: datetime.date, end: datetime.date) -> QuerySet[RiskClue]:
        return RiskClue.objects.filter(received_on__gte=start, received_on__lte=end)

    @staticmethod
    def late(clues: QuerySet[RiskClue], today: datetime.date) -> Q:
        return Q(pk__in=clues_late(clues, today).values("pk"))

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:
        clues = ctx.within(self.clues(ctx.start, ctx.count_end))
        late = self.late(clues, ctx.today)
        decided = Q(decided_on__isnull=False)
        counts = (
            clues.order_by()
            .values("township_id")
            .annotate(
                on_time=Count("pk", filter=decided & ~late),
                judged=Count("pk", filter=decided | late),
            )
            .values_list("township_id", "on_time", "judged")
        )
        townships = {rid: (path, name) for path, (rid, _level, name) in ctx.regions.items()}
        for township_id, on_time, judged in sorted(counts):
            if not judged or township_id not in townships:
                continue
            path, name = townships[township_id]
            yield Row(
                subject_kind=indicator.subject_kind,
                subject_id=township_id,
                label=name[:200],
                path=path,
                value=(Decimal(on_time) * HUNDRED / Decimal(judged)).quantize(CENT),
                township_id=township_id,
            )

    def records(self, *, user: User, result: IndicatorResult) -> Records:
        today = timezone.localdate()
        clues = (
            self.clues(result.period_start, result.period_end)
            .visible_to(user)
            .filter(township_id=result.subject_id)
            .select_related("household")
            .order_by("received_on", "id")
        )
        rows = []
        for clue in clues[:RECORD_LIMIT]:
            deadline = clue_deadline(clue, today)
            if deadline.late:
                label = counted_label(
                    False,
                    _("已办结，超过期限") if deadline.done else _("未办结，已超过期限"),
                )
            elif deadline.done:
                label = counted_label(True)
            else:
                label = counted_label(False, _("尚在办理期限内，暂不考核"))
            rows.append(
                [
                    clue.household.head_name,
                    clue.get_channel_display(),
                    clue.received_on,
                    clue.decided_on or "",
                    deadline.days_elapsed,
                    label,
                ]
            )
        return Records(
            _("风险线索"),
            [
                _("户主"),
                _("线索来源"),
                _("接报日期"),
                _("办结日期"),
                _("用时（天）"),
                counted_header(),
            ],
            rows,
            _("实际值为按期办结的线索占已办结和已超期线索的百分比；是否超期按今天（%(day)s）判断。")
            % {"day": today},
        )


@registered
class MonitoredHelperAndMeasure(Metric):
    """MON-HELPER: 1 when the monitored household has a helper in force on "as of" and its case
    a measure in force on that day, else 0."""

    name = "monitored_helper_measure"

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:
        cases = ctx.monitored_cases
        with_measure = set(
            MonitoringMeasure.objects.in_force(ctx.as_of)
            .filter(case_id__in=list(cases.values()))
            .values_list("case_id", flat=True)
            .distinct()
        )
        for household in _monitored_households(ctx):
            helper = any(
                s.in_force(ctx.as_of) for s in ctx.household_pairings.get(household[0], ())
            )
            value = ONE if helper and cases[household[0]] in with_measure else ZERO
            yield _household_row(ctx, household, indicator.subject_kind, value)

    def records(self, *, user: User, result: IndicatorResult) -> Records:
        as_of = _result_as_of(result)
        outside = counted_label(False, _("%(day)s 不在期内") % {"day": as_of})
        rows: list[list[Any]] = []
        pairings = (
            HouseholdPairing.objects.visible_to(user)
            .filter(household_id=result.household_id)
            .select_related("helper", "unit")
            .order_by("start_date", "id")
        )
        for p in pairings:
            span = HouseholdPairingSpan(
                p.id, p.household_id, p.helper_id, "", p.unit_id, p.start_date, p.end_date
            )
            rows.append(
                [
                    _("帮扶责任人"),
                    f"{p.helper.name}（{p.unit}）" if p.unit else p.helper.name,
                    p.start_date,
                    p.end_date or "",
                    counted_label(True) if span.in_force(as_of) else outside,
                ]
            )
        case = _monitored_case(result.household_id, as_of)
        if case is not None:
            measures = _flagged(
                MonitoringMeasure.objects.visible_to(user).filter(case=case),
                Q(pk__in=MonitoringMeasure.objects.in_force(as_of).values("pk")),
            ).order_by("start_date", "id")
            for m in measures:
                rows.append(
                    [
                        _("帮扶措施"),
                        f"{m.get_kind_display()}：{m.content}",
                        m.start_date,
                        m.end_date or "",
                        counted_label(True) if m.counts else outside,
                    ]
                )
        return Records(
            _("帮扶责任人和帮扶措施"),
            [_("类别"), _("名称"), _("开始日期"), _("结束日期"), counted_header()],
            rows,
            _("期末有在期的帮扶责任人且有在期的帮扶措施，才算达标。"),
        )


@registered
class MonitoredHouseholdVisits(HouseholdVisitRecords):
    """MON-VISIT-MONTH: counted visits of the period to each monitored household."""

    name = "monitored_visits"

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:
        monitored = ctx.monitored_cases
        counts = dict(
            ctx.within(self.visits(ctx.start, ctx.count_end).counted())
            .filter(household_id__in=list(monitored))
            .order_by()
            .values("household_id")
            .annotate(n=Count("*"))
            .values_list("household_id", "n")
        )
        for household in _monitored_households(ctx):
            yield _household_row(
                ctx, household, indicator.subject_kind, Decimal(counts.get(household[0], 0))
            )


@registered
class MonitoringNoticeDays(Metric):
    """MON-NOTICE-DAYS: per village, the share (%) of the public notices starting in the period
    whose length reached their minimum."""

    name = "notice_minimum_days"

    @staticmethod
    def notices(start: datetime.date, end: datetime.date) -> QuerySet[PublicNotice]:
        return PublicNotice.objects.filter(start_date__gte=start, start_date__lte=end)

    @staticmethod
    def long_enough(purpose: str, start: datetime.date, end: datetime.date) -> bool:
        return notice_days(start, end) >= notice_minimum_days(purpose)

    def rows(self, ctx: Context, indicator: Indicator) -> Iterator[Row]:
        notices = (
            ctx.within(self.notices(ctx.start, ctx.count_end))
            .order_by()
            .values_list("village_id", "purpose", "start_date", "end_date")
        )
        totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for village_id, purpose, start, end in notices:
            totals[village_id][0] += 1
            totals[village_id][1] += self.long_enough(purpose, start, end)
        for village_id in sorted(totals):
            village = ctx.villages.get(village_id)
            if village is None:
                continue
            n, ok = totals[village_id]
            value = (Decimal(ok) * HUNDRED / Decimal(n)).quantize(CENT)
            yield ctx.village_row(village, indicator.subject_kind, value)

    def records(self, *, user: User, result: IndicatorResult) -> Records:
        notices = (
            self.notices(result.period_start, result.period_end)
            .visible_to(user)
            .filter(village_id=result.village_id)
            .order_by("start_date", "id")
        )
        rows = []
        for n in notices[:RECORD_LIMIT]:
            days, minimum = notice_days(n.start_date, n.end_date), notice_minimum_days(n.purpose)
            ok = self.long_enough(n.purpose, n.start_date, n.end_date)
            rows.append(
                [
                    n.title,
                    n.start_date,
                    n.end_date,
                    days,
                    minimum,
                    counted_label(ok, _("不足最少天数")),
                ]
            )
        return Records(
            _("公示"),
            [
                _("公示事项"),
                _("开始日期"),
                _("结束日期"),
                _("天数"),
                _("最少天数"),
                counted_header(),
            ],
            rows,
            _("实际值为公示天数达到最少天数的公示占本期开始的公示的百分比。"),
        )


# --- thresholds and the whole evaluation ------------------------------------------------------
def indicators_for(period: Period) -> list[Indicator]:
    return list(
        Indicator.objects.filter(active=True, period_kind__in=period.indicator_kinds).order_by(
            "code"
        )
    )


def evaluate(
    *, period: Period, today: datetime.date, region_path: str = "", indicators=None
) -> tuple[list[Result], list[str]]:
    """Compute every result of the period (limited to a region when given). Returns the results
    and the problems met (an indicator naming an unknown metric is skipped, not fatal)."""
    indicators = indicators_for(period) if indicators is None else indicators
    ctx = Context(period=period, today=today, region_path=region_path)
    thresholds = Thresholds([i.code for i in indicators])
    results: list[Result] = []
    problems: list[str] = []
    # A province builds a million small objects here; the cyclic collector would walk all of
    # them again and again (a third of the time), and none of them form cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for indicator in indicators:
            metric = METRICS.get(indicator.metric)
            if metric is None:
                problems.append(
                    _("指标 %(code)s 的计算口径“%(metric)s”不存在，已跳过。")
                    % {"code": indicator.code, "metric": indicator.metric}
                )
                continue
            results.extend(_judged(metric.rows(ctx, indicator), indicator, thresholds))
    finally:
        if collecting:
            gc.enable()
    return results, problems


class Sink(Protocol):
    """Where `evaluate_into` writes (assessments/storing.py ResultStage)."""

    def write(self, indicator_id: int, results: Iterable[Result]) -> int: ...

    def insert_select(
        self,
        *,
        indicator_id: int,
        subject_kind: str,
        sql: str,
        params: list[Any],
        met_sql: str,
        shortfall_sql: str,
    ) -> int: ...


def evaluate_into(
    sink: Sink, *, period: Period, today: datetime.date, region_path: str = "", indicators=None
) -> tuple[dict[str, int], list[str]]:
    """Compute every result of the period into `sink`, one indicator after another, holding
    none of them: an SqlMetric as one INSERT … SELECT judged in SQL (`judge_sql`), the others
    streamed from their rows. Returns the number of results per indicator code and the
    problems met (as `evaluate`)."""
    indicators = indicators_for(period) if indicators is None else indicators
    ctx = Context(period=period, today=today, region_path=region_path)
    thresholds = Thresholds([i.code for i in indicators])
    counts: dict[str, int] = {}
    problems: list[str] = []
    for indicator in indicators:
        metric = METRICS.get(indicator.metric)
        if metric is None:
            problems.append(
                _("指标 %(code)s 的计算口径“%(metric)s”不存在，已跳过。")
                % {"code": indicator.code, "metric": indicator.metric}
            )
            continue
        if isinstance(metric, SqlMetric):
            sql, params = metric.select(
                ctx, indicator, thresholds.evaluated_expression(indicator.code)
            )
            met_sql, shortfall_sql = judge_sql(indicator.comparison)
            counts[indicator.code] = sink.insert_select(
                indicator_id=indicator.id,
                subject_kind=indicator.subject_kind,
                sql=sql,
                params=params,
                met_sql=met_sql,
                shortfall_sql=shortfall_sql,
            )
            continue
        counts[indicator.code] = sink.write(
            indicator.id, _judged(metric.rows(ctx, indicator), indicator, thresholds)
        )
    return counts, problems


def _judged(rows: Iterable[Row], indicator: Indicator, thresholds: Thresholds) -> Iterator[Result]:
    for row in rows:
        threshold = thresholds.for_indicator(indicator.id, row.path)
        met, shortfall = judge(row.value, threshold, indicator.comparison)
        yield Result(indicator.id, row, threshold, met, shortfall)
