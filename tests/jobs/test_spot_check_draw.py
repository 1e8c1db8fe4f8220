"""The quarterly draw: stratification, reproducibility, one live draw a quarter, voiding."""

import datetime
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from accounts.models import Role, SecurityEvent
from inspections.models import SpotCheckDraw, SpotCheckItem
from inspections.services import (
    quarter_bounds,
    quarter_previous,
    spot_check_compute,
    spot_check_draw,
    spot_check_recheck,
    spot_check_void,
)
from tests.factories import HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_reviewer(strata_region):
    county, _towns, _villages = strata_region
    return UserFactory(username="strata_reviewer", role=Role.REVIEWER, region=county)


def per_township(plan):
    return Counter(t for _v, t in plan.villages)


@pytest.mark.parametrize("seed", [1, 2, 3, 2026, 987654321])
def test_half_of_townships_with_1_2_and_7_villages_draws_1_1_and_4(strata_region, seed):
    county, towns, villages = strata_region
    plan = spot_check_compute(region=county, quarter="2026Q4", seed=seed, share="0.5")
    assert [per_township(plan)[t.id] for t in towns] == [1, 1, 4]
    for town in towns:  # each drawn village belongs to its stratum
        drawn = {v for v, t in plan.villages if t == town.id}
        assert drawn <= {v.id for v in villages[town.id]}


def test_no_township_is_skipped_even_at_a_small_share(strata_region):
    county, towns, _villages = strata_region
    plan = spot_check_compute(region=county, quarter="2026Q4", seed=5, share="0.1")
    assert [per_township(plan)[t.id] for t in towns] == [1, 1, 1]


def test_same_settings_and_seed_give_the_same_draw(strata_region):
    county, _towns, villages = strata_region
    for village_list in villages.values():
        for village in village_list:
            for _ in range(4):
                HouseholdFactory(village=village)
    settings = dict(region=county, quarter="2026Q4", share="0.5", households_per_village=2)
    first = spot_check_compute(seed=42, **settings)
    again = spot_check_compute(seed=42, **settings)
    assert first.villages == again.villages and first.households == again.households
    others = {tuple(spot_check_compute(seed=s, **settings).households) for s in range(43, 53)}
    assert len(others) > 1  # the seed matters


def test_households_are_drawn_within_each_drawn_village(strata_region):
    county, towns, villages = strata_region
    small = villages[towns[0].id][0]  # the one village of the 1-village township: always drawn
    HouseholdFactory(village=small)
    for village in villages[towns[2].id]:
        for _ in range(5):
            HouseholdFactory(village=village)
    plan = spot_check_compute(
        region=county, quarter="2026Q4", seed=9, share="0.5", households_per_village=3
    )
    by_village = Counter(v for _h, v, _t in plan.households)
    assert by_village[small.id] == 1  # fewer households than asked: all of them
    drawn_big = [v for v, t in plan.villages if t == towns[2].id]
    assert all(by_village[v] == 3 for v in drawn_big)
    assert set(by_village) <= {v for v, _t in plan.villages}


def test_draw_is_stored_with_seed_who_and_when(strata_region, county_reviewer):
    county, _towns, _villages = strata_region
    draw = spot_check_draw(region=county, quarter="2026q4", drawn_by=county_reviewer)
    assert draw.quarter == "2026Q4"
    assert draw.seed is not None and draw.drawn_by == county_reviewer and draw.drawn_at
    assert draw.items.count() == 6
    assert spot_check_recheck(draw=draw).matches


