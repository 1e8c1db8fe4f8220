"""The reviewers' pages of 台账定期报送: the permission trio, form errors next to the field,
the deliveries a subscription sent, 立即重新发送 for a failed one, and the hub's link."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Role
from ledgers.models import LedgerDelivery, LedgerSubscription
from tests.factories import UserFactory
from tests.mail.conftest import DECEMBER_1

LIST = "/ledgers/subscriptions/"


def form_data(world, **overrides):
    data = {
        "kind": "pairing",
        "region": world.township_a.pk,
        "period_rule": "last_quarter",
        "frequency": "quarterly",
        "day": "5",
        "recipients": "shi@example.cn；xian@example.cn\nshi@example.cn",
        "start_date": "2026-12-01",
    }
    data.update(overrides)
    return data


@pytest.fixture
def reviewer_b(world):
    """A reviewer whose region is township B: township A's subscriptions are outside it."""
    return UserFactory(username="reviewer_b", role=Role.REVIEWER, region=world.township_b)


@pytest.mark.django_db
@time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
def test_a_reviewer_subscribes_and_sees_the_list(world, client, django_assert_max_num_queries):
    client.force_login(world.reviewer)
    response = client.post(f"{LIST}new/", form_data(world))
    assert response.status_code == 302
    subscription = LedgerSubscription.objects.get()
    assert subscription.recipients == "shi@example.cn, xian@example.cn"  # split, deduplicated
    assert subscription.created_by == world.reviewer
    assert response["Location"] == f"{LIST}{subscription.pk}/"
    for _ in range(5):
        LedgerSubscription.objects.create(
            kind="visit",
            region=world.county,
            period_rule="last_month",
            frequency="monthly",
            day=1,
            recipients="a@example.cn",
            created_by=world.reviewer,
        )
    with django_assert_max_num_queries(12):
        page = client.get(LIST)
    text = page.content.decode()
    assert page.status_code == 200
    assert "结对帮扶台账" in text and "上季度" in text and "每季度（季度首月）5日" in text
    assert "下次发送 2027-01-05" in text  # day 5 of the next quarter's first month
    visible = re.sub(r"<[^>]+>", " ", text)
    for code_word in ("pairing", "last_quarter", "quarterly", "None"):
        assert code_word not in visible  # no word of code on the page


