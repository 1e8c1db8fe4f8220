"""The people of the world fixture at work: in each township a first secretary on a term, a
work team with its member, a grade, a fund, the liaison, a reserve cadre and a talent; and a
reviewer of another county (out of scope for the county's reviewer-kept records)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role
from cadres.models import (
    CadreKind,
    Grade,
    Liaison,
    ReserveCadre,
    TalentAssignment,
    WorkingFund,
    YearlyGrade,
)
from tests.factories import (
    CadreFactory,
    TermFactory,
    UserFactory,
    VillageFactory,
    WorkTeamFactory,
    WorkTeamMemberFactory,
    make_county,
    make_township,
)

D = datetime.date


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Side:
    secretary: object
    term: object
    team: object
    member: object
    stationed: object
    grade: object
    fund: object
    liaison: object
    reserve: object
    talent_cadre: object
    talent: object


def make_side(village, unit=None) -> Side:
    secretary = CadreFactory(
        name=f"{village.name}书记",
        kind=CadreKind.FIRST_SECRETARY,
        unit=unit,
        home_region=village.region,
        phone="13911112222",
    )
    term = TermFactory(
        cadre=secretary,
        village=village,
        dispatching_unit=unit,
        start_date=D(2025, 1, 1),
        end_date=D(2027, 12, 31),
    )
    team = WorkTeamFactory(name=f"{village.name}工作队", start_date=D(2025, 1, 1))
    team.villages.add(village)
    stationed = CadreFactory(
        name=f"{village.name}队员", kind=CadreKind.STATIONED, home_region=village.region
    )
    member = WorkTeamMemberFactory(team=team, cadre=stationed)
    grade = YearlyGrade.objects.create(cadre=secretary, year=2025, grade=Grade.COMPETENT)
    fund = WorkingFund.objects.create(cadre=secretary, year=2026, amount=Decimal("12000"))
    liaison = Liaison.objects.create(
        village=village, role=Liaison.LiaisonRole.VILLAGE, name="村联络人", phone="13722223333"
    )
    reserve = ReserveCadre.objects.create(
        village=village, name=f"{village.name}后备", added_on=D(2025, 3, 1), birth_year=1995
    )
    talent_cadre = CadreFactory(
        name=f"{village.name}农技员", kind=CadreKind.TALENT, home_region=village.region
    )
    talent = TalentAssignment.objects.create(
        cadre=talent_cadre, village=village, specialty="农技", start_date=D(2025, 1, 1)
    )
    return Side(
        secretary,
        term,
        team,
        member,
        stationed,
        grade,
        fund,
        liaison,
        reserve,
        talent_cadre,
        talent,
    )


@dataclass
class People:
    a: Side
    b: Side
    far_reviewer: object  # a reviewer of another county
    far_village: object


@pytest.fixture
def people(world) -> People:
    far_county = make_county("远县")
    far_township = make_township(far_county, "远镇")
    far_village = VillageFactory(township=far_township, name="远村")
    return People(
        a=make_side(world.village_a, world.unit),
        b=make_side(world.village_b),
        far_reviewer=UserFactory(username="far_reviewer", role=Role.REVIEWER, region=far_county),
        far_village=far_village,
    )


def token_client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        key = Token.objects.get_or_create(user=user)[0].key
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def api(path: str, pk=None, action: str | None = None) -> str:
    url = f"/api/v1/{path}/" if pk is None else f"/api/v1/{path}/{pk}/"
    return f"{url}{action}/" if action else url
