"""Reads for the household and visit pages. Every function starts from `visible_to(user)`;
list functions return a queryset for one page plus set-based "decorations" that cost a fixed
number of queries whatever the page length (pinned in tests/pages)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cadres.models import Cadre
from households.models import (
    CreditStatus,
    Household,
    HouseholdPairing,
    Measure,
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
    return Household.objects.visible_to(user).select_related("village")


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
    """The helper picker: the household's helpers in force (in the user's scope)."""

    today = today or timezone.localdate()
    cadres = Cadre.objects.visible_to(user)
    if household is None:
        return cadres.order_by("name")
    paired = HouseholdPairing.objects.in_force(today).filter(household=household)
    return cadres.filter(pk__in=paired.values("helper_id")).order_by("name")
