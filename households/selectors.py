"""Reads for the household and visit pages. Every function starts from `visible_to(user)`;
list functions return a queryset for one page plus set-based "decorations" that cost a fixed
number of queries whatever the page length (pinned in tests/pages)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from cadres.models import Cadre
from households.filters import PairingListFilter
from households.models import (
    AssistanceTrack,
    CreditStatus,
    Household,
    HouseholdPairing,
    HouseholdPairingQuerySet,
    IncomeRecord,
    Measure,
    Member,
    Plan,
    PovertyCause,
    Visit,
)

if TYPE_CHECKING:
    from accounts.models import User


def household_search(queryset: QuerySet[Household], value: str) -> QuerySet[Household]:
    """Find a household by the head's name, the pinyin initials of the name (`zs` finds 张三)
    or the last digits of the ID number (4 or more digits, or a trailing X)."""
    value = (value or "").strip()
    if not value:
        return queryset
    condition = Q(head_name__icontains=value)
    lowered = value.lower()
    if lowered.isascii() and lowered.isalpha():
        condition |= Q(name_initials__startswith=lowered)
    digits = value.upper()
    if len(digits) >= 4 and digits[:-1].isdigit() and (digits[-1].isdigit() or digits[-1] == "X"):
        condition |= Q(head_id_number__endswith=digits)
    return queryset.filter(condition)


def counted_visits(
    start: datetime.date,
    end: datetime.date,
    *,
    household_ref: str = "pk",
    helper_ref: str | None = None,
    kind: str | None = None,
) -> Coalesce:
    """The number of counted visits (`Visit.objects.counted()`) to the outer row's household
    from `start` to `end`, as an annotation (0 when there are none): by the outer row's helper
    when `helper_ref` names it, of one kind when `kind` is given."""
    visits = Visit.objects.counted().filter(
        household_id=OuterRef(household_ref), visited_on__gte=start, visited_on__lte=end
    )
    if helper_ref:
        visits = visits.filter(helper_id=OuterRef(helper_ref))
    if kind:
        visits = visits.filter(kind=kind)
    count = visits.order_by().values("household_id").annotate(n=Count("*")).values("n")[:1]
    return Coalesce(Subquery(count, output_field=IntegerField()), 0)


def household_base(user: User) -> QuerySet[Household]:
    # A household merged into another (households/merge.py) is closed: off the lists and pickers.
    return Household.objects.visible_to(user).not_merged().select_related("village")


def household_search_results(*, user: User, q: str, limit: int = 20) -> list[Household]:
    """The visit form's household picker (works without JavaScript): scoped search results."""
    if not (q or "").strip():
        return []
    return list(household_search(household_base(user), q).order_by("path", "head_name")[:limit])


# --- visits ---------------------------------------------------------------------------------
def visit_base(user: User) -> QuerySet[Visit]:
    return Visit.objects.visible_to(user).select_related("household", "village", "helper")


def visits_for_review(*, user: User) -> QuerySet[Visit]:
    return (
        visit_base(user)
        .filter(credit_status=CreditStatus.REVIEW)
        .select_related("created_by")
        .prefetch_related("photos")
        .order_by("visited_on", "id")
    )


def visit_detail(*, user: User, pk: int) -> Visit:

    return get_object_or_404(
        visit_base(user)
        .select_related("measure", "created_by", "reviewed_by", "org_pairing")
        .prefetch_related("photos"),
        pk=pk,
    )


def measures_for(*, user: User, household: Household | None) -> QuerySet[Measure]:
    """The measure picker: the measures of this household's plan that are not done yet."""
    if household is None:
        return Measure.objects.none()
    return (
        Measure.objects.visible_to(user)
        .filter(plan__household=household)
        .exclude(status="done")
        .order_by("deadline", "id")
    )


def helpers_for_form(
    *, user: User, household: Household | None, today: datetime.date | None = None
) -> QuerySet[Cadre]:
    """The helper picker: the household's helpers in force (in the user's scope); without a
    household, every cadre in scope. A queryset for readers that filter it further (the
    offline bundle); the visit form reads `household_helpers_in_force` once instead."""

    today = today or timezone.localdate()
    if household is None:
        return Cadre.objects.visible_to(user).order_by("name")
    ids = [h.pk for h in household_helpers_in_force(user=user, household=household, on=today)]
    return Cadre.objects.filter(pk__in=ids).order_by("name")


