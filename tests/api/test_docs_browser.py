"""The documentation page in a real Chromium: it renders the operations from the served
schema under the site's CSP (no inline script or style allowed) and asks no other host."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_docs_render_under_the_csp(live_server, chromium, screenshot_dir):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    console_errors, requested = [], []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requested.append(r.url))
    try:
        page.goto(f"{live_server.url}/api/v1/docs/")
        page.wait_for_selector(".opblock-summary", timeout=30_000)
        assert page.locator(".opblock-tag").count() >= 6
        assert page.locator(".opblock").count() > 60
        assert page.get_by_text("填报走访（可上传照片）").count() == 1
        page.screenshot(path=f"{screenshot_dir}/api-docs.png")
    finally:
        context.close()
    assert all(url.startswith(live_server.url) for url in requested), requested
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
