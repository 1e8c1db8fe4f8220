"""The services through which township staff (and a unit's coordinator, for pairings) keep
households, members, incomes, plans, measures and household–helper pairings: the keeper's role
(403), scope (404, nothing written) and every rule, with the Chinese message naming the record
it conflicts with. Pages, API and imports call these same functions."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from households.models import (
    CreditStatus,
    Household,
    HouseholdPairing,
    IncomeRecord,
    Measure,
    MeasureStatus,
    Member,
    PairingRule,
    Plan,
    PovertyStatus,
    Visit,
)
from households.services import (
    household_delete,
    household_end,
    household_pairing_delete,
    household_pairing_end,
    household_pairing_handover,
    household_pairing_record,
    household_pairing_update,
    household_pairings_reassign,
    household_record,
    household_update,
    income_delete,
    income_record,
    income_update,
    measure_delete,
    measure_record,
    measure_update,
    member_delete,
    member_record,
    member_update,
    pairing_keeper,
    plan_delete,
    plan_record,
    visit_record,
    visit_update,
)
from tests.factories import (
    CadreFactory,
    HouseholdFactory,
    HouseholdPairingFactory,
    MeasureFactory,
    UnitFactory,
    VillageFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db

D = datetime.date
START = D(2025, 1, 1)  # the world's pairings start here


def pairing_of(household, helper=None) -> HouseholdPairing:
    rows = HouseholdPairing.objects.filter(household=household)
    if helper is not None:
        rows = rows.filter(helper=helper)
    return rows.get()


def messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def household_fields(village, **extra):
    return {
        "village": village,
        "head_name": "王五",
        "head_id_number": make_id_number(),
        "size": 4,
        "cause": "illness",
        "track": "industry",
        **extra,
    }


# --- households --------------------------------------------------------------------------------
class TestHouseholds:
    def test_staff_register_a_household_in_their_township(self, world):
        household = household_record(user=world.staff_a, **household_fields(world.village_a))
        assert household.township_id == world.township_a.pk
        assert household.path == world.village_a.path
        assert household.name_initials == "ww"

    def test_id_number_is_normalised_and_a_taken_one_names_the_household(self, world):
        number = world.household_a.head_id_number
        with pytest.raises(ValidationError) as refused:
            household_record(
                user=world.staff_a,
                **household_fields(world.village_a, head_id_number=f" {number.lower()} "),
            )
        assert refused.value.message_dict["head_id_number"] == [
            "该身份证号已登记为甲村 张三户的户主。"
        ]

    def test_a_number_taken_outside_the_scope_does_not_name_the_household(self, world):
        number = world.household_b.head_id_number
        with pytest.raises(ValidationError) as refused:
            household_record(
                user=world.staff_a, **household_fields(world.village_a, head_id_number=number)
            )
        text = messages(refused.value)
        assert "李四" not in text and "管辖范围以外" in text

    def test_bad_id_number_and_missing_fields_are_named(self, world):
        with pytest.raises(ValidationError) as refused:
            household_record(
                user=world.staff_a,
                **household_fields(world.village_a, head_id_number="12345", head_name=""),
            )
        assert set(refused.value.message_dict) == {"head_id_number", "head_name"}
        assert "18位" in refused.value.message_dict["head_id_number"][0]

    def test_exited_needs_its_year(self, world):
        with pytest.raises(ValidationError) as refused:
            household_update(
                user=world.staff_a, household=world.household_a, status=PovertyStatus.EXITED
            )
        assert "exit_year" in refused.value.message_dict

    def test_other_townships_staff_get_404_and_nothing_changes(self, world):
        with pytest.raises(Http404):
            household_update(user=world.staff_b, household=world.household_a, head_name="改名")
        with pytest.raises(Http404):
            household_record(user=world.staff_b, **household_fields(world.village_a))
        world.household_a.refresh_from_db()
        assert world.household_a.head_name == "张三"
        assert Household.objects.count() == 2

    @pytest.mark.parametrize("who", ["cadre_user", "coordinator"])
    def test_readers_in_scope_may_not_write(self, world, who):
        with pytest.raises(PermissionDenied) as refused:
            household_update(user=getattr(world, who), household=world.household_a, size=9)
        assert "贫困户" in str(refused.value)
        world.household_a.refresh_from_db()
        assert world.household_a.size == 3

    def test_reviewers_may_correct(self, world):
        household_update(user=world.reviewer, household=world.household_a, size=5)
        world.household_a.refresh_from_db()
        assert world.household_a.size == 5

    def test_a_household_records_refer_to_is_not_deleted_but_exits(self, world):
        with pytest.raises(ValidationError) as refused:
            household_delete(user=world.staff_a, household=world.household_a)
        assert "结对帮扶 1 条" in messages(refused.value)
        assert "已脱贫" in messages(refused.value)
        assert Household.objects.filter(pk=world.household_a.pk).exists()
        household_end(user=world.staff_a, household=world.household_a, day=D(2026, 6, 30))
        world.household_a.refresh_from_db()
        assert (world.household_a.status, world.household_a.exit_year) == (
            PovertyStatus.EXITED,
            2026,
        )
        assert HouseholdPairing.objects.filter(household=world.household_a).exists()

    def test_a_household_entered_by_mistake_is_deleted_with_its_members(self, world):
        household = household_record(user=world.staff_a, **household_fields(world.village_a))
        member_record(user=world.staff_a, household=household, name="王小五", relation="child")
        household_delete(user=world.staff_a, household=household)
        assert not Household.objects.filter(pk=household.pk).exists()
        assert not Member.objects.filter(name="王小五").exists()


# --- members, incomes ----------------------------------------------------------------------------
class TestMembersAndIncomes:
    def test_member_id_number_taken_names_the_member(self, world, kept):
        number = make_id_number()
        member_update(user=world.staff_a, member=kept.member_a, id_number=number)
        with pytest.raises(ValidationError) as refused:
            member_record(
                user=world.staff_a,
                household=world.household_a,
                name="张二",
                relation="spouse",
                id_number=number,
            )
        assert refused.value.message_dict["id_number"] == [
            "该身份证号已登记为张三户的家庭成员张小三。"
        ]

    def test_one_head_per_household(self, world):
        member_record(user=world.staff_a, household=world.household_a, name="张三", relation="head")
        with pytest.raises(ValidationError) as refused:
            member_record(
                user=world.staff_a, household=world.household_a, name="张四", relation="head"
            )
        assert "该户已登记户主（张三）" in refused.value.message_dict["relation"][0]

    def test_member_writes_need_the_keeper_and_the_scope(self, world, kept):
        with pytest.raises(PermissionDenied):
            member_update(user=world.cadre_user, member=kept.member_a, name="改")
        with pytest.raises(Http404):
            member_delete(user=world.staff_b, member=kept.member_a)
        member_delete(user=world.staff_a, member=kept.member_a)
        assert not Member.objects.filter(pk=kept.member_a.pk).exists()

    def test_one_income_per_year_names_the_existing_one(self, world, kept):
        with pytest.raises(ValidationError) as refused:
            income_record(
                user=world.staff_a,
                household=world.household_a,
                year=2025,
                per_capita_net_income=Decimal("6000"),
            )
        (message,) = refused.value.message_dict["year"]
        assert message.startswith("该户 2025 年已有收入记录（年人均纯收入 5200.00 元），编号 ")
        assert message.endswith("请修改原记录。")
        income = income_record(
            user=world.staff_a,
            household=world.household_a,
            year=2026,
            per_capita_net_income=Decimal("6100"),
        )
        income_update(user=world.staff_a, income=income, per_capita_net_income=Decimal("6200"))
        income.refresh_from_db()
        assert income.per_capita_net_income == Decimal("6200")

    def test_income_rules(self, world):
        with pytest.raises(ValidationError) as refused:
            income_record(
                user=world.staff_a,
                household=world.household_a,
                year=1999,
                per_capita_net_income=Decimal("-1"),
            )
        assert set(refused.value.message_dict) == {"year", "per_capita_net_income"}

    def test_income_scope(self, world, kept):
        with pytest.raises(Http404):
            income_delete(user=world.staff_a, income=kept.income_b)
        assert IncomeRecord.objects.filter(pk=kept.income_b.pk).exists()


# --- plans and measures ----------------------------------------------------------------------------
class TestPlans:
    def test_one_plan_per_household(self, world, kept):
        with pytest.raises(ValidationError) as refused:
            plan_record(user=world.staff_a, household=world.household_a, drawn_up_on=D(2026, 5, 1))
        assert "该户已有一户一策（制定于 2026-03-01）" in messages(refused.value)

    def test_a_plan_with_measures_is_not_deleted(self, world, kept):
        with pytest.raises(ValidationError) as refused:
            plan_delete(user=world.staff_a, plan=kept.plan_a)
        assert "帮扶措施 1 条" in messages(refused.value)
        household = HouseholdFactory(village=world.village_a)
        plan = plan_record(user=world.staff_a, household=household, drawn_up_on=D(2026, 5, 1))
        assert plan.created_by == world.staff_a
        plan_delete(user=world.staff_a, plan=plan)
        assert not Plan.objects.filter(pk=plan.pk).exists()

    def test_measure_with_deadline_owner_and_status(self, world, kept):
        measure = measure_record(
            user=world.staff_a,
            plan=kept.plan_a,
            content="安排公益岗位",
            deadline=D(2026, 12, 31),
            owner=world.helper_a,
        )
        assert measure.status == MeasureStatus.PLANNED
        measure_update(user=world.staff_a, measure=measure, status=MeasureStatus.DONE)
        measure.refresh_from_db()
        assert measure.done_on is not None  # done without a date: today
        measure_update(user=world.staff_a, measure=measure, status=MeasureStatus.IN_PROGRESS)
        measure.refresh_from_db()
        assert measure.done_on is None

    def test_a_completion_date_needs_done(self, world, kept):
        with pytest.raises(ValidationError) as refused:
            measure_update(
                user=world.staff_a,
                measure=kept.measure_a,
                status=MeasureStatus.IN_PROGRESS,
                done_on=D(2026, 5, 1),
            )
        assert "done_on" in refused.value.message_dict

    def test_measure_owner_outside_scope_is_404(self, world, kept):
        with pytest.raises(Http404):
            measure_update(user=world.staff_a, measure=kept.measure_a, owner=world.helper_b)
        with pytest.raises(PermissionDenied):
            measure_update(user=world.coordinator, measure=kept.measure_a, content="x")

    def test_a_measure_a_visit_names_is_not_deleted(self, world, kept):
        visit_record(
            user=world.staff_a,
            household=world.household_a,
            helper=world.helper_a,
            visited_on=D(2026, 4, 1),
            learned="推进养殖",
            measure=kept.measure_a,
        )
        with pytest.raises(ValidationError) as refused:
            measure_delete(user=world.staff_a, measure=kept.measure_a)
        assert "走访记录 1 条" in messages(refused.value)
        other = MeasureFactory(plan=kept.plan_a)
        measure_delete(user=world.staff_a, measure=other)
        assert not Measure.objects.filter(pk=other.pk).exists()

    def test_a_visit_that_names_a_measure_marks_it_done(self, world, kept):
        visit = visit_record(
            user=world.cadre_user,
            household=world.household_a,
            visited_on=D(2026, 4, 2),
            learned="养殖场已建成",
            measure=kept.measure_a,
            measure_done=True,
        )
        kept.measure_a.refresh_from_db()
        assert visit.measure_id == kept.measure_a.pk
        assert (kept.measure_a.status, kept.measure_a.done_on) == (
            MeasureStatus.DONE,
            D(2026, 4, 2),
        )

    def test_marking_done_without_a_measure_is_refused(self, world):
        with pytest.raises(ValidationError) as refused:
            visit_record(
                user=world.staff_a,
                household=world.household_a,
                helper=world.helper_a,
                visited_on=D(2026, 4, 2),
                learned="x",
                measure_done=True,
            )
        assert "measure_done" in refused.value.message_dict
        assert not Visit.objects.exists()

    def test_editing_a_visit_can_mark_its_measure_done(self, world, kept):
        visit = visit_record(
            user=world.staff_a,
            household=world.household_a,
            helper=world.helper_a,
            visited_on=D(2026, 4, 3),
            learned="x",
            measure=kept.measure_a,
        )
        kept.measure_a.refresh_from_db()
        assert kept.measure_a.status == MeasureStatus.PLANNED
        visit_update(user=world.staff_a, visit=visit, measure_done=True)
        kept.measure_a.refresh_from_db()
        assert kept.measure_a.done_on == D(2026, 4, 3)


# --- household pairings --------------------------------------------------------------------------
class TestPairingRules:
    def test_two_pairings_in_force_at_once_are_refused_naming_the_record(self, world):
        with pytest.raises(ValidationError) as refused:
            household_pairing_record(
                user=world.staff_a,
                household=world.household_a,
                helper=world.helper_a,
                start_date=D(2026, 3, 1),
            )
        assert "帮扶人甲 → 张三户（2025-01-01 起）" in refused.value.message_dict["start_date"][0]
        assert HouseholdPairing.objects.filter(household=world.household_a).count() == 1

    def test_after_the_old_one_ended_the_same_helper_may_pair_again(self, world):
        pairing = pairing_of(world.household_a)
        household_pairing_end(user=world.staff_a, pairing=pairing, day=D(2025, 12, 31))
        again = household_pairing_record(
            user=world.staff_a,
            household=world.household_a,
            helper=world.helper_a,
            start_date=D(2026, 3, 1),
        )
        assert again.unit == world.unit

    def test_an_end_before_the_start_is_refused(self, world):
        with pytest.raises(ValidationError) as refused:
            household_pairing_end(
                user=world.staff_a, pairing=pairing_of(world.household_a), day=D(2024, 12, 31)
            )
        assert "end_date" in refused.value.message_dict

    def test_other_township_gets_404_and_nothing_changes(self, world):
        pairing = pairing_of(world.household_a)
        with pytest.raises(Http404):
            household_pairing_end(user=world.staff_b, pairing=pairing, day=D(2026, 1, 1))
        pairing.refresh_from_db()
        assert pairing.end_date is None

    def test_a_stationed_cadre_reads_but_does_not_keep(self, world):
        with pytest.raises(PermissionDenied):
            household_pairing_end(
                user=world.cadre_user, pairing=pairing_of(world.household_a), day=D(2026, 1, 1)
            )

    def test_a_pairing_visits_are_attributed_to_is_ended_not_deleted(self, world):
        pairing = pairing_of(world.household_a)
        visit_record(
            user=world.staff_a,
            household=world.household_a,
            helper=world.helper_a,
            visited_on=D(2026, 2, 2),
            learned="x",
        )
        with pytest.raises(ValidationError) as refused:
            household_pairing_delete(user=world.staff_a, pairing=pairing)
        assert "走访记录 1 条" in messages(refused.value) and "解除日期" in messages(refused.value)
        mistake = household_pairing_record(
            user=world.staff_a,
            household=world.household_a,
            helper=CadreFactory(home_region=world.village_a.region),
            start_date=D(2026, 1, 1),
        )
        household_pairing_delete(user=world.staff_a, pairing=mistake)
        assert not HouseholdPairing.objects.filter(pk=mistake.pk).exists()


class TestCoordinator:
    """A unit's coordinator keeps the pairings of the unit's own helpers with households in the
    villages the unit is paired with (world: the unit is paired with 甲村)."""

    def test_pairs_an_own_helper_in_a_paired_village(self, world, kept):
        household = HouseholdFactory(village=world.village_a, head_name="赵六")
        pairing = household_pairing_record(
            user=world.coordinator, household=household, helper=world.helper_a, start_date=START
        )
        assert pairing.unit == world.unit
        assert pairing_keeper(world.coordinator).allows_pairing(pairing)

    def test_another_units_helper_is_refused(self, world, kept):
        household = HouseholdFactory(village=world.village_a, head_name="赵六")
        outsider = CadreFactory(name="别单位", unit=UnitFactory())
        HouseholdPairingFactory(household=household, helper=outsider)  # visible to the coordinator
        with pytest.raises(PermissionDenied) as refused:
            household_pairing_record(
                user=world.coordinator,
                household=household,
                helper=outsider,
                start_date=D(2026, 1, 1),
            )
        assert "本单位" in str(refused.value)

    def test_a_household_outside_the_units_villages_is_refused(self, world):
        village = VillageFactory(township=world.township_b, name="丙村")
        household = HouseholdFactory(village=village, head_name="钱七")
        # The unit's helper pairs there (so the coordinator sees the household) but the unit is
        # not paired with 丙村.
        HouseholdPairingFactory(household=household, helper=world.helper_a)
        second = CadreFactory(unit=world.unit)
        with pytest.raises(PermissionDenied) as refused:
            household_pairing_record(
                user=world.coordinator, household=household, helper=second, start_date=START
            )
        assert "钱七户所在村未与本单位结对" in str(refused.value)
        with pytest.raises(PermissionDenied):
            household_pairing_end(
                user=world.coordinator, pairing=pairing_of(household), day=D(2026, 1, 1)
            )

    def test_a_household_out_of_scope_is_404(self, world):
        with pytest.raises(Http404):
            household_pairing_record(
                user=world.coordinator,
                household=world.household_b,
                helper=world.helper_a,
                start_date=START,
            )


# --- handovers -------------------------------------------------------------------------------------
class TestHandover:
    def test_a_handover_ends_the_old_pairing_the_day_before(self, world, kept):
        old = pairing_of(world.household_a)
        done = household_pairing_handover(
            user=world.staff_a, pairing=old, helper=kept.successor, day=D(2026, 7, 1)
        )
        old.refresh_from_db()
        assert old.end_date == D(2026, 6, 30)
        assert (done.new.helper, done.new.start_date, done.new.end_date) == (
            kept.successor,
            D(2026, 7, 1),
            None,
        )
        assert done.new.unit == world.unit
        assert HouseholdPairing.objects.filter(household=world.household_a).count() == 2

    def test_a_handover_date_before_the_old_start_is_refused(self, world, kept):
        old = pairing_of(world.household_a)
        for day in (D(2024, 12, 1), START):
            with pytest.raises(ValidationError) as refused:
                household_pairing_handover(
                    user=world.staff_a, pairing=old, helper=kept.successor, day=day
                )
            assert "帮扶人甲 → 张三户（2025-01-01 起）" in refused.value.message_dict["day"][0]
        old.refresh_from_db()
        assert old.end_date is None
        assert HouseholdPairing.objects.filter(household=world.household_a).count() == 1

    def test_a_handover_after_the_old_end_is_refused(self, world, kept):
        old = pairing_of(world.household_a)
        household_pairing_end(user=world.staff_a, pairing=old, day=D(2026, 3, 31))
        with pytest.raises(ValidationError) as refused:
            household_pairing_handover(
                user=world.staff_a, pairing=old, helper=kept.successor, day=D(2026, 5, 1)
            )
        assert "已于 2026-03-31 解除" in refused.value.message_dict["day"][0]

    def test_handing_over_to_a_helper_already_paired_names_that_pairing(self, world, kept):
        HouseholdPairingFactory(
            household=world.household_a, helper=kept.successor, start_date=D(2026, 1, 1)
        )
        with pytest.raises(ValidationError) as refused:
            household_pairing_handover(
                user=world.staff_a,
                pairing=pairing_of(world.household_a, world.helper_a),
                helper=kept.successor,
                day=D(2026, 7, 1),
            )
        assert "接替人丙 → 张三户（2026-01-01 起）" in messages(refused.value)
        assert pairing_of(world.household_a, world.helper_a).end_date is None

    def test_a_helper_who_has_left_takes_no_household_from_then(self, world, kept):
        kept.successor.left_on = D(2026, 6, 1)
        kept.successor.save()
        with pytest.raises(ValidationError) as refused:
            household_pairing_handover(
                user=world.staff_a,
                pairing=pairing_of(world.household_a),
                helper=kept.successor,
                day=D(2026, 7, 1),
            )
        assert "接替人丙 已于 2026-06-01 离任" in refused.value.message_dict["helper"][0]
        assert pairing_of(world.household_a).end_date is None

    def test_handing_over_to_the_same_helper_is_refused(self, world):
        with pytest.raises(ValidationError) as refused:
            household_pairing_handover(
                user=world.staff_a,
                pairing=pairing_of(world.household_a),
                helper=world.helper_a,
                day=D(2026, 7, 1),
            )
        assert "helper" in refused.value.message_dict

    def test_a_coordinator_hands_over_only_to_an_own_helper(self, world, kept):
        with pytest.raises(Http404):  # another unit's helper the coordinator cannot even see
            household_pairing_handover(
                user=world.coordinator,
                pairing=pairing_of(world.household_a),
                helper=kept.other_unit_helper,
                day=D(2026, 7, 1),
            )
        # Paired in the unit's village, the other unit's helper is visible: still refused.
        HouseholdPairingFactory(
            household=HouseholdFactory(village=world.village_a), helper=kept.other_unit_helper
        )
        with pytest.raises(PermissionDenied):
            household_pairing_handover(
                user=world.coordinator,
                pairing=pairing_of(world.household_a),
                helper=kept.other_unit_helper,
                day=D(2026, 7, 1),
            )
        household_pairing_handover(
            user=world.coordinator,
            pairing=pairing_of(world.household_a),
            helper=kept.successor,
            day=D(2026, 7, 1),
        )
        assert pairing_of(world.household_a, kept.successor).start_date == D(2026, 7, 1)


class TestMidYearHandoverKeepsEachHelpersVisits:
    """甲 is paired from 2025; on 2026-07-01 the household goes to 丙. Visits of both halves stay
    attributed to the helper paired that day, each counted for that helper; 甲's visit after the
    handover and 丙's before it do not count."""

    def visit(self, world, helper, day):
        return visit_record(
            user=world.staff_a,
            household=world.household_a,
            helper=helper,
            visited_on=day,
            learned="走访",
        )

    def test_both_pairings_keep_their_own_visits(self, world, kept):
        old = pairing_of(world.household_a)
        a_march = self.visit(world, world.helper_a, D(2026, 3, 10))
        a_june = self.visit(world, world.helper_a, D(2026, 6, 30))
        c_early = self.visit(world, kept.successor, D(2026, 6, 20))  # before 丙's pairing
        a_late = self.visit(world, world.helper_a, D(2026, 7, 15))  # entered before the handover
        assert c_early.credit_status == CreditStatus.NOT_COUNTED
        assert a_late.credit_status == CreditStatus.CREDITED  # 甲 was still paired then

        done = household_pairing_handover(
            user=world.staff_a, pairing=old, helper=kept.successor, day=D(2026, 7, 1)
        )
        c_july = self.visit(world, kept.successor, D(2026, 7, 2))
        c_aug = self.visit(world, kept.successor, D(2026, 8, 5))

        def fresh(visit):
            return Visit.objects.get(pk=visit.pk)

        for visit in (a_march, a_june):
            assert fresh(visit).credit_status == CreditStatus.CREDITED
            assert fresh(visit).household_pairing_id == old.pk
        for visit in (c_july, c_aug):
            assert fresh(visit).credit_status == CreditStatus.CREDITED
            assert fresh(visit).household_pairing_id == done.new.pk
        # 甲's visit after the handover stops counting, in the handover's transaction.
        assert fresh(a_late).credit_status == CreditStatus.NOT_COUNTED
        assert fresh(a_late).pairing_rule == PairingRule.AFTER_END
        assert "2026-06-30" in fresh(a_late).credit_reason
        assert fresh(c_early).pairing_rule == PairingRule.BEFORE_START

        counted = Visit.objects.counted().filter(household=world.household_a)
        assert counted.filter(helper=world.helper_a).count() == 2
        assert counted.filter(helper=kept.successor).count() == 2
        assert counted.filter(household_pairing=old).count() == 2
        assert counted.filter(household_pairing=done.new).count() == 2

    def test_the_engine_credits_each_helper_with_their_half(self, world, kept):
        from assessments import engine
        from assessments.models import Indicator
        from assessments.periods import parse_period

        old = pairing_of(world.household_a)
        self.visit(world, world.helper_a, D(2026, 3, 10))
        done = household_pairing_handover(
            user=world.staff_a, pairing=old, helper=kept.successor, day=D(2026, 7, 1)
        )
        self.visit(world, kept.successor, D(2026, 8, 5))
        self.visit(world, kept.successor, D(2026, 9, 5))
        indicator = Indicator.objects.get(code="HH-VISIT-YEAR")
        results, _problems = engine.evaluate(
            period=parse_period("2026"), today=D(2026, 11, 30), indicators=[indicator]
        )
        row = next(r.row for r in results if r.row.household_id == world.household_a.pk)
        assert row.value == 3
        assert done.old.end_date == D(2026, 6, 30)


