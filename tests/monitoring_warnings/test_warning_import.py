"""The department warning list (部门筛查预警) imported from Excel: matched members become clues of
their household's township, unmatched people are listed back and nothing is written for them,
a malformed row refuses the file whole, a clean file imported twice changes nothing the second
time, and a household outside the importer's county is "unmatched" (never revealed)."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook

from households.models import Member
from ledgers.sheets.base import run_sheet, sheet_for, template_workbook
from monitoring.models import ClueChannel, Department, RiskClue
from tests.factories import (
    HouseholdFactory,
    VillageFactory,
    make_county,
    make_id_number,
    make_township,
)

pytestmark = pytest.mark.django_db

HEADER = ["身份证号", "姓名", "预警部门", "风险情况", "预警日期"]
TODAY = datetime.date.today()
DAY = TODAY - datetime.timedelta(days=3)


def workbook(*rows, header=HEADER):
    wb = Workbook()
    ws = wb.active
    ws.title = "部门预警名单"
    ws.append(["部门筛查预警名单"])
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def run(data, user, dry_run=False):
    return run_sheet(
        sheet_for("warnings"), io.BytesIO(data), size=len(data), user=user, dry_run=dry_run
    )


def member_of(household, name="王五"):
    return Member.objects.create(
        household=household, name=name, relation=Member.Relation.CHILD, id_number=make_id_number()
    )


def test_matched_rows_become_department_clues_and_a_second_import_changes_nothing(world):
    son = member_of(world.household_a)
    head_number = world.household_b.head_id_number  # the head, not on the members list
    data = workbook(
        [son.id_number, "王五", "医保部门", "住院自付费用较高", DAY.isoformat()],
        [head_number, "李四", "教育部门", "子女就学困难", DAY.isoformat()],
    )
    result = run(data, world.reviewer)
    assert result.ok and result.imported
    assert result.created == 2
    clue = RiskClue.objects.get(household=world.household_a)
    assert clue.channel == ClueChannel.DEPARTMENT
    assert clue.department == Department.MEDICAL_INSURANCE
    assert clue.member == son
    assert clue.received_on == DAY
    assert clue.township_id == world.township_a.pk
    assert clue.received_by == world.reviewer
    other = RiskClue.objects.get(household=world.household_b)
    assert other.member is None and other.township_id == world.township_b.pk
    # The list of changes never shows a full ID number.
    text = str(result.changes)
    assert son.id_number not in text and head_number not in text

    again = run(data, world.reviewer)
    assert again.ok and again.created == 0 and again.unchanged == 2 and again.changes == []
    assert RiskClue.objects.count() == 2


def test_unmatched_people_are_listed_and_nothing_is_written_for_them(world):
    son = member_of(world.household_a)
    stranger = make_id_number()
    data = workbook(
        [son.id_number, "王五", "民政部门", "家庭成员重病", DAY.isoformat()],
        [stranger, "赵六", "医保部门", "大病", DAY.isoformat()],
    )
    result = run(data, world.reviewer)
    assert result.ok and result.imported
    assert result.created == 1
    assert RiskClue.objects.count() == 1
    unmatched = [c for c in result.changes if c["name"].startswith("未匹配")]
    assert len(unmatched) == 1
    assert unmatched[0]["row"] == 4
    assert "赵六" in unmatched[0]["name"]
    assert stranger not in unmatched[0]["name"]
    assert stranger[-4:] in unmatched[0]["name"]  # masked, still recognisable
    assert unmatched[0]["fields"][0][0] == "未匹配"
    # Listed back, not counted as a change: nothing was written for the stranger.
    assert unmatched[0]["action"] == "note"
    assert (result.updated, result.noted) == (0, 1)


def test_a_household_outside_the_county_is_unmatched_and_never_revealed(world):
    elsewhere = HouseholdFactory(
        village=VillageFactory(township=make_township(make_county("别县"))), head_name="钱七"
    )
    cousin = member_of(elsewhere, name="钱八")
    data = workbook([cousin.id_number, "", "医保部门", "大病", DAY.isoformat()])
    result = run(data, world.reviewer)
    assert result.ok
    assert result.created == 0
    assert not RiskClue.objects.exists()
    assert result.changes[0]["name"].startswith("未匹配")
    assert "钱" not in str(result.changes)  # neither the household nor its village is named
    assert elsewhere.village.name not in str(result.changes)


def test_township_staff_match_only_their_township(world):
    son_b = member_of(world.household_b)
    son_a = member_of(world.household_a)
    data = workbook(
        [son_a.id_number, "", "医保部门", "大病", DAY.isoformat()],
        [son_b.id_number, "", "医保部门", "大病", DAY.isoformat()],
    )
    result = run(data, world.staff_a)
    assert result.ok and result.created == 1
    assert list(RiskClue.objects.values_list("household", flat=True)) == [world.household_a.pk]


def test_a_malformed_row_refuses_the_whole_file(world):
    son = member_of(world.household_a)
    data = workbook(
        [son.id_number, "王五", "医保部门", "住院", DAY.isoformat()],  # good
        ["51082119800101123", "", "医保部门", "大病", DAY.isoformat()],  # a short ID number
        [make_id_number(), "", "气象部门", "大病", DAY.isoformat()],  # an unknown department
        [make_id_number(), "", "医保部门", "", DAY.isoformat()],  # no risk
        [make_id_number(), "", "医保部门", "大病", "2026-13-45"],  # not a date
        [son.id_number, "王五", "医保部门", "又一次", DAY.isoformat()],  # same key as row 3
        [
            son.id_number,
            "王五",
            "教育部门",
            "未来",
            (TODAY + datetime.timedelta(days=5)).isoformat(),  # a day to come
        ],
    )
    result = run(data, world.reviewer)
    assert not result.ok and not result.imported
    assert not RiskClue.objects.exists()
    by_row = {(e.row, e.column) for e in result.errors}
    assert (4, "身份证号") in by_row
    assert (5, "预警部门") in by_row
    assert (6, "风险情况") in by_row
    assert (7, "预警日期") in by_row
    assert (8, "身份证号") in by_row and (3, "身份证号") in by_row  # the duplicate, both rows
    assert (9, "预警日期") in by_row


def test_a_dry_run_writes_nothing(world):
    son = member_of(world.household_a)
    data = workbook([son.id_number, "王五", "医保部门", "住院", DAY.isoformat()])
    result = run(data, world.reviewer, dry_run=True)
    assert result.ok and result.created == 1
    assert not RiskClue.objects.exists()


def test_who_may_import(world):
    son = member_of(world.household_a)
    data = workbook([son.id_number, "王五", "医保部门", "住院", DAY.isoformat()])
    for user in (world.cadre_user, world.coordinator):
        with pytest.raises(PermissionDenied):
            run(data, user)
    assert not RiskClue.objects.exists()


def test_the_template_reads_back(world):
    data = template_workbook(sheet_for("warnings"), rows=5)
    assert data[:2] == b"PK"
    spec = sheet_for("warnings")
    assert spec.keeper_kind == "clue_acceptance"
    assert [c.name for c in spec.columns if c.required] == [
        "身份证号",
        "预警部门",
        "风险情况",
        "预警日期",
    ]