def household_helpers_in_force(
    *, user: User, household: Household, on: datetime.date | None = None
) -> list[Cadre]:
    """The helpers who may be credited with a visit to the household on the day: those of its
    pairings in force (`HouseholdPairing.in_force`, the rule `pairing_verdict` applies when the
    visit is saved), ordered by name, in one query. A pairing is in the user's scope exactly
    when its household is (the same path, village and household fields), and a helper of a
    pairing in scope is a cadre in scope (`UserScope.extra_cadre`), so reading the household's
    pairings in scope is the scope check: no other cadre is looked at."""
    on = on or timezone.localdate()
    pairings = (
        HouseholdPairing.objects.visible_to(user)
        .in_force(on)
        .filter(household_id=household.pk)
        .select_related("helper")
        .order_by("helper__name", "helper_id")
    )
    helpers: dict[int, Cadre] = {}
    for pairing in pairings:
        helpers.setdefault(pairing.helper_id, pairing.helper)
    return list(helpers.values())


# --- household pairings (结对帮扶) -------------------------------------------------------------
def pairing_base(user: User) -> HouseholdPairingQuerySet:
    return HouseholdPairing.objects.visible_to(user).select_related(
        "household__village", "helper__unit", "unit"
    )


def pairing_list(
    *, user: User, params: Mapping[str, str] | None, request: HttpRequest | None = None
) -> tuple[PairingListFilter, QuerySet[HouseholdPairing]]:
    """The pairing list's FilterSet (bound to the query string) and its rows, in the user's
    scope: a count and one page of rows with their household, village, helper and unit (a
    fixed number of queries whatever the page length)."""
    filterset = PairingListFilter(params or None, queryset=pairing_base(user), request=request)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else pairing_base(user)
    return filterset, rows.order_by("household__path", "household__head_name", "start_date", "id")


def pairing_detail(*, user: User, pk: int) -> HouseholdPairing:
    return get_object_or_404(pairing_base(user), pk=pk)


def pairing_visit_counts(pairings: list[HouseholdPairing]) -> dict[int, tuple[int, int]]:
    """Per pairing: the visits attributed to it and how many of them count (one query)."""
    ids = [p.pk for p in pairings]
    if not ids:
        return {}
    rows = (
        Visit.objects.filter(household_pairing_id__in=ids)
        .order_by()
        .values("household_pairing_id")
        .annotate(n=Count("id"), counted=Count("id", filter=Visit.objects.counted_condition()))
        .values_list("household_pairing_id", "n", "counted")
    )
    return {pairing_id: (n, counted) for pairing_id, n, counted in rows}


@dataclass
class HelperRow:
    helper: Cadre
    in_force: int


def helpers_matching(*, user: User, q: str, on: datetime.date, limit: int = 30) -> list[HelperRow]:
    """The reassign page's helper picker: helpers in scope by name, with how many of their
    pairings are in force on the day (two queries)."""
    q = (q or "").strip()
    if not q:
        return []
    helpers = list(
        Cadre.objects.visible_to(user)
        .filter(name__icontains=q)
        .select_related("unit")
        .order_by("name", "id")[:limit]
    )
    counts = dict(
        HouseholdPairing.objects.visible_to(user)
        .in_force(on)
        .filter(helper_id__in=[h.pk for h in helpers])
        .order_by()
        .values("helper_id")
        .annotate(n=Count("id"))
        .values_list("helper_id", "n")
    )
    return [HelperRow(helper=h, in_force=counts.get(h.pk, 0)) for h in helpers]


def helper_choices(user: User) -> QuerySet[Cadre]:
    """Helpers a pairing form may name: the cadres in the user's scope (a coordinator's: their
    unit's)."""
    return Cadre.objects.visible_to(user).select_related("unit").order_by("name", "id")


# --- coverage (全覆盖) -----------------------------------------------------------------------
@dataclass
class VillageCoverage:
    village_id: int
    name: str
    households: int
    uncovered: int

    @property
    def covered(self) -> int:
        return self.households - self.uncovered


