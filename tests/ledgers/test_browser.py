"""The export and import pages in a real Chromium: a reviewer downloads a ledger, watches a
background job's progress bar move and the download link appear; township staff on a phone
import a roster with errors, then a clean one. Screenshots go to test-artifacts/."""

import os

import pytest
from django.conf import settings
from django.test import Client
from openpyxl import load_workbook

from ledgers.models import ExportJob
from tests.factories import make_id_number
from tests.ledgers.conftest import roster_file
from tests.ledgers.ledger_data import fill
from tests.ledgers.test_importers import good_row

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


@pytest.fixture
def desktop_page(chromium):
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
    )
    page = context.new_page()
    yield page
    context.close()


def test_reviewer_downloads_a_ledger_and_follows_a_background_job(
    desktop_page, live_server, world, screenshot_dir, tmp_path
):
    fill(world)
    page = desktop_page
    login(page, live_server, world.reviewer)
    page.goto(f"{live_server.url}/ledgers/")
    assert page.locator("nav a[aria-current=page]").inner_text() == "台账导出"
    page.screenshot(path=os.path.join(screenshot_dir, "ledgers-export.png"), full_page=True)

    page.select_option("select[name=region]", world.county.code)
    with page.expect_download() as download_info:
        page.click("button.primary")
    download = download_info.value
    assert download.suggested_filename == "结对帮扶台账_测试县_2026.xlsx"
    path = tmp_path / "ledger.xlsx"
    download.save_as(path)
    assert load_workbook(path).active["A1"].value == "广元市测试县结对帮扶台账（2026年）"

    # A job in progress: the bar shows it, and the page notices by itself when it is done.
    job = ExportJob.objects.create(
        user=world.reviewer,
        kind="visit",
        region=world.county,
        period="2026",
        status=ExportJob.Status.RUNNING,
        total_rows=1000,
        done_rows=400,
    )
    page.goto(f"{live_server.url}/ledgers/jobs/{job.pk}/")
    assert page.locator("progress").get_attribute("value") == "40"
    page.screenshot(path=os.path.join(screenshot_dir, "ledgers-job-running.png"))
    ExportJob.objects.filter(pk=job.pk).update(done_rows=700)
    # static/js/ledgers.js polls the status endpoint and moves the bar without a reload.
    for _ in range(100):
        if page.locator("progress").get_attribute("value") == "70":
            break
        page.wait_for_timeout(100)
    assert page.locator("progress").get_attribute("value") == "70"
    job.refresh_from_db()
    job.status = ExportJob.Status.DONE
    job.done_rows = job.total_rows
    job.file.save("visits.xlsx", open(path, "rb"), save=True)  # noqa: SIM115
    page.wait_for_selector("text=下载台账", timeout=10000)
    page.screenshot(path=os.path.join(screenshot_dir, "ledgers-job-done.png"))
    with page.expect_download() as download_info:
        page.click("text=下载台账")
    assert download_info.value.suggested_filename == "走访台账_测试县_2026.xlsx"


def test_township_staff_import_a_roster_on_a_phone(
    phone_page, live_server, world, screenshot_dir, tmp_path
):
    page = phone_page
    login(page, live_server, world.staff_a)
    page.goto(f"{live_server.url}/")
    page.click("label.menu-button")  # the navigation is behind the menu button at 360 px
    page.click("nav >> text=名册导入")
    bad = tmp_path / "名册.xlsx"
    bad.write_bytes(
        roster_file(
            [
                good_row(world),
                good_row(world, "110105198001011230"),
                good_row(world, **{"致贫原因": "穷"}),
            ]
        )
    )
    page.set_input_files("input[type=file]", str(bad))
    page.click("button.primary")
    page.wait_for_selector("text=名册中有 2 处错误")
    assert page.locator("main ol li").count() == 2
    page.screenshot(path=os.path.join(screenshot_dir, "ledgers-import-errors.png"), full_page=True)
    assert page.locator("text=下载标注了错误的名册").is_visible()

    good = tmp_path / "名册2.xlsx"
    good.write_bytes(roster_file([good_row(world, make_id_number()), good_row(world, name="赵六")]))
    page.goto(f"{live_server.url}/ledgers/import/")
    page.set_input_files("input[type=file]", str(good))
    page.click("button.primary")
    page.wait_for_selector("text=确认导入")
    page.screenshot(path=os.path.join(screenshot_dir, "ledgers-import-dry-run.png"), full_page=True)
    with page.expect_navigation():
        page.click("button:has-text('确认导入')")
    page.wait_for_selector("text=导入完成：新增 2 户")
    page.screenshot(path=os.path.join(screenshot_dir, "ledgers-import-done.png"), full_page=True)
    page.screenshot(path=os.path.join(screenshot_dir, "ledgers-import-done.png"), full_page=True)
