"""Identity and access: password rules, lockout and unlock, forced password change, sessions."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import ROLE_GROUPS, Role, SecurityEvent, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind
LOGIN = "accounts:login"


def _login(client, username, password, ip="10.1.2.3"):
    return client.post(reverse(LOGIN), {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize(
    "password, code",
    [
        ("Ab1-xyz", "password_too_short"),
        ("Qwerty123456", "password_too_common"),
        ("lowercaseonly-words", "password_too_simple"),
        ("Xx-wangfang-2026", "password_contains_username"),
        ("8463920175648", "password_entirely_numeric"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, code):
    user = User(username="wangfang", first_name="芳", last_name="王")
    with pytest.raises(ValidationError) as info:
        validate_password(password, user)
    assert code in {error.code for error in info.value.error_list}


def test_a_strong_password_passes():
    validate_password("Qiu-Shan-7criss", User(username="wangfang"))


def test_login_and_failure_are_logged_with_the_address(world, client):
    assert _login(client, "staff_a", "wrong-password", ip="10.9.8.7").status_code == 200
    failed = SecurityEvent.objects.get(kind=Kind.LOGIN_FAILED)
    assert (failed.username, failed.ip_address) == ("staff_a", "10.9.8.7")

    assert _login(client, "staff_a", world.password, ip="10.9.8.7").status_code == 302
    login = SecurityEvent.objects.get(kind=Kind.LOGIN)
    assert (login.user, login.ip_address) == (world.staff_a, "10.9.8.7")
    assert login.region_code == world.township_a.code

    client.post(reverse("accounts:logout"), REMOTE_ADDR="10.9.8.7")
    assert SecurityEvent.objects.filter(kind=Kind.LOGOUT, user=world.staff_a).exists()


def test_repeated_failures_lock_the_account_with_a_clear_message(world, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "staff_a", "wrong-password")
    response = _login(client, "staff_a", world.password)
    assert response.status_code == 429
    assert "账户已锁定" in response.content.decode()
    assert "联系系统管理员" in response.content.decode()
    lockout = SecurityEvent.objects.get(kind=Kind.LOCKOUT)
    assert (lockout.username, lockout.ip_address) == ("staff_a", "10.1.2.3")
    # A colleague behind the same address is not locked out.
    assert _login(client, "reviewer", world.password).status_code == 302


def test_administrator_unlocks_from_the_user_list(world, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "staff_a", "wrong-password")
    assert _login(client, "staff_a", world.password).status_code == 429

    client.force_login(world.admin)
    changelist = reverse("admin:accounts_user_changelist")
    assert client.get(changelist).status_code == 200
    response = client.post(
        changelist,
        {"action": "unlock_selected", "_selected_action": [world.staff_a.pk]},
        follow=True,
    )
    assert "已解除1个用户的登录锁定" in response.content.decode()
    assert not AccessAttempt.objects.filter(username="staff_a").exists()
    unlock = SecurityEvent.objects.get(kind=Kind.UNLOCK)
    assert unlock.user == world.admin and unlock.detail["unlocked_user"] == "staff_a"

    client.logout()
    assert _login(client, "staff_a", world.password).status_code == 302


def test_deleting_the_attempt_in_the_admin_is_logged_as_unlock(world, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "staff_b", "wrong-password")
    attempt = AccessAttempt.objects.get(username="staff_b")
    client.force_login(world.admin)
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    unlock = SecurityEvent.objects.get(kind=Kind.UNLOCK)
    assert unlock.detail["unlocked_user"] == ["staff_b"]


def test_account_created_by_an_administrator_must_change_password_first(world, client):
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newclerk",
            "password1": "Chu-shi-Mima-2026",
            "password2": "Chu-shi-Mima-2026",
            "usable_password": "true",
            "role": Role.TOWNSHIP_STAFF,
            "region": world.township_a.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    clerk = User.objects.get(username="newclerk")
    assert clerk.must_change_password
    assert list(clerk.groups.values_list("name", flat=True)) == ["乡镇工作人员"]
    client.logout()

    assert _login(client, "newclerk", "Chu-shi-Mima-2026").status_code == 302
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:password_change"))
    assert client.get("/api/v1/").status_code == 403

    page = client.get(response.url)
    assert "请先修改密码" in page.content.decode()
    refused = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "Chu-shi-Mima-2026",
            "new_password1": "Chu-shi-Mima-2026",
            "new_password2": "Chu-shi-Mima-2026",
        },
    )
    assert "新密码不能与原密码相同" in refused.content.decode()
    done = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "Chu-shi-Mima-2026",
            "new_password1": "Zi-ji-de-Mima-88",
            "new_password2": "Zi-ji-de-Mima-88",
            "next": "/villages/",
        },
    )
    assert done.status_code == 302 and done.url == "/villages/"
    clerk.refresh_from_db()
    assert not clerk.must_change_password
    assert client.get(reverse("home")).status_code == 200  # still logged in
    assert SecurityEvent.objects.filter(
        kind=Kind.PASSWORD_CHANGE, user=clerk, detail__target="newclerk"
    ).exists()


def test_password_reset_by_an_administrator_forces_a_change(world, client):
    client.force_login(world.admin)
    url = reverse("admin:auth_user_password_change", args=[world.staff_a.pk]).replace(
        "auth/user", "accounts/user"
    )
    response = client.post(
        url,
        {
            "password1": "Chong-zhi-Mima-9",
            "password2": "Chong-zhi-Mima-9",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    world.staff_a.refresh_from_db()
    assert world.staff_a.must_change_password
    event = SecurityEvent.objects.filter(kind=Kind.PASSWORD_CHANGE).latest("created_at")
    assert event.user == world.admin and event.detail["target"] == "staff_a"


def test_password_older_than_the_limit_must_be_changed(world, client, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    client.force_login(world.staff_a)
    assert client.get(reverse("home")).status_code == 200
    User.objects.filter(pk=world.staff_a.pk).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=91)
    )
    response = client.get(reverse("home"))
    assert response.status_code == 302 and "password" in response.url


def test_password_change_page_trio(world, client):
    url = reverse("accounts:password_change")
    assert client.get(url).status_code == 302  # anonymous: sent to log in
    client.force_login(world.staff_b)
    assert client.get(url).status_code == 200


def test_sessions_end_after_inactivity_not_after_activity(world, client):
    # Refreshed at most once a minute by the idle middleware, not written on every request.
    assert "accounts.middleware.SessionIdleMiddleware" in settings.MIDDLEWARE
    assert 0 < settings.SESSION_IDLE_REFRESH_SECONDS <= 60
    assert 0 < settings.SESSION_COOKIE_AGE <= 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert _login(client, "staff_a", world.password).status_code == 302
        # Busy for an hour, a request every 20 minutes: still logged in.
        for _ in range(3):
            clock.shift(datetime.timedelta(minutes=20))
            assert client.get(reverse("home")).status_code == 200
        # Then away for longer than the idle limit: sent to log in again.
        clock.shift(datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60))
        response = client.get(reverse("home"))
        assert response.status_code == 302 and reverse(LOGIN) in response.url


def test_role_decides_the_group_and_follows_changes(world):
    assert set(
        Group.objects.filter(name__in=ROLE_GROUPS.values()).values_list("name", flat=True)
    ) == set(ROLE_GROUPS.values())
    user = UserFactory(role=Role.TOWNSHIP_STAFF, region=world.township_a)
    assert list(user.groups.values_list("name", flat=True)) == ["乡镇工作人员"]
    user.role = Role.REVIEWER
    user.save()
    assert list(user.groups.values_list("name", flat=True)) == ["审核人员"]


def test_role_groups_hold_least_privilege():
    def perms(name):
        return set(
            Group.objects.get(name=name).permissions.values_list(
                "content_type__app_label", "codename"
            )
        )

    staff = perms("乡镇工作人员")
    assert ("households", "add_visit") in staff
    assert ("households", "delete_household") not in staff
    assert ("assessments", "change_indicator") not in staff
    assert ("accounts", "view_securityevent") not in staff
    reviewer = perms("审核人员")
    assert ("inspections", "add_spotcheckdraw") in reviewer
    assert ("accounts", "change_user") not in reviewer
    admin = perms("系统管理员")
    assert ("assessments", "change_indicator") in admin
    assert ("accounts", "change_user") in admin
    assert ("accounts", "delete_securityevent") not in admin
    assert not perms("驻村干部") & {("households", "delete_visit"), ("pairing", "add_unit")}
