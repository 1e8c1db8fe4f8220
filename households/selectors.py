"""Reads for the household and visit pages. Every function starts from `visible_to(user)`;
list functions return a queryset for one page plus set-based "decorations" that cost a fixed
number of queries whatever the page length (pinned in tests/pages)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Max, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from households.filters import (
    YEARLY_VISIT_TARGET,
    HouseholdFilter,
    VisitFilter,
    credited_home_visit_this_week,
    pace_required,
    week_start,
)
from households.models import (
    CreditStatus,
    Household,
    HouseholdPairing,
    Measure,
    Member,
    Visit,
    VisitKind,
    VisitPhoto,
)


# --- household list -------------------------------------------------------------------------
def household_base(user):
    return Household.objects.visible_to(user).select_related("village")


def household_list(*, user, params, request=None):
    """The FilterSet (bound to the query string) and the filtered, scoped queryset."""
    filterset = HouseholdFilter(params or None, queryset=household_base(user), request=request)
    return filterset, filterset.qs.order_by("path", "head_name", "id")


def households_decorate(households: list[Household], *, today: datetime.date | None = None):
    """Last credited visit, credited visits this year and helpers in force for one page of
    households: two queries for any page length."""
    today = today or timezone.localdate()
    ids = [h.pk for h in households]
    if not ids:
        return households
    stats = {
        row["household_id"]: row
        for row in Visit.objects.filter(
            household_id__in=ids, credit_status=CreditStatus.CREDITED, visited_on__lte=today
        )
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
        household.last_visit = row.get("last")
        household.visits_this_year = row.get("this_year", 0)
        household.helpers_in_force = helpers.get(household.pk, [])
    return households


def household_search_results(*, user, q: str, limit: int = 20):
    """The visit form's household picker (works without JavaScript): scoped search results."""
    from households.filters import household_search

    if not (q or "").strip():
        return []
    return list(household_search(household_base(user), q).order_by("path", "head_name")[:limit])


# --- household page ---------------------------------------------------------------------------
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
    pairings: list
    plan: object | None
    measures: list
    visits: list
    visits_total: int
    indicators: list[IndicatorLine] = field(default_factory=list)


def household_detail(*, user, pk: int, visits_shown: int = 50) -> HouseholdPage:
    """Everything the household page shows, in a fixed number of queries."""
    from django.shortcuts import get_object_or_404

    household = get_object_or_404(household_base(user).select_related("village__township"), pk=pk)
    today = timezone.localdate()
    members = list(Member.objects.filter(household=household).order_by("id"))
    pairings = list(
        HouseholdPairing.objects.in_force(today)
        .filter(household=household)
        .select_related("helper__unit", "unit")
        .order_by("start_date", "id")
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
    )
    page.indicators = household_indicators(household, pairings=pairings, plan=plan, today=today)
    return page


def _has_plan(household: Household) -> bool:
    from households.models import Plan

    try:
        household.plan  # noqa: B018 - one query, cached on the instance
    except Plan.DoesNotExist:
        return False
    return True


