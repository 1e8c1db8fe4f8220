"""Hand-computed cases of the four monitoring indicators (MON-*), evaluated through the
assessment service (and once through the management command), with their roll-ups."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from assessments.catalogue import CATALOGUE
from assessments.engine import METRICS
from assessments.models import Indicator, IndicatorOverride, IndicatorResult
from households.models import CreditStatus, HouseholdPairing
from monitoring.models import CaseStatus, Procedure
from tests.factories import HouseholdPairingFactory, VisitFactory

from .conftest import D, case, clue, household, measure, notice, rollup

pytestmark = pytest.mark.django_db

MON_CODES = ["MON-CLUE-15D", "MON-HELPER", "MON-VISIT-MONTH", "MON-NOTICE-DAYS"]


def test_the_four_indicators_ship_as_data_with_their_metrics():
    by_code = {i.code: i for i in Indicator.objects.filter(code__in=MON_CODES)}
    assert sorted(by_code) == sorted(MON_CODES)
    assert {
        code: (i.subject_kind, i.metric, i.period_kind, i.threshold) for code, i in by_code.items()
    } == {
        "MON-CLUE-15D": ("region", "clues_decided_in_time", "month", Decimal("100")),
        "MON-HELPER": ("household", "monitored_helper_measure", "month", Decimal("1")),
        "MON-VISIT-MONTH": ("household", "monitored_visits", "month", Decimal("1")),
        "MON-NOTICE-DAYS": ("village", "notice_minimum_days", "year", Decimal("100")),
    }
    assert all(METRICS[i.metric].name == i.metric for i in by_code.values())
    assert {row[0] for row in CATALOGUE} >= set(MON_CODES)


# --- MON-CLUE-15D -------------------------------------------------------------------------------
def _clue_world(world):
    """June 2026. Township A: decided on day 15 (on time), on day 16 (late), the same day (on
    time); undecided since 10 June (30 days on 10 July: late), since 24 June (16 days: late),
    since 25 June (15 days: not yet judged), since 30 June (10 days: not yet judged); one
    received on 31 May (another month). Township B: one decided on day 15."""
    a, b, staff_a, staff_b = world.village_a, world.village_b, world.staff_a, world.staff_b
    clue(staff_a, household(a, "按期甲"), D(2026, 6, 1), D(2026, 6, 16))
    clue(staff_a, household(a, "超期乙"), D(2026, 6, 1), D(2026, 6, 17))
    clue(staff_a, household(a, "当天丙"), D(2026, 6, 5), D(2026, 6, 5))
    clue(staff_a, household(a, "未办丁"), D(2026, 6, 10))
    clue(staff_a, household(a, "十六天戊"), D(2026, 6, 24))
    clue(staff_a, household(a, "十五天己"), D(2026, 6, 25))
    clue(staff_a, household(a, "十天庚"), D(2026, 6, 30))
    clue(staff_a, household(a, "上月辛"), D(2026, 5, 31), D(2026, 6, 2))
    clue(staff_b, household(b, "乙镇壬"), D(2026, 6, 20), D(2026, 7, 5))


def test_clues_decided_within_15_days_per_township_day_15_on_time_day_16_late(world, evaluate):
    _clue_world(world)
    results = evaluate("2026-06")
    a = results[("MON-CLUE-15D", world.township_a.id)]
    b = results[("MON-CLUE-15D", world.township_b.id)]
    # A: judged 5 (three decided, two undecided and overdue), on time 2 -> 40 %.
    assert (a.value, a.met, a.shortfall) == (Decimal("40.00"), False, Decimal("60.00"))
    assert (a.subject_kind, a.township_id, a.path) == (
        "region",
        world.township_a.id,
        world.township_a.path,
    )
    assert (b.value, b.met) == (Decimal("100.00"), True)
    assert rollup("2026-06", "MON-CLUE-15D", world.county) == (2, 1)
    assert rollup("2026-06", "MON-CLUE-15D", world.township_a) == (1, 0)


def test_may_is_its_own_period_and_a_township_without_judged_clues_has_no_result(world, evaluate):
    _clue_world(world)
    results = evaluate("2026-05")
    a = results[("MON-CLUE-15D", world.township_a.id)]
    assert (a.value, a.met) == (Decimal("100.00"), True)  # 31 May, decided on 2 June
    assert ("MON-CLUE-15D", world.township_b.id) not in results


def test_an_undecided_clue_on_its_15th_day_is_not_late_yet(world, evaluate):
    clue(world.staff_a, household(world.village_a, "十五天"), D(2026, 6, 25))
    results = evaluate("2026-06")
    assert ("MON-CLUE-15D", world.township_a.id) not in results
    # Five days later it is on day 20: late, 0 % on time.
    results = evaluate("2026-06", today=D(2026, 7, 15))
    assert results[("MON-CLUE-15D", world.township_a.id)].value == Decimal("0.00")


def test_the_deadline_is_the_countys_setting_read_from_monitoring(world, evaluate, settings):
    _clue_world(world)
    settings.MONITORING_CLUE_DECIDE_DAYS = 16
    results = evaluate("2026-06")
    # Day 16 is now on time, and the clue undecided since 24 June (16 days) not yet judged:
    # judged 4 (three decided, the one since 10 June), on time 3 -> 75 %.
    assert results[("MON-CLUE-15D", world.township_a.id)].value == Decimal("75.00")


def test_an_override_of_the_county_sets_the_share_required(world, evaluate):
    _clue_world(world)
    IndicatorOverride.objects.create(
        indicator=Indicator.objects.get(code="MON-CLUE-15D"), region=world.county, threshold=40
    )
    results = evaluate("2026-06")
    a = results[("MON-CLUE-15D", world.township_a.id)]
    assert (a.threshold, a.met) == (Decimal("40.00"), True)


# --- MON-HELPER and MON-VISIT-MONTH -------------------------------------------------------------
def _monitored_world(world):
    """As of 30 June 2026 (June ended before today, 10 July):
    h1 (household A, helper A in force since 2025): case monitored, measure in force -> 1.
    h2: helper A's pairing ended 20 June; measure in force -> 0 (no helper).
    h3: helper A in force; one measure ended 29 June, another starts 1 July -> 0 (no measure).
    h4: case decided 2 July -> not monitored on 30 June (no result).
    h5: risk removed on 30 June -> not monitored on 30 June (no result).
    h6 (village B, helper B): risk removed on 5 July, so monitored on 30 June; helper and
    measure in force -> 1.
    household B: case still identifying -> no result."""
    a, b = world.village_a, world.village_b
    h1 = world.household_a
    h2, h3, h4, h5 = (household(a, n) for n in ("无责任人", "无措施", "七月审定", "六月消除"))
    h6 = household(b, "七月消除")
    HouseholdPairingFactory(household=h2, helper=world.helper_a, end_date=D(2026, 6, 20))
    for hh in (h3, h4, h5):
        HouseholdPairingFactory(household=hh, helper=world.helper_a)
    HouseholdPairingFactory(household=h6, helper=world.helper_b)
    c1 = case(h1, decided_on=D(2026, 3, 1))
    measure(c1, D(2026, 3, 5))
    c2 = case(h2, decided_on=D(2026, 3, 1))
    measure(c2, D(2026, 3, 5))
    c3 = case(h3, decided_on=D(2026, 3, 1))
    measure(c3, D(2026, 3, 5), D(2026, 6, 29), content="已结束的措施")
    measure(c3, D(2026, 7, 1), content="七月开始的措施")
    measure(case(h4, decided_on=D(2026, 7, 2)), D(2026, 7, 2))
    measure(
        case(h5, decided_on=D(2026, 1, 10), status=CaseStatus.REMOVED, closed_on=D(2026, 6, 30)),
        D(2026, 1, 10),
    )
    measure(
        case(h6, decided_on=D(2026, 1, 10), status=CaseStatus.REMOVED, closed_on=D(2026, 7, 5)),
        D(2026, 1, 10),
    )
    case(world.household_b, status=CaseStatus.IDENTIFYING)
    return h1, h2, h3, h4, h5, h6


def test_every_monitored_household_has_a_helper_and_a_measure_in_force(world, evaluate):
    h1, h2, h3, h4, h5, h6 = _monitored_world(world)
    results = evaluate("2026-06")
    got = {hh: r.value for (code, hh), r in results.items() if code == "MON-HELPER"}
    assert got == {h1.id: 1, h2.id: 0, h3.id: 0, h6.id: 1}
    one = results[("MON-HELPER", h1.id)]
    assert (one.met, one.helper_id, one.unit_id, one.household_id, one.village_id) == (
        True,
        world.helper_a.id,
        world.unit.id,
        h1.id,
        world.village_a.id,
    )
    # h2 is attributed to the helper whose pairing ended in June (the last one of the period).
    assert results[("MON-HELPER", h2.id)].helper_id == world.helper_a.id
    assert results[("MON-HELPER", h6.id)].helper_id == world.helper_b.id
    assert rollup("2026-06", "MON-HELPER", world.county) == (4, 2)
    assert rollup("2026-06", "MON-HELPER", world.township_a) == (3, 1)
    assert rollup("2026-06", "MON-HELPER", world.township_b) == (1, 1)
    assert rollup("2026-06", "MON-HELPER", world.county, unit=world.unit) == (3, 1)


def test_a_running_month_reads_today_and_july_sees_the_new_and_the_removed(world, evaluate):
    h1, h2, h3, h4, h5, h6 = _monitored_world(world)
    results = evaluate("2026-07")  # as of 10 July
    got = {hh: r.value for (code, hh), r in results.items() if code == "MON-HELPER"}
    # h3's July measure is in force, h4 is monitored since 2 July, h6 was removed on 5 July.
    assert got == {h1.id: 1, h2.id: 0, h3.id: 1, h4.id: 1}


def test_monitored_households_visited_at_least_once_a_month_counted_visits_only(world, evaluate):
    h1, h2, h3, h4, h5, h6 = _monitored_world(world)
    VisitFactory(household=h1, helper=world.helper_a, visited_on=D(2026, 6, 1))
    VisitFactory(household=h1, helper=world.helper_a, visited_on=D(2026, 7, 1))  # July
    VisitFactory(
        household=h2,
        helper=world.helper_a,
        visited_on=D(2026, 6, 10),
        credit_status=CreditStatus.REVIEW,
    )
    VisitFactory(household=h3, helper=world.helper_a, visited_on=D(2026, 5, 31))  # May
    VisitFactory(household=h4, helper=world.helper_a, visited_on=D(2026, 6, 15))  # not monitored
    for day in (D(2026, 6, 15), D(2026, 6, 30)):
        VisitFactory(household=h6, helper=world.helper_b, visited_on=day)
    results = evaluate("2026-06")
    got = {hh: (r.value, r.met) for (code, hh), r in results.items() if code == "MON-VISIT-MONTH"}
    assert got == {
        h1.id: (Decimal("1.00"), True),
        h2.id: (Decimal("0.00"), False),
        h3.id: (Decimal("0.00"), False),
        h6.id: (Decimal("2.00"), True),
    }
    assert rollup("2026-06", "MON-VISIT-MONTH", world.county) == (4, 2)
    # The threshold is data: a township asking for two visits a month.
    IndicatorOverride.objects.create(
        indicator=Indicator.objects.get(code="MON-VISIT-MONTH"),
        region=world.township_a,
        threshold=2,
    )
    results = evaluate("2026-06")
    assert results[("MON-VISIT-MONTH", h1.id)].met is False
    assert results[("MON-VISIT-MONTH", h1.id)].threshold == 2
    assert results[("MON-VISIT-MONTH", h6.id)].met is True
    assert rollup("2026-06", "MON-VISIT-MONTH", world.county) == (4, 1)


def test_the_management_command_evaluates_them_too(world):
    h1, *_rest = _monitored_world(world)
    call_command("evaluate_indicators", "--period", "2026-06", "--today", "2026-07-10")
    result = IndicatorResult.objects.get(
        period="2026-06", indicator__code="MON-HELPER", subject_id=h1.id
    )
    assert result.met is True


def test_a_household_whose_pairing_ends_is_still_judged_and_fails(world, evaluate):
    """The helper rule is HH-PAIRED's: a pairing ended the day before "as of" is not in force."""
    c = case(world.household_a, decided_on=D(2026, 3, 1))
    measure(c, D(2026, 3, 1))
    HouseholdPairing.objects.filter(household=world.household_a).update(end_date=D(2026, 6, 29))
    assert evaluate("2026-06")[("MON-HELPER", world.household_a.id)].value == 0
    HouseholdPairing.objects.filter(household=world.household_a).update(end_date=D(2026, 6, 30))
    assert evaluate("2026-06")[("MON-HELPER", world.household_a.id)].value == 1


