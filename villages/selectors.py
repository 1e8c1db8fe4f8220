"""Reads for the village pages, and the change history every entered record shows.

Every function starts from `visible_to(user)`. The village list decorates one page of
villages with set-based counts (households, credited visits this year, income this year),
three queries for any page length."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from villages.models import VillageIncome

if TYPE_CHECKING:
    from accounts.models import User


def village_income_list(
    *, user: User, params: Mapping[str, str | int] | None
) -> QuerySet[VillageIncome]:
    qs = VillageIncome.objects.visible_to(user).select_related("village", "recorded_by")
    village = (params or {}).get("village")
    if village and str(village).isdigit():
        qs = qs.filter(village_id=int(village))
    year = (params or {}).get("year")
    if year and str(year).isdigit():
        qs = qs.filter(year=int(year))
    return qs.order_by("-year", "village__path", "id")


# --- change history (django-auditlog) ----------------------------------------------------------
