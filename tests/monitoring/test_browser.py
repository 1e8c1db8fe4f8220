"""A clue raised on a 360 px phone and carried to the county's decision, in a real Chromium:
a household's application found by its pinyin initials, accepted, its identification started,
the home check with a photographed authorisation, the comparison, the village notice, the
township review, then the county reviewer's decision. No page is wider than the phone."""

import datetime
import io

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from PIL import Image

from monitoring.models import CaseStatus, ClueOutcome, MonitoringCase, RiskClue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fixed_today():
    """The live server runs in its own thread: the real clock here."""
    yield


def login(page, live_server, user) -> None:
    page.context.clear_cookies()
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


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width}px wide"


def ago(days: int) -> str:
    return (timezone.localdate() - datetime.timedelta(days=days)).isoformat()


def test_a_clue_raised_on_a_phone_reaches_the_county_decision(
    mon, live_server, phone_page, tmp_path, screenshot_dir
):
    w = mon.world
    page = phone_page
    photo = tmp_path / "authorisation.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())

    login(page, live_server, w.staff_a)
    page.goto(f"{live_server.url}/monitoring/")
    fits(page)
    page.get_by_role("link", name="登记风险线索").first.click()
    page.fill("#q", "zs")
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name="张三").click()
    page.get_by_label("农户自主申报").check()
    page.fill("#id_risk", "家中老人住院，医疗支出大")
    page.fill("#id_received_on", ago(10))
    fits(page)
    page.get_by_role("button", name="保存").click()
    assert "风险线索：张三" in page.content()
    assert "已超期" in page.content()  # an application accepted after 2 days is late
    page.get_by_role("button", name="受理").click()
    page.get_by_label("脱贫不稳定户").check()
    page.get_by_label("因病").check()
    page.get_by_label("有劳动能力", exact=True).check()
    page.fill("#id_opened_on", ago(10))
    page.get_by_role("button", name="启动识别").click()
    fits(page)

    page.fill("#id_done_on", ago(9))
    page.set_input_files("#id_document", str(photo))
    page.get_by_role("button", name="登记").click()
    assert "“入户核实（承诺授权）”已登记" in page.content()
    page.fill("#id_done_on", ago(8))
    page.fill("#id_note", "收入、财产比对无异常")
    page.get_by_role("button", name="登记").click()
    page.get_by_role("link", name="本村还没有合适的公示？新建公示").click()
    page.fill("#id_start_date", ago(6))
    page.fill("#id_end_date", ago(2))
    page.get_by_role("button", name="保存").click()
    page.fill("#id_appraised_on", ago(7))
    page.get_by_label("张三", exact=False).check()
    page.get_by_role("button", name="列入公示").click()
    assert "已列入公示 1 户" in page.content()
    page.get_by_role("link", name="打印公示").click()
    fits(page)
    assert "防止返贫监测对象识别公示" in page.content()
    page.screenshot(path=f"{screenshot_dir}/monitoring-notice-phone.png", full_page=True)
    page.go_back()
    page.get_by_role("link", name="张三").click()
    page.fill("#id_done_on", ago(0))
    page.fill("#id_note", "同意上报县级审定")
    page.get_by_role("button", name="登记").click()
    assert "登记“县级审定”" not in page.content()  # the county decides
    page.screenshot(path=f"{screenshot_dir}/monitoring-case-phone.png", full_page=True)

    login(page, live_server, w.reviewer)
    case = MonitoringCase.objects.get()
    page.goto(f"{live_server.url}/monitoring/cases/{case.pk}/")
    fits(page)
    page.fill("#id_note", "同意纳入监测")
    page.get_by_role("button", name="登记").click()
    assert "“县级审定”已登记" in page.content()

    case.refresh_from_db()
    clue = RiskClue.objects.get()
    assert case.status == CaseStatus.MONITORED
    assert clue.outcome == ClueOutcome.IDENTIFIED and clue.decision_days == 10
    page.goto(f"{live_server.url}/monitoring/clues/")
    fits(page)
