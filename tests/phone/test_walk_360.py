"""Every page at 360 px (issue 15, "no page at 360 px hides a part of the navigation"): each
demo role walks the pages the product links to — the menu's items, then the links on those
pages (one of each kind of URL) — in a phone-sized Chromium, and on every page the document is
no wider than the screen and every menu item lies inside it once the menu is open."""

import datetime
import re
from urllib.parse import urlsplit

import pytest

from accounts.models import User
from tests.phone.conftest import overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ["township1", "reviewer", "city_reviewer", "cadre", "coordinator", "admin"]
# Not pages: downloads, the API, the admin (Django's own), leaving, and writing links.
SKIP = re.compile(
    r"^/(api/|admin/|static/|media/|accounts/logout)|/(download|template|export\.xlsx|photo)|\.(xlsx|pdf|jpg|png|webp|css|js)$"
)
MAX_PAGES = 60


def shape(target: str) -> str:
    """One page of each kind: /households/12/ and /households/40/ are the same kind, and so are
    ?household=10 and ?household=11 (the query's names count, not their values)."""
    parts = urlsplit(target)
    names = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return re.sub(r"/\d+(?=/|$)", "/<n>", parts.path) + ("?" + "&".join(names) if names else "")


@pytest.fixture
def demo(transactional_db):
    """seed_demo's small world with its evaluated periods (the reminders are left out: the walk
    is about the pages' width, and the bell is tested in test_menu_browser)."""
    from demo.builder import DemoBuilder
    from demo.management.commands.seed_demo import Command

    today = datetime.date(2026, 11, 20)
    builder = DemoBuilder(scale="small", seed=7, today=today, log=lambda message: None)
    builder.build()
    command = Command()
    command.stdout.write = lambda *args, **kwargs: None
    command.evaluate(builder.today)


def menu_items_outside(page) -> list[str]:
    if page.locator("label.menu-button").count() == 0:
        return []
    page.click("label.menu-button")
    bad = page.evaluate(
        """(() => {
          const w = document.documentElement.clientWidth;
          return [...document.querySelectorAll('nav.nav a, .userbox button')].filter((el) => {
            const r = el.getBoundingClientRect();
            return r.width === 0 || r.left < 0 || r.right > w;
          }).map((el) => el.textContent.trim());
        })()"""
    )
    page.click("label.menu-button")
    return bad


@pytest.mark.parametrize("username", ROLES)
def test_every_page_fits_360(username, demo, live_server, phone_page, browser_login, shot):
    page = phone_page
    browser_login(page, User.objects.get(username=username))
    base = live_server.url
    seen_shapes: set[str] = set()
    queue = ["/"]
    offenders: dict[str, str] = {}
    visited = 0
    while queue and visited < MAX_PAGES:
        path = queue.pop(0)
        if shape(path) in seen_shapes:
            continue
        seen_shapes.add(shape(path))
        response = page.goto(base + path)
        visited += 1
        if response is None or response.status >= 400 or not page.url.startswith(base):
            continue
        if (response.headers.get("content-type") or "").split(";")[0] != "text/html":
            continue
        wide = overflow(page)
        if wide:
            culprits = page.evaluate(
                """(() => { const w = document.documentElement.clientWidth;
                  return [...document.querySelectorAll('main *')].filter((el) => el.getBoundingClientRect().right > w + 1
                    && getComputedStyle(el).position !== 'fixed')
                    .slice(0, 3).map((el) => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : '')); })()"""
            )
            offenders[path] = f"{wide}px wider: {culprits}"
            name = re.sub(r"[^a-z0-9_-]+", "_", shape(path).strip("/")) or "home"
            shot(page, f"walk-{username}-{name}")
        outside = menu_items_outside(page)
        if outside:
            offenders[path + " (menu)"] = f"outside: {outside}"
        links = page.evaluate(
            "[...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href'))"
        )
        for href in links:
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if shape(target) not in seen_shapes:
                queue.append(target)
    assert visited > 20
    # The check itself sees a page that is too wide.
    page.evaluate(
        "(() => { const d = document.createElement('div'); d.style.width = '500px';"
        " d.textContent = 'x'; document.querySelector('main').appendChild(d); })()"
    )
    assert overflow(page) > 0
    assert offenders == {}, offenders
