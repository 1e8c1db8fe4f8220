"""The coordinator's own unit page in a real browser at 360 px: it fits the phone's width (no
sideways scrolling) and shows the Party organisations as a tree."""

from __future__ import annotations

import os

import pytest

from tests.factories import PartyOrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_coordinators_home_fits_a_phone(world, live_server, phone_page, screenshot_dir):
    committee = PartyOrganisationFactory(unit=world.unit, kind="committee", name="单位党委")
    general = PartyOrganisationFactory(
        unit=world.unit, kind="general_branch", name="机关党总支", parent=committee
    )
    PartyOrganisationFactory(
        unit=world.unit, kind="branch", name="第一党支部", parent=general, secretary="张书记"
    )
    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", world.coordinator.username)
    page.fill("input[name=password]", world.password)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/pairing/my-unit/")
    assert page.locator("h1").inner_text() == "本单位：测试帮扶单位"
    nested = page.locator("ul.org-tree ul.org-tree ul.org-tree >> text=第一党支部")
    assert nested.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=os.path.join(screenshot_dir, "pairing-my-unit-360.png"), full_page=True)
