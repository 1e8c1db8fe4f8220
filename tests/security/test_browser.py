"""In a real Chromium, phone-sized: a clerk whose account an administrator created must change
the password first; five wrong passwords lock the account with a clear message; a reviewer
reveals a household's full ID number from the household page. No other host, no CSP error."""

import os

import pytest
from django.conf import settings

from accounts.models import SecurityEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch(page, base_url):
    seen = {"foreign": [], "errors": [], "missing": []}
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith(base_url) or r.url.startswith("data:")
            else seen["foreign"].append(r.url)
        ),
    )
    page.on(
        "console",
        lambda m: (
            seen["errors"].append(f"{m.text} {m.location.get('url')}")
            if m.type == "error"
            else None
        ),
    )
    page.on(
        "response",
        lambda r: seen["missing"].append(r.url) if r.status == 404 else None,
    )
    return seen


def login(page, base, username, password):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")


def test_forced_change_then_lockout_on_a_phone(world, live_server, phone_page, screenshot_dir):
    page, base = phone_page, live_server.url
    seen = watch(page, base)
    world.staff_a.must_change_password = True
    world.staff_a.save()

    login(page, base, "staff_a", world.password)
    page.wait_for_url("**/accounts/password/**")
    assert "请先修改密码" in page.content()
    page.screenshot(path=os.path.join(screenshot_dir, "security-password-change.png"))
    page.fill("#id_old_password", world.password)
    page.fill("#id_new_password1", "staff_a-2026-Xin")
    page.fill("#id_new_password2", "staff_a-2026-Xin")
    page.click("main button[type=submit]")
    assert "密码不能包含用户名" in page.content()
    page.fill("#id_old_password", world.password)
    page.fill("#id_new_password1", "Qing-Shan-2026-lu")
    page.fill("#id_new_password2", "Qing-Shan-2026-lu")
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/")
    assert "密码已修改" in page.content()
    page.click("label.menu-button")  # at 360 px 退出 is in the menu
    with page.expect_navigation():
        page.click("header form button[type=submit]")  # 退出

    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(page, base, "staff_b", "wrong-password-1")
    login(page, base, "staff_b", world.password)
    assert "账户已锁定" in page.content()
    page.screenshot(path=os.path.join(screenshot_dir, "security-locked-out.png"))
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.LOCKOUT, username="staff_b"
    ).exists()
    # The browser reports the lockout page's status 429 as a console error; nothing else may fail.
    errors = [e for e in seen["errors"] if "429" not in e]
    assert not seen["foreign"] and not errors and not seen["missing"], (errors, seen)


def test_reviewer_reveals_a_full_id_number(world, live_server, phone_page, screenshot_dir):
    page, base = phone_page, live_server.url
    seen = watch(page, base)
    login(page, base, "reviewer", world.password)
    page.wait_for_url(base + "/")
    page.goto(f"{base}/households/{world.household_a.pk}/")
    assert world.household_a.head_id_number not in page.content()
    page.click("button:has-text('查看完整身份证号')")
    page.wait_for_url("**/reveal/")
    assert world.household_a.head_id_number in page.content()
    assert "已记入安全日志" in page.content()
    page.screenshot(path=os.path.join(screenshot_dir, "security-reveal.png"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.FULL_ID_VIEW, user=world.reviewer
    ).exists()
    assert not seen["foreign"] and not seen["errors"] and not seen["missing"], seen
