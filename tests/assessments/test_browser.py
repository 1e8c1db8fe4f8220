"""The dashboard in a real Chromium, on a desktop and on a 360 px phone: a reviewer sees the
charts (drawn on the server, nothing from another host, nothing blocked by the CSP), follows an
indicator down to a lagging household's visits. Screenshots go to test-artifacts/."""

import datetime
import os

import pytest
from django.conf import settings
from django.test import Client

from assessments.catalogue import load_indicator_catalogue
from assessments.models import Indicator
from assessments.periods import parse_period
from assessments.services import period_evaluate
from tests.assessments.conftest import AFTER_2026
from tests.factories import VisitFactory

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


@pytest.fixture
def desktop_page(chromium):
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    yield page
    context.close()


def _evaluated(world):
    # A transactional test empties every table afterwards, the catalogue's rows included.
    load_indicator_catalogue(Indicator)
    for day in (datetime.date(2026, 2, 2), datetime.date(2026, 5, 5)):
        VisitFactory(household=world.household_a, helper=world.helper_a, visited_on=day)
    period_evaluate(period=parse_period("2026"), today=AFTER_2026)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_reviewer_reads_the_dashboard_and_drills_down(
    request, size, live_server, world, screenshot_dir
):
    _evaluated(world)
    page = request.getfixturevalue("desktop_page" if size == "desktop" else "phone_page")
    problems = []
    page.on("requestfailed", lambda r: problems.append(r.url))
    page.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    login(page, live_server, world.reviewer)
    page.goto(f"{live_server.url}/assessments/?period=2026")
    assert page.locator("h1").inner_text().startswith("考核看板")
    page.wait_for_selector("svg.income-chart")
    assert page.locator("svg.pygal-chart").count() == 3
    # The charts are styled by the served stylesheet: the trend's bars are filled with the
    # product's red; share bars by their status (tests/phone/test_charts.py).
    fill = page.locator("svg.trend-chart .color-0 rect").first.evaluate(
        "e => getComputedStyle(e).fill"
    )
    assert fill == "rgb(183, 28, 28)"
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1  # no sideways scrolling on a phone
    page.screenshot(
        path=os.path.join(screenshot_dir, f"assessments-dashboard-{size}.png"), full_page=True
    )

    page.click("table a:has-text('贫困户全年走访次数')")
    page.wait_for_url("**/indicators/HH-VISIT-YEAR/**")
    page.click("#lagging a:has-text('明细') >> nth=0")
    page.wait_for_url("**/results/**")
    assert "走访记录" in page.locator("h2").first.inner_text()
    page.screenshot(
        path=os.path.join(screenshot_dir, f"assessments-result-{size}.png"), full_page=True
    )
    assert [p for p in problems if not p.endswith("/favicon.ico")] == []
