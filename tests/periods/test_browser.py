"""The walk in a real Chromium at phone width: township staff submit October on its 报送 page,
the reviewer approves it on the status page, and an October record's edit is then refused with
the message naming the period and the approver."""

import datetime
import os

import pytest

from pairing.models import Training
from tests.factories import TrainingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _month_before(day: datetime.date) -> datetime.date:
    """The first day of the month before `day`'s."""
    first = day.replace(day=1)
    return (first - datetime.timedelta(days=1)).replace(day=1)


@pytest.fixture
def last_month(settings):
    """The real clock here (a live server and a browser): the walk reports last month, with
    the month before it governed and overdue, and no period expired (lock days set long)."""
    month = _month_before(datetime.date.today())
    settings.PERIOD_LOCK_DAYS = 400
    settings.PERIOD_LOCK_START = _month_before(month).isoformat()
    return month


def go(page, selector):
    """Click what leads to another page (a link or a form's button) and wait for it."""
    with page.expect_navigation():
        page.click(selector)


def login(page, base, user, password):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    go(page, "#main button[type=submit]")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_submit_approve_and_the_locked_record(
    world, live_server, phone_page, screenshot_dir, last_month
):
    page, base = phone_page, live_server.url
    label, title = f"{last_month:%Y-%m}", f"{last_month.year}年{last_month.month}月"
    october = TrainingFactory(village=world.village_a, held_on=last_month.replace(day=15))
    shot = lambda name: page.screenshot(  # noqa: E731
        path=os.path.join(screenshot_dir, f"periods-{name}.png"), full_page=True
    )

    login(page, base, world.staff_a, world.password)
    page.goto(base + "/reporting/")
    assert "甲镇的报送" in page.content()
    shot("1-township-periods")
    page.click(f"text={title}")
    page.wait_for_url(f"**/{label}/")
    assert "报送本期" in page.content() and fits(page)
    shot("2-period-before-submit")
    go(page, "button:has-text('报送本期')")
    assert page.locator("#period-state").inner_text() == "已报送"
    shot("3-submitted")

    page.context.clear_cookies()
    login(page, base, world.reviewer, world.password)
    page.goto(base + "/reporting/")
    assert "报送情况" in page.content() and "逾期未报送" in page.content()
    shot("4-status-page")
    go(page, "#status-grid >> text=已报送")
    go(page, "button:has-text('审核通过并锁定')")
    assert page.locator("#period-state").inner_text() == "已审核通过"
    assert "reviewer" in page.locator("#lock-message").inner_text()
    shot("5-approved")

    page.goto(base + f"/pairing/trainings/{october.pk}/edit/")
    page.fill("#id_title", "锁定后修改")
    go(page, "#main button[type=submit]")
    assert "审核通过并锁定" in page.content() and fits(page)
    shot("6-edit-refused")
    assert Training.objects.get(pk=october.pk).title == "农民夜校"

    page.goto(base + f"/reporting/township/{world.township_a.pk}/{label}/")
    go(page, "button:has-text('重新开放')")
    assert "请填写原因。" in page.content()
    shot("7-reopen-needs-reason")
    page.fill("#id_reason", "补录一次培训")
    go(page, "button:has-text('重新开放')")
    assert page.locator("#period-state").inner_text() == "已重新开放"
    shot("8-reopened")
