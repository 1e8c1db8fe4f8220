"""The pairing-ledger and plans imports (ledgers/sheets/pairings.py, plans.py): a pairing
ledger exported with full ID numbers imports back with zero changes; a clean file imported
twice changes nothing the second time; a file with every kind of bad row lists every error
and imports nothing; the scope and the keeper's rules are the services' own."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook, load_workbook

from households.models import HouseholdPairing, Measure, MeasureStatus, Plan, Visit
from households.services import visit_record
from ledgers import services as ledger_services
from ledgers.periods import parse_period
from ledgers.sheets.base import run_sheet, sheet_for, template_workbook
from tests.factories import (
    CadreFactory,
    HouseholdFactory,
    HouseholdPairingFactory,
    MeasureFactory,
    UnitFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db

D = datetime.date
PAIRING_HEADER = [
    "户主身份证号",
    "户主姓名",
    "帮扶责任人",
    "帮扶责任人手机号",
    "帮扶单位",
    "结对日期",
]
PLAN_HEADER = [
    "户主身份证号",
    "户主姓名",
    "帮扶思路",
    "制定日期",
    "帮扶措施",
    "责任人",
    "完成时限",
    "进度",
    "完成日期",
]


def workbook(header, rows, title="导入") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def wrong_check_digit() -> str:
    number = make_id_number()
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def run(kind, data, user, *, dry_run=False):
    return run_sheet(sheet_for(kind), io.BytesIO(data), size=len(data), user=user, dry_run=dry_run)


def errors_of(result):
    return {(e.row, e.column): e.message for e in result.errors}


def counts(result):
    return (result.created, result.updated, result.unchanged)


def pairings_snapshot():
    return sorted(
        HouseholdPairing.objects.values_list(
            "id", "household_id", "helper_id", "unit_id", "start_date", "end_date"
        )
    )


# --- the pairing ledger round trip ----------------------------------------------------------------
@pytest.fixture
def county_ledger(world, kept):
    """Five households of two townships: one with two helpers, one whose helper was handed
    over, one without a helper, one of the other township; a visit on one."""
    two = HouseholdFactory(village=world.village_a, head_name="赵六")
    HouseholdPairingFactory(household=two, helper=world.helper_a)
    HouseholdPairingFactory(household=two, helper=kept.successor)
    handed = HouseholdFactory(village=world.village_a, head_name="钱七")
    HouseholdPairingFactory(
        household=handed, helper=kept.other_unit_helper, end_date=D(2026, 3, 31)
    )
    HouseholdPairingFactory(household=handed, helper=kept.successor, start_date=D(2026, 4, 1))
    HouseholdFactory(village=world.village_a, head_name="未结对")
    visit_record(
        user=world.staff_a,
        household=world.household_a,
        helper=world.helper_a,
        visited_on=D(2026, 5, 1),
        learned="走访",
    )
    return world


def ledger_bytes(user, region, *, mask=False) -> bytes:
    exporter = ledger_services.ledger_exporter(
        user=user,
        kind="pairing",
        region=region,
        period=parse_period(str(datetime.date.today().year)),
        mask_ids=mask,
    )
    out = io.BytesIO()
    ledger_services.ledger_write(exporter=exporter, target=out)
    return out.getvalue()


@pytest.mark.parametrize("who", ["reviewer", "admin"])
def test_a_full_id_pairing_ledger_imports_back_with_zero_changes(county_ledger, who):
    world = county_ledger
    user = getattr(world, who)
    data = ledger_bytes(user, world.county)
    before = pairings_snapshot()
    credits = sorted(Visit.objects.values_list("id", "credit_status", "household_pairing_id"))
    for _ in range(2):
        result = run("pairings", data, user)
        assert result.ok, errors_of(result)
        assert result.sheet == "结对帮扶台账"
        assert counts(result) == (0, 0, 5), result.as_dict()
        assert result.changes == []
        assert pairings_snapshot() == before
    assert sorted(Visit.objects.values_list("id", "credit_status", "household_pairing_id")) == (
        credits
    )


def test_a_township_ledger_imports_back_for_its_staff(county_ledger):
    world = county_ledger
    data = ledger_bytes(world.reviewer, world.township_a)
    result = run("pairings", data, world.reviewer)
    assert result.ok and counts(result) == (0, 0, 4)


def test_a_masked_ledger_is_refused_row_by_row(county_ledger):
    world = county_ledger
    data = ledger_bytes(world.reviewer, world.county, mask=True)
    before = pairings_snapshot()
    result = run("pairings", data, world.reviewer)
    assert not result.ok
    id_errors = [e for e in result.errors if e.column == "户主身份证号"]
    assert len(id_errors) == 5 and all("已脱敏" in e.message for e in id_errors)
    assert pairings_snapshot() == before


# --- pairing files ----------------------------------------------------------------------------
def test_a_clean_pairing_file_imported_twice(world, kept):
    new = HouseholdFactory(village=world.village_a, head_name="孙八")
    twin = CadreFactory(name="接替人丙", unit=world.unit, phone="13700000000")
    HouseholdPairingFactory(household=HouseholdFactory(village=world.village_a), helper=twin)
    rows = [
        # two helpers in one cell, one of them already paired: the other is added
        [world.household_a.head_id_number, "张三", "帮扶人甲、外单位丁", "", "", "2026-02-01"],
        # two cadres named 接替人丙: the phone tells them apart
        [new.head_id_number, "孙八", "接替人丙", "13700000000", "测试帮扶单位", "2026/3/1"],
    ]
    data = workbook(PAIRING_HEADER, rows)
    dry = run("pairings", data, world.staff_a, dry_run=True)
    assert dry.ok and counts(dry) == (2, 0, 0) and not dry.imported
    assert not HouseholdPairing.objects.filter(household=new).exists()
    first = run("pairings", data, world.staff_a)
    assert first.ok, errors_of(first)
    assert counts(first) == (2, 0, 0) and first.imported
    added = HouseholdPairing.objects.get(household=world.household_a, helper=kept.other_unit_helper)
    assert added.start_date == D(2026, 2, 1)
    assert HouseholdPairing.objects.get(household=new).helper == twin
    # 帮扶人甲's pairing (from 2025-01-01) is in force on 2026-02-01: left as it is.
    assert HouseholdPairing.objects.get(
        household=world.household_a, helper=world.helper_a
    ).start_date == D(2025, 1, 1)
    before = pairings_snapshot()
    second = run("pairings", data, world.staff_a)
    assert second.ok and counts(second) == (0, 0, 2)
    assert pairings_snapshot() == before


def test_a_pairing_file_with_every_kind_of_bad_row(world, kept):
    left = CadreFactory(name="已离任", unit=world.unit, home_region=world.village_a.region)
    left.left_on = D(2026, 1, 1)
    left.save()
    CadreFactory(
        name="帮扶人甲", unit=UnitFactory(name="另一单位"), home_region=world.village_a.region
    )
    lonely = HouseholdFactory(village=world.village_a, head_name="周九")
    h = [HouseholdFactory(village=world.village_a, head_name=f"户{i}") for i in range(4)]
    rows = [
        ["", "张三", "帮扶人甲", "", "", ""],  # 3: no ID number
        [wrong_check_digit(), "", "帮扶人甲", "", "", ""],  # 4: bad check digit
        [make_id_number(), "", "帮扶人甲", "", "", "2026-01-01"],  # 5: not registered
        [world.household_b.head_id_number, "", "帮扶人乙", "", "", "2026-01-01"],  # 6: scope
        [lonely.head_id_number, "吴九", "接替人丙", "", "", "2026-01-01"],  # 7: name differs
        [lonely.head_id_number, "", "无此人", "", "", "2026-01-01"],  # 8: unknown helper
        [lonely.head_id_number, "", "帮扶人甲", "", "", "2026-01-01"],  # 9: two of that name
        [h[0].head_id_number, "", "外单位丁", "", "测试帮扶单位", "2026-01-01"],  # 10: unit
        [h[1].head_id_number, "", "接替人丙", "", "", ""],  # 11: new pairing without date
        [h[2].head_id_number, "", "外单位丁", "", "", "2026-13-01"],  # 12: bad date
        [h[3].head_id_number, "", "已离任", "", "", "2026-03-01"],  # 13: left before
        [lonely.head_id_number, "", "外单位丁", "", "", "2026-01-01"],  # 14
        [lonely.head_id_number, "", "外单位丁", "", "", "2026-02-01"],  # 15: duplicate of 14
        [lonely.head_id_number, "", "帮扶人甲、接替人丙", "13800138000", "", "2026-01-01"],  # 16
    ]
    before = pairings_snapshot()
    result = run("pairings", workbook(PAIRING_HEADER, rows), world.staff_a)
    errors = errors_of(result)
    assert not result.ok and not result.imported
    assert "不能为空" in errors[(3, "户主身份证号")]
    assert "校验位" in errors[(4, "户主身份证号")]
    assert "请先导入贫困户名册" in errors[(5, "户主身份证号")]
    assert "不在您的管辖范围内" in errors[(6, "户主身份证号")]
    assert "系统中为“周九”" in errors[(7, "户主姓名")]
    assert "找不到帮扶责任人“无此人”" in errors[(8, "帮扶责任人")]
    assert "有 2 位名为“帮扶人甲”的干部" in errors[(9, "帮扶责任人")]
    assert "外单位丁 不属于所写的帮扶单位" in errors[(10, "帮扶单位")]
    assert "新增结对须填写结对日期" in errors[(11, "结对日期")]
    assert "不是有效日期" in errors[(12, "结对日期")]
    assert "已离任 已于 2026-01-01 离任" in errors[(13, "帮扶责任人")]
    assert "与第 15 行重复" in errors[(14, "户主身份证号")]
    assert "与第 14 行重复" in errors[(15, "户主身份证号")]
    assert "请分行填写" in errors[(16, "帮扶责任人")]
    assert pairings_snapshot() == before


def test_the_rule_of_one_pairing_in_force_names_the_record(world, kept):
    household = HouseholdFactory(village=world.village_a, head_name="郑十")
    HouseholdPairingFactory(household=household, helper=kept.successor, start_date=D(2026, 5, 1))
    # A pairing of 接替人丙 from 2026-01-01 would run into the one from 2026-05-01.
    rows = [[household.head_id_number, "", "接替人丙", "", "", "2026-01-01"]]
    result = run("pairings", workbook(PAIRING_HEADER, rows), world.staff_a)
    assert "接替人丙 → 郑十户（2026-05-01 起）" in errors_of(result)[(3, "结对日期")]


def test_a_coordinator_imports_only_their_units_helpers(world, kept):
    household = HouseholdFactory(village=world.village_a, head_name="王十一")
    outsider = CadreFactory(name="别单位人", unit=UnitFactory())
    HouseholdPairingFactory(household=HouseholdFactory(village=world.village_a), helper=outsider)
    rows = [
        [household.head_id_number, "", "接替人丙", "", "", "2026-01-01"],
        [household.head_id_number, "", "别单位人", "", "", "2026-01-01"],
    ]
    result = run("pairings", workbook(PAIRING_HEADER, rows), world.coordinator)
    assert "本单位" in errors_of(result)[(4, "户主身份证号")]
    assert not HouseholdPairing.objects.filter(household=household).exists()
    ok = run("pairings", workbook(PAIRING_HEADER, rows[:1]), world.coordinator)
    assert ok.ok and counts(ok) == (1, 0, 0)


def test_roles_that_keep_no_pairings_or_plans_cannot_import(world):
    data = workbook(
        PAIRING_HEADER, [[world.household_a.head_id_number, "", "帮扶人甲", "", "", ""]]
    )
    with pytest.raises(PermissionDenied):
        run("pairings", data, world.cadre_user)
    plans = workbook(
        PLAN_HEADER, [[world.household_a.head_id_number, "", "", "", "", "", "", "", ""]]
    )
    for user in (world.cadre_user, world.coordinator):
        with pytest.raises(PermissionDenied):
            run("plans", plans, user)


# --- plans -------------------------------------------------------------------------------------------
def test_a_clean_plans_file_imported_twice(world, kept):
    fresh = HouseholdFactory(village=world.village_a, head_name="冯十二")
    rows = [
        # a new plan over two rows (its columns on the first only)
        [
            fresh.head_id_number,
            "冯十二",
            "产业增收",
            "2026-03-01",
            "发展养殖",
            "帮扶人甲",
            "2026-12-31",
            "推进中",
            "",
        ],
        [fresh.head_id_number, "", "", "", "技能培训", "", "2026-10-31", "已完成", "2026-06-30"],
        # the existing plan: its measure updated, a new measure added
        [world.household_a.head_id_number, "", "", "", "发展养殖", "", "2026-11-30", "", ""],
        [
            world.household_a.head_id_number,
            "",
            "",
            "",
            "公益岗位",
            "接替人丙",
            "2026-12-31",
            "",
            "",
        ],
        # a plan-only row for another household
    ]
    data = workbook(PLAN_HEADER, rows)
    first = run("plans", data, world.staff_a)
    assert first.ok, errors_of(first)
    assert counts(first) == (3, 1, 0), first.as_dict()
    plan = Plan.objects.get(household=fresh)
    assert (plan.summary, plan.drawn_up_on, plan.created_by) == (
        "产业增收",
        D(2026, 3, 1),
        world.staff_a,
    )
    training = Measure.objects.get(plan=plan, content="技能培训")
    assert (training.status, training.done_on) == (MeasureStatus.DONE, D(2026, 6, 30))
    assert Measure.objects.get(plan=plan, content="发展养殖").owner == world.helper_a
    kept.measure_a.refresh_from_db()
    assert kept.measure_a.deadline == D(2026, 11, 30)
    assert Measure.objects.get(plan=kept.plan_a, content="公益岗位").owner == kept.successor
    snapshot = sorted(Measure.objects.values_list("id", "content", "deadline", "status", "done_on"))
    second = run("plans", data, world.staff_a)
    assert second.ok and counts(second) == (0, 0, 4)
    assert sorted(
        Measure.objects.values_list("id", "content", "deadline", "status", "done_on")
    ) == (snapshot)


def test_a_plans_file_with_every_kind_of_bad_row(world, kept):
    fresh = HouseholdFactory(village=world.village_a, head_name="冯十二")
    other = HouseholdFactory(village=world.village_a, head_name="褚十三")
    MeasureFactory(plan=kept.plan_a, content="已有措施")
    rows = [
        ["", "", "", "", "措施", "", "2026-12-31", "", ""],  # 3: no ID number
        [world.household_b.head_id_number, "", "", "", "措施", "", "2026-12-31", "", ""],  # 4
        [fresh.head_id_number, "", "思路甲", "", "措施一", "", "2026-12-31", "", ""],  # 5: no date
        [other.head_id_number, "", "思路", "2026-03-01", "措施", "", "", "", ""],  # 6: no deadline
        [other.head_id_number, "", "别的思路", "", "措施二", "", "2026-12-31", "", ""],  # 7
        [other.head_id_number, "", "", "", "", "帮扶人甲", "", "", ""],  # 8: no measure
        [other.head_id_number, "", "", "", "措施三", "无此人", "2026-12-31", "", ""],  # 9
        [other.head_id_number, "", "", "", "措施四", "", "2026-12-31", "搁置", ""],  # 10
        [
            other.head_id_number,
            "",
            "",
            "",
            "措施五",
            "",
            "2026-12-31",
            "推进中",
            "2026-05-01",
        ],  # 11
        [world.household_a.head_id_number, "", "", "", "已有措施", "", "2026-12-31", "", ""],  # 12
        [world.household_a.head_id_number, "", "", "", "已有措施", "", "2026-11-30", "", ""],  # 13
        [other.head_id_number, "", "", "2099-01-01", "", "", "", "", ""],  # 14
    ]
    before = sorted(Measure.objects.values_list("id", "content", "deadline"))
    result = run("plans", workbook(PLAN_HEADER, rows), world.staff_a)
    errors = errors_of(result)
    assert not result.ok
    assert "不能为空" in errors[(3, "户主身份证号")]
    assert "不在您的管辖范围内" in errors[(4, "户主身份证号")]
    assert "请填写制定日期" in errors[(5, "制定日期")]
    assert "须填写完成时限" in errors[(6, "完成时限")]
    assert "与第 6 行不一致" in errors[(7, "帮扶思路")]
    assert "没有填写帮扶措施" in errors[(8, "帮扶措施")]
    assert "找不到责任人“无此人”" in errors[(9, "责任人")]
    assert "进度应为以下之一" in errors[(10, "进度")]
    assert "已完成" in errors[(11, "完成日期")]
    assert "与第 13 行重复" in errors[(12, "帮扶措施")]
    assert "与第 6 行不一致" in errors[(14, "制定日期")]
    assert not Plan.objects.filter(household__in=[fresh, other]).exists()
    assert sorted(Measure.objects.values_list("id", "content", "deadline")) == before


# --- the templates -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["pairings", "plans"])
def test_templates_have_their_columns_and_instructions(kind):
    spec = sheet_for(kind)
    book = load_workbook(io.BytesIO(template_workbook(spec)))
    sheet = book[spec.sheet_name]
    headers = [cell.value.rstrip("*") for cell in sheet[2] if cell.value]
    assert headers == [col.name for col in spec.columns]
    assert "填写说明" in book.sheetnames
    notes = " ".join(str(c.value or "") for row in book["填写说明"].iter_rows() for c in row)
    assert str(spec.instructions[0])[:10] in notes
