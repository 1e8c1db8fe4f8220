"""The thresholds pages (/assessments/thresholds/): everyone with a scope reads the threshold
in force in their regions and where it comes from; only the county Party-work department sets
and clears (403 for the others, 404 outside the scope, nothing changed); a set through the page
is what Thresholds reads (the deepest region wins), what the dashboard's next evaluation judges
by, and lands in the security log and the page's history. Lists in a fixed number of queries."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent
from assessments.models import Indicator, IndicatorOverride, IndicatorResult
from assessments.selectors import Thresholds
from assessments.services import threshold_set
from tests.factories import VillageFactory, VisitFactory, make_township

pytestmark = pytest.mark.django_db
CODE = "HH-VISIT-YEAR"


def list_url(region=None):
    url = reverse("assessments:thresholds")
    return url + (f"?region={region.code}" if region is not None else "")


def detail_url(region, code=CODE):
    return reverse("assessments:threshold", args=[code]) + f"?region={region.code}"


def clear_url(override, region):
    return (
        reverse("assessments:threshold_clear", args=[override.indicator.code, override.pk])
        + f"?region={region.code}"
    )


def post_threshold(client, region, target, value, note=""):
    return client.post(detail_url(region), {"region": target.pk, "threshold": value, "note": note})


def text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the permission trio -------------------------------------------------------------------
@pytest.mark.parametrize(
    "reader", ["reviewer", "reviewer_a", "staff_a", "cadre_user", "coordinator", "admin"]
)
def test_everyone_with_a_scope_reads_the_pages(client, world, reader):
    client.force_login(getattr(world, reader))
    response = client.get(list_url())
    assert response.status_code == 200
    assert "贫困户全年走访次数" in text(response)
    assert client.get(detail_url(world.township_a)).status_code == 200


@pytest.mark.parametrize("reader", ["staff_a", "cadre_user", "coordinator"])
def test_a_reader_sees_no_form_and_may_not_write(client, world, reader):
    override = threshold_set(
        user=world.reviewer,
        indicator=Indicator.objects.get(code=CODE),
        region=world.township_a,
        threshold=6,
    )
    client.force_login(getattr(world, reader))
    page = client.get(detail_url(world.township_a)).content.decode()
    # No form and no 清除 button (every page carries the drafts script's 清除 label).
    assert 'name="threshold"' not in page and clear_url(override, world.township_a) not in page
    assert post_threshold(client, world.township_a, world.township_a, "9").status_code == 403
    assert client.post(clear_url(override, world.township_a)).status_code == 403
    override.refresh_from_db()
    assert override.threshold == Decimal("6.00")


def test_outside_the_scope_is_404_and_nothing_changes(client, world):
    override = threshold_set(
        user=world.reviewer,
        indicator=Indicator.objects.get(code=CODE),
        region=world.township_a,
        threshold=6,
    )
    client.force_login(world.other_reviewer)
    assert client.get(list_url(world.township_a)).status_code == 404
    assert client.get(detail_url(world.township_a)).status_code == 404
    assert post_threshold(client, world.township_a, world.township_a, "9").status_code == 404
    assert client.post(clear_url(override, world.township_a)).status_code == 404
    # Their own region in the address does not open another county's override either.
    assert client.post(clear_url(override, world.other_county)).status_code == 404
    # Township A's staff do not reach township B.
    client.force_login(world.staff_a)
    assert client.get(detail_url(world.township_b)).status_code == 404
    override.refresh_from_db()
    assert override.threshold == Decimal("6.00")
    assert IndicatorOverride.objects.count() == 1


def test_the_form_offers_only_regions_of_the_scope(client, world):
    client.force_login(world.reviewer_a)  # township A's reviewer
    response = client.post(
        detail_url(world.township_a), {"region": world.township_b.pk, "threshold": "9"}
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in text(response)
    assert not IndicatorOverride.objects.exists()


def test_an_unknown_indicator_is_404(client, world):
    client.force_login(world.reviewer)
    assert client.get(detail_url(world.county, code="NO-SUCH")).status_code == 404


# --- the keeper sets and clears ----------------------------------------------------------------
def test_the_deepest_override_set_through_the_page_wins(client, world):
    client.force_login(world.reviewer)
    assert post_threshold(client, world.county, world.county, "5", "县文件").status_code == 302
    assert post_threshold(client, world.county, world.township_a, "7").status_code == 302
    thresholds = Thresholds([CODE])
    assert thresholds.get(CODE, world.village_a.region.path) == Decimal("7")
    assert thresholds.get(CODE, world.village_b.region.path) == Decimal("5")
    assert thresholds.get(CODE, "") == Decimal("4")  # the catalogue's own figure is kept
    # The pages say which threshold is in force where, and where it comes from.
    page = text(client.get(list_url(world.township_a)))
    assert "年度不少于 7 次" in page and "本区划设置" in page
    page = text(client.get(list_url(world.township_b)))
    assert "年度不少于 5 次" in page and "测试县设置" in page
    page = text(client.get(list_url(world.county)))
    assert "下级另有 1 处设置" in page
    page = text(client.get(detail_url(world.township_b)))
    assert "本区划执行 年度不少于 5次 （测试县设置）" in page


def test_a_bad_value_is_shown_next_to_the_field_and_nothing_changes(client, world):
    client.force_login(world.reviewer)
    response = post_threshold(client, world.county, world.county, "2.5")
    assert response.status_code == 200
    assert "该指标按整数计（次），达标值应为整数。" in text(response)
    response = client.post(
        detail_url(world.county, "SPOT-CHECK-RATE"), {"region": world.county.pk, "threshold": "120"}
    )
    assert "百分比不能超过 100。" in text(response)
    assert not IndicatorOverride.objects.exists()


def test_clearing_falls_back_to_the_region_above(client, world):
    client.force_login(world.reviewer)
    post_threshold(client, world.county, world.county, "5")
    post_threshold(client, world.county, world.township_a, "7")
    township = IndicatorOverride.objects.get(region=world.township_a)
    response = client.post(clear_url(township, world.township_a), follow=True)
    assert "已清除甲镇对“贫困户全年走访次数”的阈值设置" in text(response)
    assert Thresholds([CODE]).get(CODE, world.village_a.region.path) == Decimal("5")
    assert client.get(clear_url(township, world.township_a)).status_code == 405


def test_a_township_reviewer_cannot_clear_the_countys_setting(client, world):
    client.force_login(world.reviewer)
    post_threshold(client, world.county, world.county, "5")
    county = IndicatorOverride.objects.get()
    client.force_login(world.reviewer_a)
    page = client.get(detail_url(world.township_a)).content.decode()
    assert "测试县" in page and clear_url(county, world.township_a) not in page
    assert client.post(clear_url(county, world.township_a)).status_code == 404
    assert IndicatorOverride.objects.filter(pk=county.pk).exists()


# --- the trail -----------------------------------------------------------------------------
def test_the_security_log_names_who_where_what_old_and_new(client, world):
    client.force_login(world.reviewer)
    post_threshold(client, world.county, world.township_a, "6")
    post_threshold(client, world.county, world.township_a, "8")
    override = IndicatorOverride.objects.get()
    client.post(clear_url(override, world.county))
    rows = list(
        SecurityEvent.objects.filter(kind=SecurityEvent.Kind.THRESHOLD_CHANGE).order_by("pk")
    )
    assert [(r.user, r.region_code, r.detail["indicator"]) for r in rows] == [
        (world.reviewer, world.township_a.code, CODE)
    ] * 3
    assert [r.detail["action"] for r in rows] == ["created", "changed", "deleted"]
    assert rows[1].detail["changes"]["threshold"] == ["6.00", "8.00"]
    assert rows[2].detail["threshold"] == "8.00"
    assert all(r.ip_address == "127.0.0.1" for r in rows)


def test_the_history_shows_every_change_also_after_clearing(client, world):
    client.force_login(world.reviewer)
    post_threshold(client, world.county, world.township_a, "6", "甲镇文件")
    client.force_login(world.admin)
    post_threshold(client, world.county, world.township_a, "8")
    client.force_login(world.reviewer)
    client.post(clear_url(IndicatorOverride.objects.get(), world.county))
    page = text(client.get(detail_url(world.county)))
    history = page[page.index("修改记录") :]
    assert re.search(r"清除 · 甲镇 · reviewer .*达标值 ： 8 → —", history)
    assert re.search(r"修改 · 甲镇 · admin .*达标值 ： 6 → 8", history)
    assert re.search(r"设置 · 甲镇 · reviewer .*达标值 ： — → 6 依据 ： — → 甲镇文件", history)
    assert history.index("清除 ·") < history.index("修改 ·") < history.index("设置 ·")
    # Another county's reviewer does not see township A's history.
    client.force_login(world.other_reviewer)
    page = text(client.get(detail_url(world.other_county)))
    assert "甲镇" not in page[page.index("修改记录") :]


# --- the figures follow ------------------------------------------------------------------------
def test_the_dashboard_follows_after_the_recalculation_the_page_offers(
    client, world, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    for days in (1, 2):
        day = max(datetime.date(today.year, 1, 1), today - datetime.timedelta(days=days))
        VisitFactory(household=world.household_a, helper=world.helper_a, visited_on=day)
    client.force_login(world.reviewer)
    response = post_threshold(client, world.county, world.township_a, "2")
    page = client.get(response["Location"]).content.decode()
    assert "考核看板上已计算的结果在下一次计算后更新" in page
    form = re.search(
        r'<form method="post" action="(?P<action>/assessments/evaluate/)" class="inline">.*?'
        r'name="period" value="(?P<period>[^"]+)".*?name="region" value="(?P<region>[^"]+)"',
        page,
        re.S,
    )
    assert form["action"] == reverse("assessments:evaluate")
    assert form["period"] == str(today.year) and form["region"] == world.county.code
    with django_capture_on_commit_callbacks(execute=True):
        client.post(form["action"], {"period": form["period"], "region": form["region"]})
    result = IndicatorResult.objects.get(
        indicator__code=CODE, period=str(today.year), subject_id=world.household_a.pk
    )
    assert (result.threshold, result.met) == (Decimal("2.00"), True)
    other = IndicatorResult.objects.get(
        indicator__code=CODE, period=str(today.year), subject_id=world.household_b.pk
    )
    assert other.threshold == Decimal("4.00")


def test_only_reviewers_are_offered_the_recalculation(client, world):
    client.force_login(world.staff_a)
    assert reverse("assessments:evaluate") not in client.get(list_url()).content.decode()
    client.force_login(world.reviewer)
    assert reverse("assessments:evaluate") in client.get(list_url()).content.decode()


# --- fixed queries ----------------------------------------------------------------------------
def _grow(world, n):
    indicator = Indicator.objects.get(code=CODE)
    for _ in range(n):
        township = make_township(world.county)
        village = VillageFactory(township=township)
        for region in (township, village.region):
            threshold_set(user=world.reviewer, indicator=indicator, region=region, threshold=6)
            override = IndicatorOverride.objects.get(indicator=indicator, region=region)
            threshold_set(user=world.admin, indicator=indicator, region=region, threshold=7)
            override.refresh_from_db()


@pytest.mark.parametrize("rows", [1, 6])
def test_the_pages_answer_in_a_fixed_number_of_queries(
    client, world, rows, django_assert_max_num_queries
):
    _grow(world, rows)
    client.force_login(world.reviewer)
    with django_assert_max_num_queries(13):
        assert client.get(list_url(world.county)).status_code == 200
    with django_assert_max_num_queries(19):
        response = client.get(detail_url(world.county))
    assert response.status_code == 200
    assert text(response).count("修改 ·") == 2 * rows
