"""Reads for spot checks and rectification: the reviewer's pages, the ledgers issue's
spot-check and rectification ledger, and the assessment engine.

`overdue_items_by_unit(year)` is the hook for the assessment (issue: "overdue items count
against the responsible unit in the assessment"): the assessment engine calls it and decides
what a count means for a unit's grade; nothing here changes a grade.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from cadres.models import Coverage, Term, WorkTeamMember
from core.scope import scope_of
from households.models import HouseholdPairing
from inspections.models import (
    RectificationItem,
    RectificationStatus,
    SpotCheckDraw,
    SpotCheckItem,
)
from pairing.models import Pairing, PairingParticipant, Unit
from villages.models import Region, RegionLevel, Village

if TYPE_CHECKING:
    from inspections.filters import RectificationFilter


def overdue_items_by_unit(year: int, *, on: datetime.date | None = None) -> dict[int, int]:
    """For each responsible unit, how many of its rectification items with a deadline in `year`
    were overdue as of `on` (default today): still not closed after the deadline, or closed
    later than the deadline. Items with no responsible unit are not counted. One query.

        >>> overdue_items_by_unit(2026)
        {12: 3, 40: 1}
    """
    on = on or timezone.localdate()
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    late = Q(closed_on__gt=F("deadline")) | ~Q(status=RectificationStatus.CLOSED)
    rows = (
        RectificationItem.objects.filter(
            responsible_unit__isnull=False, deadline__gte=start, deadline__lte=end
        )
        .filter(deadline__lt=on)
        .filter(late)
        .values("responsible_unit_id")
        .annotate(n=Count("*"))
        .order_by()
    )
    return {row["responsible_unit_id"]: row["n"] for row in rows}


@dataclass
class UnitOverdueRow:
    unit_id: int | None
    unit_name: str
    open_items: int
    overdue: int
    submitted: int
    oldest_deadline: datetime.date | None


def overdue_overview(user: User, *, on: datetime.date | None = None) -> list[UnitOverdueRow]:
    """The reviewer's overview: open and overdue items per responsible unit, worst first."""
    from inspections.services import rectification_visible

    on = on or timezone.localdate()
    not_closed = ~Q(status=RectificationStatus.CLOSED)
    rows = (
        rectification_visible(user)
        .filter(not_closed)
        .values("responsible_unit_id", "responsible_unit__name")
        .annotate(
            open_items=Count("*"),
            overdue=Count("id", filter=Q(deadline__lt=on)),
            submitted=Count("id", filter=Q(status=RectificationStatus.SUBMITTED)),
        )
        .order_by("-overdue", "-open_items", "responsible_unit__name")
    )
    oldest = dict(
        rectification_visible(user)
        .filter(not_closed, deadline__lt=on)
        .values("responsible_unit_id")
        .annotate(first=Min("deadline"))
        .order_by()
        .values_list("responsible_unit_id", "first")
    )
    return [
        UnitOverdueRow(
            unit_id=row["responsible_unit_id"],
            unit_name=row["responsible_unit__name"] or "",
            open_items=row["open_items"],
            overdue=row["overdue"],
            submitted=row["submitted"],
            oldest_deadline=oldest.get(row["responsible_unit_id"]),
        )
        for row in rows
    ]


def rectification_list(
    user: User, *, filters: RectificationFilter | None = None
) -> QuerySet[RectificationItem]:
    """The rectification list: the user's scope plus their own items, for the page's FilterSet."""
    from inspections.services import rectification_visible

    qs = rectification_visible(user).select_related(
        "village", "village__township", "household", "responsible_unit", "responsible_person"
    )
    if filters is not None and filters.is_valid():  # invalid input: the form shows why
        qs = filters.filter_queryset(qs)
    return qs.order_by("deadline", "id")


def draw_list(user: User) -> QuerySet[SpotCheckDraw]:
    """Draws a reviewer may see (their region's subtree). Anyone else sees none."""
    if not (user.is_authenticated and user.is_reviewer):
        return SpotCheckDraw.objects.none()
    return (
        SpotCheckDraw.objects.visible_to(user)
        .select_related("region", "drawn_by", "voided_by")
        .annotate(
            village_count=Count("items", filter=Q(items__household__isnull=True)),
            household_count=Count("items", filter=Q(items__household__isnull=False)),
            inspected=Count("items__inspection"),
        )
        .order_by("-quarter", "region__code", "-drawn_at")
    )


def draw_regions(user: User) -> QuerySet[Region]:
    """Regions a reviewer may draw for: their own region and the counties or prefectures under
    it (administrators: every province, prefecture and county)."""
    levels = [RegionLevel.PROVINCE, RegionLevel.PREFECTURE, RegionLevel.COUNTY]
    return scope_of(user).region_subtree(levels).order_by("path")


def draw_items(draw: SpotCheckDraw) -> QuerySet[SpotCheckItem]:
    """A draw's items with what the page shows, grouped by township in order."""
    return (
        SpotCheckItem.objects.filter(draw=draw)
        .select_related("village", "household", "township", "inspection", "inspection__inspector")
        .annotate(rectifications=Count("inspection__rectifications"))
        .order_by("township__code", "village__path", "household_id")
    )


def responsible_choices(
    village: Village, *, on: datetime.date | None = None
) -> tuple[QuerySet[Unit], QuerySet[User]]:
    """Who can answer for a problem found in a village: the units paired with it or covering it,
    and the people with an account who work there (its cadres, its township's staff, the paired
    units' coordinators). Returns (units queryset, users queryset)."""
    on = on or timezone.localdate()
    pairings = Pairing.objects.in_force(on).filter(village=village)
    unit_ids = set(pairings.values_list("lead_unit_id", flat=True))
    # From the participants themselves: an exclude across the to-many relation would drop
    # every participant of a pairing as soon as one of its organisations has no unit.
    unit_ids |= set(
        PairingParticipant.objects.filter(
            pairing__in=pairings, organisation__unit__isnull=False
        ).values_list("organisation__unit_id", flat=True)
    )
    unit_ids |= set(
        Coverage.objects.in_force(on)
        .filter(region_id=village.region_id, unit__isnull=False)
        .values_list("unit_id", flat=True)
    )
    unit_ids |= set(
        Term.objects.in_force(on)
        .filter(village=village, dispatching_unit__isnull=False)
        .values_list("dispatching_unit_id", flat=True)
    )
    cadre_ids = Term.objects.in_force(on).filter(village=village).values("cadre_id")
    team_cadres = (
        WorkTeamMember.objects.in_force(on).filter(team__villages=village).values("cadre_id")
    )
    helpers = (
        HouseholdPairing.objects.in_force(on).filter(household__village=village).values("helper_id")
    )
    users = (
        User.objects.filter(is_active=True)
        .filter(
            Q(role=Role.TOWNSHIP_STAFF, region_id=village.township_id)
            | Q(role=Role.CADRE, cadre_id__in=cadre_ids)
            | Q(role=Role.CADRE, cadre_id__in=team_cadres)
            | Q(role=Role.CADRE, cadre_id__in=helpers)
            | Q(role=Role.COORDINATOR, unit_id__in=unit_ids)
        )
        .select_related("region", "unit")
        .order_by("role", "username")
    )
    return Unit.objects.filter(id__in=unit_ids).order_by("name"), users
