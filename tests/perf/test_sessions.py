"""The idle timeout without a session write on every request (issue 17): a request saves the
session only when its last save is more than SESSION_IDLE_REFRESH_SECONDS old; a session still
ends after SESSION_IDLE_SECONDS without activity and lives on while the user works."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def _session_writes(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")
    ]


def _login(client, world):
    response = client.post(
        reverse("accounts:login"), {"username": "staff_a", "password": world.password}
    )
    assert response.status_code == 302
    return Session.objects.get()


def test_requests_within_a_minute_write_no_session(world, client):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _login(client, world)
        for _ in range(3):
            clock.shift(datetime.timedelta(seconds=15))
            with CaptureQueriesContext(connection) as captured:
                assert client.get(reverse("households:list")).status_code == 200
            assert _session_writes(captured) == []


def test_a_request_after_the_refresh_interval_renews_the_expiry(world, client):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        first = _login(client, world).expire_date
        clock.shift(datetime.timedelta(seconds=settings.SESSION_IDLE_REFRESH_SECONDS + 1))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("households:list")).status_code == 200
        assert len(_session_writes(captured)) == 1
        renewed = Session.objects.get().expire_date
        assert renewed - first == datetime.timedelta(
            seconds=settings.SESSION_IDLE_REFRESH_SECONDS + 1
        )


def test_idle_limit_still_ends_the_session_and_work_keeps_it(world, client):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _login(client, world)
        # Working for an hour, a request every 10 minutes: still logged in.
        for _ in range(6):
            clock.shift(datetime.timedelta(minutes=10))
            assert client.get(reverse("home")).status_code == 200
        # Requests every 30 s for a while: at most one session write a minute.
        writes = 0
        for _ in range(8):
            clock.shift(datetime.timedelta(seconds=30))
            with CaptureQueriesContext(connection) as captured:
                client.get(reverse("home"))
            writes += len(_session_writes(captured))
        assert writes <= 4
        # Away for the idle limit: logged out.
        clock.shift(datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
        response = client.get(reverse("home"))
        assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_anonymous_pages_create_no_session(db, client):
    for _ in range(3):
        assert client.get(reverse("accounts:login")).status_code == 200
    assert not Session.objects.exists()
