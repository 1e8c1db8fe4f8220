"""Reads of the kept structure for the unit, organisation and pairing pages: a unit's Party
organisations as a tree, its helpers with their households in force, the coverage of the
households in the villages it is paired with, and a pairing's change history with its
participants and yearly plans.

Every read starts from `visible_to(user)`. The helpers (cadres) and households are reached
through their relations to the unit and village, never by importing the apps below."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.history import ACTION_LABELS, HistoryLine, change_history
from pairing.models import (
    OrgKind,
    Pairing,
    PairingParticipant,
    PairingYearPlan,
    PartyOrganisation,
    Unit,
)
from villages.models import Village

if TYPE_CHECKING:
    from accounts.models import User

# Siblings in the tree: committees first, then general branches, branches, leading groups.
KIND_ORDER = {
    OrgKind.COMMITTEE: 0,
    OrgKind.GENERAL_BRANCH: 1,
    OrgKind.BRANCH: 2,
    OrgKind.LEADING_GROUP: 3,
}


@dataclass
class TreeNode:
    organisation: PartyOrganisation
    children: list[TreeNode] = field(default_factory=list)
    ended: bool = False


def _in_force(prefix: str, today: datetime.date) -> Q:
    return Q(**{f"{prefix}start_date__lte": today}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": today})
    )


def organisation_tree(
    *, user: User, unit: Unit | None = None, village: Village | None = None
) -> list[TreeNode]:
    """The Party organisations of a unit (or a village) as a tree: committee › general branch ›
    branch, siblings by kind then name. One query."""
    rows = PartyOrganisation.objects.visible_to(user)
    rows = rows.filter(unit=unit) if unit is not None else rows.filter(village=village)
    today = timezone.localdate()
    nodes = {
        org.pk: TreeNode(org, ended=bool(org.end_date and org.end_date < today))
        for org in rows.order_by("name")
    }
    roots: list[TreeNode] = []
    for node in nodes.values():
        parent = nodes.get(node.organisation.parent_id or 0)
        (parent.children if parent is not None else roots).append(node)

    def key(node: TreeNode) -> tuple[int, str]:
        return KIND_ORDER.get(OrgKind(node.organisation.kind), 9), node.organisation.name

    def sort(level: list[TreeNode]) -> None:
        level.sort(key=key)
        for node in level:
            sort(node.children)

    sort(roots)
    return roots


def tree_size(nodes: list[TreeNode]) -> int:
    return sum(1 + tree_size(node.children) for node in nodes)


def unit_helpers(*, user: User, unit: Unit) -> QuerySet[Any]:
    """The unit's helpers (its cadres and Party members) the user may see, each with the number
    of households they are paired with today. One query."""
    today = timezone.localdate()
    return (
        unit.cadres.visible_to(user)
        .annotate(
            households_in_force=Count(
                "household_pairings",
                filter=_in_force("household_pairings__", today),
                distinct=True,
            )
        )
        .order_by("name")
    )


@dataclass
class VillageCoverage:
    village: Village
    households: int
    covered: int

    @property
    def uncovered(self) -> int:
        return self.households - self.covered


@dataclass
class Coverage:
    """How many households of the villages the unit is paired with today have a helper of the
    unit in force (全覆盖, 000)."""

    villages: list[VillageCoverage]

    @property
    def households(self) -> int:
        return sum(v.households for v in self.villages)

    @property
    def covered(self) -> int:
        return sum(v.covered for v in self.villages)

    @property
    def uncovered(self) -> int:
        return self.households - self.covered

    @property
    def percent(self) -> int | None:
        return round(100 * self.covered / self.households) if self.households else None


def unit_coverage(*, user: User, unit: Unit, today: datetime.date | None = None) -> Coverage:
    """Coverage by village, in a fixed number of queries (two)."""
    today = today or timezone.localdate()
    paired = Pairing.objects.in_force(today).for_unit(unit.pk).values("village_id")
    helped = Q(households__pairings__helper__unit_id=unit.pk) & _in_force(
        "households__pairings__", today
    )
    villages = (
        Village.objects.visible_to(user)
        .filter(id__in=paired)
        .annotate(
            household_count=Count("households", distinct=True),
            covered_count=Count("households", filter=helped, distinct=True),
        )
        .order_by("path")
    )
    return Coverage([VillageCoverage(v, v.household_count, v.covered_count) for v in villages])


def unit_pairings(*, user: User, unit: Unit) -> QuerySet[Pairing]:
    return (
        Pairing.objects.visible_to(user)
        .for_unit(unit.pk)
        .select_related("lead_unit", "village", "region")
        .order_by("-start_date", "name")
    )


def pairing_history(pairing: Pairing, limit: int = 50) -> list[HistoryLine]:
    """The pairing's changes and those of its participants and yearly plans (removed ones
    included: they carry the pairing's id in the log), newest first."""
    lines = change_history(pairing, limit=limit)
    types = ContentType.objects.get_for_models(PairingParticipant, PairingYearPlan)
    labels = {
        types[PairingParticipant].pk: _("参与党组织"),
        types[PairingYearPlan].pk: _("年度工作计划"),
    }
    entries = (
        LogEntry.objects.filter(
            content_type_id__in=list(labels), additional_data__pairing_id=pairing.pk
        )
        .select_related("actor")
        .order_by("-timestamp")[:limit]
    )
    for entry in entries:
        changes = []
        for label, values in entry.changes_display_dict.items():
            old, new = (list(values) + ["", ""])[:2]
            changes.append((str(label), _shown(old), _shown(new)))
        what = labels[entry.content_type_id]
        lines.append(
            HistoryLine(
                action=f"{ACTION_LABELS.get(entry.action, entry.action)}{what}："
                f"{entry.object_repr}",
                created=entry.action == 0,
                actor=entry.actor.display_name if entry.actor else _("系统"),
                at=entry.timestamp,
                changes=changes,
            )
        )
    lines.sort(key=lambda line: line.at, reverse=True)
    return lines[:limit]


def _shown(value: object) -> str:
    text = "" if value is None else str(value)
    return "—" if text in ("None", "") else text
