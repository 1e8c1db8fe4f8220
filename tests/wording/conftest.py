import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from households.models import CreditStatus, VisitPhoto
from tests.factories import HouseholdFactory, HouseholdPairingFactory, VisitFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


FAR = {"latitude": Decimal("33.500000"), "longitude": Decimal("106.290000")}


def held_visit(world, *, household=None, reason="distance", author=None, day=None):
    """A visit held for review, for the reason given ("distance" or "photo_time"), entered by
    `author` (township staff A by default)."""
    household = household or world.household_a
    helper = household.pairings.first().helper
    visited_on = day or datetime.date(2026, 3, 2)
    visit = VisitFactory(
        household=household,
        helper=helper,
        visited_on=visited_on,
        credit_status=CreditStatus.REVIEW,
        credit_reason="待审核",
        created_by=author or world.staff_a,
        **(FAR if reason == "distance" else {}),
    )
    if reason == "photo_time":
        taken = timezone.make_aware(
            datetime.datetime.combine(visited_on - datetime.timedelta(days=5), datetime.time(9))
        )
        VisitPhoto.objects.create(
            visit=visit, image=SimpleUploadedFile("p.jpg", b"x"), taken_at=taken
        )
    return visit


def second_household(world, name="王五"):
    household = HouseholdFactory(village=world.village_a, head_name=name)
    HouseholdPairingFactory(household=household, helper=world.helper_a)
    return household


def browser_login(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
