"""The household list and the visit form as a phone shows them after issue 17's changes: the
prepared rows (labels, helpers, visit button) and the picker with the household's helpers."""

import os

import pytest

from tests.factories import HouseholdFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_household_list_and_visit_form_on_a_phone(world, live_server, phone_page, screenshot_dir):
    HouseholdFactory(village=world.village_a, head_name="王五", key_difficulty=True)
    page = phone_page
    base = live_server.url
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", world.staff_a.username)
    page.fill("#id_password", world.password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")

    page.goto(base + "/households/")
    rows = page.locator("table.households tbody tr")
    assert rows.count() == 2
    text = page.locator("table.households").inner_text()
    assert "张三" in text and "王五" in text and "重点" in text
    assert "李四" not in text  # township B
    page.screenshot(
        path=os.path.join(screenshot_dir, "perf_household_list_360.png"), full_page=True
    )

    page.locator("table.households tbody tr", has_text="张三").locator("a.button").click()
    page.wait_for_url("**/visits/new/?household=*")
    options = page.locator("select[name=helper] option").all_inner_texts()
    assert options == ["请选择帮扶责任人", "帮扶人甲"]
    assert page.locator("select[name=helper]").input_value() == str(world.helper_a.pk)
    page.screenshot(path=os.path.join(screenshot_dir, "perf_visit_form_360.png"), full_page=True)
