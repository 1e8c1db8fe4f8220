"""The reminder and spot-check pages in a real Chromium, at 360 px and on a desktop: the bell,
the notification list and digest, the draw page and a rectification item. Screenshots go to
test-artifacts/ to be looked at."""

import datetime
import os

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from inspections.services import (
    inspection_record,
    rectification_create,
    spot_check_draw,
)
from notifications.models import Notification, NotificationKind
from notifications.services import reminders_run
from tests.factories import HouseholdFactory, HouseholdPairingFactory
from tests.jobs.conftest import make_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _session_cookie(live_server, user) -> dict:
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


@pytest.fixture
def desktop_page(chromium):
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def scene(world):
    for _ in range(6):
        HouseholdPairingFactory(
            household=HouseholdFactory(village=world.village_a), helper=world.helper_a
        )
    today = timezone.localdate()
    make_item(
        world,
        deadline=today - datetime.timedelta(days=12),
        person=world.cadre_user,
        problem="村级活动阵地面积不足90平方米，未按要求整改",
    )
    reminders_run(on=today)
    draw = spot_check_draw(
        region=world.county,
        quarter="2026Q4",
        drawn_by=world.reviewer,
        share="1",
        seed=2026,
        households_per_village=1,
    )
    first = draw.items.filter(household__isnull=True).order_by("village__path").first()
    inspection = inspection_record(
        item=first,
        inspector=world.reviewer,
        inspected_on=today,
        findings="走访台账与实际走访情况不一致；一户一策未按季度更新。",
    )
    item = rectification_create(
        created_by=world.reviewer,
        village=first.village,
        inspection=inspection,
        problem="走访台账与实际走访情况不一致",
        task="逐户核实走访记录，补齐佐证照片，两周内完成",
        responsible_unit=world.unit,
        responsible_person=world.cadre_user,
        deadline=today + datetime.timedelta(days=14),
    )
    return {"draw": draw, "item": item}


def _shoot(page, live_server, user, path, name, screenshot_dir):
    page.context.add_cookies([_session_cookie(live_server, user)])
    response = page.goto(live_server.url + path)
    assert response.status == 200, path
    page.screenshot(path=os.path.join(screenshot_dir, name), full_page=True)
    # Nothing wider than the screen at 360 px (the tables scroll inside their wrapper).
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{path} is {overflow}px wider than the viewport"
    return page


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_pages_render_on_phone_and_desktop(
    request, live_server, world, scene, screenshot_dir, size
):
    page = request.getfixturevalue("phone_page" if size == "phone" else "desktop_page")
    digest = Notification.objects.get(kind=NotificationKind.DIGEST, recipient=world.cadre_user)
    shots = [
        (world.cadre_user, "/notifications/", "notifications"),
        (world.cadre_user, f"/notifications/{digest.pk}/", "digest"),
        (world.reviewer, f"/inspections/draws/{scene['draw'].pk}/", "draw"),
        (world.reviewer, "/inspections/draws/", "draw_list"),
        (world.reviewer, f"/inspections/rectifications/{scene['item'].pk}/", "rectification"),
        (world.cadre_user, "/inspections/rectifications/", "rectification_list"),
    ]
    for user, path, name in shots:
        _shoot(page, live_server, user, path, f"jobs_{name}_{size}.png", screenshot_dir)
        if name == "notifications":
            if size == "phone":  # the count is on the menu button; the bell is in the menu
                assert page.locator("label.menu-button .bell-count").inner_text() == "1"
                page.click("label.menu-button")
            bell = page.locator("a.bell")
            assert bell.is_visible()
            assert bell.locator(".bell-count").inner_text() == "1"
    # Opening the digest read it: the bell is quiet now.
    page.goto(live_server.url + "/notifications/")
    assert page.locator("a.bell .bell-count").count() == 0
    assert page.locator("label.menu-button .bell-count").count() == 0
