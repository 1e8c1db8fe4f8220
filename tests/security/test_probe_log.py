"""Refused out-of-scope objects are in the security log, folded per user and hour (one row with
a count, accounts.services.security_event_fold), from pages and from the API alike; and
stationed cadres' phone numbers are masked for roles that may not see full numbers."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import SecurityEvent

pytestmark = pytest.mark.django_db

Kind = SecurityEvent.Kind
OUT_OF_SCOPE = getattr(Kind, "OUT_OF_SCOPE", "out_of_scope")


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def _probes(user):
    return SecurityEvent.objects.filter(kind=OUT_OF_SCOPE, user=user)


def test_out_of_scope_objects_are_logged_once_per_user_and_hour_with_a_count(world, client):
    from accounts.models import SecurityEventTally

    a = world.household_a.pk
    page = reverse("households:detail", args=[a])
    hour = timezone.now().replace(minute=10, second=0, microsecond=0)
    with time_machine.travel(hour, tick=False):
        client.force_login(world.staff_b)
        assert client.get(page).status_code == 404
        assert client.get(page).status_code == 404
        assert _api(world.staff_b).get(f"/api/v1/households/{a}/").status_code == 404
        # In scope, or no object URL at all: nothing is logged.
        assert (
            client.get(reverse("households:detail", args=[world.household_b.pk])).status_code == 200
        )
        assert client.get("/no-such-page/").status_code == 404
    event = _probes(world.staff_b).get()
    assert event.detail["path"] == page and event.detail["folded"] == "hour"
    tally = SecurityEventTally.objects.get(event=event)
    assert (tally.count, tally.username, tally.hour) == (3, "staff_b", hour.replace(minute=0))

    # The next hour starts a new row; the first stays as it was.
    with time_machine.travel(hour + datetime.timedelta(hours=1), tick=False):
        client.force_login(world.staff_b)  # the session's idle time has passed meanwhile
        assert client.get(page).status_code == 404
    assert _probes(world.staff_b).count() == 2
    assert SecurityEventTally.objects.get(event=event).count == 3
    # The log's admin list shows the count.
    client.force_login(world.admin)
    changelist = client.get(reverse("admin:accounts_securityevent_changelist")).content.decode()
    assert "本小时次数" in changelist


def test_anonymous_404s_and_the_owner_are_not_logged(world, client):
    page = reverse("households:detail", args=[world.household_a.pk])
    client.get(page)  # anonymous: sent to the login page
    assert APIClient().get(f"/api/v1/households/{world.household_a.pk}/").status_code == 401
    client.force_login(world.staff_a)
    assert client.get(page).status_code == 200
    assert not SecurityEvent.objects.filter(kind=OUT_OF_SCOPE).exists()


def test_the_fold_counts_with_a_conditional_update(world):
    from accounts.services import security_event_fold

    now = timezone.now()
    counts = [
        security_event_fold(kind=OUT_OF_SCOPE, user=world.staff_b, detail={}, now=now)
        for _ in range(4)
    ]
    assert counts == [1, 2, 3, 4]
    assert SecurityEvent.objects.filter(kind=OUT_OF_SCOPE).count() == 1


# --- cadres' phone numbers ----------------------------------------------------------------


def _cadre_phones(user) -> dict[int, str]:
    response = _api(user).get("/api/v1/cadres/", {"page_size": 200})
    assert response.status_code == 200
    return {row["id"]: row["phone"] for row in response.json()["results"]}


def test_cadre_phones_are_masked_for_township_staff_and_full_for_reviewers(world):
    world.helper_a.phone = "13912345678"
    world.helper_a.save()
    staff = _cadre_phones(world.staff_a)
    assert staff[world.helper_a.pk] == "139****5678"
    assert all("****" in phone or not phone for phone in staff.values())
    assert _cadre_phones(world.reviewer)[world.helper_a.pk] == "13912345678"
    assert _cadre_phones(world.admin)[world.helper_a.pk] == "13912345678"
    for user in (world.cadre_user, world.coordinator):
        phones = _cadre_phones(user)
        assert phones.get(world.helper_a.pk, "139****5678") == "139****5678"