@pytest.mark.django_db
def test_bad_input_is_shown_next_to_the_field_with_the_data_kept(world, client):
    client.force_login(world.reviewer)
    response = client.post(
        f"{LIST}new/", form_data(world, recipients="superior@example.cn, 不是邮箱", day="32")
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "“不是邮箱”不是有效的电子邮箱。" in text
    assert "superior@example.cn, 不是邮箱" in text  # kept
    assert not LedgerSubscription.objects.exists()
    # A village is not a region a ledger is sent for (the picker offers none either).
    response = client.post(f"{LIST}new/", form_data(world, region=world.village_a.region.pk))
    assert response.status_code == 200 and not LedgerSubscription.objects.exists()


@pytest.mark.django_db
def test_roles_that_do_not_keep_subscriptions_get_403(world, client):
    subscription = LedgerSubscription.objects.create(
        kind="visit",
        region=world.township_a,
        period_rule="last_month",
        frequency="monthly",
        day=1,
        recipients="a@example.cn",
        created_by=world.reviewer,
    )
    for user in (world.staff_a, world.cadre_user, world.coordinator):
        client.force_login(user)
        assert client.get(LIST).status_code == 403
        assert client.get(f"{LIST}new/").status_code == 403
        assert client.post(f"{LIST}new/", form_data(world)).status_code == 403
    client.force_login(world.staff_a)
    assert client.get(f"{LIST}{subscription.pk}/").status_code == 403
    assert LedgerSubscription.objects.count() == 1


@pytest.mark.django_db
def test_another_townships_subscription_is_404_and_nothing_is_written(world, client, reviewer_b):
    subscription = LedgerSubscription.objects.create(
        kind="visit",
        region=world.township_a,
        period_rule="last_month",
        frequency="monthly",
        day=1,
        recipients="a@example.cn",
        created_by=world.reviewer,
    )
    delivery = LedgerDelivery.objects.create(
        subscription=subscription,
        period="2026-11",
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
        scheduled_on=DECEMBER_1,
        status=LedgerDelivery.Status.FAILED,
        attempts=5,
    )
    client.force_login(reviewer_b)
    base = f"{LIST}{subscription.pk}/"
    assert client.get(base).status_code == 404
    assert client.post(f"{base}edit/", form_data(world, day="9")).status_code == 404
    assert client.post(f"{base}end/", {"day": "2026-12-01"}).status_code == 404
    assert client.post(f"{base}delete/").status_code == 404
    assert client.post(f"{LIST}deliveries/{delivery.pk}/").status_code == 404
    # A region outside the scope in a new subscription: refused, nothing written.
    response = client.post(f"{LIST}new/", form_data(world, region=world.township_a.pk))
    assert response.status_code == 200 and "有效" in response.content.decode()
    subscription.refresh_from_db()
    delivery.refresh_from_db()
    assert subscription.day == 1 and subscription.end_date is None
    assert delivery.status == LedgerDelivery.Status.FAILED and delivery.attempts == 5
    assert LedgerSubscription.objects.count() == 1
    assert client.get(LIST).content.decode().count(f"{LIST}{subscription.pk}/") == 0


@pytest.mark.django_db
def test_the_subscription_page_lists_what_was_sent_and_resends_a_failed_one(
    scene, smtp_server, client
):
    subscription = scene.subscription
    sent = LedgerDelivery.objects.create(
        subscription=subscription,
        period="2026-10",
        period_start=datetime.date(2026, 10, 1),
        period_end=datetime.date(2026, 10, 31),
        scheduled_on=datetime.date(2026, 11, 1),
        status=LedgerDelivery.Status.SENT,
        attempts=1,
        recipients="superior@example.cn",
        sent_at=datetime.datetime(2026, 11, 1, 0, 1, tzinfo=datetime.UTC),
        attachment_name="走访台账_测试县_2026-10.xlsx",
        attachment_size=10240,
        rows=4,
    )
    failed = LedgerDelivery.objects.create(
        subscription=subscription,
        period="2026-11",
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
        scheduled_on=DECEMBER_1,
        status=LedgerDelivery.Status.FAILED,
        attempts=5,
        last_error="第5次发送失败（2026-12-01 07:09）：(451, 'try again later')",
    )
    client.force_login(scene.world.reviewer)
    page = client.get(f"{LIST}{subscription.pk}/").content.decode()
    assert "发送记录" in page and "2026年10月" in page and "2026年11月" in page
    assert "已发送" in page and "发送失败" in page and "2026-11-01 08:01" in page  # local time
    detail = client.get(f"{LIST}deliveries/{failed.pk}/").content.decode()
    assert "立即重新发送" in detail and "第5次发送失败" in detail
    assert "立即重新发送" not in client.get(f"{LIST}deliveries/{sent.pk}/").content.decode()

    response = client.post(f"{LIST}deliveries/{failed.pk}/", follow=True)
    assert "已重新发送" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == LedgerDelivery.Status.SENT and failed.attempts == 6  # one more
    assert len(smtp_server.messages) == 1
    # A sent one is never sent again, whatever is posted.
    again = client.post(f"{LIST}deliveries/{failed.pk}/", follow=True)
    assert "只有发送失败的报送可以重新发送" in again.content.decode()
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_stopping_and_deleting(scene, client):
    subscription = scene.subscription
    client.force_login(scene.world.reviewer)
    base = f"{LIST}{subscription.pk}/"
    LedgerDelivery.objects.create(
        subscription=subscription,
        period="2026-11",
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
        scheduled_on=DECEMBER_1,
    )
    refused = client.post(f"{base}delete/")
    assert refused.status_code == 400 and "停止日期" in refused.content.decode()
    assert client.post(f"{base}end/", {"day": "2026-12-01"}).status_code == 302
    subscription.refresh_from_db()
    assert subscription.end_date == datetime.date(2026, 12, 1)
    listed = client.get(LIST).content.decode()
    assert "已停止（2026-12-01）" in listed and "下次发送" not in listed


@pytest.mark.django_db
def test_the_structure_hub_links_to_it(world, client):
    client.force_login(world.reviewer)
    page = client.get("/structure/").content.decode()
    assert "台账定期报送" in page and LIST in page


@pytest.mark.django_db
def test_the_subscription_page_takes_a_fixed_number_of_queries(
    scene, client, django_assert_max_num_queries
):
    for month in range(1, 11):
        LedgerDelivery.objects.create(
            subscription=scene.subscription,
            period=f"2026-{month:02d}",
            period_start=datetime.date(2026, month, 1),
            period_end=datetime.date(2026, month, 28),
            scheduled_on=datetime.date(2026, month + 1, 1),
            status=LedgerDelivery.Status.SENT,
        )
    client.force_login(scene.world.reviewer)
    with django_assert_max_num_queries(14):
        page = client.get(f"{LIST}{scene.subscription.pk}/")
    assert page.content.decode().count("/ledgers/subscriptions/deliveries/") == 10
