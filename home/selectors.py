"""Reads for the pages that put figures against their targets: the household list and page,
the home page's overdue lists, the village list and page, a cadre's days in the field.

Every function starts from `visible_to(user)`; counts come from `Visit.objects.counted()` and
targets from `assessments.selectors.Thresholds` (the region's override where there is one), so
these pages, the engine, the reminders, the API and the ledgers give one figure. List
decorations cost a fixed number of queries whatever the page length (pinned in tests/pages)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, F, Max, Model, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.selectors import Thresholds, pace_required
from cadres.models import (
    Cadre,
    CadreKind,
    FieldDay,
    Liaison,
    ReserveCadre,
    TalentAssignment,
    Term,
    WorkTeam,
)
from core.scope import Role
from home.filters import HouseholdFilter, behind_pace_filter, overdue_week, week_start
from households.models import (
    Household,
    HouseholdPairing,
    IncomeRecord,
    Measure,
    Member,
    Plan,
    Visit,
    VisitKind,
    VisitPhoto,
)
from households.selectors import household_base
from pairing.models import Meeting, Pairing, PartyDay, StudyTrip, Training
from villages.filters import VillageFilter
from villages.models import Village, VillageIncome

if TYPE_CHECKING:
    from accounts.models import User

HOUSEHOLD_CODES = ["HH-VISIT-WEEKLY", "HH-VISIT-YEAR"]
INCOME_CODE = "VILLAGE-COLLECTIVE-INCOME"


def user_path(user: User) -> str:
    """The region path whose thresholds a person-wide figure uses: a region user's own; for a
    cadre or coordinator, that of their first village in scope."""
    if getattr(user, "region_id", None) and user.region is not None:
        return user.region.path
    first = Village.objects.visible_to(user).order_by("path").values_list("path", flat=True)
    return first.first() or ""


def _decorate(instance: Model, **figures: object) -> None:
    """Attach a page's figures to a model instance: the templates (and callers) read them as
    attributes of the household or village, which the model does not declare."""
    for name, value in figures.items():
        setattr(instance, name, value)


# --- household list and page --------------------------------------------------------------------
def household_list(
    *, user: User, params: Mapping[str, str] | None, request: HttpRequest | None = None
) -> tuple[HouseholdFilter, QuerySet[Household]]:
    """The FilterSet (bound to the query string) and the filtered, scoped queryset."""
    filterset = HouseholdFilter(params or None, queryset=household_base(user), request=request)
    return filterset, filterset.qs.order_by("path", "head_name", "id")


def households_decorate(
    households: list[Household], *, today: datetime.date | None = None
) -> list[Household]:
    """Last credited visit, credited visits this year and helpers in force for one page of
    households: two queries for any page length."""
    today = today or timezone.localdate()
    ids = [h.pk for h in households]
    if not ids:
        return households
    stats = {
        row["household_id"]: row
        for row in Visit.objects.counted()
        .filter(household_id__in=ids, visited_on__lte=today)
        .values("household_id")
        .annotate(
            last=Max("visited_on"),
            this_year=Count("id", filter=Q(visited_on__gte=datetime.date(today.year, 1, 1))),
        )
        .order_by()
    }
    helpers: dict[int, list] = {}
    for pairing in (
        HouseholdPairing.objects.in_force(today)
        .filter(household_id__in=ids)
        .select_related("helper")
        .order_by("household_id", "start_date", "id")
    ):
        helpers.setdefault(pairing.household_id, []).append(pairing.helper)
    for household in households:
        row = stats.get(household.pk, {})
        _decorate(
            household,
            last_visit=row.get("last"),
            visits_this_year=row.get("this_year", 0),
            helpers_in_force=helpers.get(household.pk, []),
        )
    return households


@dataclass
class IndicatorLine:
    code: str
    label: str
    value: str
    met: bool | None
    note: str = ""


@dataclass
class HouseholdPage:
    household: Household
    members: list
    pairings: list  # in force today
    plan: object | None
    measures: list
    visits: list
    visits_total: int
    indicators: list[IndicatorLine] = field(default_factory=list)
    incomes: list = field(default_factory=list)  # by year, newest first
    other_pairings: list = field(default_factory=list)  # ended, or starting later


def household_detail(*, user: User, pk: int, visits_shown: int = 50) -> HouseholdPage:
    """Everything the household page shows, in a fixed number of queries."""
    household = get_object_or_404(
        household_base(user).select_related("village__township", "plan"), pk=pk
    )
    today = timezone.localdate()
    members = list(Member.objects.filter(household=household).order_by("id"))
    incomes = list(IncomeRecord.objects.filter(household=household).order_by("-year"))
    every_pairing = list(
        HouseholdPairing.objects.filter(household=household)
        .select_related("helper__unit", "unit")
        .order_by("start_date", "id")
    )
    pairings = [
        p
        for p in every_pairing
        if p.start_date <= today and (p.end_date is None or p.end_date >= today)
    ]
    other_pairings = sorted(
        (p for p in every_pairing if p not in pairings),
        key=lambda p: (p.start_date, p.pk),
        reverse=True,
    )
    plan = getattr(household, "plan", None) if _has_plan(household) else None
    measures = (
        list(Measure.objects.filter(plan=plan).select_related("owner").order_by("deadline", "id"))
        if plan
        else []
    )
    visits_qs = (
        Visit.objects.filter(household=household)
        .select_related("helper", "measure", "created_by", "reviewed_by")
        .prefetch_related(Prefetch("photos", queryset=VisitPhoto.objects.order_by("id")))
        .order_by("-visited_on", "-id")
    )
    visits = list(visits_qs[:visits_shown])
    visits_total = visits_qs.count()
    page = HouseholdPage(
        household=household,
        members=members,
        pairings=pairings,
        plan=plan,
        measures=measures,
        visits=visits,
        visits_total=visits_total,
        incomes=incomes,
        other_pairings=other_pairings,
    )
    page.indicators = household_indicators(household, pairings=pairings, plan=plan, today=today)
    return page


def _has_plan(household: Household) -> bool:
    try:
        household.plan  # noqa: B018 - one query, cached on the instance
    except Plan.DoesNotExist:
        return False
    return True


def household_indicators(
    household: Household,
    *,
    pairings: list[HouseholdPairing],
    plan: Plan | None,
    today: datetime.date,
) -> list[IndicatorLine]:
    """The household's own indicators, live from its counted visits against the thresholds of
    its region (DOMAIN.md: HH-VISIT-WEEKLY, HH-VISIT-YEAR, HH-PAIRED, HH-PLAN; two assurances,
    three guarantees)."""
    thresholds = Thresholds(HOUSEHOLD_CODES)
    weekly = thresholds.get("HH-VISIT-WEEKLY", household.path)
    target = thresholds.get("HH-VISIT-YEAR", household.path)
    counted = Visit.objects.counted().filter(household=household, visited_on__lte=today)
    year = counted.filter(visited_on__gte=datetime.date(today.year, 1, 1)).count()
    week_counts = dict(
        counted.filter(kind=VisitKind.HOME, visited_on__gte=week_start(today))
        .order_by()
        .values("helper_id")
        .annotate(n=Count("*"))
        .values_list("helper_id", "n")
    )
    helper_ids = {p.helper_id for p in pairings}
    lines = []
    if weekly is not None:
        missing = [p.helper.name for p in pairings if week_counts.get(p.helper_id, 0) < weekly]
        done = len(helper_ids) - len(missing)
        lines.append(
            IndicatorLine(
                "HH-VISIT-WEEKLY",
                _("帮扶责任人本周到户走访"),
                _("%(done)d/%(all)d 人已走访") % {"done": done, "all": len(helper_ids)},
                (not missing) if helper_ids else None,
                (_("未走访：%(names)s") % {"names": "、".join(missing)}) if missing else "",
            )
        )
    if target is not None:
        required = pace_required(today, target)
        pace_note = _("按进度至今应不少于 %(n)d 次") % {"n": required}
        lines.append(
            IndicatorLine(
                "HH-VISIT-YEAR",
                _("全年走访（计入考核）"),
                _("%(n)d / %(target)s 次") % {"n": year, "target": number(target)},
                year >= target,
                (_("%(note)s，已落后") % {"note": pace_note}) if year < required else pace_note,
            )
        )
    lines += [
        IndicatorLine(
            "HH-PAIRED",
            _("结对帮扶责任人"),
            _("%(n)d 人") % {"n": len(pairings)},
            bool(pairings),
        ),
        IndicatorLine(
            "HH-PLAN",
            _("一户一策"),
            _("已制定") if plan else _("未制定"),
            plan is not None,
        ),
        IndicatorLine(
            "ASSURANCES",
            _("两不愁三保障及饮水安全"),
            _("全部保障") if household.assurances_met else _("存在未保障项"),
            household.assurances_met,
        ),
    ]
    return lines


def number(value: Decimal | int) -> str:
    """A threshold as the pages write it: 4.00 → "4", 2.50 → "2.5"."""
    return f"{Decimal(value).normalize():f}"


# --- the home page's overdue lists --------------------------------------------------------------
def _own_pairings(user: User, pairings: QuerySet[HouseholdPairing]) -> QuerySet[HouseholdPairing]:
    """A stationed cadre's lists show their own pairings only."""
    if getattr(user, "role", None) == Role.CADRE:
        return pairings.filter(helper_id=user.cadre_id)
    return pairings


