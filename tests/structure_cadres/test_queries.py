"""Every cadre list, page and endpoint, answers in a number of queries that does not grow with
its rows: the count for a page of a few rows equals the count for a page of many."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadres.models import (
    CadreKind,
    Liaison,
    ReserveCadre,
    TalentAssignment,
    WorkingFund,
    YearlyGrade,
)
from tests.factories import (
    CadreFactory,
    TermFactory,
    VillageFactory,
    WorkTeamFactory,
    WorkTeamMemberFactory,
)
from tests.structure_cadres.conftest import api, token_client

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)


def _cadre(world, kind=CadreKind.STATIONED):
    return CadreFactory(kind=kind, home_region=world.village_a.region, unit=world.unit)


def make_cadre(world, people):
    _cadre(world)


def make_helper(world, people):
    CadreFactory(kind=CadreKind.HELPER, unit=world.unit)


def make_term(world, people):
    TermFactory(cadre=_cadre(world, CadreKind.FIRST_SECRETARY), village=world.village_a)


def make_team(world, people):
    team = WorkTeamFactory()
    team.villages.add(world.village_a, world.village_b)
    WorkTeamMemberFactory(team=team, cadre=_cadre(world))
    WorkTeamMemberFactory(team=team, cadre=_cadre(world))


def make_member(world, people):
    WorkTeamMemberFactory(team=people.a.team, cadre=_cadre(world))


def make_grade(world, people):
    YearlyGrade.objects.create(cadre=_cadre(world), year=2025, grade="competent")


def make_fund(world, people):
    WorkingFund.objects.create(cadre=_cadre(world), year=2026, amount=Decimal("10000"))


def make_liaison(world, people):
    village = VillageFactory(township=world.township_a)
    Liaison.objects.create(village=village, role="village", name="联络", phone="13100001111")


def make_reserve(world, people):
    ReserveCadre.objects.create(
        village=world.village_a, name=f"后备{next(_serial)}", added_on=datetime.date(2026, 1, 1)
    )


def make_talent(world, people):
    TalentAssignment.objects.create(
        cadre=_cadre(world, CadreKind.TALENT),
        village=world.village_a,
        specialty="农技",
        start_date=datetime.date(2026, 1, 1),
    )


def make_village(world, people):
    village = VillageFactory(township=world.township_a)
    Liaison.objects.create(village=village, role="cadre", name="驻村联络", phone="13100001111")


LISTS = [
    # (name, page url name, API path or None, viewer, maker)
    ("cadres", "cadres:cadre_list", "cadres", "staff_a", make_cadre),
    ("helpers", "cadres:helper_list", None, "coordinator", make_helper),
    ("terms", "cadres:term_list", "terms", "staff_a", make_term),
    ("work teams", "cadres:work_team_list", "work-teams", "staff_a", make_team),
    ("members", "cadres:team_member_list", "work-team-members", "staff_a", make_member),
    ("grades", "cadres:grade_list", "yearly-grades", "staff_a", make_grade),
    ("funds", "cadres:fund_list", "working-funds", "staff_a", make_fund),
    ("liaisons", "cadres:liaison_list", "liaisons", "staff_a", make_liaison),
    ("liaison by village", "cadres:liaison_villages", None, "staff_a", make_village),
    ("reserve cadres", "cadres:reserve_list", "reserve-cadres", "staff_a", make_reserve),
    ("talents", "cadres:talent_list", "talent-assignments", "staff_a", make_talent),
]


def count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content[:500]
    return len(queries)


@pytest.mark.parametrize("name,page,path,viewer,make", LISTS, ids=[row[0] for row in LISTS])
def test_lists_answer_in_a_fixed_number_of_queries(
    client, world, people, name, page, path, viewer, make
):
    user = getattr(world, viewer)
    client.force_login(user)
    api_client = token_client(user) if path else None
    make(world, people)
    few_page = count(client, reverse(page))
    few_api = count(api_client, api(path), {"page_size": 100}) if path else None
    for _ in range(12):
        make(world, people)
    assert count(client, reverse(page)) == few_page
    if path:
        assert count(api_client, api(path), {"page_size": 100}) == few_api
        assert few_api <= 7


def test_my_profile_is_a_fixed_number_of_queries(client, world, people):
    from accounts.models import Role
    from tests.factories import HouseholdFactory, HouseholdPairingFactory, UserFactory

    cadre = people.a.stationed
    user = UserFactory(role=Role.CADRE, cadre=cadre)
    client.force_login(user)
    HouseholdPairingFactory(household=world.household_a, helper=cadre)
    few = count(client, reverse("cadres:my_profile"))
    for _ in range(8):
        HouseholdPairingFactory(household=HouseholdFactory(village=world.village_a), helper=cadre)
    assert count(client, reverse("cadres:my_profile")) == few
