"""The evaluation stored set-based (assessments/storing.py): metrics computed in the database
(`SqlMetric`, INSERT … SELECT) give the same figures as their rows read in Python, the judging
rule in SQL agrees with `judge`, attribution follows the one window rule, subjects moving into
a region are not stored twice, and the roll-ups equal the results they count."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Q, Sum

from assessments import engine
from assessments.models import Comparison, IndicatorResult, ResultRollup
from assessments.periods import parse_period
from tests.assessments.conftest import AFTER_2026
from tests.factories import (
    CadreFactory,
    HouseholdFactory,
    HouseholdPairingFactory,
    VillageFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.mark.parametrize("comparison", [Comparison.GTE, Comparison.LTE])
def test_the_judging_rule_in_sql_agrees_with_judge(comparison):
    met_sql, shortfall_sql = engine.judge_sql(comparison, "v", "t")
    pairs = [(Decimal(v), Decimal(t)) for v in ("0", "3", "4", "5.5") for t in ("0", "4")]
    for value, threshold in pairs:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {met_sql}, {shortfall_sql} FROM "
                f"(SELECT CAST(%s AS numeric(14, 2)) AS v, CAST(%s AS numeric(14, 2)) AS t) q",
                [str(value), str(threshold)],
            )
            met, shortfall = cursor.fetchone()
        expected = engine.judge(value, threshold, comparison)
        assert (bool(met), Decimal(str(shortfall))) == expected, (value, threshold)


def test_database_metrics_store_what_their_rows_say(world, evaluate):
    # A second helper took household A over in July: results go to who answers now.
    successor = CadreFactory(name="接任者", unit=world.unit)
    first = world.household_a.pairings.get()
    first.end_date = D(2026, 6, 30)
    first.save()
    HouseholdPairingFactory(household=world.household_a, helper=successor, start_date=D(2026, 7, 1))
    VisitFactory(household=world.household_a, helper=world.helper_a, visited_on=D(2026, 3, 3))
    VisitFactory(household=world.household_a, helper=successor, visited_on=D(2026, 8, 3))
    stored = evaluate("2026")
    period = parse_period("2026")
    rows, _problems = engine.evaluate(period=period, today=AFTER_2026)
    by_key = {(r.indicator_id, r.row.subject_id): r for r in rows}
    checked = 0
    for code in ("HH-VISIT-YEAR", "HH-PAIRED", "HH-PLAN"):
        for (stored_code, subject_id), result in stored.items():
            if stored_code != code:
                continue
            computed = by_key[(result.indicator_id, subject_id)]
            assert (
                result.subject_label,
                result.path,
                result.township_id,
                result.village_id,
                result.household_id,
                result.unit_id,
                result.helper_id,
                result.value,
                result.threshold,
                result.met,
                result.shortfall,
            ) == (
                computed.row.label,
                computed.row.path,
                computed.row.township_id,
                computed.row.village_id,
                computed.row.household_id,
                computed.row.unit_id,
                computed.row.helper_id,
                computed.row.value,
                computed.threshold,
                computed.met,
                computed.shortfall,
            )
            checked += 1
    assert checked >= 5
    visits_a = stored[("HH-VISIT-YEAR", world.household_a.id)]
    assert visits_a.value == 2
    assert visits_a.helper_id == successor.id
    assert visits_a.subject_label == "张三（甲村）"


def test_attribution_falls_to_the_last_pairing_that_ended_when_none_is_in_force(world, evaluate):
    household = HouseholdFactory(village=world.village_a, head_name="王五")
    early = CadreFactory(name="早期", unit=world.unit)
    later = CadreFactory(name="后期", unit=world.unit)
    HouseholdPairingFactory(
        household=household, helper=early, start_date=D(2025, 1, 1), end_date=D(2026, 3, 31)
    )
    HouseholdPairingFactory(
        household=household, helper=later, start_date=D(2026, 4, 1), end_date=D(2026, 9, 30)
    )
    result = evaluate("2026")[("HH-VISIT-YEAR", household.id)]
    assert result.helper_id == later.id
    assert evaluate("2026")[("HH-PAIRED", household.id)].value == 0  # none in force at year end


def test_a_household_that_moved_into_the_region_is_stored_once(world, evaluate):
    evaluate("2026")
    household = world.household_b
    household.village = world.village_a
    household.save()
    household.refresh_from_db()
    evaluate("2026", region=world.township_a)
    rows = IndicatorResult.objects.filter(
        period="2026", indicator__code="HH-VISIT-YEAR", subject_id=household.id
    )
    assert rows.count() == 1
    assert rows.get().path == household.path


def test_roll_ups_count_the_stored_results_of_every_region_and_unit(world, evaluate):
    extra = VillageFactory(township=world.township_a, name="丙村")
    for i in range(3):
        h = HouseholdFactory(village=extra, head_name=f"户{i}")
        HouseholdPairingFactory(household=h, helper=world.helper_a)
        for month in range(1, 2 + i * 2):
            VisitFactory(household=h, helper=world.helper_a, visited_on=D(2026, month, 5))
    evaluate("2026")
    results = IndicatorResult.objects.filter(period="2026", indicator__code="HH-VISIT-YEAR")
    for region in (world.county, world.township_a, world.township_b, extra.region):
        rollup = ResultRollup.objects.get(
            period="2026", indicator__code="HH-VISIT-YEAR", region=region, unit__isnull=True
        )
        expected = results.filter(path__startswith=region.path).aggregate(
            n=Count("id"), met=Count("id", filter=Q(met=True)), total=Sum("value")
        )
        assert (rollup.subjects, rollup.met, rollup.value_sum) == (
            expected["n"],
            expected["met"],
            expected["total"],
        )
        assert rollup.parent_id == region.parent_id
    by_unit = ResultRollup.objects.get(
        period="2026", indicator__code="HH-VISIT-YEAR", region=world.township_a, unit=world.unit
    )
    assert (
        by_unit.subjects
        == results.filter(path__startswith=world.township_a.path, unit=world.unit).count()
    )
    # Units are ranked down to a township, not per village.
    assert not ResultRollup.objects.filter(
        period="2026", region=extra.region, unit__isnull=False
    ).exists()