def overdue_this_week(
    *, user: User, today: datetime.date | None = None, thresholds: Thresholds | None = None
) -> QuerySet[HouseholdPairing]:
    """(household, helper) pairings in force below this week's home-visit threshold of the
    household's region; for a stationed cadre only their own pairings."""
    today = today or timezone.localdate()
    thresholds = thresholds or Thresholds(HOUSEHOLD_CODES)
    pairings = _own_pairings(user, HouseholdPairing.objects.visible_to(user).in_force(today))
    # The household's last counted visit (any kind, by anyone, as the household list shows it):
    # those not visited for longest, and those never visited, come first.
    last = (
        Visit.objects.counted()
        .filter(household_id=OuterRef("household_id"), visited_on__lte=today)
        .order_by("-visited_on")
        .values("visited_on")[:1]
    )
    return (
        overdue_week(pairings, today, thresholds)
        .annotate(last_visited=Subquery(last))
        .select_related("household__village", "helper")
        .order_by(
            F("last_visited").asc(nulls_first=True),
            "household__path",
            "household__head_name",
            "helper__name",
        )
    )


def week_due_count(
    *, user: User, today: datetime.date | None = None, thresholds: Thresholds | None = None
) -> int:
    """(household, helper) pairings in force that owe this week's home visit at all (their
    region has a HH-VISIT-WEEKLY threshold): what the overdue figure is out of."""
    today = today or timezone.localdate()
    thresholds = thresholds or Thresholds(HOUSEHOLD_CODES)
    if thresholds.get("HH-VISIT-WEEKLY") is None:
        return 0
    pairings = _own_pairings(user, HouseholdPairing.objects.visible_to(user).in_force(today))
    return (
        pairings.annotate(week_target=thresholds.expression("HH-VISIT-WEEKLY", "household__path"))
        .filter(week_target__isnull=False)
        .count()
    )


