"""The rules of monitoring against relapse, through the services the pages and the API call:
the deadlines at their edges, the steps in order, the notice minimums, "not identified" at any
step, measures by labour capacity, each refusal of a risk removal, and a household identified
again after an earlier removal."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from monitoring import selectors, services
from monitoring.models import (
    CaseStatus,
    Category,
    ClueChannel,
    ClueOutcome,
    LabourCapacity,
    MeasureKind,
    MonitoringCase,
    MonitoringRange,
    MonitoringStep,
    Procedure,
    RemovalKind,
    RemovalStatus,
    RigidExpenseState,
    RiskClue,
    StepKind,
)
from tests.factories import HouseholdFactory, make_county
from tests.monitoring.conftest import (
    another,
    clue_for,
    day,
    identify,
    notice_for,
    open_case,
    remove_ready,
    signed_form,
)

pytestmark = pytest.mark.django_db


def messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- deadlines ---------------------------------------------------------------------------------
class TestClueDeadline:
    def test_day_fifteen_is_on_time_and_day_sixteen_late(self, mon):
        w = mon.world
        on_time = clue_for(w.staff_a, w.household_a, received=-15)
        late = clue_for(w.staff_a, another(w.village_a), received=-16)
        assert selectors.clue_deadline(on_time).days_elapsed == 15
        assert selectors.clue_deadline(on_time).late is False
        assert selectors.clue_deadline(late).days_elapsed == 16
        assert selectors.clue_deadline(late).late is True
        late_ids = set(selectors.clues_late(RiskClue.objects.all()).values_list("id", flat=True))
        assert late_ids == {late.id}

    def test_decided_on_day_fifteen_stays_on_time_for_ever(self, mon):
        w = mon.world
        clue = clue_for(w.staff_a, w.household_a, received=-40)
        services.clue_decide(
            user=w.staff_a,
            clue=clue,
            outcome=ClueOutcome.NOT_IDENTIFIED,
            day=day(-25),
            reason="收入稳定，无返贫风险",
        )
        other = clue_for(w.staff_a, another(w.village_a), received=-40)
        services.clue_decide(
            user=w.staff_a,
            clue=other,
            outcome=ClueOutcome.NOT_IDENTIFIED,
            day=day(-24),
            reason="收入稳定",
        )
        clue.refresh_from_db()
        other.refresh_from_db()
        assert (clue.decision_days, other.decision_days) == (15, 16)
        assert selectors.clue_deadline(clue).late is False
        assert selectors.clue_deadline(other).late is True
        assert list(selectors.clues_late(RiskClue.objects.all())) == [other]

    def test_the_limit_is_a_setting(self, mon, settings):
        w = mon.world
        clue = clue_for(w.staff_a, w.household_a, received=-15)
        settings.MONITORING_CLUE_DECIDE_DAYS = 14
        assert selectors.clue_deadline(clue).late is True
        assert selectors.clues_late(RiskClue.objects.all()).count() == 1


class TestApplicationDeadline:
    def test_day_two_is_on_time_and_day_three_late(self, mon):
        w = mon.world
        on_time = clue_for(w.staff_a, w.household_a, received=-2, channel=ClueChannel.APPLICATION)
        late = clue_for(
            w.staff_a,
            another(w.village_a),
            received=-3,
            channel=ClueChannel.APPLICATION,
        )
        assert selectors.acceptance_deadline(on_time).late is False
        assert selectors.acceptance_deadline(late).late is True
        query = selectors.clues_acceptance_late(RiskClue.objects.all())
        assert list(query) == [late]

    def test_acceptance_stores_its_days(self, mon):
        w = mon.world
        clue = clue_for(w.staff_a, w.household_a, received=-5, channel=ClueChannel.APPLICATION)
        services.clue_accept(user=w.staff_a, clue=clue, day=day(-3))
        assert clue.acceptance_days == 2
        assert selectors.acceptance_deadline(clue).late is False
        assert not selectors.clues_acceptance_late(RiskClue.objects.all()).exists()

    def test_only_applications_are_accepted(self, mon):
        w = mon.world
        clue = clue_for(w.staff_a, w.household_a)
        assert selectors.acceptance_deadline(clue) is None
        with pytest.raises(ValidationError, match="只有农户自主申报"):
            services.clue_accept(user=w.staff_a, clue=clue)

    def test_a_cadre_raises_but_does_not_accept(self, mon):
        w = mon.world
        clue = clue_for(w.cadre_user, w.household_a, channel=ClueChannel.APPLICATION)
        assert clue.received_by == w.cadre_user
        with pytest.raises(PermissionDenied):
            services.clue_accept(user=w.cadre_user, clue=clue)
        assert RiskClue.objects.get(pk=clue.pk).accepted_on is None


class TestClues:
    def test_department_warning_names_its_department(self, mon):
        w = mon.world
        with pytest.raises(ValidationError) as exc:
            clue_for(w.staff_a, w.household_a, channel=ClueChannel.DEPARTMENT)
        assert "department" in exc.value.message_dict
        clue = clue_for(
            w.staff_a, w.household_a, channel=ClueChannel.DEPARTMENT, department="medical_insurance"
        )
        assert clue.township == w.township_a and clue.path == w.household_a.path

    def test_outside_scope_is_404_and_nothing_is_written(self, mon):
        w = mon.world
        with pytest.raises(Http404):
            clue_for(w.staff_b, w.household_a)
        with pytest.raises(Http404):
            clue_for(w.cadre_user, w.household_b)
        assert not RiskClue.objects.exists()

    def test_a_coordinator_may_not_raise_clues(self, mon):
        w = mon.world
        with pytest.raises(PermissionDenied):
            clue_for(w.coordinator, w.household_a)

    def test_not_identified_needs_a_reason(self, mon):
        w = mon.world
        clue = clue_for(w.staff_a, w.household_a)
        with pytest.raises(ValidationError) as exc:
            services.clue_decide(user=w.staff_a, clue=clue, outcome=ClueOutcome.NOT_IDENTIFIED)
        assert "reason" in exc.value.message_dict

    def test_already_monitored_joins_the_open_case(self, mon):
        w = mon.world
        case = open_case(w.staff_a, w.household_a)
        second = clue_for(w.staff_a, w.household_a, received=-5)
        with pytest.raises(ValidationError, match="已是监测对象"):
            services.case_open(
                user=w.staff_a,
                clue=second,
                category=Category.UNSTABLE,
                risk_types=["illness"],
                labour_capacity=LabourCapacity.CAPABLE,
            )
        services.clue_decide(user=w.staff_a, clue=second, outcome=ClueOutcome.ALREADY_MONITORED)
        assert second.case == case and second.decision_days == 5

    def test_screening_raises_clues_in_one_action_and_skips_busy_households(self, mon):
        w = mon.world
        busy = open_case(w.staff_a, w.household_a).household
        free = another(w.village_a)
        result = services.clues_raise(user=w.staff_a, households=[busy, free], risk="收入下降")
        assert [c.household for c in result.created] == [free]
        assert result.skipped == [busy]
        assert result.created[0].channel == ClueChannel.SCREENING


# --- the identification ---------------------------------------------------------------------
class TestSteps:
    def test_a_step_out_of_order_names_the_missing_step(self, mon):
        w = mon.world
        case = open_case(w.staff_a, w.household_a)
        with pytest.raises(ValidationError) as exc:
            services.case_step_record(
                user=w.staff_a, case=case, kind=StepKind.DATA_COMPARISON, done_on=day(-10)
            )
        assert "请先完成“入户核实（承诺授权）”" in messages(exc.value)
        services.case_step_record(
            user=w.cadre_user,
            case=case,
            kind=StepKind.HOME_CHECK,
            done_on=day(-19),
            checkers="帮扶人甲",
            document=signed_form(),
        )
        with pytest.raises(ValidationError) as exc:
            services.case_step_record(
                user=w.staff_a, case=case, kind=StepKind.TOWNSHIP_REVIEW, done_on=day(-10)
            )
        assert "请先完成“县级数据比对”" in messages(exc.value)
        with pytest.raises(ValidationError, match="已经登记"):
            services.case_step_record(
                user=w.staff_a,
                case=case,
                kind=StepKind.HOME_CHECK,
                done_on=day(-18),
                checkers="王五",
                document=signed_form(),
            )
        assert MonitoringStep.objects.filter(case=case).count() == 1

    def test_the_home_check_needs_the_signed_authorisation(self, mon):
        w = mon.world
        case = open_case(w.staff_a, w.household_a)
        with pytest.raises(ValidationError) as exc:
            services.case_step_record(
                user=w.staff_a,
                case=case,
                kind=StepKind.HOME_CHECK,
                done_on=day(-19),
                checkers="王五",
            )
        assert "承诺授权书" in " ".join(exc.value.message_dict["document"])

    def test_a_document_must_be_an_image_or_pdf(self, mon):
        from django.core.files.uploadedfile import SimpleUploadedFile

        w = mon.world
        case = open_case(w.staff_a, w.household_a)
        with pytest.raises(ValidationError) as exc:
            services.case_step_record(
                user=w.staff_a,
                case=case,
                kind=StepKind.HOME_CHECK,
                done_on=day(-19),
                checkers="王五",
                document=SimpleUploadedFile("x.jpg", b"<html>not an image</html>"),
            )
        assert "document" in exc.value.message_dict
        step = services.case_step_record(
            user=w.staff_a,
            case=case,
            kind=StepKind.HOME_CHECK,
            done_on=day(-19),
            checkers="王五",
            document=SimpleUploadedFile("scan.pdf", b"%PDF-1.4 signed"),
        )
        assert step.document.name.endswith(".pdf")

    def test_a_step_date_cannot_precede_the_previous_step(self, mon):
        w = mon.world
        case = open_case(w.staff_a, w.household_a)
        services.case_step_record(
            user=w.staff_a,
            case=case,
            kind=StepKind.HOME_CHECK,
            done_on=day(-15),
            checkers="王五",
            document=signed_form(),
        )
        with pytest.raises(ValidationError) as exc:
            services.case_step_record(
                user=w.staff_a, case=case, kind=StepKind.DATA_COMPARISON, done_on=day(-16)
            )
        assert "done_on" in exc.value.message_dict

    def test_the_notice_lasts_at_least_five_days(self, mon):
        w = mon.world
        with pytest.raises(ValidationError, match="不少于5天"):
            notice_for(w.staff_a, w.village_a, days=4)
        notice = notice_for(w.staff_a, w.village_a, days=5)
        assert selectors.notice_days(notice.start_date, notice.end_date) == 5

    def test_the_township_review_waits_for_the_end_of_the_notice(self, mon):
        w = mon.world
        case = identify(w, open_case(w.staff_a, w.household_a), decide=False)
        # identify() reviewed on day -11, the day after the notice (-16 … -12) ended; a review
        # on its last day is refused.
        other = open_case(w.staff_a, another(w.village_a))
        services.case_step_record(
            user=w.staff_a,
            case=other,
            kind=StepKind.HOME_CHECK,
            done_on=day(-19),
            checkers="王五",
            document=signed_form(),
        )
        services.case_step_record(
            user=w.staff_a, case=other, kind=StepKind.DATA_COMPARISON, done_on=day(-18)
        )
        notice = case.steps.get(kind=StepKind.APPRAISAL).notice
        services.case_step_record(
            user=w.staff_a, case=other, kind=StepKind.APPRAISAL, done_on=day(-17), notice=notice
        )
        with pytest.raises(ValidationError, match="公示期到"):
            services.case_step_record(
                user=w.staff_a, case=other, kind=StepKind.TOWNSHIP_REVIEW, done_on=notice.end_date
            )

    def test_a_notice_of_another_village_or_purpose_is_refused(self, mon):
        w = mon.world
        case = open_case(w.staff_a, w.household_a)
        services.case_step_record(
            user=w.staff_a,
            case=case,
            kind=StepKind.HOME_CHECK,
            done_on=day(-19),
            checkers="王五",
            document=signed_form(),
        )
        services.case_step_record(
            user=w.staff_a, case=case, kind=StepKind.DATA_COMPARISON, done_on=day(-18)
        )
        removal_notice = notice_for(w.staff_a, w.village_a, purpose=Procedure.REMOVAL, days=7)
        with pytest.raises(ValidationError, match="与本程序不符"):
            services.case_step_record(
                user=w.staff_a,
                case=case,
                kind=StepKind.APPRAISAL,
                done_on=day(-12),
                notice=removal_notice,
            )
        other_village = notice_for(w.reviewer, w.village_b)
        with pytest.raises(ValidationError, match="不是该户所在村"):
            services.case_step_record(
                user=w.reviewer,
                case=case,
                kind=StepKind.APPRAISAL,
                done_on=day(-12),
                notice=other_village,
            )

    def test_only_the_county_decides_and_the_decision_settles_the_clue(self, mon):
        w = mon.world
        case = identify(w, open_case(w.staff_a, w.household_a), decide=False)
        with pytest.raises(PermissionDenied):
            services.case_step_record(
                user=w.staff_a, case=case, kind=StepKind.COUNTY_DECISION, done_on=day(-9)
            )
        with pytest.raises(PermissionDenied):  # the township's review is the township's
            services.step_withdraw(
                user=w.reviewer, step=case.steps.get(kind=StepKind.TOWNSHIP_REVIEW)
            )
        services.case_step_record(
            user=w.reviewer, case=case, kind=StepKind.COUNTY_DECISION, done_on=day(-9)
        )
        case.refresh_from_db()
        clue = case.clues.get()
        assert case.status == CaseStatus.MONITORED and case.decided_on == day(-9)
        assert clue.outcome == ClueOutcome.IDENTIFIED and clue.decided_on == day(-9)
        assert clue.decision_days == 11
        assert selectors.case_deadline(case).late is False

    def test_not_identified_at_any_step_with_the_reason(self, mon):
        w = mon.world
        case = open_case(w.staff_a, w.household_a)
        services.case_step_record(
            user=w.staff_a,
            case=case,
            kind=StepKind.HOME_CHECK,
            done_on=day(-19),
            checkers="王五",
            document=signed_form(),
        )
        with pytest.raises(PermissionDenied):
            services.case_not_identify(user=w.cadre_user, case=case, reason="收入较高")
        with pytest.raises(ValidationError) as exc:
            services.case_not_identify(user=w.staff_a, case=case, reason="")
        assert "reason" in exc.value.message_dict
        services.case_not_identify(
            user=w.staff_a, case=case, reason="数据比对发现家庭有经营实体", day=day(-17)
        )
        case.refresh_from_db()
        clue = case.clues.get()
        assert case.status == CaseStatus.NOT_IDENTIFIED
        assert case.closed_at_step == StepKind.DATA_COMPARISON
        assert clue.outcome == ClueOutcome.NOT_IDENTIFIED
        assert clue.decision_reason == "数据比对发现家庭有经营实体"
        with pytest.raises(ValidationError, match="不在识别程序中"):
            services.case_step_record(
                user=w.staff_a, case=case, kind=StepKind.DATA_COMPARISON, done_on=day(-16)
            )

    def test_a_marginal_household_was_never_registered(self, mon):
        w = mon.world
        clue = clue_for(w.staff_a, w.household_a)
        with pytest.raises(ValidationError, match="从未建档立卡"):
            services.case_open(
                user=w.staff_a,
                clue=clue,
                category=Category.MARGINAL,
                risk_types=["illness"],
                labour_capacity=LabourCapacity.CAPABLE,
            )

    def test_the_county_refuses_a_category_whose_income_is_above_the_range(self, mon):
        from households.models import IncomeRecord

        w = mon.world
        IncomeRecord.objects.create(
            household=w.household_a, year=2026, per_capita_net_income=Decimal("12000")
        )
        case = identify(w, open_case(w.staff_a, w.household_a), decide=False)
        with pytest.raises(ValidationError, match="突发严重困难户"):
            services.case_step_record(
                user=w.reviewer, case=case, kind=StepKind.COUNTY_DECISION, done_on=day(-9)
            )
        services.case_update(user=w.staff_a, case=case, category=Category.SUDDEN)
        services.case_step_record(
            user=w.reviewer, case=case, kind=StepKind.COUNTY_DECISION, done_on=day(-9)
        )

    def test_withdrawing_the_latest_step_only(self, mon):
        w = mon.world
        case = identify(w, open_case(w.staff_a, w.household_a), decide=False)
        with pytest.raises(ValidationError, match="最后一个环节"):
            services.step_withdraw(user=w.staff_a, step=case.steps.get(kind=StepKind.HOME_CHECK))
        services.step_withdraw(user=w.staff_a, step=case.steps.get(kind=StepKind.TOWNSHIP_REVIEW))
        assert selectors.case_next_step(MonitoringCase.objects.get(pk=case.pk)) == (
            StepKind.TOWNSHIP_REVIEW
        )


# --- measures -------------------------------------------------------------------------------
class TestMeasures:
    def test_help_before_the_decision_is_marked(self, mon):
        w = mon.world
        case = open_case(w.staff_a, w.household_a)
        before = services.measure_record(
            user=w.staff_a,
            case=case,
            kind=MeasureKind.TEMPORARY_ASSISTANCE,
            content="发放临时救助金2000元",
            start_date=day(-19),
            responsible="乡民政办",
        )
        later = services.measure_record(
            user=w.staff_a,
            case=case,
            kind=MeasureKind.EMPLOYMENT,
            content="推荐到县工业园区务工",
            start_date=day(-5),
            responsible="帮扶人甲",
        )
        assert before.before_decision and later.before_decision  # no decision yet
        identify(w, case)  # decided on day -10
        before.refresh_from_db()
        later.refresh_from_db()
        assert before.before_decision is True
        assert later.before_decision is False

    def test_measures_follow_labour_capacity(self, mon):
        w = mon.world
        case = open_case(w.staff_a, w.household_a, labour=LabourCapacity.NONE)
        with pytest.raises(ValidationError, match="兜底保障"):
            services.measure_record(
                user=w.staff_a,
                case=case,
                kind=MeasureKind.SMALL_LOAN,
                content="小额信贷5万元",
                start_date=day(-5),
                responsible="帮扶人甲",
            )
        services.measure_record(
            user=w.staff_a,
            case=case,
            kind=MeasureKind.EXTREME_POVERTY,
            content="纳入特困供养",
            start_date=day(-5),
            responsible="乡民政办",
        )
        capable = open_case(w.staff_a, another(w.village_a))
        with pytest.raises(ValidationError, match="特困供养只适用于"):
            services.measure_record(
                user=w.staff_a,
                case=capable,
                kind=MeasureKind.EXTREME_POVERTY,
                content="纳入特困供养",
                start_date=day(-5),
                responsible="乡民政办",
            )

    def test_a_done_measure_has_an_end(self, mon):
        w = mon.world
        case = open_case(w.staff_a, w.household_a)
        with pytest.raises(ValidationError) as exc:
            services.measure_record(
                user=w.staff_a,
                case=case,
                kind=MeasureKind.MEDICAL_AID,
                content="医疗救助",
                start_date=day(-5),
                responsible="乡民政办",
                status="done",
            )
        assert "end_date" in exc.value.message_dict


# --- risk removal ---------------------------------------------------------------------------
@pytest.fixture
def monitored(mon):
    """Household A identified long enough ago (decided 2025-11-04) for a removal today."""
    w = mon.world
    case = identify(w, open_case(w.staff_a, w.household_a, received=-233), start=-233)
    assert case.decided_on == datetime.date(2025, 11, 4)
    return case


def propose(world, case, **extra):
    return services.removal_propose(
        user=world.staff_a, case=case, kind=extra.pop("kind", RemovalKind.STABLE), **extra
    )


class TestRemovalRefusals:
    def test_refused_for_now_without_labour_capacity(self, mon, monitored):
        w = mon.world
        remove_ready(w, monitored)
        services.case_update(user=w.staff_a, case=monitored, labour_capacity=LabourCapacity.NONE)
        with pytest.raises(ValidationError) as exc:
            propose(w, monitored)
        assert "暂不能消除风险" in messages(exc.value)
        assert "无劳动能力的户落实兜底保障措施后继续监测" in messages(exc.value)
        assert not monitored.removals.exists()

    def test_refused_without_a_yearly_account(self, mon, monitored):
        with pytest.raises(ValidationError, match="尚未登记2025年以来的年度收支情况"):
            propose(mon.world, monitored)

    def test_refused_when_income_is_not_above_the_range(self, mon, monitored):
        remove_ready(mon.world, monitored, income="8000")
        with pytest.raises(ValidationError, match="未高于监测范围8000"):
            propose(mon.world, monitored)

    def test_refused_when_income_was_assessed_within_six_months(self, mon, monitored):
        remove_ready(mon.world, monitored, assessed=-50)  # 2026-04-26 < 2026-05-04
        with pytest.raises(ValidationError, match="不足6个月"):
            propose(mon.world, monitored)

    def test_refused_while_large_rigid_expenses_are_unsolved(self, mon, monitored):
        remove_ready(mon.world, monitored, rigid=RigidExpenseState.UNSOLVED)
        with pytest.raises(ValidationError, match="大额刚性支出"):
            propose(mon.world, monitored)

    def test_refused_while_a_guarantee_fails(self, mon, monitored):
        remove_ready(mon.world, monitored)
        household = monitored.household
        household.housing_ok = False
        household.water_ok = False
        household.save()
        with pytest.raises(ValidationError, match="尚未保障：住房安全、饮水安全"):
            propose(mon.world, monitored)

    def test_refused_without_a_range_for_the_year(self, mon, monitored):
        MonitoringRange.objects.filter(year=2026).delete()
        remove_ready(mon.world, monitored)
        with pytest.raises(ValidationError, match="未设定2026年度的监测范围"):
            propose(mon.world, monitored)

    def test_the_deepest_region_sets_the_range(self, mon, monitored):
        remove_ready(mon.world, monitored, income="9000")
        MonitoringRange.objects.create(region=mon.world.county, year=2026, amount=Decimal("9500"))
        with pytest.raises(ValidationError, match="未高于监测范围9500"):
            propose(mon.world, monitored)

    def test_refused_before_the_county_decided(self, mon):
        w = mon.world
        case = open_case(w.staff_a, w.household_a)
        with pytest.raises(ValidationError, match="经县级审定"):
            propose(w, case)


class TestRemoval:
    def test_the_procedure_mirrors_identification_and_closes_the_case(self, mon, monitored):
        w = mon.world
        remove_ready(w, monitored)
        removal = propose(w, monitored, proposed_on=day(-20))
        assert all(check["ok"] for check in removal.checks)
        with pytest.raises(ValidationError, match="两名以上"):
            services.removal_step_record(
                user=w.staff_a,
                removal=removal,
                kind=StepKind.HOME_CHECK,
                done_on=day(-19),
                checkers="王五",
                document=signed_form(),
            )
        services.removal_step_record(
            user=w.staff_a,
            removal=removal,
            kind=StepKind.HOME_CHECK,
            done_on=day(-19),
            checkers="王五、赵六",
            document=signed_form(),
        )
        with pytest.raises(ValidationError, match="不少于7天"):
            notice_for(w.staff_a, w.village_a, purpose=Procedure.REMOVAL, start=-17, days=6)
        notice = notice_for(w.staff_a, w.village_a, purpose=Procedure.REMOVAL, start=-17, days=7)
        services.notice_add_cases(
            user=w.staff_a, notice=notice, cases=[monitored], appraised_on=day(-18)
        )
        services.removal_step_record(
            user=w.staff_a, removal=removal, kind=StepKind.TOWNSHIP_REVIEW, done_on=day(-9)
        )
        services.removal_step_record(
            user=w.reviewer, removal=removal, kind=StepKind.COUNTY_DECISION, done_on=day(-8)
        )
        monitored.refresh_from_db()
        removal.refresh_from_db()
        assert removal.status == RemovalStatus.REMOVED
        assert monitored.status == CaseStatus.REMOVED and monitored.closed_on == day(-8)
        assert monitored.household.finances.exists()  # the household keeps its history

    def test_the_county_checks_the_conditions_again(self, mon, monitored):
        w = mon.world
        remove_ready(w, monitored)
        removal = propose(w, monitored, proposed_on=day(-20))
        services.removal_step_record(
            user=w.staff_a,
            removal=removal,
            kind=StepKind.HOME_CHECK,
            done_on=day(-19),
            checkers="王五、赵六",
            document=signed_form(),
        )
        notice = notice_for(w.staff_a, w.village_a, purpose=Procedure.REMOVAL, start=-17, days=7)
        services.removal_step_record(
            user=w.staff_a,
            removal=removal,
            kind=StepKind.APPRAISAL,
            done_on=day(-18),
            notice=notice,
        )
        services.removal_step_record(
            user=w.staff_a, removal=removal, kind=StepKind.TOWNSHIP_REVIEW, done_on=day(-9)
        )
        household = monitored.household
        household.medical_ok = False
        household.save()
        with pytest.raises(ValidationError, match="条件已不满足"):
            services.removal_step_record(
                user=w.reviewer, removal=removal, kind=StepKind.COUNTY_DECISION, done_on=day(-8)
            )
        services.removal_stop(user=w.reviewer, removal=removal, reason="家庭成员患病，医疗未保障")
        removal.refresh_from_db()
        monitored.refresh_from_db()
        assert removal.status == RemovalStatus.STOPPED
        assert removal.stopped_at_step == StepKind.COUNTY_DECISION
        assert monitored.status == CaseStatus.MONITORED

    def test_a_household_is_identified_again_after_an_earlier_removal(self, mon, monitored):
        w = mon.world
        remove_ready(w, monitored)
        removal = propose(w, monitored, proposed_on=day(-30))
        services.removal_step_record(
            user=w.staff_a,
            removal=removal,
            kind=StepKind.HOME_CHECK,
            done_on=day(-29),
            checkers="王五、赵六",
            document=signed_form(),
        )
        notice = notice_for(w.staff_a, w.village_a, purpose=Procedure.REMOVAL, start=-28, days=7)
        services.removal_step_record(
            user=w.staff_a,
            removal=removal,
            kind=StepKind.APPRAISAL,
            done_on=day(-28),
            notice=notice,
        )
        services.removal_step_record(
            user=w.staff_a, removal=removal, kind=StepKind.TOWNSHIP_REVIEW, done_on=day(-21)
        )
        services.removal_step_record(
            user=w.reviewer, removal=removal, kind=StepKind.COUNTY_DECISION, done_on=day(-21)
        )
        again = identify(w, open_case(w.staff_a, w.household_a, received=-20, category="sudden"))
        assert again.status == CaseStatus.MONITORED and again.pk != monitored.pk
        statuses = list(
            MonitoringCase.objects.filter(household=w.household_a)
            .order_by("id")
            .values_list("status", flat=True)
        )
        assert statuses == [CaseStatus.REMOVED, CaseStatus.MONITORED]


def test_an_ordinary_household_can_be_a_marginal_case(mon):
    """Households not registered poor are recorded (status 低收入困难户, no exit year) and can be
    identified as 边缘易致贫户."""
    w = mon.world
    ordinary = HouseholdFactory(village=w.village_a, status="low_income", exit_year=None)
    case = open_case(w.staff_a, ordinary, category=Category.MARGINAL)
    assert case.category == Category.MARGINAL


def test_a_range_is_kept_by_the_regions_reviewers(mon):
    w = mon.world
    other = make_county("外县")
    monitoring_range = services.range_record(
        user=w.reviewer, region=w.county, year=2026, amount=Decimal("8200")
    )
    assert selectors.range_for(w.household_a.path, 2026) == monitoring_range
    with pytest.raises(Http404):
        services.range_record(user=w.reviewer, region=other, year=2026, amount=Decimal("8200"))
    with pytest.raises(PermissionDenied):
        services.range_record(user=w.staff_a, region=w.county, year=2025, amount=Decimal("1"))
    with pytest.raises(ValidationError, match="已设定"):
        services.range_record(user=w.reviewer, region=w.county, year=2026, amount=Decimal("1"))
    with pytest.raises(ValidationError, match="由省、市"):
        services.range_record(user=w.reviewer, region=w.township_a, year=2026, amount=Decimal("1"))


def test_a_notice_cannot_be_stretched_past_a_review_that_followed_it(mon):
    w = mon.world
    case = identify(w, open_case(w.staff_a, w.household_a), decide=False)
    notice = case.steps.get(kind=StepKind.APPRAISAL).notice  # days -16 … -12, reviewed on -11
    with pytest.raises(ValidationError, match="不能把结束日期改到那之后"):
        services.notice_update(user=w.staff_a, notice=notice, end_date=day(-11))
    notice.refresh_from_db()  # a refused change leaves the instance as sent, like kept_apply's
    assert notice.end_date == day(-12)
    services.notice_update(user=w.staff_a, notice=notice, objections="无异议")
    notice.refresh_from_db()
    assert notice.end_date == day(-12) and notice.objections == "无异议"
