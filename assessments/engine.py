"""The evaluation engine: one set-based function per metric of the indicator catalogue.

Each metric function answers, for one period, "who are the subjects and what is each one's
value" with a fixed number of aggregate queries (grouped by subject) and returns rows; the
caller (`evaluate`) applies thresholds and the caller of that (services.py) writes the rows.
No query is issued per subject, so a province costs the same number of queries as a village.

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
- Activities are attributed to the pairing in force on their date: a visit counts for a
  household only when the visiting helper was that household's responsible helper on the day of
  the visit. A household that changed helpers in July keeps the visits of both halves of the
  year; a former helper's visit after the handover does not count.
- Only visits whose credit_status is `credited` count (a visit held for review counts once a
  reviewer accepts it).

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

Attribution (the helper, unit and organisation pairing stored with each result)
- Household results: the household pairing in force on "as of" (else the last one in the
  period), its helper and unit.
- Village results: the village's organisation pairing in force on "as of" and its lead unit, so
  a unit's ranking includes the villages it is paired with.
- Leaders, talents, first secretaries: the cadre; departments and first secretaries: their unit.

Thresholds
- A result copies its threshold: the indicator's, or the override of the most specific region
  on the subject's region path (a township's override beats its county's).
"""

from __future__ import annotations

import datetime
import gc
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils.translation import gettext as _

from assessments.models import Comparison, Indicator, IndicatorOverride, SubjectKind
from assessments.periods import Period

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


def path_prefixes(path: str) -> list[str]:
    """'51/5108/510821/' -> ['51/', '51/5108/', '51/5108/510821/']."""
    out, acc = [], ""
    for segment in path.split("/"):
        if segment:
            acc += segment + "/"
            out.append(acc)
    return out


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
        from villages.models import Region, RegionLevel

        rows = Region.objects.exclude(level=RegionLevel.GROUP).values_list(
            "path", "id", "level", "name"
        )
        return {path: (rid, level, name) for path, rid, level, name in rows}

    def township_of(self, path: str) -> int | None:
        from villages.models import RegionLevel

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
        from villages.models import Village

        rows = self.within(Village.objects.all()).values_list(
            "id", "name", "township_id", "path", "region_id", "is_poor_village", "venue_area_m2"
        )
        return {row[0]: VillageInfo(*row) for row in rows}

    @cached_property
    def village_by_region(self) -> dict[int, int]:
        return {v.region_id: v.id for v in self.villages.values()}

    @cached_property
    def households(self) -> list[tuple[int, str, int, int, str, str]]:
        """(id, head name, village id, township id, path, status) of registered households."""
        from households.models import Household

        qs = self.within(Household.objects.all()).filter(
            Q(registered_year__isnull=True) | Q(registered_year__lte=self.end.year)
        )
        return list(
            qs.order_by().values_list(
                "id", "head_name", "village_id", "township_id", "path", "status"
            )
        )

    @cached_property
    def household_pairings(self) -> dict[int, list[HouseholdPairingSpan]]:
        """Household id -> its helper pairings that overlap the period (started by "as of")."""
        from households.models import HouseholdPairing

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

    @cached_property
    def responsible_pairing(self) -> dict[int, HouseholdPairingSpan]:
        """Household id -> the pairing its results are attributed to: the one in force on
        "as of" (the latest started, if several), else the last one that ended in the period."""
        as_of = self.as_of
        chosen: dict[int, HouseholdPairingSpan] = {}
        for household_id, spans in self.household_pairings.items():
            if len(spans) == 1:
                chosen[household_id] = spans[0]
                continue
            current = [s for s in spans if s.in_force(as_of)]
            if current:
                chosen[household_id] = max(current, key=lambda s: (s.start, s.id))
            else:
                chosen[household_id] = max(spans, key=lambda s: (s.end or as_of, s.start, s.id))
        return chosen

    def responsible(self, household_id: int) -> HouseholdPairingSpan | None:
        return self.responsible_pairing.get(household_id)

    @cached_property
    def village_org_pairing(self) -> dict[int, tuple[int, int]]:
        """Village id -> (organisation pairing id, lead unit id) in force on "as of" (else the
        last one that overlapped the period)."""
        from pairing.models import Pairing

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
        from pairing.models import Pairing, PairingParticipant

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
        from pairing.models import Pairing, PairingKind

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
        from pairing.models import Unit

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


Metric = Callable[[Context, Indicator], Iterable[Row]]
METRICS: dict[str, Metric] = {}


def metric(name: str) -> Callable[[Metric], Metric]:
    def register(func: Metric) -> Metric:
        METRICS[name] = func
        return func

    return register


# --- households ------------------------------------------------------------------------------
def _household_row(ctx: Context, household, kind: str, value: Decimal) -> Row:
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