@dataclass
class Pace:
    """The yearly target and today's pace for the user's region (the sentence above the list)."""

    target: Decimal | None
    required: int


def behind_pace(
    *, user: User, today: datetime.date | None = None, thresholds: Thresholds | None = None
) -> tuple[QuerySet[Household], Pace]:
    """Households with fewer counted visits this year than the pace for their region's yearly
    target requires (each row carries `visits_counted`, `visit_target` and `pace_required`),
    and the Pace of the user's region."""
    today = today or timezone.localdate()
    thresholds = thresholds or Thresholds(HOUSEHOLD_CODES)
    households = household_base(user)
    if getattr(user, "role", None) == Role.CADRE:
        households = households.filter(
            pk__in=_own_pairings(user, HouseholdPairing.objects.in_force(today)).values(
                "household_id"
            )
        )
    target = thresholds.get("HH-VISIT-YEAR", user_path(user))
    pace = Pace(target=target, required=pace_required(today, target) if target else 0)
    rows = behind_pace_filter(households, today, thresholds).order_by(
        "visits_counted", "path", "head_name"
    )
    return rows, pace


# --- villages ---------------------------------------------------------------------------------
def village_base(user: User) -> QuerySet[Village]:
    return Village.objects.visible_to(user).select_related("township")


def village_list(
    *, user: User, params: Mapping[str, str] | None, request: HttpRequest | None = None
) -> tuple[VillageFilter, QuerySet[Village]]:
    filterset = VillageFilter(params or None, queryset=village_base(user), request=request)
    return filterset, filterset.qs.order_by("path", "id")


