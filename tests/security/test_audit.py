"""The security log: every listed event is written, administrators read it, nobody alters it,
and it is kept at least 180 days."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, SecurityEvent, User
from assessments.models import Indicator, IndicatorOverride

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind


def _admin_form_data(client, url):
    """The admin change form's current values, as the browser would post them back."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or name == "password":
            continue
        if isinstance(value, (list, tuple)) or hasattr(value, "all"):
            offered = set(field.queryset.values_list("pk", flat=True))
            chosen = [
                getattr(v, "pk", v) for v in (value.all() if hasattr(value, "all") else value)
            ]
            data[name] = [pk for pk in chosen if pk in offered]
        elif isinstance(value, datetime.datetime):
            local = timezone.localtime(value)
            data[f"{name}_0"], data[f"{name}_1"] = f"{local:%Y-%m-%d}", f"{local:%H:%M:%S}"
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = getattr(value, "pk", value)
    return data


def test_role_and_scope_change_in_the_admin_is_logged(world, client):
    client.force_login(world.admin)
    url = reverse("admin:accounts_user_change", args=[world.staff_a.pk])
    data = _admin_form_data(client, url)
    data.update(role=Role.REVIEWER, region=world.county.pk)
    response = client.post(url, data, REMOTE_ADDR="172.16.0.9")
    assert response.status_code == 302, response.context["adminform"].form.errors

    event = SecurityEvent.objects.get(
        kind=Kind.USER_CHANGE, detail__target="staff_a", detail__action="changed"
    )
    assert event.user == world.admin and event.ip_address == "172.16.0.9"
    changes = event.detail["changes"]
    assert changes["role"] == [Role.TOWNSHIP_STAFF, Role.REVIEWER]
    assert changes["region"][0].startswith(world.township_a.code)
    assert changes["region"][1].startswith(world.county.code)
    world.staff_a.refresh_from_db()
    assert list(world.staff_a.groups.values_list("name", flat=True)) == ["审核人员"]


def test_deactivation_permissions_and_deletion_are_logged(world):
    world.staff_b.is_active = False
    world.staff_b.save()
    world.staff_b.user_permissions.add(
        *__import__(
            "django.contrib.auth.models", fromlist=["Permission"]
        ).Permission.objects.filter(codename="view_village")
    )
    world.staff_b.delete()
    actions = list(
        SecurityEvent.objects.filter(kind=Kind.USER_CHANGE, detail__target="staff_b")
        .order_by("id")
        .values_list("detail__action", flat=True)
    )
    assert actions[-3:] == ["changed", "user_permissions_added", "deleted"]


def test_last_login_alone_is_not_a_user_change(world, client):
    before = SecurityEvent.objects.filter(kind=Kind.USER_CHANGE).count()
    client.post(reverse("accounts:login"), {"username": "staff_a", "password": world.password})
    assert SecurityEvent.objects.filter(kind=Kind.USER_CHANGE).count() == before


def test_threshold_changes_are_logged_with_old_and_new(world):
    indicator = Indicator.objects.get(code="HH-VISIT-YEAR")
    old = indicator.threshold
    indicator.threshold = Decimal("6")
    indicator.save()
    indicator.name = indicator.name + "（改名）"
    indicator.save()  # not a threshold change

    override = IndicatorOverride.objects.create(
        indicator=indicator, region=world.county, threshold=Decimal("5")
    )
    override.threshold = Decimal("3")
    override.save()
    override.delete()

    events = list(SecurityEvent.objects.filter(kind=Kind.THRESHOLD_CHANGE).order_by("id"))
    assert [(e.detail["model"], e.detail["action"]) for e in events] == [
        ("Indicator", "changed"),
        ("IndicatorOverride", "created"),
        ("IndicatorOverride", "changed"),
        ("IndicatorOverride", "deleted"),
    ]
    assert events[0].detail["changes"] == {"threshold": [str(old), "6"]}
    assert events[2].detail["changes"] == {"threshold": ["5.00", "3"]}
    assert events[2].region_code == world.county.code


def test_the_log_cannot_be_altered_or_deleted(world):
    event = SecurityEvent.objects.create(kind=Kind.LOGIN, username="x")
    event.username = "y"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()
    with pytest.raises(PermissionDenied):
        SecurityEvent.objects.all().delete()
    assert SecurityEvent.objects.filter(pk=event.pk, username="x").exists()


def test_only_administrators_read_the_log_in_the_admin(world, client):
    SecurityEvent.objects.create(kind=Kind.EXPORT, username="reviewer", rows=12)
    url = reverse("admin:accounts_securityevent_changelist")
    client.force_login(world.admin)
    response = client.get(url)
    assert response.status_code == 200 and "安全日志" in response.content.decode()
    event = SecurityEvent.objects.first()
    change = client.get(reverse("admin:accounts_securityevent_change", args=[event.pk]))
    assert change.status_code == 200 and b'name="_save"' not in change.content
    delete = reverse("admin:accounts_securityevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403

    # A reviewer (even with is_staff ticked) and a second, non-superuser administrator.
    world.reviewer.is_staff = True
    world.reviewer.save()
    client.force_login(world.reviewer)
    assert client.get(url).status_code == 302
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 302
    second_admin = User.objects.create(username="admin2", role=Role.ADMIN, is_staff=True)
    client.force_login(second_admin)
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302


def test_purge_keeps_180_days_and_never_less(world, settings):
    now = timezone.now()
    # Written in the past (not updated afterwards: on PostgreSQL a trigger refuses any UPDATE).
    with time_machine.travel(now - datetime.timedelta(days=181), tick=False):
        old = SecurityEvent.objects.create(kind=Kind.LOGIN, username="old")
    with time_machine.travel(now - datetime.timedelta(days=179), tick=False):
        young = SecurityEvent.objects.create(kind=Kind.LOGIN, username="young")
    call_command("purge_security_log")
    assert not SecurityEvent.objects.filter(pk=old.pk).exists()
    assert SecurityEvent.objects.filter(pk=young.pk).exists()

    settings.SECURITY_LOG_KEEP_DAYS = 30
    with pytest.raises(CommandError, match="不得少于180天"):
        call_command("purge_security_log")
    assert SecurityEvent.objects.filter(pk=young.pk).exists()


def test_a_partial_save_does_not_hide_a_later_role_change(world):
    user = User.objects.get(pk=world.staff_a.pk)
    user.role = Role.REVIEWER
    user.save(update_fields=["last_login"])  # the role is not written
    user.save()  # now it is
    event = SecurityEvent.objects.get(
        kind=Kind.USER_CHANGE, detail__target="staff_a", detail__action="changed"
    )
    assert event.detail["changes"]["role"] == [Role.TOWNSHIP_STAFF, Role.REVIEWER]
