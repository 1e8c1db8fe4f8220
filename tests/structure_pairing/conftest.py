"""Fixtures of the structure tests: the shared world, with its helping unit placed in the
county (so the county's reviewer keeps it) and a second county with its own reviewer (the
outsider of a reviewer's records)."""

from __future__ import annotations

import pytest

from accounts.models import Role
from tests.factories import UserFactory, make_county


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(world):
    world.unit.region = world.county
    world.unit.save()
    world.pairing = world.unit.led_pairings.get()
    world.other_county = make_county("外县")
    world.other_reviewer = UserFactory(
        username="reviewer_other", role=Role.REVIEWER, region=world.other_county
    )
    return world


@pytest.fixture
def as_user(client):
    """`as_user(user)`: the test client logged in as that user (None: anonymous)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login
