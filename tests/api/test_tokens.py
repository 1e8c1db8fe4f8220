"""Per-user API tokens: issued and revoked by an administrator (Django admin or the
issue_api_token command), each step in the security log; a revoked token stops working."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from accounts.models import SecurityEvent
from tests.api.conftest import url

pytestmark = pytest.mark.django_db


def _get(client, key):
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(url("households"))


def test_command_issues_replaces_and_revokes(world, capsys):
    from rest_framework.test import APIClient

    call_command("issue_api_token", "staff_a")
    first = capsys.readouterr().out.strip()
    assert Token.objects.get(user=world.staff_a).key == first
    assert _get(APIClient(), first).status_code == 200

    call_command("issue_api_token", "staff_a")
    second = capsys.readouterr().out.strip()
    assert second != first
    assert _get(APIClient(), first).status_code == 401
    assert _get(APIClient(), second).status_code == 200

    call_command("issue_api_token", "staff_a", "--revoke")
    assert "已吊销" in capsys.readouterr().out
    assert _get(APIClient(), second).status_code == 401

    events = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TOKEN).order_by("id")
    assert [e.detail["action"] for e in events] == ["issue", "issue", "revoke"]
    assert all(e.detail["token_user"] == "staff_a" for e in events)
    assert events[1].detail["replaced"] is True
    assert all(e.username == "manage.py" for e in events)


def test_command_refuses_unknown_and_inactive_users(world):
    with pytest.raises(CommandError):
        call_command("issue_api_token", "nobody")
    world.staff_b.is_active = False
    world.staff_b.save()
    with pytest.raises(CommandError):
        call_command("issue_api_token", "staff_b")
    assert not Token.objects.exists()


def test_admin_issues_and_revokes_with_the_actor_logged(world, client):
    client.force_login(world.admin)
    response = client.post(
        "/admin/authtoken/tokenproxy/add/", {"user": world.staff_a.pk}, follow=True
    )
    assert response.status_code == 200
    token = Token.objects.get(user=world.staff_a)
    assert token.key in response.content.decode()  # shown once, to hand over
    changelist = client.get("/admin/authtoken/tokenproxy/").content.decode()
    assert token.key not in changelist  # masked in the list
    client.post(f"/admin/authtoken/tokenproxy/{world.staff_a.pk}/delete/", {"post": "yes"})
    assert not Token.objects.exists()
    events = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TOKEN).order_by("id")
    assert [(e.user, e.detail["action"]) for e in events] == [
        (world.admin, "issue"),
        (world.admin, "revoke"),
    ]


def test_inactive_users_token_stops_working(world, api_as):
    client = api_as(world.staff_a)
    assert client.get(url("households")).status_code == 200
    world.staff_a.is_active = False
    world.staff_a.save()
    assert client.get(url("households")).status_code == 401


# --- lockout, deactivation, expiry (api/authentication.py) ----------------------------------


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """The throttles count in the default cache: each test here starts from nothing."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _refusal(response, status=401):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == status and set(body) == {"status", "code", "detail", "errors"}
    return body["detail"]


def _lock(user, *, minutes_ago=0):
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.utils import timezone

    attempt = AccessAttempt.objects.create(
        username=user.get_username(),
        ip_address="10.0.0.9",
        user_agent="test",
        get_data="",
        post_data="",
        http_accept="*/*",
        path_info="/accounts/login/",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
    )
    if minutes_ago:
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=timezone.now() - datetime.timedelta(minutes=minutes_ago)
        )


def test_locked_out_users_token_is_refused_while_the_lock_lasts(world, api_as):
    from accounts.services import user_unlock

    client = api_as(world.staff_a)
    assert client.get(url("households")).status_code == 200
    _lock(world.staff_a)
    assert "锁定" in _refusal(client.get(url("households")))
    # Another user's token is not affected.
    assert api_as(world.staff_b).get(url("households")).status_code == 200
    user_unlock(user=world.staff_a, by=world.admin)
    assert client.get(url("households")).status_code == 200


def test_a_lock_past_its_cool_off_no_longer_refuses_the_token(world, api_as, settings):
    _lock(world.staff_a, minutes_ago=31)  # AXES_COOLOFF_MINUTES is 30
    assert api_as(world.staff_a).get(url("households")).status_code == 200