# --- MON-NOTICE-DAYS ----------------------------------------------------------------------------
def _notice_world(world):
    """2026, as of 10 July. Village A: identification 1–5 June (5 days, minimum 5: ok), 10–13
    June (4 days: short), removal 20–26 June (7 days, minimum 7: ok), 1–6 July (6 days: short).
    Village B: identification 1–5 March (ok); one that started in 2025; one starting 1 August
    (after today)."""
    a, b = world.village_a, world.village_b
    ident, removal = Procedure.IDENTIFICATION, Procedure.REMOVAL
    notice(a, ident, D(2026, 6, 1), D(2026, 6, 5))
    notice(a, ident, D(2026, 6, 10), D(2026, 6, 13))
    notice(a, removal, D(2026, 6, 20), D(2026, 6, 26))
    notice(a, removal, D(2026, 7, 1), D(2026, 7, 6))
    notice(b, ident, D(2026, 3, 1), D(2026, 3, 5))
    notice(b, ident, D(2025, 12, 28), D(2025, 12, 29))
    notice(b, removal, D(2026, 8, 1), D(2026, 8, 2))


def test_notices_lasted_at_least_their_minimum_days_per_village(world, evaluate):
    _notice_world(world)
    results = evaluate("2026")
    a = results[("MON-NOTICE-DAYS", world.village_a.id)]
    b = results[("MON-NOTICE-DAYS", world.village_b.id)]
    assert (a.value, a.met, a.village_id) == (Decimal("50.00"), False, world.village_a.id)
    assert a.unit_id == world.unit.id  # the village's organisation pairing's lead unit
    assert (b.value, b.met) == (Decimal("100.00"), True)
    assert rollup("2026", "MON-NOTICE-DAYS", world.county) == (2, 1)


