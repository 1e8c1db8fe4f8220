"""Merging two households into one and undoing it (households/merge.py): every related record
checked after the merge and again after the undo; the refusals (role, scope, clashes, undo
after a change)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from assessments.models import IndicatorResult
from core.history import change_history
from households import merge as m
from households.models import (
    Household,
    HouseholdMerge,
    HouseholdPairing,
    IncomeRecord,
    Measure,
    Member,
    Plan,
    Visit,
    VisitPhoto,
)
from inspections.models import RectificationItem, SpotCheckDraw, SpotCheckItem
from monitoring.models import HouseholdFinance, MonitoringCase, RiskClue
from tests.factories import (
    HouseholdFactory,
    HouseholdPairingFactory,
    MeasureFactory,
    PlanFactory,
    VisitFactory,
)
from tests.monitoring_indicators.conftest import case as make_case

pytestmark = pytest.mark.django_db
D = datetime.date


def ids(qs):
    return sorted(qs.values_list("pk", flat=True))


@pytest.fixture
def rich(world, dups):
    """Household B (the one merged away) with one record of every kind, clashes included."""
    kept, other = dups.a, dups.b
    r = {}
    # incomes: 2025 on both (the kept's stands), 2024 only on B
    IncomeRecord.objects.create(household=kept, year=2025, per_capita_net_income=7000)
    r["income_clash"] = IncomeRecord.objects.create(
        household=other, year=2025, per_capita_net_income=6000
    )
    r["income_moves"] = IncomeRecord.objects.create(
        household=other, year=2024, per_capita_net_income=5000
    )
    # pairings: B's helper moves with the pairing; the kept's pairing with helper_a stays
    r["pairing"] = HouseholdPairingFactory(household=other, helper=world.helper_b)
    r["pairing_clash"] = HouseholdPairingFactory(household=other, helper=world.helper_a)
    # visits: one by helper_b moves; helper_a visited both on 3 March (credited twice): stays
    r["visit"] = VisitFactory(household=other, helper=world.helper_b, visited_on=D(2026, 3, 2))
    r["photo"] = VisitPhoto.objects.create(visit=r["visit"], image="visits/x.jpg")
    VisitFactory(household=kept, helper=world.helper_a, visited_on=D(2026, 3, 3))
    r["visit_clash"] = VisitFactory(
        household=other, helper=world.helper_a, visited_on=D(2026, 3, 3)
    )
    # one-household-one-plan: the kept has none, B's plan moves with its measure
    r["plan"] = PlanFactory(household=other)
    r["measure"] = MeasureFactory(plan=r["plan"])
    # monitoring: a case (closed) and a clue
    r["case"] = make_case(
        other, status="removed", decided_on=D(2026, 2, 1), closed_on=D(2026, 6, 1)
    )
    r["clue"] = RiskClue.objects.create(
        household=other, channel="screening", risk="因病支出大", received_on=D(2026, 1, 5)
    )
    r["finance"] = HouseholdFinance.objects.create(
        household=other,
        year=2026,
        per_capita_net_income=Decimal("6100"),
        rigid_state="none",
        assessed_on=D(2026, 6, 1),
    )
    r["rectification"] = RectificationItem.objects.create(
        village=other.village,
        household=other,
        problem="走访记录不全",
        task="补齐",
        responsible_unit=world.unit,
        deadline=D(2026, 12, 31),
    )
    draw = SpotCheckDraw.objects.create(region=world.county, quarter="2026Q1", seed=1)
    r["spot"] = SpotCheckItem.objects.create(
        draw=draw, village=other.village, township=other.township, household=other
    )
    r["head"] = Member.objects.get(household=other, relation="head")
    r["kid"] = Member.objects.create(household=other, name="王小小", relation="child")
    # The member of A with the person's number: B's head (same number) is not duplicated.
    r["dup_member"] = Member.objects.create(
        household=other, name="王小明", relation="other", id_number=dups.a.head_id_number
    )
    return r


def test_every_household_relation_has_a_merge_rule():
    """A foreign key to Household added later must say what a merge does with it."""
    assert {key for key, _model, _name in m.household_relations()} == set(m.RULES)


class TestMerge:
    def test_dry_run_lists_what_moves_and_what_stays_without_writing(self, world, dups, rich):
        plan = m.merge_plan(world.reviewer, dups.a, dups.b)
        summary = {name: (moving, staying) for name, moving, staying, _why in plan.summary()}
        assert summary["收入记录"] == (1, 1)
        assert summary["家庭成员"] == (1, 2)
        assert summary["走访记录"] == (1, 1)
        assert summary["结对帮扶"] == (1, 1)
        assert not plan.refusals
        assert Visit.objects.filter(household=dups.b).count() == 2

    def test_merge_moves_every_record_closes_the_other_and_records_history(self, world, dups, rich):
        kept, other = dups.a, dups.b
        merge = m.merge_households(world.reviewer, kept, other, "同一户重复建档")
        r = {k: type(v).objects.get(pk=v.pk) for k, v in rich.items()}
        assert r["income_moves"].household_id == kept.pk
        assert r["income_clash"].household_id == other.pk  # the kept's 2025 figure stands
        assert IncomeRecord.objects.get(household=kept, year=2025).per_capita_net_income == 7000
        assert r["pairing"].household_id == kept.pk
        assert r["pairing_clash"].household_id == other.pk
        assert r["visit"].household_id == kept.pk
        # the moved visit carries the kept household's place
        assert (r["visit"].village_id, r["visit"].path) == (kept.village_id, kept.path)
        assert r["visit_clash"].household_id == other.pk
        assert r["photo"].visit_id == r["visit"].pk
        assert r["plan"].household_id == kept.pk and r["measure"].plan_id == r["plan"].pk
        assert r["case"].household_id == kept.pk and r["case"].path == kept.path
        assert r["clue"].household_id == kept.pk
        assert r["finance"].household_id == kept.pk
        assert r["rectification"].household_id == kept.pk
        assert r["rectification"].village_id == kept.village_id
        assert r["spot"].household_id == other.pk  # the draw's record stays
        assert r["kid"].household_id == kept.pk
        # B's head is the person already registered in A (张小明): not duplicated
        assert r["head"].household_id == other.pk and r["head"].relation == "head"
        assert r["dup_member"].household_id == other.pk  # A's head's number: not duplicated
        other.refresh_from_db()
        assert other.merged_into_id == kept.pk and other.closed_on is not None
        assert Household.objects.filter(pk=other.pk).exists()  # closed, not deleted
        assert merge.moved["households.Visit"] == [r["visit"].pk]
        assert merge.stayed["households.Visit"] == [r["visit_clash"].pk]
        kept_history = change_history(kept)[0]
        assert kept_history.changes[0][0] == "合并重复户"
        assert "并入乙镇乙村 王小明户" in kept_history.changes[0][2]
        assert "同一户重复建档" in kept_history.changes[0][2]
        other_history = [line.changes for line in change_history(other)]
        assert any("合并到甲镇甲村 张三户" in c[0][2] for c in other_history if c)
        # merged away: no longer a finding
        from households import duplicates

        assert duplicates.findings(world.reviewer, [duplicates.ID_NUMBER]) == []

    def test_the_other_households_head_joins_as_other_relation_and_comes_back(self, world, dups):
        head = Member.objects.get(household=dups.b, relation="head")
        Member.objects.filter(household=dups.a, id_number=dups.person).delete()
        merge = m.merge_households(world.reviewer, dups.a, dups.b, "重复")
        head.refresh_from_db()
        assert (head.household_id, head.relation) == (dups.a.pk, "other")
        m.undo_merge(world.reviewer, merge)
        head.refresh_from_db()
        assert (head.household_id, head.relation) == (dups.b.pk, "head")

    def test_kept_plan_takes_the_measures_and_the_other_plan_stays(self, world, dups, rich):
        kept_plan = PlanFactory(household=dups.a)
        m.merge_households(world.reviewer, dups.a, dups.b, "重复")
        assert Measure.objects.get(pk=rich["measure"].pk).plan_id == kept_plan.pk
        assert Plan.objects.get(pk=rich["plan"].pk).household_id == dups.b.pk

    def test_undo_moves_exactly_the_moved_records_back(self, world, dups, rich):
        before = {
            model: {row["id"]: row for row in model.objects.values()}
            for model in (
                IncomeRecord,
                HouseholdPairing,
                Visit,
                VisitPhoto,
                Plan,
                Measure,
                MonitoringCase,
                RiskClue,
                HouseholdFinance,
                RectificationItem,
                SpotCheckItem,
                Member,
            )
        }
        merge = m.merge_households(world.reviewer, dups.a, dups.b, "重复")
        m.undo_merge(world.reviewer, merge)
        for model, rows in before.items():
            after = {row["id"]: row for row in model.objects.values()}
            if model is Visit:  # updated_at moves on with every update
                for row in (*rows.values(), *after.values()):
                    row.pop("updated_at")
            assert after == rows, model
        other = Household.objects.get(pk=dups.b.pk)
        assert other.merged_into_id is None and other.closed_on is None
        merge.refresh_from_db()
        assert merge.undone_at is not None and merge.undone_by == world.reviewer
        assert "撤销合并" in change_history(dups.a)[0].changes[0][2]
        # undone twice: refused
        with pytest.raises(ValidationError):
            m.undo_merge(world.reviewer, merge)

    def test_undo_is_refused_after_a_moved_record_changed(self, world, dups, rich):
        merge = m.merge_households(world.reviewer, dups.a, dups.b, "重复")
        IncomeRecord.objects.filter(pk=rich["income_moves"].pk).update(per_capita_net_income=1)
        with pytest.raises(ValidationError) as refused:
            m.undo_merge(world.reviewer, merge)
        assert "合并后有收入记录被修改或删除（1 条）。" in refused.value.messages
        assert Household.objects.get(pk=dups.b.pk).merged_into_id == dups.a.pk

    def test_undo_is_refused_when_a_new_record_refers_to_a_moved_one(self, world, dups, rich):
        merge = m.merge_households(world.reviewer, dups.a, dups.b, "重复")
        VisitPhoto.objects.create(visit=rich["visit"], image="visits/y.jpg")
        with pytest.raises(ValidationError) as refused:
            m.undo_merge(world.reviewer, merge)
        assert "合并后有走访照片登记到移入的走访记录上。" in refused.value.messages

    def test_undo_is_refused_when_a_new_record_refers_to_the_closed_household(
        self, world, dups, rich
    ):
        merge = m.merge_households(world.reviewer, dups.a, dups.b, "重复")
        IncomeRecord.objects.create(household=dups.b, year=2023, per_capita_net_income=1)
        with pytest.raises(ValidationError) as refused:
            m.undo_merge(world.reviewer, merge)
        assert "合并后又有收入记录登记到已注销的户。" in refused.value.messages

    def test_undo_is_refused_when_the_kept_was_merged_again(self, world, dups, rich):
        merge = m.merge_households(world.reviewer, dups.a, dups.b, "重复")
        third = HouseholdFactory(village=world.village_a, head_name="周九", phone="")
        m.merge_households(world.reviewer, third, dups.a, "重复")
        with pytest.raises(ValidationError) as refused:
            m.undo_merge(world.reviewer, merge)
        assert "保留户此后已合并到其他户，请先撤销那次合并。" in refused.value.messages

    def test_two_open_monitoring_cases_refuse_the_merge(self, world, dups, rich):
        make_case(dups.b, status="monitored")
        MonitoringCase.objects.filter(pk=rich["case"].pk).delete()
        make_case(dups.a, status="identifying")
        with pytest.raises(ValidationError) as refused:
            m.merge_households(world.reviewer, dups.a, dups.b, "重复")
        assert "两户都有正在进行的监测" in refused.value.messages[0]
        assert Household.objects.get(pk=dups.b.pk).merged_into_id is None

    def test_a_reason_is_required_and_a_closed_household_is_not_merged_again(self, world, dups):
        with pytest.raises(ValidationError) as refused:
            m.merge_households(world.reviewer, dups.a, dups.b, " ")
        assert refused.value.message_dict["reason"] == ["请填写合并理由。"]
        m.merge_households(world.reviewer, dups.a, dups.b, "重复")
        with pytest.raises(ValidationError):
            m.merge_households(world.reviewer, world.household_b, dups.b, "重复")

    def test_indicator_results_stay(self, world, dups):
        assert m.RULES["assessments.IndicatorResult.household"] == m.STAY
        assert IndicatorResult._meta.get_field("household").remote_field.on_delete.__name__ == (
            "SET_NULL"
        )


class TestPermissions:
    def test_township_staff_may_not_merge(self, world, dups):
        with pytest.raises(PermissionDenied):
            m.merge_households(world.staff_a, dups.a, world.household_a, "重复")
        with pytest.raises(PermissionDenied):
            m.merge_plan(world.staff_a, dups.a, dups.b)

    def test_a_household_outside_scope_is_404_and_nothing_written(self, world, dups):
        with pytest.raises(Http404):
            m.merge_households(world.reviewer, dups.a, dups.far, "重复")
        assert Household.objects.get(pk=dups.far.pk).merged_into_id is None
        assert not HouseholdMerge.objects.exists()

    def test_undo_outside_scope_is_404(self, world, dups):
        from tests.factories import UserFactory, make_county

        merge = m.merge_households(world.reviewer, dups.a, dups.b, "重复")
        stranger = UserFactory(role="reviewer", region=make_county("别县"))
        with pytest.raises(Http404):
            m.undo_merge(stranger, merge)
        assert HouseholdMerge.objects.get(pk=merge.pk).undone_at is None
