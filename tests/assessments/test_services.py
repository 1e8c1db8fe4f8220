"""Evaluation as a whole: re-runs replace, thresholds are data (overrides by subtree, history
kept), region-limited runs, the one-running rule, the task and the command, and the bundled rule
(三捆绑) that caps a unit's yearly grade."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from assessments.models import (
    EvaluationRun,
    Indicator,
    IndicatorOverride,
    IndicatorResult,
    ResultRollup,
    UnitAssessment,
    VisitMonth,
)
from assessments.periods import parse_period
from assessments.services import (
    bundled_reasons,
    evaluation_execute,
    evaluation_start,
    period_evaluate,
    unit_assessments_grade,
)
from assessments.tasks import evaluate_current_periods, evaluate_period
from cadres.models import Grade, YearlyGrade
from households.models import CreditStatus
from pairing.models import PairingKind, PairingParticipant
from tests.assessments.conftest import AFTER_2026
from tests.factories import (
    CadreFactory,
    PairingFactory,
    PartyOrganisationFactory,
    TermFactory,
    UnitFactory,
    VillageFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db
D = datetime.date


def test_re_running_a_period_replaces_its_results(world, evaluate):
    VisitFactory(household=world.household_a, helper=world.helper_a, visited_on=D(2026, 3, 3))
    first = evaluate("2026")
    evaluate("2026-09")
    count = IndicatorResult.objects.filter(period="2026").count()
    VisitFactory(household=world.household_a, helper=world.helper_a, visited_on=D(2026, 4, 4))
    second = evaluate("2026")
    assert IndicatorResult.objects.filter(period="2026").count() == count == len(first)
    assert second[("HH-VISIT-YEAR", world.household_a.id)].value == 2
    # Unchanged rows are kept as they were, changed ones replaced.
    key_b = ("HH-VISIT-YEAR", world.household_b.id)
    assert second[key_b].pk == first[key_b].pk
    key_a = ("HH-VISIT-YEAR", world.household_a.id)
    assert second[key_a].pk != first[key_a].pk
    # A subject that is no longer one loses its row: an exited household needs no plan.
    world.household_b.status = "exited"
    world.household_b.save()
    third = evaluate("2026")
    assert ("HH-PLAN", world.household_b.id) not in third
    assert not IndicatorResult.objects.filter(
        period="2026", indicator__code="HH-PLAN", subject_id=world.household_b.id
    ).exists()
    assert IndicatorResult.objects.filter(period="2026-09").exists()  # other periods untouched
    # The roll-ups are rebuilt too: the county counts both households once.
    rollup = ResultRollup.objects.get(
        period="2026", region=world.county, indicator__code="HH-VISIT-YEAR", unit__isnull=True
    )
    assert (rollup.subjects, rollup.met) == (2, 0)


def test_a_county_override_applies_to_its_subtree_only_and_the_deepest_wins(world, evaluate):
    from cadres.models import ReserveCadre

    for village in (world.village_a, world.village_b):
        for name in ("甲", "乙"):
            ReserveCadre.objects.create(village=village, name=name, added_on=D(2025, 1, 1))
    indicator = Indicator.objects.get(code="VILLAGE-RESERVE-CADRES")
    IndicatorOverride.objects.create(indicator=indicator, region=world.township_a, threshold=3)
    results = evaluate("2026")
    a = results[("VILLAGE-RESERVE-CADRES", world.village_a.id)]
    b = results[("VILLAGE-RESERVE-CADRES", world.village_b.id)]
    assert (a.threshold, a.met, a.shortfall) == (3, False, 1)  # township A asks for 2–3 (003)
    assert (b.threshold, b.met) == (2, True)  # township B keeps the catalogue's 2
    IndicatorOverride.objects.create(
        indicator=indicator, region=world.village_a.region, threshold=1
    )
    a = evaluate("2026")[("VILLAGE-RESERVE-CADRES", world.village_a.id)]
    assert (a.threshold, a.met) == (1, True)


def test_changing_a_threshold_changes_the_next_evaluation_not_stored_history(world, evaluate):
    for day in (D(2025, 3, 1), D(2025, 6, 1), D(2025, 9, 1)):
        VisitFactory(household=world.household_a, helper=world.helper_a, visited_on=day)
    evaluate("2025", today=D(2026, 1, 5))
    indicator = Indicator.objects.get(code="HH-VISIT-YEAR")
    indicator.threshold = Decimal("3")
    indicator.save()
    evaluate("2026")
    old = IndicatorResult.objects.get(
        period="2025", indicator=indicator, subject_id=world.household_a.id
    )
    assert (old.threshold, old.met) == (4, False)  # history keeps the rule it was judged by
    new = IndicatorResult.objects.get(
        period="2026", indicator=indicator, subject_id=world.household_a.id
    )
    assert new.threshold == 3
    indicator.active = False
    indicator.save()
    assert ("HH-VISIT-YEAR", world.household_a.id) not in evaluate("2026")


def test_a_region_run_replaces_that_region_only(world, evaluate):
    evaluate("2026")
    b_before = IndicatorResult.objects.get(
        period="2026", indicator__code="HH-VISIT-YEAR", subject_id=world.household_b.id
    )
    VisitFactory(household=world.household_a, helper=world.helper_a, visited_on=D(2026, 3, 3))
    VisitFactory(household=world.household_b, helper=world.helper_b, visited_on=D(2026, 3, 3))
    results = evaluate("2026", region=world.township_a)
    assert results[("HH-VISIT-YEAR", world.household_a.id)].value == 1
    b_after = results[("HH-VISIT-YEAR", world.household_b.id)]
    assert (b_after.pk, b_after.value) == (b_before.pk, 0)  # township B was not re-evaluated
    assert IndicatorResult.objects.filter(period="2026").count() == len(results)


def test_visit_trend_counts_credited_and_held_visits_per_township_and_month(world, evaluate):
    VisitFactory(household=world.household_a, helper=world.helper_a, visited_on=D(2026, 3, 3))
    VisitFactory(household=world.household_a, helper=world.helper_a, visited_on=D(2026, 3, 9))
    VisitFactory(
        household=world.household_a,
        helper=world.helper_a,
        visited_on=D(2026, 3, 10),
        credit_status=CreditStatus.REVIEW,
    )
    evaluate("2026")
    march = VisitMonth.objects.get(township=world.township_a, month=D(2026, 3, 1))
    assert (march.visits, march.credited, march.home_credited, march.held) == (3, 2, 2, 1)


# --- runs, the task and the command -----------------------------------------------------------
def test_only_one_evaluation_of_a_period_runs_at_a_time(world):
    run = evaluation_start(period="2026")
    with pytest.raises(ValidationError) as exc:
        evaluation_start(period="2026")
    assert "正在计算" in exc.value.messages[0]
    evaluation_start(period="2026", region_code=world.township_a.code)  # another region may run
    evaluation_execute(run=run, today=AFTER_2026)
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.DONE and run.results > 0 and run.seconds is not None
    evaluation_start(period="2026")  # finished: a new run may start


def test_bad_period_or_region_is_refused_in_chinese(world):
    with pytest.raises(ValidationError) as exc:
        evaluation_start(period="2026-13")
    assert "月份" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        evaluation_start(period="2026", region_code="000000")
    assert "不存在" in exc.value.messages[0]
    assert not EvaluationRun.objects.exists()


def test_the_task_runs_a_recorded_run_and_skips_a_finished_one(world):
    run = evaluation_start(period="2026-09")
    out = evaluate_period("2026-09", None, run.pk)
    assert out["results"] == IndicatorResult.objects.filter(period="2026-09").count()
    assert evaluate_period("2026-09", None, run.pk) == {"period": "2026-09", "skipped": True}
    assert evaluate_period("2026-Q3")["period"] == "2026-Q3"  # without a run id it records one


def test_the_nightly_task_evaluates_the_current_periods(world):
    out = evaluate_current_periods()
    labels = {row["period"] for row in out}
    assert str(datetime.date.today().year) in labels or len(labels) >= 4
    assert EvaluationRun.objects.filter(status=EvaluationRun.Status.DONE).count() == len(out)


def test_the_command_evaluates_and_reports(world, capsys):
    call_command("evaluate_indicators", "--period", "2026-W38", "--region", world.township_a.code)
    assert "2026-W38" in capsys.readouterr().out
    assert IndicatorResult.objects.filter(period="2026-W38").count() == 1  # household A's pairing
    with pytest.raises(CommandError, match="无法识别"):
        call_command("evaluate_indicators", "--period", "next-year")


# --- the bundled rule (三捆绑) ---------------------------------------------------------------
def _all_met_results(unit, year=2026):
    """A unit with every one of its results met: its earned grade is excellent."""
    indicator = Indicator.objects.get(code="UNIT-NIGHT-SCHOOL")
    IndicatorResult.objects.create(
        indicator=indicator,
        period=str(year),
        period_start=D(year, 1, 1),
        period_end=D(year, 12, 31),
        subject_kind="unit",
        subject_id=unit.id,
        subject_label=unit.name,
        unit=unit,
        value=4,
        threshold=4,
        met=True,
    )


def test_a_unit_with_all_results_met_and_no_reason_is_excellent(world):
    world.village_a.planned_exit_year = 2025
    world.village_a.exit_year = 2025
    world.village_a.save()
    _all_met_results(world.unit)
    unit_assessments_grade(year=2026, today=AFTER_2026)
    grade = UnitAssessment.objects.get(unit=world.unit, year=2026)
    assert (grade.met_share, grade.earned_grade, grade.final_grade, grade.capped) == (
        1,
        "excellent",
        "excellent",
        False,
    )


def test_a_stationed_cadre_graded_incompetent_caps_the_unit(world):
    world.village_a.exit_year = 2026
    world.village_a.save()
    term = TermFactory(
        village=world.village_a,
        dispatching_unit=world.unit,
        start_date=D(2025, 1, 1),
        end_date=D(2027, 1, 1),
    )
    YearlyGrade.objects.create(cadre=term.cadre, year=2026, grade=Grade.INCOMPETENT)
    YearlyGrade.objects.create(cadre=CadreFactory(), year=2026, grade=Grade.INCOMPETENT)  # not ours
    _all_met_results(world.unit)
    unit_assessments_grade(year=2026, today=AFTER_2026)
    grade = UnitAssessment.objects.get(unit=world.unit, year=2026)
    assert (grade.earned_grade, grade.final_grade, grade.capped) == ("excellent", "competent", True)
    assert [(r["kind"], r["id"]) for r in grade.cap_reasons] == [("cadre", term.cadre_id)]
    assert "不称职" in grade.cap_reasons[0]["text"]
    assert bundled_reasons(year=2025, today=AFTER_2026) == {}  # graded for 2026 only


def test_a_paired_village_not_exited_on_schedule_caps_lead_and_participants(world):
    participant = UnitFactory(name="参与单位")
    pairing = world.village_a.pairings.get()
    PairingParticipant.objects.create(
        pairing=pairing, organisation=PartyOrganisationFactory(unit=participant)
    )
    world.village_a.planned_exit_year = 2025
    world.village_a.exit_year = None
    world.village_a.save()
    reasons = bundled_reasons(year=2026, today=AFTER_2026)
    assert [r["kind"] for r in reasons[world.unit.id]] == ["village"]
    assert [r["kind"] for r in reasons[participant.id]] == ["village"]
    assert "计划2025年退出，至今未退出" in reasons[world.unit.id][0]["text"]
    # Exited a year late, in 2026: the unit is capped in 2025 and 2026, not in 2027.
    world.village_a.exit_year = 2026
    world.village_a.save()
    assert world.unit.id in bundled_reasons(year=2026, today=AFTER_2026)
    assert world.unit.id not in bundled_reasons(year=2027, today=D(2028, 1, 5))


def test_a_village_due_this_year_is_not_late_before_the_year_is_out(world):
    # VillageFactory plans the exit for 2026; on 22 November 2026 it may still exit in time.
    assert world.village_a.planned_exit_year == 2026 and world.village_a.exit_year is None
    assert bundled_reasons(year=2026, today=D(2026, 11, 22)) == {}
    assert world.unit.id in bundled_reasons(year=2026, today=AFTER_2026)


def test_an_assisted_county_not_delisted_on_schedule_caps_the_unit(world):
    world.village_a.exit_year = 2026
    world.village_a.save()
    county = world.county
    county.is_poverty_county = True
    county.planned_delist_year = 2025
    county.delisted_year = None
    county.save()
    helper = UnitFactory(name="定点帮扶单位")
    PairingFactory(kind=PairingKind.DESIGNATED, lead_unit=helper, village=None, region=county)
    _all_met_results(helper)
    unit_assessments_grade(year=2026, today=AFTER_2026)
    grade = UnitAssessment.objects.get(unit=helper, year=2026)
    assert grade.final_grade == "competent" and grade.capped
    assert [(r["kind"], r["id"]) for r in grade.cap_reasons] == [("county", county.id)]
    assert "摘帽" in grade.cap_reasons[0]["text"]
    # world.unit pairs with a village of the county, not with the county: not capped by it.
    assert world.unit.id not in bundled_reasons(year=2026, today=AFTER_2026)


def test_a_unit_already_below_excellent_keeps_its_earned_grade(world):
    world.village_a.planned_exit_year = 2025
    world.village_a.save()
    VillageFactory(township=world.township_a)  # unrelated
    for met in (True, False):
        IndicatorResult.objects.create(
            indicator=Indicator.objects.get(code="HH-VISIT-YEAR" if met else "HH-PAIRED"),
            period="2026",
            period_start=D(2026, 1, 1),
            period_end=D(2026, 12, 31),
            subject_kind="household",
            subject_id=world.household_a.id,
            subject_label="张三",
            unit=world.unit,
            value=1,
            threshold=1,
            met=met,
        )
    unit_assessments_grade(year=2026, today=AFTER_2026)
    grade = UnitAssessment.objects.get(unit=world.unit, year=2026)
    # Two indicators, one met: 50 %, below the 60 % floor of "basic".
    assert (grade.met_share, grade.earned_grade, grade.final_grade, grade.capped) == (
        Decimal("0.5"),
        "incompetent",
        "incompetent",
        True,
    )


def test_a_year_evaluation_grades_units(world):
    period_evaluate(period=parse_period("2026"), today=AFTER_2026)
    assert UnitAssessment.objects.filter(unit=world.unit, year=2026).exists()


def test_an_administrator_sets_a_county_threshold_in_the_admin(client, world, evaluate):
    from cadres.models import ReserveCadre

    ReserveCadre.objects.create(village=world.village_a, name="甲", added_on=D(2025, 1, 1))
    indicator = Indicator.objects.get(code="VILLAGE-RESERVE-CADRES")
    client.force_login(world.admin)
    response = client.post(
        "/admin/assessments/indicatoroverride/add/",
        {
            "indicator": indicator.pk,
            "region": world.county.pk,
            "threshold": "1",
            "note": "002 1-2名",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    results = evaluate("2026")
    a = results[("VILLAGE-RESERVE-CADRES", world.village_a.id)]
    assert (a.threshold, a.met) == (1, True)


def test_the_number_of_queries_does_not_grow_with_the_subjects(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.assessments.test_views import _grow

    def queries() -> int:
        """Reads and deletes; inserts go in batches (one COPY on PostgreSQL, batches of as many
        rows as SQLite's parameter limit allows elsewhere)."""
        IndicatorResult.objects.all().delete()
        ResultRollup.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            period_evaluate(period=parse_period("2026"), today=AFTER_2026)
        return len([q for q in ctx.captured_queries if not q["sql"].startswith("INSERT")])

    small = queries()
    _grow(world, townships=2, villages=3, households=5)
    assert queries() == small
