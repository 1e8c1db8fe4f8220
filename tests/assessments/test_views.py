"""The reviewers' pages: the permission trio on each, scoping (a township's reviewer never sees
another township's numbers), fixed query counts whatever the region's size, the re-evaluate
button, and charts that carry nothing from another host."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from assessments.charts import share_bars
from assessments.models import EvaluationRun, IndicatorResult
from assessments.periods import parse_period
from assessments.services import period_evaluate
from tests.assessments.conftest import AFTER_2026
from tests.factories import (
    HouseholdFactory,
    HouseholdPairingFactory,
    PairingFactory,
    UnitFactory,
    UserFactory,
    VillageFactory,
    VisitFactory,
    make_township,
)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def evaluated(world):
    """World with a few visits, 2026 and 2026-09 evaluated; plus a unit paired in township B."""
    world.unit_b = UnitFactory(name="乙镇帮扶单位")
    PairingFactory(lead_unit=world.unit_b, village=world.village_b)
    for day in (D(2026, 2, 2), D(2026, 5, 5)):
        VisitFactory(household=world.household_a, helper=world.helper_a, visited_on=day)
        VisitFactory(household=world.household_b, helper=world.helper_b, visited_on=day)
    period_evaluate(period=parse_period("2026"), today=AFTER_2026)
    period_evaluate(period=parse_period("2026-09"), today=AFTER_2026)
    EvaluationRun.objects.create(period="2026", status=EvaluationRun.Status.DONE, results=1)
    world.reviewer_a = UserFactory(
        username="reviewer_a", role=Role.REVIEWER, region=world.township_a
    )
    world.reviewer_b = UserFactory(
        username="reviewer_b", role=Role.REVIEWER, region=world.township_b
    )
    return world


def _result(code, subject_id, period="2026"):
    return IndicatorResult.objects.get(indicator__code=code, subject_id=subject_id, period=period)


def _pages(w):
    result_a = _result("HH-VISIT-YEAR", w.household_a.id)
    return {
        "dashboard": reverse("assessments:dashboard") + "?period=2026",
        "indicator": reverse("assessments:indicator", args=["HH-VISIT-YEAR"]) + "?period=2026",
        "units": reverse("assessments:units") + "?period=2026",
        "unit": reverse("assessments:unit", args=[w.unit.id]) + "?year=2026",
        "result": reverse("assessments:result", args=[result_a.pk]),
    }


@pytest.mark.parametrize("page", ["dashboard", "indicator", "units", "unit", "result"])
def test_permission_trio(client, evaluated, page):
    url = _pages(evaluated)[page]
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(evaluated.reviewer_a)  # in scope: township A's reviewer
    assert client.get(url).status_code == 200
    client.force_login(evaluated.staff_a)  # township staff: not a reviewer's page
    assert client.get(url).status_code == 403
    client.force_login(evaluated.reviewer_b)  # the other township's reviewer
    expected = 404 if page in ("unit", "result") else 200
    assert client.get(url).status_code == expected


def test_another_townships_region_is_not_found(client, evaluated):
    client.force_login(evaluated.reviewer_b)
    url = reverse("assessments:dashboard") + f"?period=2026&region={evaluated.township_a.code}"
    assert client.get(url).status_code == 404
    url = reverse("assessments:dashboard") + f"?period=2026&region={evaluated.county.code}"
    assert client.get(url).status_code == 404


def test_a_township_reviewer_never_sees_another_townships_numbers(client, evaluated):
    w = evaluated
    client.force_login(w.reviewer_a)
    response = client.get(reverse("assessments:dashboard") + "?period=2026")
    html = response.content.decode()
    assert response.context["region"] == w.township_a
    for share in response.context["shares"]:
        assert share.subjects <= 2  # township A alone: one household, one village, one unit…
    visit_year = next(s for s in response.context["shares"] if s.indicator.code == "HH-VISIT-YEAR")
    assert (visit_year.subjects, visit_year.met) == (1, 0)
    assert "乙镇" not in html and "乙村" not in html and "乙镇帮扶单位" not in html
    assert [u.name for u in response.context["ranking"]] == ["测试帮扶单位"]
    trend = {m["label"]: m["credited"] for m in response.context["trend"]}
    assert trend["2月"] == 1  # household B's February visit is township B's
    lagging = client.get(reverse("assessments:indicator", args=["HH-VISIT-YEAR"]) + "?period=2026")
    names = [r.subject_label for r in lagging.context["page"].object_list]
    assert names == ["张三（甲村）"]
    result_b = _result("HH-VISIT-YEAR", w.household_b.id)
    assert client.get(reverse("assessments:result", args=[result_b.pk])).status_code == 404
    unit_b = reverse("assessments:unit", args=[w.unit_b.id]) + "?year=2026"
    assert client.get(unit_b).status_code == 404


def test_the_county_reviewer_drills_down_to_the_lagging_households(client, evaluated):
    w = evaluated
    client.force_login(w.reviewer)
    response = client.get(reverse("assessments:dashboard") + "?period=2026")
    assert [c.region for c in response.context["children"]] == [w.township_a, w.township_b]
    visit_year = next(s for s in response.context["shares"] if s.indicator.code == "HH-VISIT-YEAR")
    assert (visit_year.subjects, visit_year.met, visit_year.lagging) == (2, 0, 2)
    # County › township A › village A › the household itself, and the visits behind its figure.
    url = reverse("assessments:indicator", args=["HH-VISIT-YEAR"])
    county = client.get(url + "?period=2026")
    township = next(c for c in county.context["children"] if c.region == w.township_a)
    village_page = client.get(township.url)
    assert [c.region.name for c in village_page.context["children"]] == ["甲村"]
    village = client.get(village_page.context["children"][0].url)
    row = village.context["page"].object_list[0]
    assert row.subject_label == "张三（甲村）" and row.shortfall == 2
    assert f"/households/{w.household_a.id}/" in row.url
    detail = client.get(row.detail_url)
    records = detail.context["records"]
    assert [r[0] for r in records.rows] == [D(2026, 2, 2), D(2026, 5, 5)]
    assert all(r[3] == "是" for r in records.rows)


def test_unit_assessment_page_shows_grade_and_reasons_within_scope(client, evaluated):
    w = evaluated
    w.village_a.planned_exit_year = 2025
    w.village_a.save()
    w.village_b.planned_exit_year = 2025
    w.village_b.save()
    from pairing.models import PairingParticipant
    from tests.factories import PartyOrganisationFactory

    PairingParticipant.objects.create(
        pairing=w.village_b.pairings.get(), organisation=PartyOrganisationFactory(unit=w.unit)
    )
    period_evaluate(period=parse_period("2026"), today=AFTER_2026)
    client.force_login(w.reviewer)
    response = client.get(reverse("assessments:unit", args=[w.unit.id]) + "?year=2026")
    assert response.context["assessment"].capped
    assert {r["name"] for r in response.context["reasons"]} == {"甲村", "乙村"}
    client.force_login(w.reviewer_a)
    response = client.get(reverse("assessments:unit", args=[w.unit.id]) + "?year=2026")
    assert [r["name"] for r in response.context["reasons"]] == ["甲村"]
    assert response.context["hidden_reasons"] == 1
    assert "乙村" not in response.content.decode()


def test_a_coordinator_reads_their_own_units_assessment_only(client, evaluated):
    w = evaluated
    client.force_login(w.coordinator)
    assert client.get(reverse("assessments:unit", args=[w.unit.id])).status_code == 200
    assert client.get(reverse("assessments:unit", args=[w.unit_b.id])).status_code == 404
    assert client.get(reverse("assessments:dashboard")).status_code == 403


def test_bad_period_shows_a_chinese_error_not_a_500(client, evaluated):
    client.force_login(evaluated.reviewer)
    response = client.get(reverse("assessments:dashboard") + "?period=2026-13")
    assert response.status_code == 200
    assert "月份应在 1 至 12 之间" in response.content.decode()
    bad_page = (
        reverse("assessments:indicator", args=["HH-VISIT-YEAR"]) + "?period=2026&page=x&unit=y"
    )
    assert client.get(bad_page).status_code == 200
    assert client.get(reverse("assessments:indicator", args=["NO-SUCH"])).status_code == 404
    assert (
        client.get(reverse("assessments:unit", args=[evaluated.unit.id]) + "?year=abc").status_code
        == 200
    )


def _grow(world, townships=3, villages=3, households=4):
    """More townships, villages and households under the same county (a larger region)."""
    for t in range(townships):
        township = make_township(world.county, f"扩展{t}镇")
        for v in range(villages):
            village = VillageFactory(township=township, name=f"扩展{t}-{v}村")
            PairingFactory(lead_unit=UnitFactory(), village=village)
            for _h in range(households):
                hh = HouseholdFactory(village=village)
                pairing = HouseholdPairingFactory(household=hh)
                VisitFactory(household=hh, helper=pairing.helper, visited_on=D(2026, 4, 1))


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "page",
    [
        lambda: reverse("assessments:dashboard") + "?period=2026",
        lambda: reverse("assessments:indicator", args=["HH-VISIT-YEAR"]) + "?period=2026",
        lambda: reverse("assessments:units") + "?period=2026",
    ],
)
def test_pages_answer_in_a_fixed_number_of_queries(
    client, evaluated, page, django_assert_max_num_queries
):
    w = evaluated
    client.force_login(w.reviewer_a)
    small = _queries(client, page())
    client.force_login(w.reviewer)
    _grow(w)
    period_evaluate(period=parse_period("2026"), today=AFTER_2026)
    large = _queries(client, page())
    assert large == small
    # About 12 of the page's own plus 7 of the session, the user, the navigation's bell and the
    # session's renewal on every request.
    with django_assert_max_num_queries(20):
        client.get(page())


def test_unit_and_result_pages_are_pinned(client, evaluated, django_assert_max_num_queries):
    w = evaluated
    client.force_login(w.reviewer)
    with django_assert_max_num_queries(16):
        assert client.get(_pages(w)["unit"]).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(_pages(w)["result"]).status_code == 200


def test_the_re_evaluate_button_runs_the_period_once(
    client, evaluated, django_capture_on_commit_callbacks
):
    w = evaluated
    client.force_login(w.reviewer_a)
    url = reverse("assessments:evaluate")
    VisitFactory(household=w.household_a, helper=w.helper_a, visited_on=D(2026, 8, 8))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"period": "2026-09", "region": w.township_a.code})
    assert response.status_code == 302
    run = EvaluationRun.objects.get(period="2026-09")
    assert (run.status, run.region, run.requested_by) == ("done", w.township_a, w.reviewer_a)
    EvaluationRun.objects.create(period="2026-Q3", region=w.township_a)  # one already running
    response = client.post(url, {"period": "2026-Q3", "region": w.township_a.code}, follow=True)
    assert "正在计算" in response.content.decode()
    assert EvaluationRun.objects.filter(period="2026-Q3").count() == 1
    response = client.post(
        url, {"period": "not-a-period", "region": w.township_a.code}, follow=True
    )
    assert "无法识别" in response.content.decode()
    client.force_login(w.reviewer_b)
    assert client.post(url, {"period": "2026", "region": w.township_a.code}).status_code == 404
    client.force_login(w.staff_a)
    assert client.post(url, {"period": "2026"}).status_code == 403
    assert client.get(url).status_code == 405


def test_charts_carry_no_script_style_or_other_host(client, evaluated):
    svg = str(
        share_bars(title="达标率", labels=["贫困户全年走访次数", "一户一策"], shares=[0.9, 0.4])
    )
    assert "<script" not in svg and "<style" not in svg and "style=" not in svg
    urls = set(re.findall(r"https?://[^\s\"'<>]+", svg))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    client.force_login(evaluated.reviewer)
    html = client.get(reverse("assessments:dashboard") + "?period=2026").content.decode()
    assert html.count('class="pygal-chart') == 3
    page_urls = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert page_urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    css = client.get(reverse("assessments:chart_css"))
    assert css.status_code == 200 and css["Content-Type"].startswith("text/css")
    assert "http" not in css.content.decode()