def test_inactive_users_token_is_refused_in_chinese(world, api_as):
    client = api_as(world.staff_a)
    world.staff_a.is_active = False
    world.staff_a.save()
    assert "停用" in _refusal(client.get(url("households")))
    world.staff_a.is_active = True
    world.staff_a.save()
    assert client.get(url("households")).status_code == 200


def test_tokens_expire_after_their_lifetime_and_expired_use_is_logged(world, api_as, settings):
    from django.utils import timezone

    from accounts.models import SecurityEventTally

    settings.API_TOKEN_LIFETIME_DAYS = 90
    client = api_as(world.staff_a)
    token = Token.objects.get(user=world.staff_a)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - datetime.timedelta(days=89))
    assert client.get(url("households")).status_code == 200
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - datetime.timedelta(days=91))
    detail = _refusal(client.get(url("households")))
    assert "过期" in detail and "重新签发" in detail
    assert _refusal(client.get(url("households"))) == detail

    # Two uses, one row in the security log with a count of 2.
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.TOKEN_EXPIRED)
    assert event.user == world.staff_a and event.detail["folded"] == "hour"
    assert token.key not in str(event.detail)
    assert SecurityEventTally.objects.get(event=event).count == 2

    settings.API_TOKEN_LIFETIME_DAYS = 120  # the setting decides, read at each request
    assert client.get(url("households")).status_code == 200


def test_command_and_admin_show_the_expiry(world, capsys, client, settings):
    from django.utils import timezone

    settings.API_TOKEN_LIFETIME_DAYS = 30
    call_command("issue_api_token", "staff_a")
    out = capsys.readouterr()
    assert out.out.strip() == Token.objects.get(user=world.staff_a).key  # the key alone
    expires = timezone.localtime(timezone.now() + datetime.timedelta(days=30))
    assert f"有效期至 {expires:%Y-%m-%d}" in out.err and "30 天" in out.err

    client.force_login(world.admin)
    response = client.post(
        "/admin/authtoken/tokenproxy/add/", {"user": world.staff_b.pk}, follow=True
    )
    assert f"有效期至 {expires:%Y-%m-%d}" in response.content.decode()
    changelist = client.get("/admin/authtoken/tokenproxy/").content.decode()
    assert "有效期至" in changelist and f"{expires:%Y-%m-%d}" in changelist
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TOKEN).latest("id")
    assert event.detail["expires_at"].startswith(
        f"{timezone.now() + datetime.timedelta(days=30):%Y-%m-%d}"
    )


# --- throttling (api/throttling.py) ----------------------------------------------------------


def test_a_token_user_is_throttled_with_a_chinese_429(world, api_as, settings):
    settings.API_THROTTLE_USER_RATE = "3/min"
    client = api_as(world.staff_a)
    for _ in range(3):
        assert client.get(url("households")).status_code == 200
    response = client.get(url("households"))
    detail = _refusal(response, 429)
    assert response.json()["code"] == "throttled"
    assert "请求过于频繁" in detail and "秒后再试" in detail
    assert int(response["Retry-After"]) > 0
    # Counted per token user: another user is not held back.
    assert api_as(world.staff_b).get(url("households")).status_code == 200


def test_anonymous_calls_are_throttled_per_address(settings):
    from rest_framework.test import APIClient

    settings.API_THROTTLE_ANON_RATE = "2/min"
    client = APIClient()
    for _ in range(2):
        assert client.get("/api/v1/schema/?format=json").status_code == 200
    assert "请求过于频繁" in _refusal(client.get("/api/v1/schema/?format=json"), 429)
    other = APIClient(REMOTE_ADDR="10.1.2.3")
    assert other.get("/api/v1/schema/?format=json").status_code == 200


def test_default_rates_are_generous():
    from django.conf import settings

    assert settings.API_THROTTLE_USER_RATE == "1200/min"
    assert settings.API_THROTTLE_ANON_RATE == "120/min"
    assert settings.API_TOKEN_LIFETIME_DAYS == 90


def test_the_browser_session_is_not_throttled(world, client, settings):
    settings.API_THROTTLE_USER_RATE = "2/min"
    client.force_login(world.staff_a)
    for _ in range(4):
        assert client.get(url("households")).status_code == 200