def test_one_live_draw_per_region_and_quarter_until_voided(strata_region, county_reviewer):
    county, _towns, _villages = strata_region
    draw = spot_check_draw(region=county, quarter="2026Q4", drawn_by=county_reviewer, seed=1)
    with pytest.raises(ValidationError, match="已有抽查结果"):
        spot_check_draw(region=county, quarter="2026Q4", drawn_by=county_reviewer, seed=2)
    with pytest.raises(ValidationError, match="原因"):
        spot_check_void(draw=draw, user=county_reviewer, reason="  ")
    spot_check_void(draw=draw, user=county_reviewer, reason="抽取时区划数据有误")
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.DRAW_VOIDED)
    assert event.user == county_reviewer and event.detail["reason"] == "抽取时区划数据有误"
    assert event.region_code == county.code
    again = spot_check_draw(region=county, quarter="2026Q4", drawn_by=county_reviewer, seed=2)
    assert SpotCheckDraw.objects.filter(region=county, quarter="2026Q4").count() == 2
    assert not again.voided


def test_recheck_notices_a_changed_sample(strata_region, county_reviewer):
    county, _towns, _villages = strata_region
    draw = spot_check_draw(region=county, quarter="2026Q4", drawn_by=county_reviewer, seed=3)
    removed = draw.items.first()
    removed.delete()
    result = spot_check_recheck(draw=draw)
    assert not result.matches
    assert result.extra == [(removed.village_id, None)] and result.missing == []


def test_excluding_last_quarter_prefers_fresh_villages_and_tops_up(strata_region, county_reviewer):
    county, towns, villages = strata_region
    previous = spot_check_draw(region=county, quarter="2026Q3", drawn_by=county_reviewer, seed=11)
    before = set(previous.items.values_list("village_id", flat=True))
    plan = spot_check_compute(
        region=county, quarter="2026Q4", seed=12, share="0.5", exclude_previous=True
    )
    now = {v for v, _t in plan.villages}
    seven = {v.id for v in villages[towns[2].id]}
    # 7 villages, 4 drawn last quarter: the 3 others are all taken, plus 1 of last quarter's.
    assert seven - before <= now
    assert len(now & seven) == 4
    assert len(now & seven & before) == 1
    # 2 villages, 1 drawn last quarter: the other one now.
    two = {v.id for v in villages[towns[1].id]}
    assert now & two == two - before
    # The draw is still reproducible after last quarter's draw is voided.
    draw = spot_check_draw(
        region=county,
        quarter="2026Q4",
        drawn_by=county_reviewer,
        seed=12,
        exclude_previous=True,
    )
    spot_check_void(draw=previous, user=county_reviewer, reason="测试作废")
    assert spot_check_recheck(draw=draw).matches


def test_only_a_reviewer_of_the_region_may_draw(strata_region, world):
    county, _towns, _villages = strata_region
    with pytest.raises(Http404):
        spot_check_draw(region=county, quarter="2026Q4", drawn_by=world.staff_a)
    with pytest.raises(Http404):  # the world's county reviewer: another county
        spot_check_draw(region=county, quarter="2026Q4", drawn_by=world.reviewer)
    spot_check_draw(region=county, quarter="2026Q4", drawn_by=world.admin)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quarter", "2026-4", "季度格式"),
        ("quarter", "2026Q5", "季度格式"),
        ("share", "0", "抽查比例"),
        ("share", "1.5", "抽查比例"),
        ("share", "abc", "抽查比例"),
        ("households_per_village", 99, "每村抽查户数"),
        ("seed", -1, "随机种子"),
    ],
)
def test_bad_settings_get_a_clear_chinese_error(
    strata_region, county_reviewer, field, value, message
):
    county, _towns, _villages = strata_region
    kwargs = {"region": county, "quarter": "2026Q4", "drawn_by": county_reviewer, field: value}
    with pytest.raises(ValidationError, match=message):
        spot_check_draw(**kwargs)
    assert not SpotCheckItem.objects.exists()


def test_a_township_cannot_be_the_drawing_region(strata_region, county_reviewer):
    _county, towns, _villages = strata_region
    with pytest.raises(ValidationError, match="分层"):
        spot_check_draw(region=towns[2], quarter="2026Q4", drawn_by=county_reviewer)


def test_quarters():
    assert quarter_previous("2026Q1") == "2025Q4"
    assert quarter_previous("2026Q3") == "2026Q2"
    assert quarter_bounds("2026Q4") == (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    assert quarter_bounds("2026Q1") == (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
