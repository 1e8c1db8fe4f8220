"""The one place where a user's region scope becomes a query filter.

Every list, detail, form choice, export and API endpoint starts from `Model.objects.visible_to(user)`.
A model's QuerySet says which of its fields carry the region path, the village, the household
and the unit; `UserScope` turns the user's role into a filter over those fields:

- administrators (and superusers) see everything;
- reviewers and township staff see the subtree of their region (path prefix);
- stationed cadres see the villages they serve (work team or term in force) and the households
  they are paired with;
- unit coordinators see the villages their unit is paired with and the households its helpers
  are paired with.
"""

from __future__ import annotations

import datetime
from functools import cached_property

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    TOWNSHIP_STAFF = "township_staff", "乡镇（街道）工作人员"
    CADRE = "cadre", "驻村干部/第一书记"
    COORDINATOR = "coordinator", "帮扶单位联络人"
    REVIEWER = "reviewer", "党组工作部审核人员"
    ADMIN = "admin", "系统管理员"


REGION_ROLES = {Role.TOWNSHIP_STAFF, Role.REVIEWER}


class UserScope:
    def __init__(self, user):
        self.user = user
        self.today = timezone.localdate()

    @cached_property
    def everything(self) -> bool:
        user = self.user
        return bool(
            user.is_authenticated
            and user.is_active
            and (user.is_superuser or user.role == Role.ADMIN)
        )

    @cached_property
    def nothing(self) -> bool:
        user = self.user
        if not (user.is_authenticated and user.is_active):
            return True
        if self.everything:
            return False
        if user.role in REGION_ROLES:
            return user.region_id is None
        if user.role == Role.CADRE:
            return getattr(user, "cadre_id", None) is None
        if user.role == Role.COORDINATOR:
            return user.unit_id is None
        return True

    @property
    def region_path(self) -> str | None:
        if self.user.role in REGION_ROLES and self.user.region_id:
            return self.user.region.path
        return None

    # --- villages and households of a person-based scope (cadre, coordinator) ----------------
    def village_ids(self):
        """A subquery of the village ids a cadre or coordinator works in."""
        from cadres.models import Term, WorkTeamMember
        from households.models import HouseholdPairing
        from pairing.models import Pairing
        from villages.models import Village

        today = self.today
        if self.user.role == Role.CADRE:
            cadre_id = self.user.cadre_id
            team_villages = (
                WorkTeamMember.objects.in_force(today)
                .filter(cadre_id=cadre_id)
                .values("team__villages")
            )
            term_villages = (
                Term.objects.in_force(today).filter(cadre_id=cadre_id).values("village_id")
            )
            paired = (
                HouseholdPairing.objects.in_force(today)
                .filter(helper_id=cadre_id)
                .values("household__village_id")
            )
            return Village.objects.filter(
                Q(id__in=team_villages) | Q(id__in=term_villages) | Q(id__in=paired)
            ).values("id")
        if self.user.role == Role.COORDINATOR:
            return Pairing.objects.in_force(today).for_unit(self.user.unit_id).values("village_id")
        return Village.objects.none().values("id")

    def household_ids(self):
        from households.models import HouseholdPairing

        pairings = HouseholdPairing.objects.in_force(self.today)
        if self.user.role == Role.CADRE:
            return pairings.filter(helper_id=self.user.cadre_id).values("household_id")
        if self.user.role == Role.COORDINATOR:
            return pairings.filter(helper__unit_id=self.user.unit_id).values("household_id")
        return pairings.none().values("household_id")

    def township_condition(self, field: str) -> Q:
        """The same rows as the path prefix, named by an indexed township column: a table with
        no index on its path (visits) then uses (township, date) instead of scanning."""
        from villages.models import Region, RegionLevel

        region = self.user.region
        if region.level == RegionLevel.TOWNSHIP:
            return Q(**{field: region.pk})
        townships = Region.objects.filter(level=RegionLevel.TOWNSHIP)
        if region.level in (RegionLevel.VILLAGE, RegionLevel.GROUP):
            codes = [code for code in region.path.split("/") if code]
            townships = townships.filter(code__in=codes)  # the township above the scope
        else:
            townships = townships.filter(path__startswith=region.path)
        return Q(**{f"{field}__in": townships.values("pk")})

    def filter(self, qs: ScopedQuerySet) -> models.QuerySet:
        if self.nothing:
            return qs.none()
        if self.everything:
            return qs
        path = self.region_path
        if path is not None:
            qs = qs.filter(**{f"{qs.scope_path_field}__startswith": path})
            if qs.scope_township_field:
                qs = qs.filter(self.township_condition(qs.scope_township_field))
            return qs
        # Person-based scope: by village, by household, by unit, whichever the model carries.
        condition = Q(pk__in=[])
        if qs.scope_village_field:
            condition |= Q(**{f"{qs.scope_village_field}__in": self.village_ids()})
        if qs.scope_household_field:
            condition |= Q(**{f"{qs.scope_household_field}__in": self.household_ids()})
        if qs.scope_unit_field and self.user.role == Role.COORDINATOR:
            condition |= Q(**{qs.scope_unit_field: self.user.unit_id})
        return qs.filter(condition)


def scope_of(user) -> UserScope:
    """The user's scope, computed once per user object (so once per request)."""
    scope = getattr(user, "_pairing_scope", None)
    if scope is None:
        scope = UserScope(user)
        user._pairing_scope = scope
    return scope


class ScopedQuerySet(models.QuerySet):
    """Base QuerySet for every model a user may read. Subclasses name their fields."""

    scope_path_field: str = "path"
    scope_village_field: str | None = None
    scope_household_field: str | None = None
    scope_unit_field: str | None = None
    # Set where the path has no index but a township column does (see township_condition).
    scope_township_field: str | None = None

    def visible_to(self, user):
        return scope_of(user).filter(self)


class InForceQuerySet(ScopedQuerySet):
    """For rows with start and end dates: which are in force on a day is a query, not a flag."""

    start_field = "start_date"
    end_field = "end_date"

    def in_force(self, on: datetime.date):
        return self.filter(**{f"{self.start_field}__lte": on}).filter(
            Q(**{f"{self.end_field}__isnull": True}) | Q(**{f"{self.end_field}__gte": on})
        )

    def overlapping(self, start: datetime.date, end: datetime.date):
        return self.filter(**{f"{self.start_field}__lte": end}).filter(
            Q(**{f"{self.end_field}__isnull": True}) | Q(**{f"{self.end_field}__gte": start})
        )
