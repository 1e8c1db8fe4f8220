"""The export form at 360 px: 脱敏 ticked; unticking it asks for the reason (static/js/ledgers.js);
sending it empty puts the error next to the field, the choices kept."""

import os

import pytest

from tests.ledgers.test_browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_unticking_asks_for_the_reason_and_an_empty_one_is_refused(
    live_server, world, phone_page, screenshot_dir
):
    page = phone_page
    login(page, live_server, world.reviewer)
    page.goto(f"{live_server.url}/ledgers/")
    reason = page.locator("#id_full_id_reason")
    assert page.is_checked("#id_mask_ids")
    assert not reason.is_visible()  # asked only when unticked
    page.screenshot(path=os.path.join(screenshot_dir, "deploy-mask-default.png"), full_page=True)
    page.uncheck("#id_mask_ids")
    assert reason.is_visible()
    page.select_option("select[name=part]", "Q3")
    page.click("form:has(select[name=kind]) button[type=submit]")
    error = page.locator(".field.has-error:has(#id_full_id_reason) .errorlist")
    assert error.inner_text() == "导出完整身份证号须填写理由，理由记入安全日志。"
    assert not page.is_checked("#id_mask_ids") and reason.is_visible()
    assert page.locator("select[name=part]").input_value() == "Q3"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(
        path=os.path.join(screenshot_dir, "deploy-mask-reason-error.png"), full_page=True
    )
    # Ticked again: the reason is not asked.
    page.check("#id_mask_ids")
    assert not reason.is_visible()
