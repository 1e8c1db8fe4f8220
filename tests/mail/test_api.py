"""/api/v1/ledger-subscriptions/ and /api/v1/ledger-deliveries/: the same services as the pages,
the permission trio, JSON field errors, and the schema."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command

from accounts.models import Role
from ledgers.models import LedgerDelivery, LedgerSubscription
from tests.api.conftest import token_client
from tests.factories import UserFactory
from tests.mail.conftest import DECEMBER_1

SUBS = "/api/v1/ledger-subscriptions/"
DELIVERIES = "/api/v1/ledger-deliveries/"


def body(world, **overrides):
    data = {
        "kind": "visit",
        "region": world.township_a.pk,
        "period_rule": "last_month",
        "frequency": "monthly",
        "day": 31,
        "recipients": "superior@example.cn, 2nd@example.cn",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_a_reviewer_keeps_subscriptions_through_the_api(world):
    client = token_client(world.reviewer)
    created = client.post(SUBS, body(world), format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["recipient_list"] == ["superior@example.cn", "2nd@example.cn"]
    assert data["region_name"] == "甲镇" and data["created_by"] == world.reviewer.pk
    sid = data["id"]
    patched = client.patch(f"{SUBS}{sid}/", {"day": 5}, format="json")
    assert patched.status_code == 200 and patched.json()["day"] == 5
    assert client.get(SUBS).json()["count"] == 1
    ended = client.post(f"{SUBS}{sid}/end/", {"day": "2026-12-31"}, format="json")
    assert ended.status_code == 200 and ended.json()["end_date"] == "2026-12-31"
    assert client.get(SUBS, {"active": "true"}).json()["count"] == 0
    # Never sent: it may be deleted.
    assert client.delete(f"{SUBS}{sid}/").status_code == 204


@pytest.mark.django_db
def test_bad_input_is_a_json_400_with_field_messages(world):
    client = token_client(world.reviewer)
    response = client.post(
        SUBS, body(world, recipients="superior@example.cn; nope", day=0), format="json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "day" in errors
    response = client.post(SUBS, body(world, recipients="superior@example.cn; nope"), format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["recipients"] == ["“nope”不是有效的电子邮箱。"]
    response = client.post(SUBS, body(world, colour="red"), format="json")
    assert response.status_code == 400 and "colour" in response.json()["errors"]
    assert not LedgerSubscription.objects.exists()


@pytest.mark.django_db
def test_roles_that_do_not_keep_them_get_403(world):
    for user in (world.staff_a, world.cadre_user, world.coordinator):
        client = token_client(user)
        assert client.get(SUBS).status_code == 403
        assert client.post(SUBS, body(world), format="json").status_code == 403
        assert client.get(DELIVERIES).status_code == 403
    assert token_client().get(SUBS).status_code == 401
    assert not LedgerSubscription.objects.exists()


@pytest.mark.django_db
def test_another_townships_subscription_is_404_and_nothing_is_written(world):
    reviewer_b = UserFactory(username="reviewer_b", role=Role.REVIEWER, region=world.township_b)
    subscription = LedgerSubscription.objects.create(
        created_by=world.reviewer,
        region=world.township_a,
        kind="visit",
        period_rule="last_month",
        frequency="monthly",
        day=1,
        recipients="a@example.cn",
    )
    delivery = LedgerDelivery.objects.create(
        subscription=subscription,
        period="2026-11",
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
        scheduled_on=DECEMBER_1,
        status=LedgerDelivery.Status.FAILED,
    )
    client = token_client(reviewer_b)
    assert client.get(f"{SUBS}{subscription.pk}/").status_code == 404
    assert client.patch(f"{SUBS}{subscription.pk}/", {"day": 9}, format="json").status_code == 404
    assert client.post(f"{SUBS}{subscription.pk}/end/", {"day": "2026-12-01"}).status_code == 404
    assert client.delete(f"{SUBS}{subscription.pk}/").status_code == 404
    assert client.get(f"{DELIVERIES}{delivery.pk}/").status_code == 404
    assert client.post(f"{DELIVERIES}{delivery.pk}/resend/").status_code == 404
    # Naming township A's region in a new one: an unknown id, nothing written.
    response = client.post(SUBS, body(world), format="json")
    assert response.status_code == 400 and "region" in response.json()["errors"]
    subscription.refresh_from_db()
    delivery.refresh_from_db()
    assert subscription.day == 1 and subscription.end_date is None
    assert delivery.status == LedgerDelivery.Status.FAILED and delivery.attempts == 0
    assert LedgerSubscription.objects.count() == 1
    assert client.get(SUBS).json()["count"] == 0


@pytest.mark.django_db
def test_deliveries_show_what_was_sent_and_resend_a_failed_one(scene, smtp_server):
    client = token_client(scene.world.reviewer)
    [delivery_id] = __import__("ledgers.subscriptions").subscriptions.deliveries_due(
        today=DECEMBER_1
    )
    LedgerDelivery.objects.filter(pk=delivery_id).update(
        status=LedgerDelivery.Status.FAILED, attempts=5, last_error="第5次发送失败"
    )
    listed = client.get(DELIVERIES, {"subscription": scene.subscription.pk}).json()
    assert listed["count"] == 1
    row = listed["results"][0]
    assert row["period_label"] == "2026年11月" and row["status"] == "failed"
    resent = client.post(f"{DELIVERIES}{delivery_id}/resend/")
    assert resent.status_code == 200 and resent.json()["status"] == "sent"
    assert resent.json()["message_id"] and resent.json()["attachment_name"].endswith(".xlsx")
    assert len(smtp_server.messages) == 1
    again = client.post(f"{DELIVERIES}{delivery_id}/resend/")
    assert again.status_code == 400
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_the_endpoints_are_in_a_schema_that_validates(tmp_path, capsys):
    # tests/api/test_schema.py fails on any warning; this one names only ours (another
    # area's warning must not hide or be blamed on these endpoints).
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--file", str(target))
    warnings = capsys.readouterr().err.lower()
    assert "ledger" not in warnings and "delivery" not in warnings, warnings
    schema = target.read_text()
    assert "/api/v1/ledger-subscriptions/{id}/end/:" in schema
    assert "/api/v1/ledger-deliveries/{id}/resend/:" in schema
    assert "LedgerPeriodRuleEnum" in schema


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides",
    [
        {"day": "abc"},
        {"day": 10**30},
        {"region": "abc"},
        {"region": 2**70},
        {"region": None},
        {"recipients": ["a@example.cn"]},
        {"recipients": "a@example.cn" + ", x" * 3000},
        {"kind": "payroll"},
        {"period_rule": "last_century"},
        {"frequency": "hourly"},
        {"start_date": "2026-13-45"},
        {"start_date": None},
    ],
)
def test_odd_bodies_are_400s_with_field_messages_never_500(world, overrides):
    response = token_client(world.reviewer).post(SUBS, body(world, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) & set(overrides)
    assert not LedgerSubscription.objects.exists()


@pytest.mark.django_db
def test_lists_take_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for day in range(1, 8):
        subscription = LedgerSubscription.objects.create(
            created_by=world.reviewer,
            region=world.township_a,
            kind="visit",
            period_rule="last_month",
            frequency="monthly",
            day=day,
            recipients="a@example.cn",
        )
        LedgerDelivery.objects.create(
            subscription=subscription,
            period="2026-11",
            period_start=datetime.date(2026, 11, 1),
            period_end=datetime.date(2026, 11, 30),
            scheduled_on=DECEMBER_1,
        )
    client = token_client(world.reviewer)
    client.get(SUBS)  # the token's first use writes its last-used time
    with django_assert_max_num_queries(8):
        assert client.get(SUBS).json()["count"] == 7
    with django_assert_max_num_queries(8):
        assert client.get(DELIVERIES).json()["count"] == 7
