"""Helpers of the phone pages' tests: log a browser in without typing (a session cookie made by
the test client), and the geometry checks every 360 px page must pass."""

import os

import pytest
from django.conf import settings
from django.test import Client


@pytest.fixture
def browser_login(live_server):
    def login(page, user) -> None:
        client = Client()
        client.force_login(user)
        page.context.clear_cookies()
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )

    return login


@pytest.fixture
def shot(screenshot_dir):
    def take(page, name: str) -> str:
        path = os.path.join(screenshot_dir, f"phone-{name}.png")
        page.screenshot(path=path, full_page=False)
        return path

    return take


def overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0 when nothing sticks out)."""
    return page.evaluate(
        "Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth)"
    )