class TestReassign:
    @pytest.fixture
    def departing(self, world, kept):
        """帮扶人甲 helps three households of 甲村 (张三 and two more)."""
        extra = [HouseholdFactory(village=world.village_a, head_name=n) for n in ("赵一", "钱二")]
        for household in extra:
            HouseholdPairingFactory(household=household, helper=world.helper_a)
        return [world.household_a, *extra]

    def test_all_to_one_helper_on_one_day(self, world, kept, departing):
        done = household_pairings_reassign(
            user=world.staff_a, helper=world.helper_a, day=D(2026, 9, 1), to_helper=kept.successor
        )
        assert sorted(c.old.household.head_name for c in done) == ["张三", "赵一", "钱二"]
        assert all(c.old.end_date == D(2026, 8, 31) for c in done)
        assert all(
            (c.new.helper, c.new.start_date) == (kept.successor, D(2026, 9, 1)) for c in done
        )
        assert not HouseholdPairing.objects.filter(helper=world.helper_a).in_force(D(2026, 9, 1))

    def test_each_to_a_chosen_helper(self, world, kept, departing):
        first = pairing_of(departing[1], world.helper_a)
        done = household_pairings_reassign(
            user=world.staff_a,
            helper=world.helper_a,
            day=D(2026, 9, 1),
            to_helper=kept.successor,
            choices={first.pk: kept.other_unit_helper},
        )
        by_household = {c.old.household_id: c.new.helper for c in done}
        assert by_household[departing[1].pk] == kept.other_unit_helper
        assert by_household[departing[0].pk] == kept.successor

    def test_all_or_nothing_with_every_refusal_named(self, world, kept, departing):
        HouseholdPairingFactory(household=departing[2], helper=kept.successor, start_date=START)
        with pytest.raises(ValidationError) as refused:
            household_pairings_reassign(
                user=world.staff_a,
                helper=world.helper_a,
                day=D(2026, 9, 1),
                to_helper=kept.successor,
            )
        assert "接替人丙 → 钱二户（2025-01-01 起）" in messages(refused.value)
        # Nothing changed, not even for the households that had no conflict.
        assert HouseholdPairing.objects.filter(helper=world.helper_a, end_date=None).count() == 3
        assert not HouseholdPairing.objects.filter(start_date=D(2026, 9, 1)).exists()

    def test_a_household_without_a_new_helper_is_named(self, world, kept, departing):
        first = pairing_of(departing[1], world.helper_a)
        with pytest.raises(ValidationError) as refused:
            household_pairings_reassign(
                user=world.staff_a,
                helper=world.helper_a,
                day=D(2026, 9, 1),
                choices={first.pk: kept.successor},
            )
        assert "张三户" in messages(refused.value) and "请选择接替的帮扶责任人" in messages(
            refused.value
        )

    def test_only_the_users_scope_is_handed_over(self, world, kept, departing):
        elsewhere = HouseholdFactory(village=world.village_b, head_name="孙八")
        HouseholdPairingFactory(household=elsewhere, helper=world.helper_a)
        done = household_pairings_reassign(
            user=world.staff_a, helper=world.helper_a, day=D(2026, 9, 1), to_helper=kept.successor
        )
        assert len(done) == 3
        assert pairing_of(elsewhere).end_date is None

    def test_a_helper_without_pairings_in_force(self, world, kept):
        with pytest.raises(ValidationError) as refused:
            household_pairings_reassign(
                user=world.staff_a,
                helper=kept.successor,
                day=D(2026, 9, 1),
                to_helper=kept.other_unit_helper,
            )
        assert "接替人丙 在 2026-09-01 没有您可以调整的生效结对" in messages(refused.value)

    def test_out_of_scope_helper_is_404(self, world, kept):
        with pytest.raises(Http404):
            household_pairings_reassign(
                user=world.staff_a,
                helper=world.helper_b,
                day=D(2026, 9, 1),
                to_helper=kept.successor,
            )
        assert pairing_of(world.household_b).end_date is None

    def test_correcting_the_helper_re_credits_both_helpers(self, world, kept):
        pairing = pairing_of(world.household_a)
        visit = visit_record(
            user=world.staff_a,
            household=world.household_a,
            helper=kept.successor,
            visited_on=D(2026, 2, 1),
            learned="x",
        )
        assert visit.credit_status == CreditStatus.NOT_COUNTED
        household_pairing_update(user=world.staff_a, pairing=pairing, helper=kept.successor)
        visit.refresh_from_db()
        assert visit.credit_status == CreditStatus.CREDITED
