"""The world of the thresholds tests: the shared two-township county, plus another county with
its own reviewer (a keeper outside the scope) and a reviewer of township A only."""

import pytest

from accounts.models import Role
from tests.factories import UserFactory, make_county


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(world):
    world.other_county = make_county("外县")
    world.other_reviewer = UserFactory(
        username="reviewer_other", role=Role.REVIEWER, region=world.other_county
    )
    world.reviewer_a = UserFactory(
        username="reviewer_a", role=Role.REVIEWER, region=world.township_a
    )
    return world
