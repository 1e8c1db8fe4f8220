"""End to end in a real Chromium at 360 px: the county reviewer opens 重复户 from the household
list, sees the person registered in two households side by side, merges them on the confirm
page, finds the merge in the history and undoes it; every step fits the phone's width and
loads nothing from another host."""

from __future__ import annotations

import os

import pytest

from households.models import Household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_reviewer_finds_merges_and_undoes(world, dups, live_server, phone_page, screenshot_dir):
    page = phone_page
    base = live_server.url
    foreign = []
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith(base) or r.url.startswith("data:") else foreign.append(r.url)
        ),
    )
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", world.reviewer.username)
    page.fill("#id_password", world.password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")

    page.goto(base + "/households/")
    page.click("a.button:has-text('重复户')")
    page.wait_for_url("**/households/duplicates/")
    finding = page.locator("#kind-id_number .dup-finding")
    assert finding.count() == 1
    assert "王小明" in finding.inner_text() and "张小明" in finding.inner_text()
    assert fits_the_screen(page)
    page.screenshot(path=os.path.join(screenshot_dir, "dups-list.png"), full_page=True)

    finding.locator("a.button:has-text('合并')").click()
    page.wait_for_url("**/households/duplicates/merge/**")
    assert "并入" in page.locator(".merge-summary h2").inner_text()
    assert fits_the_screen(page)
    page.screenshot(path=os.path.join(screenshot_dir, "dups-confirm.png"), full_page=True)

    # without a reason: the error next to the field
    page.click("button:has-text('确认合并')")
    assert page.locator(".has-error").count() >= 1
    page.screenshot(path=os.path.join(screenshot_dir, "dups-confirm-error.png"), full_page=True)
    page.fill("#id_reason", "入户核实为同一户重复建档")
    page.click("button:has-text('确认合并')")
    page.wait_for_url(f"**/households/{Household.objects.get(pk=dups.a.pk).pk}/")
    assert fits_the_screen(page)
    page.screenshot(path=os.path.join(screenshot_dir, "dups-merged-household.png"), full_page=True)
    other = Household.objects.get(pk=dups.b.pk)
    assert other.merged_into_id == dups.a.pk

    page.goto(base + "/households/duplicates/")
    assert page.locator("#kind-id_number .dup-finding").count() == 0
    page.locator("#merges").scroll_into_view_if_needed()
    page.screenshot(path=os.path.join(screenshot_dir, "dups-history.png"), full_page=True)
    page.click("button:has-text('撤销合并')")
    page.wait_for_url("**/households/duplicates/")
    assert "已撤销合并" in page.locator(".messages").inner_text()
    assert page.locator("#kind-id_number .dup-finding").count() == 1
    page.screenshot(path=os.path.join(screenshot_dir, "dups-undone.png"), full_page=True)
    assert Household.objects.get(pk=dups.b.pk).merged_into_id is None
    assert foreign == []
