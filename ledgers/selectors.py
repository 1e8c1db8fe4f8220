"""Reads of the ledgers app for its pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from core.scope import scope_of
from ledgers.models import ExportJob, RosterImport
from villages.models import Region, RegionLevel

if TYPE_CHECKING:
    from accounts.models import User

EXPORT_LEVELS = [
    RegionLevel.PROVINCE,
    RegionLevel.PREFECTURE,
    RegionLevel.COUNTY,
    RegionLevel.TOWNSHIP,
]


def regions_for_export(*, user: User) -> QuerySet[Region]:
    """The regions a user may pick: their own and every level under it down to townships."""
    return scope_of(user).region_subtree(EXPORT_LEVELS).order_by("path")


def export_jobs_for(*, user: User, limit: int = 20) -> QuerySet[ExportJob]:
    """The user's own recent background exports (an administrator sees only theirs here too)."""
    return ExportJob.objects.filter(user=user).select_related("region")[:limit]


def roster_imports_for(*, user: User, limit: int = 10) -> QuerySet[RosterImport]:
    return RosterImport.objects.filter(user=user).defer("errors", "changes")[:limit]
