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

A QuerySet only names fields (`scope_*_field`), the foreign keys through which a row is also
visible (`scope_via`), whether its fields cross a to-many relation (`scope_distinct`), and at
most one extra rule by name (`scope_extra`, a method `extra_<name>` of UserScope). Region pickers
ask `UserScope.regions()` / `region_subtree()`, a single region `UserScope.covers()`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from functools import cached_property
from typing import Any, Protocol, Self, TypeVar

from django.apps import apps
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    TOWNSHIP_STAFF = "township_staff", _("乡镇（街道）工作人员")
    CADRE = "cadre", _("驻村干部/第一书记")
    COORDINATOR = "coordinator", _("帮扶单位联络人")
    REVIEWER = "reviewer", _("党组工作部审核人员")
    ADMIN = "admin", _("系统管理员")


REGION_ROLES = {Role.TOWNSHIP_STAFF, Role.REVIEWER}

# A scoped queryset keeps its own class (and model) through the scope's filter.
_QS = TypeVar("_QS", bound="ScopedQuerySet")


class ScopeRegion(Protocol):
    """What the scope reads of a region (villages.Region)."""

    @property
    def pk(self) -> Any: ...
    @property
    def path(self) -> str: ...
    @property
    def level(self) -> str: ...


class ScopeUser(Protocol):
    """What the scope reads of a user: accounts.models.User, which core may not import (the
    scope is the ground floor and `import_graph` counts every import, typing ones included)."""

    @property
    def is_authenticated(self) -> bool: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def is_superuser(self) -> bool: ...
    @property
    def role(self) -> str: ...
    @property
    def region_id(self) -> int | None: ...
    @property
    def region(self) -> ScopeRegion | None: ...
    @property
    def unit_id(self) -> int | None: ...
    @property
    def cadre_id(self) -> int | None: ...


def model(label: str) -> type[models.Model]:
    """A model of an upper app by its label, as a ForeignKey names it: the scope is the ground
    floor and knows the other apps' models by name only, never by import."""
    return apps.get_model(label)


