"""End to end in a real Chromium (Debian's package, driven by Playwright), phone-sized:
a township staff member logs in, finds a household by pinyin initials, logs a visit with a
photo, sees it on the household page, then tries another township's household and gets 404.
Along the way: nothing is loaded from another host, no CSP violation, no sideways scrolling."""

import os

import pytest

from households.models import CreditStatus, Visit
from tests.pages.helpers import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch(page, base_url):
    """Record requests to other hosts and console errors (CSP violations show up there)."""
    seen = {"foreign": [], "errors": []}
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(base_url) or request.url.startswith("data:")
            else seen["foreign"].append(request.url)
        ),
    )
    page.on(
        "console",
        lambda message: seen["errors"].append(message.text) if message.type == "error" else None,
    )
    return seen


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_staff_logs_a_visit_on_a_phone(world, live_server, phone_page, screenshot_dir, tmp_path):
    page = phone_page
    base = live_server.url
    seen = watch(page, base)
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(jpeg_bytes(size=(640, 480)))

    # Anonymous: sent to the login page, in Chinese.
    page.goto(base + "/")
    assert "/accounts/login/" in page.url
    assert page.locator("h1").inner_text() == "登录"
    page.fill("#id_username", world.staff_a.username)
    page.fill("#id_password", world.password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    assert "本周未入户走访" in page.content()
    assert fits_the_screen(page)

    # Find the household by its pinyin initials: 张三 → zs.
    page.click("label.menu-button")  # the navigation is behind the menu button at 360 px
    page.click("nav.nav >> text=记录走访")
    page.fill("input[name=q]", "zs")
    page.click("button:has-text('查找')")
    result = page.locator("ul.picklist a", has_text="张三")
    assert result.count() == 1
    assert page.locator("ul.picklist a", has_text="李四").count() == 0
    result.click()

    # The form: date defaults to today, the only helper is preselected.
    assert page.locator(".picked strong").inner_text() == "张三"
    assert page.input_value("#id_visited_on")
    assert fits_the_screen(page)
    page.fill("#id_learned", "入户了解春耕准备，协调化肥两袋")
    page.fill("#id_problems", "屋顶漏雨")
    page.set_input_files("input[name=photos]", str(photo))
    page.click("button:has-text('保存走访')")
    page.wait_for_url(f"**/households/{world.household_a.pk}/**")

    # The household page shows it at once, with the photo.
    visit = Visit.objects.get()
    assert visit.credit_status == CreditStatus.CREDITED
    assert "走访记录已保存" in page.locator(".messages").inner_text()
    item = page.locator(f"#visit-{visit.pk}")
    assert "入户了解春耕准备" in item.inner_text() and "计入考核" in item.inner_text()
    image = item.locator(".photos img")
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert fits_the_screen(page)
    page.screenshot(path=os.path.join(screenshot_dir, "household_page_360.png"), full_page=True)

    # Another township's household: 404, nothing shown.
    response = page.goto(f"{base}/households/{world.household_b.pk}/")
    assert response.status == 404
    assert "页面不存在" in page.content() and "李四" not in page.content()
    response = page.goto(f"{base}/households/visits/new/?household={world.household_b.pk}")
    assert response.status == 404

    assert seen["foreign"] == []
    assert not [e for e in seen["errors"] if "Content Security Policy" in e]


def test_bad_input_comes_back_in_chinese_on_a_phone(
    world, live_server, phone_page, screenshot_dir, tmp_path
):
    page = phone_page
    base = live_server.url
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", world.staff_a.username)
    page.fill("#id_password", world.password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    not_a_photo = tmp_path / "说明.txt"
    not_a_photo.write_text("这不是照片")
    page.goto(f"{base}/households/visits/new/?household={world.household_a.pk}")
    page.fill("#id_problems", "缺少劳力")
    page.set_input_files("input[name=photos]", str(not_a_photo))
    page.click("button:has-text('保存走访')")
    page.wait_for_selector(".errorlist-box")
    learned_error = page.locator(".field.has-error", has=page.locator("#id_learned"))
    assert "请填写了解的情况和帮扶内容" in learned_error.inner_text()
    assert page.input_value("#id_problems") == "缺少劳力"
    photo_error = page.locator(".field.has-error", has=page.locator("input[name=photos]"))
    assert "不是有效的图片" in photo_error.inner_text()
    assert fits_the_screen(page)
    page.screenshot(path=os.path.join(screenshot_dir, "visit_form_errors_360.png"), full_page=True)
    assert not Visit.objects.exists()
