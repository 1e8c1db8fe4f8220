"""The dashboard shows the monitoring indicators, the indicator page lists the subjects behind
them that fall short, and each result's page lists the records it was computed from, within
the reader's scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from assessments.models import IndicatorResult
from households.models import CreditStatus
from monitoring.models import Procedure
from tests.factories import UserFactory, VisitFactory

from .conftest import D, notice
from .test_indicators import _clue_world, _monitored_world

pytestmark = pytest.mark.django_db


def _result(period: str, code: str, subject_id: int) -> IndicatorResult:
    return IndicatorResult.objects.get(period=period, indicator__code=code, subject_id=subject_id)


def _page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _rows(html: str) -> list[str]:
    """The table rows of the records section, as text."""
    body = html.split('id="h-records"', 1)[1]
    return [row.split("</tr>", 1)[0] for row in body.split("<tr>")[2:]]


def test_the_dashboard_and_the_indicator_page_show_the_monitoring_indicators(
    world, evaluate, client
):
    h1, h2, h3, _h4, _h5, h6 = _monitored_world(world)
    _clue_world(world)
    evaluate("2026-06")
    query = f"?period=2026-06&region={world.county.code}"
    html = _page(client, world.reviewer, reverse("assessments:dashboard") + query)
    for name in ("风险线索15日内办结率", "监测对象落实帮扶责任人和帮扶措施", "监测对象每月走访"):
        assert name in html
    html = _page(
        client, world.reviewer, reverse("assessments:indicator", args=["MON-HELPER"]) + query
    )
    # The households that fall short, each with its result page; not those that meet it.
    assert "无责任人" in html and "无措施" in html
    assert "张三" not in html and "七月消除" not in html
    assert reverse("assessments:result", args=[_result("2026-06", "MON-HELPER", h2.id).pk]) in html


def test_the_clue_result_lists_the_townships_clues_of_the_period_with_their_days(
    world, evaluate, client
):
    _clue_world(world)
    evaluate("2026-06")
    result = _result("2026-06", "MON-CLUE-15D", world.township_a.id)
    html = _page(client, world.reviewer, reverse("assessments:result", args=[result.pk]))
    rows = {row.split("</td>", 1)[0].removeprefix("<td>"): row for row in _rows(html)}
    assert sorted(rows) == sorted(
        ["按期甲", "超期乙", "当天丙", "未办丁", "十六天戊", "十五天己", "十天庚"]
    )
    assert "<td>15</td>" in rows["按期甲"] and "<td>是</td>" in rows["按期甲"]
    assert "<td>16</td>" in rows["超期乙"] and "已办结，超过期限" in rows["超期乙"]
    assert "<td>16</td>" in rows["十六天戊"] and "未办结，已超过期限" in rows["十六天戊"]
    assert "<td>15</td>" in rows["十五天己"] and "暂不考核" in rows["十五天己"]
    # What the page marks as counted is the figure's numerator: 2 of the 5 judged.
    assert sum("<td>是</td>" in row for row in rows.values()) == 2
    assert "乙镇壬" not in html and "上月辛" not in html


def test_result_pages_keep_to_the_readers_role_and_scope(world, evaluate, client):
    h1, *_rest = _monitored_world(world)
    _clue_world(world)
    evaluate("2026-06")
    town_a = reverse(
        "assessments:result", args=[_result("2026-06", "MON-CLUE-15D", world.township_a.id).pk]
    )
    town_b = reverse(
        "assessments:result", args=[_result("2026-06", "MON-CLUE-15D", world.township_b.id).pk]
    )
    helper_h1 = reverse("assessments:result", args=[_result("2026-06", "MON-HELPER", h1.id).pk])
    reviewer_b = UserFactory(username="reviewer_b", role=Role.REVIEWER, region=world.township_b)
    client.force_login(reviewer_b)
    assert client.get(town_b).status_code == 200
    assert client.get(town_a).status_code == 404
    # The paired unit's coordinator reads its household's result, not a township's.
    client.force_login(world.coordinator)
    assert client.get(helper_h1).status_code == 200
    assert client.get(town_a).status_code == 404
    for user in (world.staff_a, world.cadre_user):
        client.force_login(user)
        assert client.get(town_a).status_code == 403


def test_the_helper_result_lists_helpers_and_measures_with_what_was_in_force(
    world, evaluate, client
):
    h1, h2, h3, _h4, _h5, _h6 = _monitored_world(world)
    evaluate("2026-06")
    html = _page(
        client,
        world.reviewer,
        reverse("assessments:result", args=[_result("2026-06", "MON-HELPER", h2.id).pk]),
    )
    rows = _rows(html)
    assert len(rows) == 2
    assert "帮扶人甲" in rows[0] and "2026-06-30 不在期内" in rows[0]
    assert "养殖帮扶" in rows[1] and "<td>是</td>" in rows[1]
    html = _page(
        client,
        world.reviewer,
        reverse("assessments:result", args=[_result("2026-06", "MON-HELPER", h3.id).pk]),
    )
    rows = _rows(html)
    assert len(rows) == 3
    assert "<td>是</td>" in rows[0]  # the helper
    assert "已结束的措施" in rows[1] and "不在期内" in rows[1]
    assert "七月开始的措施" in rows[2] and "不在期内" in rows[2]


def test_the_visit_result_lists_the_households_visits_of_the_month(world, evaluate, client):
    h1, h2, *_rest = _monitored_world(world)
    VisitFactory(
        household=h2,
        helper=world.helper_a,
        visited_on=D(2026, 6, 10),
        credit_status=CreditStatus.REVIEW,
        learned="待审核的走访",
    )
    VisitFactory(household=h2, helper=world.helper_a, visited_on=D(2026, 7, 3), learned="七月")
    evaluate("2026-06")
    html = _page(
        client,
        world.reviewer,
        reverse("assessments:result", args=[_result("2026-06", "MON-VISIT-MONTH", h2.id).pk]),
    )
    rows = _rows(html)
    assert rows == [
        "<td>2026年6月10日</td><td>帮扶人甲</td><td>入户走访</td><td>否：待审核</td><td></td>"
    ]
    # The visits marked as counted are the value: two for 七月消除 (h6).
    h6 = _rest[-1]
    for day in (D(2026, 6, 15), D(2026, 6, 30)):
        VisitFactory(household=h6, helper=world.helper_b, visited_on=day)
    evaluate("2026-06")
    result = _result("2026-06", "MON-VISIT-MONTH", h6.id)
    rows = _rows(_page(client, world.reviewer, reverse("assessments:result", args=[result.pk])))
    assert result.value == 2 and sum("<td>是</td>" in row for row in rows) == 2


def test_the_notice_result_lists_the_villages_notices_with_their_days(world, evaluate, client):
    notice(world.village_a, Procedure.IDENTIFICATION, D(2026, 6, 1), D(2026, 6, 5))
    notice(world.village_a, Procedure.REMOVAL, D(2026, 6, 20), D(2026, 6, 25))
    notice(world.village_b, Procedure.IDENTIFICATION, D(2026, 6, 1), D(2026, 6, 2))
    evaluate("2026")
    result = _result("2026", "MON-NOTICE-DAYS", world.village_a.id)
    html = _page(client, world.reviewer, reverse("assessments:result", args=[result.pk]))
    rows = _rows(html)
    assert len(rows) == 2
    assert "识别公示" in rows[0] and "<td>5</td><td>5</td><td>是</td>" in rows[0]
    assert "风险消除公示" in rows[1] and "<td>6</td><td>7</td>" in rows[1]
    assert "不足最少天数" in rows[1]


def test_the_clue_records_cost_the_same_for_more_clues(world, evaluate, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .conftest import clue, household

    _clue_world(world)
    evaluate("2026-06")
    url = reverse(
        "assessments:result", args=[_result("2026-06", "MON-CLUE-15D", world.township_a.id).pk]
    )
    client.force_login(world.reviewer)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for i in range(5):
        clue(world.staff_a, household(world.village_a, f"多{i}"), D(2026, 6, 3), D(2026, 6, 4))
    with CaptureQueriesContext(connection) as after:
        html = client.get(url).content.decode()
    assert len(_rows(html)) == 12
    assert len(after) == len(before)
