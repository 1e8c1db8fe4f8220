"""The thresholds pages on a 360 px phone in a real Chromium: no sideways scrolling, nothing
failing to load, and a reviewer sets a township's threshold and sees it in force there."""

import os
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client

from assessments.catalogue import load_indicator_catalogue
from assessments.models import Indicator
from assessments.selectors import Thresholds

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


def no_sideways_scrolling(page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 361


def test_a_reviewer_sets_a_townships_threshold_on_a_phone(
    phone_page, live_server, world, screenshot_dir
):
    load_indicator_catalogue(Indicator)  # a transactional test empties the catalogue afterwards
    page = phone_page
    problems = []
    page.on("requestfailed", lambda r: problems.append(r.url))
    page.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)
    login(page, live_server, world.reviewer)

    page.goto(f"{live_server.url}/assessments/thresholds/")
    assert page.locator("h1").inner_text() == "考核指标阈值 · 测试县"
    no_sideways_scrolling(page)
    page.screenshot(path=os.path.join(screenshot_dir, "thresholds-list-phone.png"), full_page=True)

    page.click("table a:has-text('贫困户全年走访次数')")
    page.wait_for_url("**/thresholds/HH-VISIT-YEAR/**")
    no_sideways_scrolling(page)
    page.select_option("#id_region", label="甲镇")
    page.fill("#id_threshold", "6")
    page.fill("#id_note", "甲镇党委文件")
    page.click("button:has-text('保存')")
    page.wait_for_selector(".msg-success")
    assert "甲镇的“贫困户全年走访次数”阈值已设为 6次" in page.locator(".messages").inner_text()
    no_sideways_scrolling(page)
    page.screenshot(
        path=os.path.join(screenshot_dir, "thresholds-indicator-phone.png"), full_page=True
    )
    assert Thresholds(["HH-VISIT-YEAR"]).get(
        "HH-VISIT-YEAR", world.village_a.region.path
    ) == Decimal("6")

    page.click("details.more summary")
    page.click("details.more a:has-text('甲镇')")
    assert "年度不少于 6次（本区划设置）" in page.locator("dl.facts").inner_text()
    assert [p for p in problems if not p.endswith("/favicon.ico")] == []
