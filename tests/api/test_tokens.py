"""Per-user API tokens: issued and revoked by an administrator (Django admin or the
issue_api_token command), each step in the security log; a revoked token stops working."""

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