class UserScope:
    def __init__(self, user: ScopeUser) -> None:
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
            region = self.user.region
            if region is not None:  # a region id names a region (reading it raises otherwise)
                return region.path
        return None

    # --- villages and households of a person-based scope (cadre, coordinator) ----------------
    def village_ids(self) -> models.QuerySet[Any, dict[str, Any]]:
        """A subquery of the village ids a cadre or coordinator works in."""
        Term, WorkTeamMember = model("cadres.Term"), model("cadres.WorkTeamMember")
        HouseholdPairing = model("households.HouseholdPairing")
        Pairing, Village = model("pairing.Pairing"), model("villages.Village")
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

    def household_ids(self) -> models.QuerySet[Any, dict[str, Any]]:
        pairings = model("households.HouseholdPairing").objects.in_force(self.today)
        if self.user.role == Role.CADRE:
            return pairings.filter(helper_id=self.user.cadre_id).values("household_id")
        if self.user.role == Role.COORDINATOR:
            return pairings.filter(helper__unit_id=self.user.unit_id).values("household_id")
        return pairings.none().values("household_id")

    def township_condition(self, field: str) -> Q:
        """The same rows as the path prefix, named by an indexed township column: a table with
        no index on its path (visits) then uses (township, date) instead of scanning."""
        region = self.user.region
        # Only a region role's scope with a region reaches here (region_path is not None).
        assert region is not None
        if region.level == "township":
            return Q(**{field: region.pk})
        townships = model("villages.Region").objects.filter(level="township")
        if region.level in ("village", "group"):
            codes = [code for code in region.path.split("/") if code]
            townships = townships.filter(code__in=codes)  # the township above the scope
        else:
            townships = townships.filter(path__startswith=region.path)
        return Q(**{f"{field}__in": townships.values("pk")})

    # --- regions: pickers and single checks ----------------------------------------------------
    def regions(self, levels: Iterable[str] | None = None) -> models.QuerySet[Any]:
        """Regions (of `levels`) inside the scope: a region role's subtree; for a cadre or a
        coordinator the villages they work in and those villages' townships."""
        Region = model("villages.Region")
        qs = Region.objects.all() if not levels else Region.objects.filter(level__in=levels)
        if self.nothing:
            return qs.none()
        if self.everything:
            return qs
        if self.region_path is not None:
            return qs.filter(path__startswith=self.region_path)
        villages = model("villages.Village").objects.filter(id__in=self.village_ids())
        return qs.filter(
            Q(pk__in=villages.values("region_id")) | Q(pk__in=villages.values("township_id"))
        )

    def region_subtree(self, levels: Iterable[str] | None = None) -> models.QuerySet[Any]:
        """Regions (of `levels`) under the user's own region: for pickers that only a region
        role (or an administrator, who gets every region) has, such as exports and draws."""
        Region = model("villages.Region")
        qs = Region.objects.all() if not levels else Region.objects.filter(level__in=levels)
        if self.everything:
            return qs
        if self.nothing or self.region_path is None:
            return qs.none()
        return qs.filter(path__startswith=self.region_path)

    def covers(self, region_or_path: ScopeRegion | str) -> bool:
        """Whether a region (or a region path) lies in the user's own region subtree."""
        if self.everything:
            return True
        path = region_or_path if isinstance(region_or_path, str) else region_or_path.path
        return bool(
            not self.nothing and self.region_path is not None and path.startswith(self.region_path)
        )

    def own_unit_ids(self) -> list[int]:
        """The coordinator's own unit (a unit's liaison reads their unit, not its partners)."""
        if self.user.role == Role.COORDINATOR and self.user.unit_id:
            return [self.user.unit_id]
        return []

    # --- extra rules a QuerySet names with `scope_extra` ----------------------------------------
    def extra_cadre(self, qs: ScopedQuerySet) -> Q:
        """A cadre is also visible where they work: paired with a household in scope, on a term
        in a village in scope, in a work team serving one, dispatched to one as a talent, or a
        helper of a unit paired with a village in scope (so township staff can pair a unit's
        helper who has no household yet, or hand households over to them)."""
        pairings = self.filter(model("households.HouseholdPairing").objects.all())
        terms = self.filter(model("cadres.Term").objects.all())
        villages = self.filter(model("villages.Village").objects.all()).values("id")
        members = model("cadres.WorkTeamMember").objects.filter(team__villages__in=villages)
        talents = model("cadres.TalentAssignment").objects.filter(village__in=villages)
        return (
            Q(id__in=pairings.values("helper_id"))
            | Q(id__in=terms.values("cadre_id"))
            | Q(id__in=members.values("cadre_id"))
            | Q(id__in=talents.values("cadre_id"))
            | Q(kind="helper", unit_id__in=self._paired_unit_ids())
        )

    def _paired_unit_ids(self) -> models.QuerySet[Any, dict[str, Any]]:
        """The units leading or taking part in a pairing in scope."""
        paired = self.filter(model("pairing.Pairing").objects.all())
        participants = model("pairing.PairingParticipant").objects.filter(pairing__in=paired)
        return (
            model("pairing.Unit")
            .objects.filter(
                Q(id__in=paired.values("lead_unit_id"))
                | Q(id__in=participants.values("organisation__unit_id"))
            )
            .values("id")
        )

    def extra_unit(self, qs: ScopedQuerySet) -> Q:
        """A unit is also visible where it leads or takes part in a pairing in scope."""
        return Q(id__in=self._paired_unit_ids())

    # --- the filter ------------------------------------------------------------------------------
    def filter(self, qs: _QS) -> _QS:
        if self.nothing:
            return qs.none()
        if self.everything:
            return qs
        if qs.scope_distinct:
            # The fields cross a to-many relation: answer by primary key, so no row repeats.
            fresh = type(qs)(model=qs.model, using=qs.db)
            return qs.filter(pk__in=self._filter(fresh).values("pk"))
        return self._filter(qs)

    def _filter(self, qs: _QS) -> _QS:
        path = self.region_path
        if path is not None:
            if qs.scope_path_field:
                condition = Q(**{f"{qs.scope_path_field}__startswith": path})
            else:
                condition = Q(pk__in=[])
            qs = qs.filter(self._also(qs, condition))
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
        if qs.scope_cadre_field and self.user.role == Role.CADRE:
            condition |= Q(**{qs.scope_cadre_field: self.user.cadre_id})
        return qs.filter(self._also(qs, condition))

    def _also(self, qs: ScopedQuerySet, condition: Q) -> Q:
        """The model's own condition widened by `scope_via` and `scope_extra`."""
        for field in qs.scope_via:
            related = qs.model._meta.get_field(field).related_model
            condition |= Q(**{f"{field}__in": self.filter(related._default_manager.all())})
        if qs.scope_extra:
            condition |= getattr(self, f"extra_{qs.scope_extra}")(qs)
        return condition


def scope_of(user: ScopeUser) -> UserScope:
    """The user's scope, computed once per user object (so once per request)."""
    scope = getattr(user, "_pairing_scope", None)
    if scope is None:
        scope = UserScope(user)
        # The user object carries its scope for the request; ScopeUser declares no such field.
        user._pairing_scope = scope  # type: ignore[attr-defined]
    return scope


class ScopedQuerySet(models.QuerySet):
    """Base QuerySet for every model a user may read. Subclasses name their fields."""

    scope_path_field: str | None = "path"
    scope_village_field: str | None = None
    scope_household_field: str | None = None
    scope_unit_field: str | None = None
    # Set where the path has no index but a township column does (see township_condition).
    scope_township_field: str | None = None
    # The field naming the cadre a row belongs to: a stationed cadre sees their own rows by it.
    scope_cadre_field: str | None = None
    # Foreign keys through which a row is also visible: where the row they name is visible.
    scope_via: tuple[str, ...] = ()
    # The fields cross a to-many relation: the scope answers by primary key (no repeated rows).
    scope_distinct: bool = False
    # One extra rule, by name: UserScope.extra_<name>(qs) returns a condition to add.
    scope_extra: str | None = None

    def visible_to(self, user: ScopeUser) -> Self:
        return scope_of(user).filter(self)


class InForceQuerySet(ScopedQuerySet):
    """For rows with start and end dates: which are in force on a day is a query, not a flag."""

    start_field = "start_date"
    end_field = "end_date"

    def in_force(self, on: datetime.date) -> Self:
        return self.filter(**{f"{self.start_field}__lte": on}).filter(
            Q(**{f"{self.end_field}__isnull": True}) | Q(**{f"{self.end_field}__gte": on})
        )

    def overlapping(self, start: datetime.date, end: datetime.date) -> Self:
        return self.filter(**{f"{self.start_field}__lte": end}).filter(
            Q(**{f"{self.end_field}__isnull": True}) | Q(**{f"{self.end_field}__gte": start})
        )
