"""The navigation at 360 px (issue 15): a menu button opens every item of the role (名册导入 and
提醒 included), each item lies inside the window, nothing scrolls sideways; it works by keyboard
and without JavaScript; at desktop width the items stay a strip."""

import pytest
from django.test import RequestFactory

from accounts.context_processors import navigation
from tests.phone.conftest import overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ["staff_a", "reviewer", "admin", "cadre_user", "coordinator"]


def expected_labels(user) -> list[str]:
    request = RequestFactory().get("/")
    request.user = user
    return [item["label"] for item in navigation(request)["nav_items"]] + ["提醒"]


def outside_window(page, selector: str) -> list[str]:
    """Texts of the visible elements matching `selector` whose box is not inside the window."""
    return page.evaluate(
        """(selector) => {
          const w = document.documentElement.clientWidth, h = document.documentElement.scrollHeight;
          return [...document.querySelectorAll(selector)].filter((el) => {
            const r = el.getBoundingClientRect();
            return r.width === 0 || r.height === 0 || r.left < 0 || r.right > w || r.top + window.scrollY < 0 || r.bottom + window.scrollY > h;
          }).map((el) => el.textContent.trim());
        }""",
        selector,
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_item_is_reachable_at_360(
    role, world, live_server, phone_page, browser_login, shot
):
    user = getattr(world, role)
    page = phone_page
    browser_login(page, user)
    page.goto(live_server.url + "/")
    labels = expected_labels(user)
    if role == "staff_a":
        assert "名册导入" in labels

    # Closed: the items are out of the way, the bar is one row, nothing sticks out sideways.
    assert page.locator("#menu-panel").is_hidden()
    assert page.locator("label.menu-button").is_visible()
    assert overflow(page) == 0
    shot(page, f"menu-{role}-closed")

    page.click("label.menu-button")
    nav = page.locator("nav.nav")
    assert nav.is_visible()
    shown = [text.strip() for text in nav.locator("a").all_inner_texts()]
    # Every item of the role is there (the bell reads 提醒 and its count).
    assert [s if not s.startswith("提醒") else "提醒" for s in shown] == labels
    assert outside_window(page, "nav.nav a, .userbox .who, .userbox button") == []
    assert page.evaluate(
        "(() => { const n = document.querySelector('nav.nav'); return n.scrollWidth <= n.clientWidth; })()"
    )
    assert overflow(page) == 0
    shot(page, f"menu-{role}-open")

    # Each item leads somewhere: the last one (提醒) opens the reminders.
    page.click("nav.nav a.bell")
    page.wait_for_url("**/notifications/**")
    assert page.locator("#menu-panel").is_hidden()


def test_the_menu_button_shows_the_unread_count(
    world, live_server, phone_page, browser_login, shot
):
    from notifications.models import Notification, NotificationKind

    Notification.objects.create(
        recipient=world.staff_a,
        kind=NotificationKind.WEEKLY_VISIT,
        subject_key="household:1",
        period="2026-W49",
        title="本周尚未入户走访：张三",
        body="",
        link="/",
    )
    page = phone_page
    browser_login(page, world.staff_a)
    page.goto(live_server.url + "/")
    assert page.locator("label.menu-button .bell-count").inner_text() == "1"
    assert "1 条未读提醒" in page.get_attribute("#menu-toggle", "aria-label")
    page.click("label.menu-button")
    assert page.locator("nav.nav a.bell .bell-count").inner_text() == "1"
    shot(page, "menu-unread")


def test_the_menu_by_keyboard(world, live_server, phone_page, browser_login, shot):
    page = phone_page
    browser_login(page, world.staff_a)
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand
    page.keyboard.press("Tab")  # the menu button
    assert page.evaluate("document.activeElement.id") == "menu-toggle"
    shot(page, "menu-keyboard-focus")
    page.keyboard.press("Enter")
    assert page.locator("nav.nav").is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "首页"
    page.keyboard.press("Escape")
    assert page.locator("#menu-panel").is_hidden()
    assert page.evaluate("document.activeElement.id") == "menu-toggle"
    page.keyboard.press("Space")
    assert page.locator("nav.nav").is_visible()


def test_the_menu_without_javascript(world, live_server, chromium, browser_login, shot):
    context = chromium.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    try:
        browser_login(page, world.staff_a)
        page.goto(live_server.url + "/")
        assert page.locator("#menu-panel").is_hidden()
        page.click("label.menu-button")
        assert page.locator("nav.nav a", has_text="名册导入").is_visible()
        shot(page, "menu-no-js")
        page.click("nav.nav a:has-text('名册导入')")
        page.wait_for_url("**/ledgers/import/**")
    finally:
        context.close()


def test_desktop_keeps_a_strip(world, live_server, chromium, browser_login, shot):
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        browser_login(page, world.reviewer)
        page.goto(live_server.url + "/")
        assert page.locator("label.menu-button").is_hidden()
        assert page.locator("nav.nav a", has_text="台账导出").is_visible()
        assert outside_window(page, "nav.nav a") == []
        assert overflow(page) == 0
        shot(page, "menu-desktop")
    finally:
        context.close()
