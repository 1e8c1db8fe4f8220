"""台账定期报送 in a real Chromium on a phone (360 × 740): a reviewer finds it on the hub,
subscribes (a wrong address is refused next to the field), sees the failed first sending and
sends it again; the delivery then reads 已发送. Screenshots go to test-artifacts/mail-*.png."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.test import Client

from ledgers import subscriptions
from ledgers.models import LedgerDelivery, LedgerSubscription
from tests.mail.conftest import DECEMBER_1

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, user) -> None:
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


def shot(page, folder: str, name: str) -> None:
    page.screenshot(path=os.path.join(folder, f"mail-{name}.png"), full_page=True)


def test_a_reviewer_subscribes_and_resends_a_failed_ledger_on_a_phone(
    phone_page, live_server, scene, smtp_server, screenshot_dir
):
    page = phone_page
    world = scene.world
    login(page, live_server, world.reviewer)
    page.goto(f"{live_server.url}/structure/")
    page.get_by_role("link", name="台账定期报送", exact=True).first.click()
    page.wait_for_url("**/ledgers/subscriptions/")
    shot(page, screenshot_dir, "list")
    page.get_by_role("link", name="新增台账定期报送").click()
    page.select_option("#id_kind", label="结对帮扶台账")
    page.select_option("#id_period_rule", label="上季度")
    page.select_option("#id_frequency", label="每季度（季度首月）")
    page.fill("#id_day", "5")
    page.fill("#id_recipients", "shi@example.cn, 不是邮箱")
    page.get_by_role("button", name="保存").click()
    assert page.locator("text=“不是邮箱”不是有效的电子邮箱。").is_visible()
    assert page.input_value("#id_recipients") == "shi@example.cn, 不是邮箱"  # kept
    shot(page, screenshot_dir, "form-error")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the form is {width}px wide on a 360px phone"
    page.fill("#id_recipients", "shi@example.cn")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=台账定期报送已保存。")
    assert LedgerSubscription.objects.filter(kind="pairing", day=5).exists()
    shot(page, screenshot_dir, "saved")

    # The morning run on December 1st: the superior's server refuses the first attempt.
    smtp_server.fail = 1
    [delivery_id] = subscriptions.deliveries_due(today=DECEMBER_1)
    subscriptions.delivery_send(delivery_id=delivery_id)
    page.goto(f"{live_server.url}/ledgers/subscriptions/{scene.subscription.pk}/")
    assert page.locator("text=发送失败").first.is_visible()
    shot(page, screenshot_dir, "deliveries-failed")
    page.get_by_role("link", name="2026年11月").click()
    assert page.locator("[data-role=error]").inner_text().startswith("第1次发送失败")
    shot(page, screenshot_dir, "delivery-failed")
    page.get_by_role("button", name="立即重新发送").click()
    page.wait_for_selector("text=已重新发送。")
    assert page.locator("[data-role=status]").inner_text() == "已发送"
    shot(page, screenshot_dir, "delivery-sent")
    assert len(smtp_server.messages) == 1
    assert LedgerDelivery.objects.get(pk=delivery_id).status == LedgerDelivery.Status.SENT