def uncovered_households(
    user: User, on: datetime.date, village_id: int | None = None
) -> QuerySet[Household]:
    """Households in scope without a helper in force on `on` (every household on the
    register, whatever its status: 脱贫不脱帮扶, as HH-PAIRED judges them)."""
    in_force = HouseholdPairing.objects.in_force(on).filter(household_id=OuterRef("pk"))
    households = household_base(user).filter(~Exists(in_force))
    if village_id:
        households = households.filter(village_id=village_id)
    return households.order_by("path", "head_name", "id")


def coverage_by_village(user: User, on: datetime.date) -> list[VillageCoverage]:
    """Per village in scope: households and those without a helper in force (one query)."""
    in_force = HouseholdPairing.objects.in_force(on).filter(household_id=OuterRef("pk"))
    rows = (
        Household.objects.visible_to(user)
        .annotate(paired=Exists(in_force))
        .order_by()
        .values("village_id", "village__name", "village__path")
        .annotate(n=Count("id"), uncovered=Count("id", filter=Q(paired=False)))
        .order_by("village__path", "village_id")
    )
    return [
        VillageCoverage(
            village_id=row["village_id"],
            name=row["village__name"],
            households=row["n"],
            uncovered=row["uncovered"],
        )
        for row in rows
    ]


# --- one household, one plan -----------------------------------------------------------------
def household_for_page(*, user: User, pk: int) -> Household:
    return get_object_or_404(household_base(user), pk=pk)


def plan_of(household: Household) -> Plan | None:
    return Plan.objects.filter(household=household).select_related("created_by").first()


def plan_measures(plan: Plan | None) -> list[Measure]:
    if plan is None:
        return []
    return list(
        Measure.objects.filter(plan=plan)
        .select_related("owner")
        .annotate(visit_count=Count("visits"))
        .order_by("deadline", "id")
    )


def member_detail(*, user: User, pk: int) -> Member:
    return get_object_or_404(Member.objects.visible_to(user).select_related("household"), pk=pk)


def income_detail(*, user: User, pk: int) -> IncomeRecord:
    return get_object_or_404(
        IncomeRecord.objects.visible_to(user).select_related("household"), pk=pk
    )


def measure_detail(*, user: User, pk: int) -> Measure:
    return get_object_or_404(
        Measure.objects.visible_to(user).select_related("plan__household", "owner"), pk=pk
    )


# --- the household list's rows -----------------------------------------------------------------
@dataclass
class HouseholdRow:
    """One row of the household list, every value ready to print (the page has 50 of them: a
    template lookup, filter or tag per value and row is most of the page's time)."""

    pk: int
    url: str
    visit_url: str
    head_name: str
    key_difficulty: bool
    village: str
    masked_id: str
    size: int
    cause: str
    track: str
    helpers: str
    visits_this_year: int
    last_visit: str


def _url_maker(name: str) -> Callable[[object], str]:
    """reverse(name, args=[pk]) for many pks at the price of one reverse."""
    sentinel = 987654321
    prefix, suffix = reverse(name, args=[sentinel]).split(str(sentinel))
    return lambda pk: f"{prefix}{pk}{suffix}"


def household_rows(households: list[Household]) -> list[HouseholdRow]:
    """The household list's rows for households decorated by `home.selectors.households_decorate`
    (helpers in force, visits this year, last visit) with `masked_id` set by the view."""
    causes = {value: str(label) for value, label in PovertyCause.choices}
    tracks = {value: str(label) for value, label in AssistanceTrack.choices}
    detail_url = _url_maker("households:detail")
    visit_url = reverse("households:visit_create") + "?household="
    comma = gettext("、")
    rows = []
    for h in households:
        last = getattr(h, "last_visit", None)
        rows.append(
            HouseholdRow(
                pk=h.pk,
                url=detail_url(h.pk),
                visit_url=f"{visit_url}{h.pk}",
                head_name=h.head_name,
                key_difficulty=h.key_difficulty,
                village=h.village.name,
                masked_id=getattr(h, "masked_id", ""),
                size=h.size,
                cause=causes.get(h.cause, h.cause),
                track=tracks.get(h.track, h.track),
                helpers=comma.join(c.name for c in getattr(h, "helpers_in_force", [])),
                visits_this_year=getattr(h, "visits_this_year", 0),
                last_visit=last.strftime("%m-%d") if last else "—",
            )
        )
    return rows