def household_indicators(household, *, pairings, plan, today) -> list[IndicatorLine]:
    """The household's own indicators, computed live from its credited visits (DOMAIN.md:
    HH-VISIT-WEEKLY, HH-VISIT-YEAR, HH-PAIRED, HH-PLAN; two assurances, three guarantees)."""
    year_start = datetime.date(today.year, 1, 1)
    counts = Visit.objects.filter(
        household=household, credit_status=CreditStatus.CREDITED, visited_on__lte=today
    ).aggregate(year=Count("id", filter=Q(visited_on__gte=year_start)))
    week_helpers = set(
        Visit.objects.filter(
            household=household,
            credit_status=CreditStatus.CREDITED,
            kind=VisitKind.HOME,
            visited_on__gte=week_start(today),
            visited_on__lte=today,
        ).values_list("helper_id", flat=True)
    )
    helper_ids = {p.helper_id for p in pairings}
    missing = [p.helper.name for p in pairings if p.helper_id not in week_helpers]
    required = pace_required(today)
    done = len(helper_ids) - len(missing)
    year = counts["year"]
    pace_note = _("按进度至今应不少于 %(n)d 次") % {"n": required}
    lines = [
        IndicatorLine(
            "HH-VISIT-WEEKLY",
            _("帮扶责任人本周到户走访"),
            _("%(done)d/%(all)d 人已走访") % {"done": done, "all": len(helper_ids)},
            (not missing) if helper_ids else None,
            (_("未走访：%(names)s") % {"names": "、".join(missing)}) if missing else "",
        ),
        IndicatorLine(
            "HH-VISIT-YEAR",
            _("全年走访（计入考核）"),
            _("%(n)d / %(target)d 次") % {"n": year, "target": YEARLY_VISIT_TARGET},
            year >= YEARLY_VISIT_TARGET,
            (_("%(note)s，已落后") % {"note": pace_note}) if year < required else pace_note,
        ),
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


# --- overdue lists (home page) -----------------------------------------------------------------
def overdue_this_week(*, user, today: datetime.date | None = None):
    """(household, helper) pairings in force with no credited home visit this ISO week; for a
    stationed cadre only their own pairings."""
    today = today or timezone.localdate()
    pairings = HouseholdPairing.objects.visible_to(user).in_force(today)
    if getattr(user, "role", None) == "cadre":
        pairings = pairings.filter(helper_id=user.cadre_id)
    return (
        pairings.filter(~credited_home_visit_this_week(today))
        .select_related("household__village", "helper")
        .order_by("household__path", "household__head_name", "helper__name")
    )


def behind_pace(*, user, today: datetime.date | None = None):
    """Households with fewer credited visits this year than the 4-a-year pace requires."""
    today = today or timezone.localdate()
    required = pace_required(today)
    households = household_base(user)
    if getattr(user, "role", None) == "cadre":
        households = households.filter(
            pk__in=HouseholdPairing.objects.in_force(today)
            .filter(helper_id=user.cadre_id)
            .values("household_id")
        )
    if required == 0:
        return households.none(), required
    year_start = datetime.date(today.year, 1, 1)
    return (
        households.annotate(
            credited_this_year=Count(
                "visits",
                filter=Q(
                    visits__credit_status=CreditStatus.CREDITED,
                    visits__visited_on__gte=year_start,
                    visits__visited_on__lte=today,
                ),
            )
        )
        .filter(credited_this_year__lt=required)
        .order_by("credited_this_year", "path", "head_name")
    ), required


# --- visits ---------------------------------------------------------------------------------
def visit_base(user):
    return Visit.objects.visible_to(user).select_related("household", "village", "helper")


def visit_list(*, user, params, request=None):
    filterset = VisitFilter(params or None, queryset=visit_base(user), request=request)
    return filterset, filterset.qs.order_by("-visited_on", "-id")


def visits_for_review(*, user):
    return (
        visit_base(user)
        .filter(credit_status=CreditStatus.REVIEW)
        .select_related("created_by")
        .prefetch_related("photos")
        .order_by("visited_on", "id")
    )


def visit_detail(*, user, pk: int) -> Visit:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        visit_base(user)
        .select_related("measure", "created_by", "reviewed_by", "org_pairing")
        .prefetch_related("photos"),
        pk=pk,
    )


def measures_for(*, user, household: Household | None):
    """The measure picker: the measures of this household's plan that are not done yet."""
    if household is None:
        return Measure.objects.none()
    return (
        Measure.objects.visible_to(user)
        .filter(plan__household=household)
        .exclude(status="done")
        .order_by("deadline", "id")
    )


def helpers_for_form(*, user, household: Household | None, today: datetime.date | None = None):
    """The helper picker: the household's helpers in force (in the user's scope)."""
    from cadres.models import Cadre

    today = today or timezone.localdate()
    cadres = Cadre.objects.visible_to(user)
    if household is None:
        return cadres.order_by("name")
    paired = HouseholdPairing.objects.in_force(today).filter(household=household)
    return cadres.filter(pk__in=paired.values("helper_id")).order_by("name")
