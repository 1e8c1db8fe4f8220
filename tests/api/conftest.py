"""Fixtures of the API tests: token clients, and one registry of every list endpoint with a
way to make its rows on either side of the world (township A or B), so the permission trio and
the query-count pins run over all endpoints from one table."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role
from assessments.models import Indicator, IndicatorResult
from inspections.models import RectificationItem, SpotCheckDraw, SpotCheckItem
from ledgers.models import ExportJob
from notifications.models import Notification
from pairing.models import PartyDay, StudyTrip
from tests.factories import (
    CadreFactory,
    FieldDayFactory,
    HouseholdFactory,
    HouseholdPairingFactory,
    MeasureFactory,
    MeetingFactory,
    PairingFactory,
    PartyOrganisationFactory,
    PlanFactory,
    RegionFactory,
    TrainingFactory,
    UnitFactory,
    UserFactory,
    VillageFactory,
    VillageIncomeFactory,
    VisitFactory,
    WorkTeamFactory,
    WorkTeamMemberFactory,
    make_county,
)
from villages.models import RegionLevel

_serial = itertools.count(1)


def token_client(user=None, **headers) -> APIClient:
    client = APIClient(**headers)
    if user is not None:
        key = Token.objects.get_or_create(user=user)[0].key
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The world makes seven users; the production hasher would spend seconds on them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def api_as():
    """`api_as(user)`: an API client authenticated with the user's token."""
    return token_client


@pytest.fixture
def world(world):
    """The shared world, plus a second county with its own reviewer (draws are county-level)."""
    world.other_county = make_county("外县")
    world.other_reviewer = UserFactory(
        username="reviewer_other", role=Role.REVIEWER, region=world.other_county
    )
    return world


def side(world, name: str) -> SimpleNamespace:
    """Township A (`a`) or B (`b`) of the world, as the rows of one side need them."""
    if name == "a":
        return SimpleNamespace(
            township=world.township_a,
            village=world.village_a,
            household=world.household_a,
            helper=world.helper_a,
            staff=world.staff_a,
            county=world.county,
            reviewer=world.reviewer,
        )
    return SimpleNamespace(
        township=world.township_b,
        village=world.village_b,
        household=world.household_b,
        helper=world.helper_b,
        staff=world.staff_b,
        county=world.other_county,
        reviewer=world.other_reviewer,
    )


def _days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


# --- makers: n rows of an endpoint on one side; return them ---------------------------------
def make_regions(s, n):
    return [RegionFactory(level=RegionLevel.GROUP, parent=s.township) for _ in range(n)]


def make_villages(s, n):
    return [VillageFactory(township=s.township) for _ in range(n)]


def make_incomes(s, n):
    return [VillageIncomeFactory(village=s.village, year=1900 + next(_serial)) for _ in range(n)]


def make_units(s, n):
    return [PairingFactory(village=s.village).lead_unit for _ in range(n)]


def make_organisations(s, n):
    return [PartyOrganisationFactory(unit=None, village=s.village, kind="branch") for _ in range(n)]


def make_pairings(s, n):
    return [PairingFactory(village=s.village) for _ in range(n)]


def make_households(s, n):
    rows = []
    for _ in range(n):
        household = HouseholdFactory(village=s.village, head_name="王五")
        HouseholdPairingFactory(household=household, helper=s.helper)
        household.members.create(name="王小五", relation="child")
        MeasureFactory(plan=PlanFactory(household=household), owner=s.helper)
        VisitFactory(household=household, helper=s.helper, visited_on=_days_ago(3))
        rows.append(household)
    return rows


def make_household_pairings(s, n):
    return [
        HouseholdPairingFactory(household=HouseholdFactory(village=s.village), helper=s.helper)
        for _ in range(n)
    ]


def make_visits(s, n):
    return [
        VisitFactory(household=s.household, helper=s.helper, visited_on=_days_ago(next(_serial)))
        for _ in range(n)
    ]


def make_cadres(s, n):
    return [CadreFactory(home_region=s.township) for _ in range(n)]


def make_work_teams(s, n):
    rows = []
    for _ in range(n):
        team = WorkTeamFactory()
        team.villages.add(s.village)
        WorkTeamMemberFactory(team=team)
        rows.append(team)
    return rows


