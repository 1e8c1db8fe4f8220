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
        page.screenshot(path=f"{screenshot_dir}/api-docs.png")
        # Swagger UI renders a long list only where it is in view (virtualised): scroll
        # through it and collect what it showed.
        tags, operations, summaries = set(), set(), set()
        for _ in range(400):
            tags.update(page.locator(".opblock-tag").all_inner_texts())
            operations.update(
                page.locator(".opblock").evaluate_all("nodes => nodes.map(n => n.id)")
            )
            summaries.update(page.locator(".opblock-summary-description").all_inner_texts())
            at_end = page.evaluate(
                "window.scrollY + window.innerHeight >= document.body.scrollHeight - 2"
            )
            if at_end:
                break
            page.mouse.wheel(0, 800)
            page.wait_for_timeout(30)
        assert len(tags) >= 6, tags
        assert len(operations) > 60
        assert "填报走访（可上传照片）" in summaries
    finally:
        context.close()
    assert all(url.startswith(live_server.url) for url in requested), requested
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
