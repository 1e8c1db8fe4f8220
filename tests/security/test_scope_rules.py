"""The scope rule: role logic lives in UserScope alone, a model's QuerySet only names its fields.

(a) no ScopedQuerySet of any installed app defines its own `visible_to`;
(b) on a small world, what each role sees of cadres, pairings, units (and the rows that follow
    them: organisations, work teams, grades, days in the field) matches hand-built sets;
(c) the region picker for days in the field offers exactly the villages and townships in scope.

The world (conftest's, extended): county C with townships 甲镇 (village 甲村) and 乙镇 (乙村).
- pairing P甲: unit U leads, in 甲村 (U is the coordinator's unit and 帮扶人甲's);
- pairing P乙: 乙牵头单位 leads, in 乙村, with 丙参与单位's Party committee taking part;
- 甲镇企业 sits in 甲镇; 甲镇领导 (home region 甲镇) belongs to it;
- 乙村书记 has a term in 乙村; 工作队员 is in a team serving 甲村 and 乙村 (unit 派出单位);
- 帮扶人甲 is paired with a household in 甲村, 帮扶人乙 with one in 乙村;
- 乙村党支部 is 乙村's Party branch.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.apps import apps

from accounts.models import Role
from cadres.models import Cadre, CadreKind, FieldDay, WorkTeam, YearlyGrade
from core.permissions import entry_author_cadre, records_own_entries
from core.scope import ScopedQuerySet, UserScope
from inspections.selectors import draw_regions
from ledgers.selectors import regions_for_export
from pairing.models import Pairing, PairingParticipant, PartyOrganisation, Unit
from tests.factories import (
    CadreFactory,
    FieldDayFactory,
    PairingFactory,
    PartyOrganisationFactory,
    TermFactory,
    UnitFactory,
    UserFactory,
    WorkTeamFactory,
    WorkTeamMemberFactory,
)
from villages.models import Region, RegionLevel
from villages.services import region_choices_for_field_days

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)


# --- (a) no QuerySet decides for itself ----------------------------------------------------------
def _scoped_querysets():
    seen = {}
    for model in apps.get_models():
        for manager in model._meta.managers:
            qs_class = type(manager.get_queryset())
            if issubclass(qs_class, ScopedQuerySet):
                seen[qs_class] = model
    return seen


def test_there_are_scoped_querysets_to_check():
    names = {model._meta.label for model in _scoped_querysets().values()}
    assert {"cadres.Cadre", "pairing.Unit", "pairing.Pairing", "cadres.FieldDay"} <= names


def test_no_scoped_queryset_defines_its_own_visible_to():
    offenders = []
    for qs_class, model in _scoped_querysets().items():
        for klass in qs_class.__mro__:
            if klass is ScopedQuerySet:
                break
            if "visible_to" in vars(klass):
                offenders.append(f"{model._meta.label}: {klass.__module__}.{klass.__qualname__}")
    assert offenders == []


def test_declared_hooks_name_what_exists():
    for qs_class, model in _scoped_querysets().items():
        if qs_class.scope_extra:
            assert callable(getattr(UserScope, f"extra_{qs_class.scope_extra}", None)), model
        for field in qs_class.scope_via:
            related = model._meta.get_field(field).related_model
            assert isinstance(related._default_manager.all(), ScopedQuerySet), (model, field)


# --- (b) what each role sees -------------------------------------------------------------------
@pytest.fixture
def frozen():
    with time_machine.travel(datetime.datetime(2026, 6, 15, 10, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def small(world, frozen):
    w = world
    unit_b = UnitFactory(name="乙牵头单位")
    unit_c = UnitFactory(name="丙参与单位")
    unit_r = UnitFactory(name="甲镇企业", region=w.township_a)
    unit_d = UnitFactory(name="派出单位")
    pairing_a = Pairing.objects.get(village=w.village_a)
    pairing_b = PairingFactory(lead_unit=unit_b, village=w.village_b)
    org_c = PartyOrganisationFactory(name="丙党委", unit=unit_c)
    PairingParticipant.objects.create(pairing=pairing_b, organisation=org_c)
    branch_b = PartyOrganisationFactory(
        name="乙村党支部", kind="branch", unit=None, village=w.village_b
    )
    leader = CadreFactory(
        name="甲镇领导", kind=CadreKind.TOWNSHIP_LEADER, home_region=w.township_a, unit=unit_r
    )
    secretary = TermFactory(
        village=w.village_b,
        cadre=CadreFactory(name="乙村书记", kind=CadreKind.FIRST_SECRETARY, unit=unit_b),
    ).cadre
    team = WorkTeamFactory(name="甲乙工作队")
    team.villages.set([w.village_a, w.village_b])
    member = WorkTeamMemberFactory(
        team=team, cadre=CadreFactory(name="工作队员", kind=CadreKind.STATIONED, unit=unit_d)
    ).cadre
    grade = YearlyGrade.objects.create(cadre=leader, year=2025, grade="excellent")
    days = {
        "a": FieldDayFactory(cadre=w.helper_a, region=w.village_a.region, day=DAY),
        "leader": FieldDayFactory(cadre=leader, region=w.township_a, day=DAY),
        "b": FieldDayFactory(cadre=secretary, region=w.village_b.region, day=DAY),
        "member": FieldDayFactory(cadre=member, region=w.village_b.region, day=DAY),
    }
    users = {
        "staff_a": w.staff_a,
        "staff_b": w.staff_b,
        "reviewer": w.reviewer,
        "admin": w.admin,
        "cadre": w.cadre_user,
        "member": UserFactory(username="member", role=Role.CADRE, cadre=member),
        "coordinator": w.coordinator,
        "inactive": UserFactory(
            username="gone", role=Role.REVIEWER, region=w.county, is_active=False
        ),
        "inactive_cadre": UserFactory(
            username="gone_cadre", role=Role.CADRE, cadre=w.helper_b, is_active=False
        ),
    }
    cadres = {
        "helper_a": w.helper_a,
        "helper_b": w.helper_b,
        "leader": leader,
        "secretary": secretary,
        "member": member,
    }
    units = {
        "U": w.unit,
        "helper_b_unit": w.helper_b.unit,
        "unit_b": unit_b,
        "unit_c": unit_c,
        "unit_r": unit_r,
        "unit_d": unit_d,
    }
    return {
        "users": users,
        "cadres": cadres,
        "units": units,
        "pairings": {"a": pairing_a, "b": pairing_b},
        "orgs": {"c": org_c, "branch_b": branch_b},
        "team": team,
        "grade": grade,
        "days": days,
        "world": w,
    }


ALL = object()

EXPECTED = {
    # role: (cadres, units, pairings, organisations, sees the team, sees the grade, field days)
    "staff_a": (
        {"helper_a", "leader", "member"},
        {"U", "unit_r"},
        {"a"},
        set(),
        True,
        True,
        {"a", "leader"},
    ),
    "staff_b": (
        {"helper_b", "secretary", "member"},
        {"unit_b", "unit_c"},
        {"b"},
        {"c", "branch_b"},
        True,
        False,
        {"b", "member"},
    ),
    "reviewer": (
        {"helper_a", "helper_b", "leader", "secretary", "member"},
        {"U", "unit_r", "unit_b", "unit_c"},
        {"a", "b"},
        {"c", "branch_b"},
        True,
        True,
        {"a", "leader", "b", "member"},
    ),
    "admin": (ALL, ALL, ALL, ALL, True, True, ALL),
    "cadre": ({"helper_a", "member"}, {"U"}, {"a"}, set(), True, False, {"a"}),
    "member": (
        {"helper_a", "helper_b", "secretary", "member"},
        {"U", "unit_b", "unit_c", "unit_d"},
        {"a", "b"},
        {"c", "branch_b"},
        True,
        False,
        {"member"},
    ),
    "coordinator": ({"helper_a", "member"}, {"U"}, {"a"}, set(), True, False, set()),
    "inactive": (set(), set(), set(), set(), False, False, set()),
    "inactive_cadre": (set(), set(), set(), set(), False, False, set()),
}


def _names(qs, named: dict) -> set[str]:
    ids = list(qs.values_list("pk", flat=True))
    assert len(ids) == len(set(ids)), "a row repeats"
    by_pk = {obj.pk: name for name, obj in named.items()}
    return {by_pk.get(pk, f"?{pk}") for pk in ids}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_what_each_role_sees(small, role):
    user = small["users"][role]
    cadres, units, pairings, orgs, team, grade, days = EXPECTED[role]
    everything = {
        "cadres": set(small["cadres"]),
        "units": set(small["units"]),
        "pairings": set(small["pairings"]),
        "orgs": set(small["orgs"]),
        "days": set(small["days"]),
    }
    assert Cadre.objects.count() == len(everything["cadres"])
    assert Unit.objects.count() == len(everything["units"])

    def want(value, key):
        return everything[key] if value is ALL else value

    assert _names(Cadre.objects.visible_to(user), small["cadres"]) == want(cadres, "cadres")
    assert _names(Unit.objects.visible_to(user), small["units"]) == want(units, "units")
    assert _names(Pairing.objects.visible_to(user), small["pairings"]) == want(pairings, "pairings")
    assert _names(PartyOrganisation.objects.visible_to(user), small["orgs"]) == want(orgs, "orgs")
    teams = list(WorkTeam.objects.visible_to(user))
    assert teams == ([small["team"]] if team else [])  # one row, though it serves two villages
    assert YearlyGrade.objects.visible_to(user).exists() is grade
    assert _names(FieldDay.objects.visible_to(user), small["days"]) == want(days, "days")


def test_visible_to_composes_with_other_filters(small):
    staff_a = small["users"]["staff_a"]
    leaders = Cadre.objects.filter(kind=CadreKind.TOWNSHIP_LEADER).visible_to(staff_a)
    assert list(leaders) == [small["cadres"]["leader"]]
    assert not Unit.objects.filter(name="乙牵头单位").visible_to(staff_a).exists()


# --- (c) the region picker for days in the field -----------------------------------------------
def _regions(small, *names):
    w = small["world"]
    named = {
        "county": w.county,
        "TA": w.township_a,
        "TB": w.township_b,
        "VA": w.village_a.region,
        "VB": w.village_b.region,
    }
    return {named[n].pk for n in names}


FIELD_DAY_REGIONS = {
    "staff_a": ("TA", "VA"),
    "staff_b": ("TB", "VB"),
    "reviewer": ("TA", "TB", "VA", "VB"),
    "admin": ("TA", "TB", "VA", "VB"),
    "cadre": ("TA", "VA"),  # the village of their paired household and its township
    "member": ("TA", "TB", "VA", "VB"),  # the team's two villages and their townships
    "coordinator": ("TA", "VA"),  # the village their unit is paired with
    "inactive": (),
    "inactive_cadre": (),
}


@pytest.mark.parametrize("role", sorted(FIELD_DAY_REGIONS))
def test_field_day_region_picker_offers_the_villages_and_townships_in_scope(small, role):
    user = small["users"][role]
    offered = region_choices_for_field_days(user)
    assert set(offered.values_list("pk", flat=True)) == _regions(small, *FIELD_DAY_REGIONS[role])
    assert set(offered.values_list("level", flat=True)) <= {
        RegionLevel.VILLAGE,
        RegionLevel.TOWNSHIP,
    }


def test_export_and_draw_pickers_are_the_users_own_subtree(small):
    users, w = small["users"], small["world"]
    assert list(regions_for_export(user=users["staff_a"])) == [w.township_a]
    assert set(regions_for_export(user=users["reviewer"])) == {
        w.county,
        w.township_a,
        w.township_b,
    }
    assert not regions_for_export(user=users["cadre"]).exists()
    every = Region.objects.exclude(level__in=[RegionLevel.VILLAGE, RegionLevel.GROUP])
    assert set(regions_for_export(user=users["admin"])) == set(every)
    assert list(draw_regions(users["reviewer"])) == [w.county]
    assert not draw_regions(users["staff_a"]).exclude(path__startswith=w.township_a.path)


def test_covers_is_the_users_own_subtree(small):
    users, w = small["users"], small["world"]
    assert users["staff_a"].scope.covers(w.village_a.region)
    assert not users["staff_a"].scope.covers(w.village_b.region.path)
    assert users["reviewer"].scope.covers(w.township_b)
    assert users["admin"].scope.covers(w.county)
    assert not users["cadre"].scope.covers(w.village_a.region)
    assert not users["inactive"].scope.covers(w.township_a)


# --- a cadre records only their own entries ----------------------------------------------------
def test_entry_author_cadre(small):
    users, cadres = small["users"], small["cadres"]
    assert records_own_entries(users["cadre"])
    assert not records_own_entries(users["staff_a"])
    # A cadre names themselves, whatever the request said.
    assert entry_author_cadre(users["cadre"], cadres["leader"]) == cadres["helper_a"]
    assert entry_author_cadre(users["cadre"]) == cadres["helper_a"]
    # Anyone else names the cadre they chose (the caller checks the scope).
    assert entry_author_cadre(users["staff_a"], cadres["leader"]) == cadres["leader"]
    assert entry_author_cadre(users["staff_a"]) is None


def test_role_labels_come_from_the_role_choices():
    """Forms and the admin (list column, filter, change form) show the role through the field's
    choices, which are core.scope.Role's translatable labels, not copies."""
    from django.contrib import admin
    from django.utils.functional import Promise

    from accounts.models import User

    field = User._meta.get_field("role")
    assert list(field.choices) == list(Role.choices)
    assert all(isinstance(label, Promise) for label in Role.labels)
    user_admin = admin.site._registry[User]
    assert "role" in user_admin.list_display and "role" in user_admin.list_filter
    assert dict(field.formfield().choices)[Role.CADRE] == Role.CADRE.label