def make_field_days(s, n):
    return [
        FieldDayFactory(cadre=s.helper, region=s.village.region, day=_days_ago(next(_serial)))
        for _ in range(n)
    ]


def make_trainings(s, n):
    return [TrainingFactory(village=s.village) for _ in range(n)]


def make_meetings(s, n):
    return [MeetingFactory(village=s.village) for _ in range(n)]


def make_party_days(s, n):
    return [
        PartyDay.objects.create(
            village=s.village, held_on=_days_ago(next(_serial)), theme="主题党日"
        )
        for _ in range(n)
    ]


def make_study_trips(s, n):
    return [
        StudyTrip.objects.create(
            unit=UnitFactory(), village=s.village, started_on=_days_ago(i + 1), destination="浙江"
        )
        for i in range(n)
    ]


def make_indicators(s, n):
    return list(Indicator.objects.order_by("code")[:n])


def make_results(s, n):
    indicator = Indicator.objects.get(code="HH-VISIT-YEAR")
    return [
        IndicatorResult.objects.create(
            indicator=indicator,
            period="2026",
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 12, 31),
            subject_kind="household",
            subject_id=next(_serial),
            subject_label="某户",
            path=s.village.path,
            township=s.township,
            village=s.village,
            value=1,
            threshold=4,
            met=False,
            shortfall=3,
        )
        for _ in range(n)
    ]


def make_draws(s, n):
    return [
        SpotCheckDraw.objects.create(
            region=s.county, quarter=f"{2000 + next(_serial)}Q1", seed=1, drawn_by=s.reviewer
        )
        for _ in range(n)
    ]


def make_items(s, n):
    draw = make_draws(s, 1)[0]
    return [
        SpotCheckItem.objects.create(
            draw=draw, village=VillageFactory(township=s.township), township=s.township
        )
        for _ in range(n)
    ]


def make_rectifications(s, n):
    return [
        RectificationItem.objects.create(
            village=s.village,
            problem="走访记录不全",
            task="补齐走访记录",
            deadline=_days_ago(-10),
            responsible_person=s.staff,
        )
        for _ in range(n)
    ]


def make_notifications(s, n):
    return [
        Notification.objects.create(
            recipient=s.staff,
            kind="other",
            subject_key=f"test:{next(_serial)}",
            period="2026-11-21",
            title="提醒",
        )
        for _ in range(n)
    ]


def make_exports(s, n):
    return [
        ExportJob.objects.create(user=s.staff, kind="pairing", region=s.township, period="2026")
        for _ in range(n)
    ]


@dataclass
class Endpoint:
    path: str
    make: Callable
    viewer: str = "staff_a"  # who sees side A's rows
    outsider: str | None = "staff_b"  # who must get 404 for them (None: not scoped)

    def __str__(self) -> str:
        return self.path


ENDPOINTS = [
    Endpoint("regions", make_regions),
    Endpoint("villages", make_villages),
    Endpoint("village-incomes", make_incomes),
    Endpoint("units", make_units),
    Endpoint("party-organisations", make_organisations),
    Endpoint("pairings", make_pairings),
    Endpoint("households", make_households),
    Endpoint("household-pairings", make_household_pairings),
    Endpoint("visits", make_visits),
    Endpoint("cadres", make_cadres),
    Endpoint("work-teams", make_work_teams),
    Endpoint("field-days", make_field_days),
    Endpoint("trainings", make_trainings),
    Endpoint("meetings", make_meetings),
    Endpoint("party-days", make_party_days),
    Endpoint("study-trips", make_study_trips),
    Endpoint("indicators", make_indicators, outsider=None),
    Endpoint("indicator-results", make_results),
    Endpoint("spot-check-draws", make_draws, viewer="reviewer", outsider="other_reviewer"),
    Endpoint("spot-check-items", make_items, viewer="reviewer", outsider="other_reviewer"),
    Endpoint("rectifications", make_rectifications),
    Endpoint("notifications", make_notifications),
    Endpoint("export-jobs", make_exports),
]


def url(path: str, pk=None) -> str:
    return f"/api/v1/{path}/" if pk is None else f"/api/v1/{path}/{pk}/"


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}
