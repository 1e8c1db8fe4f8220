"""Fixtures for the jobs tests: the shared `world` plus what reminders and spot checks need."""

import datetime

import pytest

from accounts.models import Role
from inspections.models import RectificationItem
from tests.factories import TermFactory, UserFactory, VillageFactory, make_county, make_township

SUNDAY = datetime.date(2026, 11, 22)  # the last day of ISO week 2026-W47
THURSDAY = datetime.date(2026, 11, 19)


@pytest.fixture
def term_a(world):
    """The cadre user's term in village A (so they hear of its Party day, income, term end)."""
    return TermFactory(
        cadre=world.helper_a,
        village=world.village_a,
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2027, 6, 30),
        dispatching_unit=world.unit,
    )


def make_item(world, *, deadline, person=None, unit=None, village=None, status="open", **extra):
    return RectificationItem.objects.create(
        village=village or world.village_a,
        problem=extra.pop("problem", "入户走访记录不全"),
        task=extra.pop("task", "补齐走访记录"),
        responsible_unit=unit if unit is not None else world.unit,
        responsible_person=person,
        deadline=deadline,
        status=status,
        **extra,
    )


@pytest.fixture
def strata_region(db):
    """A county with townships of 1, 2 and 7 villages (the issue's stratification case)."""
    county = make_county("分层县")
    towns = [make_township(county, f"{n}村镇") for n in (1, 2, 7)]
    villages = {}
    for town, n in zip(towns, (1, 2, 7), strict=True):
        villages[town.id] = [
            VillageFactory(township=town, name=f"{town.name}{i}村") for i in range(n)
        ]
    return county, towns, villages


@pytest.fixture
def other_reviewer(world):
    """A reviewer of the same county who is not responsible for anything (the second person)."""
    return UserFactory(username="reviewer2", role=Role.REVIEWER, region=world.county)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The world's users are created with passwords; PBKDF2 costs seconds per test here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
