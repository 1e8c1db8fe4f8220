"""A county reviewer on a phone (360 px) loads townships and villages from the statistics
bureau's codes: a workbook with errors first (every error listed), then a clean one checked and
confirmed; the region tree then shows them. No page is wider than the phone."""

import os

import pytest
from django.conf import settings
from django.test import Client

from tests.structure_imports.conftest import workbook
from villages.models import Village

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def assert_fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide"


def test_a_reviewer_loads_villages_on_a_phone(
    phone_page, live_server, tree, screenshot_dir, tmp_path
):
    page = phone_page
    login(page, live_server, tree.reviewer)
    page.goto(f"{live_server.url}/ledgers/imports/")
    assert_fits(page)
    page.click("text=区划与村")
    bad = tmp_path / "区划.xlsx"
    bad.write_bytes(
        workbook(
            [["510105002", "新华街道", ""], ["5101050021", "坏", ""], ["510105002001", "", ""]]
        )
    )
    page.set_input_files("input[type=file]", str(bad))
    page.click("button.primary")
    page.wait_for_selector("text=表格中有 2 处错误")
    assert page.locator("main ol li").count() == 2
    assert_fits(page)
    page.screenshot(path=os.path.join(screenshot_dir, "regions-import-errors.png"), full_page=True)
    good = tmp_path / "区划2.xlsx"
    good.write_bytes(workbook([["510105002001", "新华村", ""], ["510105002000", "新华街道", ""]]))
    page.goto(f"{live_server.url}/ledgers/imports/regions/")
    page.set_input_files("input[type=file]", str(good))
    page.click("button.primary")
    page.wait_for_selector("button:has-text('确认导入')")
    assert_fits(page)
    with page.expect_navigation():
        page.click("button:has-text('确认导入')")
    page.wait_for_selector("text=导入完成：新增 2 条")
    assert Village.objects.filter(region__code="510105002001").exists()
    page.goto(f"{live_server.url}/villages/regions/")
    page.wait_for_selector("text=新华村")
    assert_fits(page)
    page.screenshot(path=os.path.join(screenshot_dir, "regions-tree.png"), full_page=True)
    page.goto(f"{live_server.url}/villages/manage/")
    assert_fits(page)