@metric("visits")
def household_visits(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """HH-VISIT-YEAR: credited visits to the household by a helper paired with it that day."""
    from households.models import CreditStatus, HouseholdPairing, Visit

    paired_that_day = HouseholdPairing.objects.filter(
        household_id=OuterRef("household_id"),
        helper_id=OuterRef("helper_id"),
        start_date__lte=OuterRef("visited_on"),
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=OuterRef("visited_on")))
    counts = dict(
        ctx.within(Visit.objects.all())
        .filter(
            credit_status=CreditStatus.CREDITED,
            household__isnull=False,
            visited_on__gte=ctx.start,
            visited_on__lte=ctx.count_end,
        )
        .filter(Exists(paired_that_day))
        .order_by()
        .values("household_id")
        .annotate(n=Count("*"))
        .values_list("household_id", "n")
    )
    for household in ctx.households:
        yield _household_row(
            ctx, household, indicator.subject_kind, Decimal(counts.get(household[0], 0))
        )


@metric("home_visits")
def household_helper_home_visits(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """HH-VISIT-WEEKLY: home visits by the pairing's helper while the pairing was in force for
    the whole period."""
    from households.models import CreditStatus, Visit, VisitKind

    counts: dict[tuple[int, int], int] = {
        (hh, helper): n
        for hh, helper, n in ctx.within(Visit.objects.all())
        .filter(
            credit_status=CreditStatus.CREDITED,
            kind=VisitKind.HOME,
            household__isnull=False,
            visited_on__gte=ctx.start,
            visited_on__lte=ctx.count_end,
        )
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


@metric("helpers_in_force")
def household_helpers(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """HH-PAIRED: distinct helpers paired with the household on "as of"."""
    for household in ctx.households:
        helpers = {
            s.helper_id
            for s in ctx.household_pairings.get(household[0], ())
            if s.in_force(ctx.as_of)
        }
        yield _household_row(ctx, household, indicator.subject_kind, Decimal(len(helpers)))


LOW_INCOME_STATUSES = ("poor", "monitored", "low_income")


@metric("has_plan")
def household_plan(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """HH-PLAN: 1 when a one-household-one-plan drawn up by "as of" exists, else 0."""
    from households.models import Plan

    with_plan = set(
        ctx.within(Plan.objects.all(), "household__path")
        .filter(drawn_up_on__lte=ctx.as_of)
        .values_list("household_id", flat=True)
    )
    for household in ctx.households:
        if household[5] not in LOW_INCOME_STATUSES:
            continue
        value = ONE if household[0] in with_plan else ZERO
        yield _household_row(ctx, household, indicator.subject_kind, value)


# --- organisation pairings and units ---------------------------------------------------------
@metric("org_rep_visits")
def pairing_rep_visits(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """ORG-REP-VISIT: credited visits linked to the pairing on days it was in force."""
    from households.models import CreditStatus, Visit
    from pairing.models import Pairing

    pairings = list(
        ctx.within(Pairing.objects.filter(village__isnull=False))
        .overlapping(ctx.start, ctx.as_of)
        .order_by()
        .values_list("id", "name", "path", "village_id", "lead_unit_id")
    )
    counts = (
        dict(
            Visit.objects.filter(
                credit_status=CreditStatus.CREDITED,
                org_pairing__in=[p[0] for p in pairings],
                visited_on__gte=ctx.start,
                visited_on__lte=ctx.count_end,
            )
            .filter(visited_on__gte=F("org_pairing__start_date"))
            .filter(
                Q(org_pairing__end_date__isnull=True)
                | Q(visited_on__lte=F("org_pairing__end_date"))
            )
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


def _unit_counts(ctx: Context, qs, date_field: str) -> dict[int, int]:
    return dict(
        qs.filter(
            unit__isnull=False,
            **{f"{date_field}__gte": ctx.start, f"{date_field}__lte": ctx.count_end},
        )
        .order_by()
        .values("unit_id")
        .annotate(n=Count("*"))
        .values_list("unit_id", "n")
    )


def _unit_subjects(ctx: Context, indicator: Indicator):
    if indicator.subject_kind == SubjectKind.LEAD_UNIT:
        return ctx.lead_unit_subjects
    return ctx.unit_subjects


def _meeting_metric(kind: str, leader_level: str | None = None) -> Metric:
    def compute(ctx: Context, indicator: Indicator) -> Iterator[Row]:
        from pairing.models import Meeting

        qs = Meeting.objects.filter(kind=kind)
        if leader_level:
            qs = qs.filter(leader_level=leader_level)
        counts = _unit_counts(ctx, qs, "held_on")
        yield from ctx.unit_rows(_unit_subjects(ctx, indicator), indicator.subject_kind, counts)

    return compute


# UNIT-LEADER-VISIT, UNIT-DEPUTY-VISIT: research visits (调研) by the principal leader or the
# deputy in charge; UNIT-SPECIAL-MEETING, LEAD-JOINT-MEETING: meetings the unit held.
metric("principal_research")(_meeting_metric("research", "principal"))
metric("deputy_research")(_meeting_metric("research", "deputy"))
metric("special_meetings")(_meeting_metric("special"))
metric("joint_meetings")(_meeting_metric("joint"))


@metric("night_schools")
def unit_night_schools(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """UNIT-NIGHT-SCHOOL: farmer-night-school lectures the unit organised."""
    from pairing.models import Training, TrainingKind

    counts = _unit_counts(ctx, Training.objects.filter(kind=TrainingKind.NIGHT_SCHOOL), "held_on")
    yield from ctx.unit_rows(_unit_subjects(ctx, indicator), indicator.subject_kind, counts)


@metric("study_trips")
def unit_study_trips(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """UNIT-STUDY-TRIP: study trips the unit organised, by departure date."""
    from pairing.models import StudyTrip

    counts = _unit_counts(ctx, StudyTrip.objects.all(), "started_on")
    yield from ctx.unit_rows(_unit_subjects(ctx, indicator), indicator.subject_kind, counts)


# --- villages --------------------------------------------------------------------------------
def _poor_villages(ctx: Context) -> list[VillageInfo]:
    return [v for v in ctx.villages.values() if v.is_poor]


@metric("collective_income")
def village_income(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """VILLAGE-COLLECTIVE-INCOME: the collective income recorded for the period's year."""
    from villages.models import VillageIncome

    amounts = dict(
        ctx.within(VillageIncome.objects.all(), "village__path")
        .filter(year=ctx.end.year)
        .values_list("village_id", "amount")
    )
    for village in _poor_villages(ctx):
        yield ctx.village_row(village, indicator.subject_kind, amounts.get(village.id) or ZERO)


@metric("reserve_cadres")
def village_reserve_cadres(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """VILLAGE-RESERVE-CADRES: reserve cadres on file on "as of" (added, not yet left)."""
    from cadres.models import ReserveCadre

    counts = dict(
        ctx.within(ReserveCadre.objects.all(), "village__path")
        .filter(added_on__lte=ctx.as_of)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=ctx.as_of))
        .order_by()
        .values("village_id")
        .annotate(n=Count("*"))
        .values_list("village_id", "n")
    )
    for village in _poor_villages(ctx):
        yield ctx.village_row(village, indicator.subject_kind, Decimal(counts.get(village.id, 0)))


@metric("talents")
def village_talents(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """VILLAGE-TALENT: professional talents assigned to the village on "as of"."""
    from cadres.models import TalentAssignment

    counts = dict(
        ctx.within(TalentAssignment.objects.in_force(ctx.as_of), "village__path")
        .order_by()
        .values("village_id")
        .annotate(n=Count("cadre_id", distinct=True))
        .values_list("village_id", "n")
    )
    for village in _poor_villages(ctx):
        yield ctx.village_row(village, indicator.subject_kind, Decimal(counts.get(village.id, 0)))


@metric("venue_area")
def village_venue(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """VILLAGE-VENUE: the activity venue's area in m² (unknown counts as 0)."""
    for village in ctx.villages.values():
        yield ctx.village_row(village, indicator.subject_kind, village.venue_area or ZERO)


@metric("cadre_trainings")
def village_cadre_trainings(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """VILLAGE-CADRE-TRAINING: village cadres trained in the yearly rotation (年度轮训)."""
    from pairing.models import Training, TrainingKind

    counts = dict(
        ctx.within(Training.objects.filter(kind=TrainingKind.ROTATION), "village__path")
        .filter(held_on__gte=ctx.start, held_on__lte=ctx.count_end)
        .order_by()
        .values("village_id")
        .annotate(n=Sum("village_cadres_trained"))
        .values_list("village_id", "n")
    )
    for village in ctx.villages.values():
        yield ctx.village_row(village, indicator.subject_kind, Decimal(counts.get(village.id) or 0))


@metric("first_friday_party_day")
def village_party_days(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """PARTY-DAY: first Fridays of the period (up to "as of") with a fixed Party day held."""
    from pairing.models import PartyDay

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
        yield ctx.village_row(village, indicator.subject_kind, Decimal(counts.get(village.id, 0)))


# --- leaders, departments, talents, first secretaries ----------------------------------------
def _in_force_whole_period(qs, ctx: Context, start_field="start_date", end_field="end_date"):
    return qs.filter(**{f"{start_field}__lte": ctx.start}).filter(
        Q(**{f"{end_field}__isnull": True}) | Q(**{f"{end_field}__gte": ctx.end})
    )


def _field_days(ctx: Context, cadre_ids: Iterable[int]) -> dict[int, list[str]]:
    """Cadre id -> the region path of each day the cadre spent in the field in the period."""
    from cadres.models import FieldDay

    days: dict[int, list[str]] = defaultdict(list)
    ids = list(set(cadre_ids))
    if not ids:
        return days
    rows = (
        FieldDay.objects.filter(cadre_id__in=ids, day__gte=ctx.start, day__lte=ctx.count_end)
        .order_by()
        .values_list("cadre_id", "region__path")
    )
    for cadre_id, path in rows:
        days[cadre_id].append(path)
    return days


@metric("field_days")
def field_days(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """TOWNSHIP-LEADER-DAYS, COUNTY-LEADER-DAYS (a leader's coverage) and TALENT-DAYS (a talent's
    assignment): days the cadre spent in the covered region or below it."""
    from cadres.models import Coverage, TalentAssignment

    if indicator.subject_kind == SubjectKind.TALENT:
        duties = list(
            _in_force_whole_period(ctx.within(TalentAssignment.objects.all(), "village__path"), ctx)
            .order_by()
            .values_list(
                "id", "cadre_id", "cadre__name", "cadre__unit_id", "village__path", "village__name"
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
            .values_list("id", "cadre_id", "cadre__name", "unit_id", "region__path", "region__name")
        )
    days = _field_days(ctx, (d[1] for d in duties))
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


@metric("department_visits")
def department_visits(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """DEPT-MONTHLY-VISIT: credited village-work visits to the covered village by cadres of the
    covering department."""
    from cadres.models import Coverage
    from households.models import CreditStatus, Visit, VisitKind

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
            for village_id, unit_id, n in ctx.within(Visit.objects.all())
            .filter(
                credit_status=CreditStatus.CREDITED,
                kind=VisitKind.VILLAGE_WORK,
                visited_on__gte=ctx.start,
                visited_on__lte=ctx.count_end,
                helper__unit__isnull=False,
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


@metric("working_funds")
def secretary_funds(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """SECRETARY-FUNDS: working funds recorded for the first secretary for the year."""
    from cadres.models import Term, WorkingFund

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
            WorkingFund.objects.filter(cadre_id__in=list(latest), year=ctx.end.year)
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


# --- reviewing regions -----------------------------------------------------------------------
@metric("spot_check_share")
def spot_check_share(ctx: Context, indicator: Indicator) -> Iterator[Row]:
    """SPOT-CHECK-RATE: % of the region's villages in a live draw of the quarter."""
    from inspections.models import SpotCheckDraw, SpotCheckItem
    from villages.models import RegionLevel

    quarter = ctx.period.spot_check_quarter
    live = SpotCheckDraw.objects.filter(quarter=quarter, voided=False)
    subject_paths = {
        path for path, (_rid, level, _name) in ctx.regions.items() if level == RegionLevel.COUNTY
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
            township_id=region[0] if region[1] == RegionLevel.TOWNSHIP else ctx.township_of(path),
        )


# --- thresholds and the whole evaluation ------------------------------------------------------
class Thresholds:
    """The indicator's threshold, or the most specific override on a subject's region path."""

    def __init__(self, indicators: Iterable[Indicator]):
        self.default = {i.id: i.threshold for i in indicators}
        self.overrides: dict[int, dict[str, Decimal]] = defaultdict(dict)
        rows = IndicatorOverride.objects.filter(indicator_id__in=list(self.default)).values_list(
            "indicator_id", "region__path", "threshold"
        )
        for indicator_id, path, threshold in rows:
            self.overrides[indicator_id][path] = threshold
        self._cache: dict[tuple[int, str], Decimal] = {}

    def for_subject(self, indicator_id: int, path: str) -> Decimal:
        overrides = self.overrides.get(indicator_id)
        if not overrides:
            return self.default[indicator_id]
        key = (indicator_id, path)
        found = self._cache.get(key)
        if found is None:
            found = self.default[indicator_id]
            for prefix in path_prefixes(path):  # shallow to deep: the deepest match wins
                if prefix in overrides:
                    found = overrides[prefix]
            self._cache[key] = found
        return found


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
    thresholds = Thresholds(indicators)
    results: list[Result] = []
    problems: list[str] = []
    # A province builds a million small objects here; the cyclic collector would walk all of
    # them again and again (a third of the time), and none of them form cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for indicator in indicators:
            compute = METRICS.get(indicator.metric)
            if compute is None:
                problems.append(
                    _("指标 %(code)s 的计算口径“%(metric)s”不存在，已跳过。")
                    % {"code": indicator.code, "metric": indicator.metric}
                )
                continue
            for row in compute(ctx, indicator):
                threshold = thresholds.for_subject(indicator.id, row.path)
                met, shortfall = judge(row.value, threshold, indicator.comparison)
                results.append(Result(indicator.id, row, threshold, met, shortfall))
    finally:
        if collecting:
            gc.enable()
    return results, problems
