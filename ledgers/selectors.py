"""Reads of the ledgers app for its pages."""

from __future__ import annotations

from ledgers.models import ExportJob, RosterImport
from villages.models import Region, RegionLevel

EXPORT_LEVELS = [
    RegionLevel.PROVINCE,
    RegionLevel.PREFECTURE,
    RegionLevel.COUNTY,
    RegionLevel.TOWNSHIP,
]


def regions_for_export(*, user):
    """The regions a user may pick: their own and every level under it down to townships."""
    qs = Region.objects.filter(level__in=EXPORT_LEVELS)
    if not user.is_admin:
        qs = qs.filter(path__startswith=user.region.path) if user.region_id else qs.none()
    return qs.order_by("path")


def export_jobs_for(*, user, limit: int = 20):
    """The user's own recent background exports (an administrator sees only theirs here too)."""
    return ExportJob.objects.filter(user=user).select_related("region")[:limit]


def roster_imports_for(*, user, limit: int = 10):
    return RosterImport.objects.filter(user=user).defer("errors", "changes")[:limit]
