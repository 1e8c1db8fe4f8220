"""The bulk review in a real Chromium at 360 px: a reviewer filters the queue by reason, ticks
all the visits of the page, tries to refuse without a reason (a field error, the ticks kept),
then refuses with one reason; another selection is accepted. Screenshots go to test-artifacts/."""

import os

import pytest

from households.models import CreditStatus, Visit
from households.services import HOLD_PHOTO_TIME
from tests.pages.test_browser import fits_the_screen, watch
from tests.wording.conftest import browser_login, held_visit, second_household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_decides_a_selection_on_a_phone(world, live_server, phone_page, screenshot_dir):
    page = phone_page
    base = live_server.url
    seen = watch(page, base)
    far = [held_visit(world), held_visit(world, household=second_household(world, "王五"))]
    photo = held_visit(world, household=second_household(world, "赵六"), reason="photo_time")
    browser_login(page, live_server, world.reviewer)

    page.goto(base + "/households/visits/review/")
    assert "张三户" in page.content() and "填报人：" in page.content()
    assert fits_the_screen(page)
    page.screenshot(path=os.path.join(screenshot_dir, "review_queue_360.png"), full_page=True)

    # Filter by the reason: only the photo-time visit is left.
    page.select_option("#id_reason", HOLD_PHOTO_TIME)
    page.click("button:has-text('筛选')")
    page.wait_for_url("**reason=photo_time**")
    assert page.locator("section.review-item").count() == 1
    assert "赵六户" in page.content() and "张三户" not in page.content()
    page.screenshot(path=os.path.join(screenshot_dir, "review_queue_filtered_360.png"))

    # Back to the distance holds; tick all, refuse without a reason: a field error, ticks kept.
    page.goto(base + "/households/visits/review/?reason=distance")
    assert page.locator("section.review-item").count() == 2
    page.check("#review-all")
    assert "已选 2 条" in page.locator("#review-count").inner_text()
    page.check("input[name=decision][value=refuse]")
    page.click("button:has-text('审核所选走访')")
    page.wait_for_load_state()
    assert "不予计入须填写理由" in page.content()
    assert page.locator("input[name=visits]:checked").count() == 2
    assert fits_the_screen(page)
    page.screenshot(path=os.path.join(screenshot_dir, "review_bulk_error_360.png"), full_page=True)
    assert [Visit.objects.get(pk=v.pk).credit_status for v in far] == [CreditStatus.REVIEW] * 2

    # With one reason: both refused at once, the reason kept on each.
    page.check("input[name=decision][value=refuse]")
    page.fill("#id_note", "定位在县城，非入户走访")
    page.click("button:has-text('审核所选走访')")
    page.wait_for_url("**/households/visits/review/**")
    assert "已审核 2 条走访" in page.locator(".messages").inner_text()
    for visit in far:
        visit.refresh_from_db()
        assert visit.credit_status == CreditStatus.REJECTED
        assert "定位在县城" in visit.credit_reason
    page.screenshot(path=os.path.join(screenshot_dir, "review_bulk_done_360.png"), full_page=True)

    # The photo-time visit is accepted the same way.
    page.goto(base + "/households/visits/review/")
    page.check(f"input[name=visits][value='{photo.pk}']")
    page.check("input[name=decision][value=accept]")
    page.click("button:has-text('审核所选走访')")
    page.wait_for_url("**/households/visits/review/**")
    photo.refresh_from_db()
    assert photo.credit_status == CreditStatus.CREDITED
    assert "没有待审核的走访" in page.content()

    assert seen["foreign"] == []
    assert not [e for e in seen["errors"] if "Content Security Policy" in e]


def test_duplicate_income_links_to_the_record_on_a_phone(
    world, live_server, phone_page, screenshot_dir
):
    from decimal import Decimal

    from households.models import IncomeRecord

    income = IncomeRecord.objects.create(
        household=world.household_a, year=2025, per_capita_net_income=Decimal("5200")
    )
    page = phone_page
    browser_login(page, live_server, world.staff_a)
    page.goto(f"{live_server.url}/households/{world.household_a.pk}/incomes/new/")
    page.fill("#id_year", "2025")
    page.fill("#id_per_capita_net_income", "6000")
    page.click("main form button[type=submit] >> nth=-1")
    page.wait_for_load_state()
    link = page.locator("a", has_text="去修改")
    assert link.count() == 1
    assert fits_the_screen(page)
    page.screenshot(path=os.path.join(screenshot_dir, "income_duplicate_360.png"), full_page=True)
    link.click()
    page.wait_for_url(f"**/households/incomes/{income.pk}/edit/")
    assert IncomeRecord.objects.count() == 1
