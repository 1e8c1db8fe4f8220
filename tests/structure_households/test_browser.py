"""End to end in a real Chromium at 360 px: township staff hand a departing helper's households
to another helper — from the household list to 结对帮扶, 调整离任帮扶责任人, find the helper,
choose the successor and the date (one household to someone else), check, confirm, and see
what changed; every step fits the phone's width and loads nothing from another host."""

from __future__ import annotations

import datetime
import os

import pytest

from households.models import HouseholdPairing
from tests.factories import HouseholdFactory, HouseholdPairingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_staff_hand_a_departing_helpers_households_over(
    world, kept, live_server, phone_page, screenshot_dir
):
    page = phone_page
    base = live_server.url
    foreign = []
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith(base) or r.url.startswith("data:") else foreign.append(r.url)
        ),
    )
    second = HouseholdFactory(village=world.village_a, head_name="赵六")
    third = HouseholdFactory(village=world.village_a, head_name="钱七")
    for household in (second, third):
        HouseholdPairingFactory(household=household, helper=world.helper_a)

    page.goto(base + "/accounts/login/")
    page.fill("#id_username", world.staff_a.username)
    page.fill("#id_password", world.password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")

    page.goto(base + "/households/")
    page.click("a.button:has-text('结对帮扶')")
    page.wait_for_url("**/households/pairings/")
    assert fits_the_screen(page)
    page.click("a.button:has-text('调整离任帮扶责任人')")
    page.fill("input[name=q]", "帮扶人甲")
    page.click("button:has-text('查找')")
    choice = page.locator("ul.picklist a", has_text="帮扶人甲")
    assert "结对中 3 户" in choice.inner_text()
    choice.click()

    # Step 2: the three households, one successor for all, 钱七 to someone else.
    assert page.locator("table.compact tbody tr").count() == 3
    assert fits_the_screen(page)
    page.fill("#id_day", "2026-09-01")
    page.select_option("#id_to_helper", label="接替人丙（测试帮扶单位）")
    own = HouseholdPairing.objects.get(household=third, helper=world.helper_a)
    page.select_option(f"#to_{own.pk}", label=f"外单位丁（{kept.other_unit_helper.unit.name}）")
    page.screenshot(path=os.path.join(screenshot_dir, "reassign_choose_360.png"), full_page=True)
    page.click("button:has-text('下一步：核对')")

    # Step 3: what will change, nothing changed yet.
    page.wait_for_selector("ul.confirm-list")
    listing = page.locator("ul.confirm-list").inner_text()
    assert "钱七" in listing and "外单位丁" in listing and "接替人丙" in listing
    assert "2026-08-31 解除" in page.content()
    assert not HouseholdPairing.objects.filter(start_date=datetime.date(2026, 9, 1)).exists()
    assert fits_the_screen(page)
    page.click("button:has-text('确认交接')")

    # The result: three handovers, each old pairing kept and ended the day before.
    page.wait_for_selector("table.done-list")
    assert page.locator("table.done-list tbody tr").count() == 3
    assert "交接完成" in page.locator("h1").inner_text()
    assert fits_the_screen(page)
    page.screenshot(path=os.path.join(screenshot_dir, "reassign_done_360.png"), full_page=True)
    new = {
        p.household_id: p.helper for p in HouseholdPairing.objects.filter(start_date="2026-09-01")
    }
    assert new == {
        world.household_a.pk: kept.successor,
        second.pk: kept.successor,
        third.pk: kept.other_unit_helper,
    }
    old = HouseholdPairing.objects.filter(helper=world.helper_a)
    assert {p.end_date for p in old} == {datetime.date(2026, 8, 31)}

    # The household page shows the new helper with the handover buttons, and the old one.
    page.goto(f"{base}/households/{world.household_a.pk}/")
    pairings = page.locator("#pairings").inner_text()
    assert "接替人丙" in pairings and "交接" in pairings
    assert fits_the_screen(page)
    assert foreign == []