def villages_decorate(
    villages: list[Village], *, today: datetime.date | None = None
) -> list[Village]:
    today = today or timezone.localdate()
    ids = [v.pk for v in villages]
    if not ids:
        return villages
    households = dict(
        Household.objects.filter(village_id__in=ids)
        .values("village_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("village_id", "n")
    )
    visits = dict(
        Visit.objects.counted()
        .filter(
            village_id__in=ids,
            visited_on__gte=datetime.date(today.year, 1, 1),
            visited_on__lte=today,
        )
        .values("village_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("village_id", "n")
    )
    incomes = dict(
        VillageIncome.objects.filter(village_id__in=ids, year=today.year).values_list(
            "village_id", "amount"
        )
    )
    thresholds = Thresholds([INCOME_CODE])
    for village in villages:
        line = thresholds.get(INCOME_CODE, village.path)
        income = incomes.get(village.pk)
        _decorate(
            village,
            household_count=households.get(village.pk, 0),
            visits_this_year=visits.get(village.pk, 0),
            income_this_year=income,
            income_line=line,
            income_met=None if income is None or line is None else income >= line,
        )
    return villages


@dataclass
class VillagePage:
    village: Village
    households: list
    household_total: int
    pairings: list
    teams: list
    terms: list
    liaisons: list
    reserve_cadres: list
    talents: list
    trainings: list
    meetings: list
    party_days: list
    study_trips: list
    incomes: list
    income_line: Decimal | None
    visits_this_year: int


def village_detail(*, user: User, pk: int, households_shown: int = 100) -> VillagePage:
    village = get_object_or_404(village_base(user).select_related("county", "region"), pk=pk)
    today = timezone.localdate()
    households_qs = Household.objects.filter(village=village).order_by("head_name", "id")
    households = list(households_qs[:households_shown])
    total = households_qs.count()
    households_decorate(households, today=today)
    pairings = list(
        Pairing.objects.filter(village=village)
        .in_force(today)
        .select_related("lead_unit", "lead_organisation")
        .prefetch_related("participants__organisation__unit")
        .order_by("start_date", "id")
    )
    teams = list(
        WorkTeam.objects.filter(villages=village)
        .in_force(today)
        .select_related("dispatching_unit")
        .prefetch_related("members__cadre")
        .order_by("name")
    )
    terms = list(
        Term.objects.filter(village=village)
        .in_force(today)
        .select_related("cadre", "dispatching_unit")
        .order_by("start_date")
    )
    liaisons = list(Liaison.objects.filter(village=village).select_related("cadre", "unit"))
    reserve = list(
        ReserveCadre.objects.filter(village=village, left_on__isnull=True).order_by("name")
    )
    talents = list(
        TalentAssignment.objects.filter(village=village).in_force(today).select_related("cadre")
    )
    trainings = list(
        Training.objects.filter(village=village).select_related("unit").order_by("-held_on")[:10]
    )
    meetings = list(
        Meeting.objects.filter(village=village).select_related("unit").order_by("-held_on")[:10]
    )
    party_days = list(PartyDay.objects.filter(village=village).order_by("-held_on")[:6])
    study_trips = list(
        StudyTrip.objects.filter(village=village).select_related("unit").order_by("-started_on")[:5]
    )
    incomes = list(VillageIncome.objects.filter(village=village).order_by("-year"))
    line = Thresholds([INCOME_CODE]).get(INCOME_CODE, village.path)
    for income in incomes:
        _decorate(income, met=None if line is None else income.amount >= line)
    visits_this_year = (
        Visit.objects.counted()
        .filter(
            village=village,
            visited_on__gte=datetime.date(today.year, 1, 1),
            visited_on__lte=today,
        )
        .count()
    )
    return VillagePage(
        village=village,
        households=households,
        household_total=total,
        pairings=pairings,
        teams=teams,
        terms=terms,
        liaisons=liaisons,
        reserve_cadres=reserve,
        talents=talents,
        trainings=trainings,
        meetings=meetings,
        party_days=party_days,
        study_trips=study_trips,
        incomes=incomes,
        income_line=line,
        visits_this_year=visits_this_year,
    )


# --- days in the field -------------------------------------------------------------------------
# The field-day indicators of 003 by the kind of cadre. Stationed cadres and first secretaries
# have no monthly figure in the source documents; STATIONED_FIELD_DAYS_TARGET (default 20, the
# usual provincial rule of being in the village most working days) is shown for them.
FIELD_DAY_INDICATORS: dict[str, str] = {
    CadreKind.COUNTY_LEADER: "COUNTY-LEADER-DAYS",
    CadreKind.TOWNSHIP_LEADER: "TOWNSHIP-LEADER-DAYS",
    CadreKind.TALENT: "TALENT-DAYS",
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


def field_day_target(cadre: Cadre, path: str = "") -> int | None:
    """The catalogue's (or the region's) monthly days for a leader or talent, the settings'
    figure for a stationed cadre; None when that indicator is switched off."""
    code = FIELD_DAY_INDICATORS.get(cadre.kind)
    if code is None:
        return int(settings.STATIONED_FIELD_DAYS_TARGET)
    target = Thresholds([code]).get(code, path)
    return None if target is None else int(target)


def field_days_this_month(
    cadre: Cadre, today: datetime.date, path: str = ""
) -> FieldDaysMonth | None:
    """A cadre's days in the field this month against their target (None: no target)."""
    target = field_day_target(cadre, path)
    if target is None:
        return None
    start = today.replace(day=1)
    days = FieldDay.objects.filter(cadre=cadre, day__gte=start, day__lte=today).count()
    return FieldDaysMonth(days=days, target=target, month_start=start)