def test_the_minimum_days_are_the_countys_settings(world, evaluate, settings):
    _notice_world(world)
    settings.MONITORING_IDENTIFICATION_NOTICE_MIN_DAYS = 4
    settings.MONITORING_REMOVAL_NOTICE_MIN_DAYS = 8
    results = evaluate("2026")
    # Identification 5 and 4 days now both ok; removal 7 and 6 days both short.
    assert results[("MON-NOTICE-DAYS", world.village_a.id)].value == Decimal("50.00")
    settings.MONITORING_REMOVAL_NOTICE_MIN_DAYS = 6
    results = evaluate("2026")
    assert results[("MON-NOTICE-DAYS", world.village_a.id)].value == Decimal("100.00")


# --- cost ---------------------------------------------------------------------------------------
def _queries_of_evaluation(period: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.engine import evaluate as engine_evaluate
    from assessments.periods import parse_period

    indicators = list(Indicator.objects.filter(code__in=MON_CODES))
    with CaptureQueriesContext(connection) as queries:
        results, problems = engine_evaluate(
            period=parse_period(period), today=D(2026, 7, 10), indicators=indicators
        )
    assert problems == [] and results
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_households_clues_or_notices(world):
    _monitored_world(world)
    _clue_world(world)
    _notice_world(world)
    small = (_queries_of_evaluation("2026-06"), _queries_of_evaluation("2026"))
    for i in range(6):
        village = world.village_a if i % 2 else world.village_b
        hh = household(village, f"加户{i}")
        HouseholdPairingFactory(household=hh, helper=world.helper_a)
        measure(case(hh, decided_on=D(2026, 2, 1)), D(2026, 2, 1))
        VisitFactory(household=hh, helper=world.helper_a, visited_on=D(2026, 6, 3))
        staff = world.staff_a if i % 2 else world.staff_b
        clue(staff, household(village, f"加线索{i}"), D(2026, 6, 2), D(2026, 6, 9))
        notice(village, Procedure.REMOVAL, D(2026, 5, 1 + i), D(2026, 5, 9 + i))
    assert (_queries_of_evaluation("2026-06"), _queries_of_evaluation("2026")) == small
