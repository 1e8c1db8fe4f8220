"""The units and Party-organisations imports (ledgers/sheets/units.py): a workbook with every
kind of bad row lists every error at once and imports nothing; a clean one imported twice
changes nothing the second time; the tree and scope rules are the services' own."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook, load_workbook

from ledgers.sheets.base import run_sheet, sheet_for, template_workbook
from pairing.models import OrgKind, PartyOrganisation, Unit
from tests.factories import PartyOrganisationFactory, UnitFactory

pytestmark = pytest.mark.django_db

UNIT_HEADER = [
    "单位名称",
    "单位类型",
    "所在区划代码",
    "统一社会信用代码",
    "主要负责人",
    "联络人",
    "联络人电话",
]
ORG_HEADER = ["单位名称", "党组织名称", "组织类型", "上级党组织名称", "书记", "党员人数"]


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


def run(kind, data, user, *, dry_run=False):
    return run_sheet(sheet_for(kind), io.BytesIO(data), size=len(data), user=user, dry_run=dry_run)


def errors_of(result):
    return {(e.row, e.column): e.message for e in result.errors}


def unit_rows(world):
    code = world.county.code
    return [
        ["县人民医院", "医院", code, "", "张院长", "王联络", "13912345678"],
        ["县农商银行", "金融机构", code, "", "李行长", "", ""],
        ["测试帮扶单位", "企业", code, "", "赵总", "钱联络", "13800000000"],  # exists: updated
    ]


def test_a_clean_units_file_imported_twice_changes_nothing_the_second_time(world):
    data = workbook(UNIT_HEADER, unit_rows(world))
    first = run("units", data, world.reviewer)
    assert first.ok, errors_of(first)
    assert (first.created, first.updated, first.unchanged) == (2, 1, 0)
    hospital = Unit.objects.get(name="县人民医院")
    assert hospital.kind == "hospital" and hospital.region == world.county
    assert hospital.coordinator_phone == "13912345678"
    world.unit.refresh_from_db()
    assert world.unit.principal_leader == "赵总" and world.unit.coordinator_name == "钱联络"
    second = run("units", data, world.reviewer)
    assert second.ok and (second.created, second.updated, second.unchanged) == (0, 0, 3)


def test_a_units_file_with_bad_rows_lists_every_error_and_imports_nothing(world):
    elsewhere = UnitFactory(name="外县单位", region=world.other_county)
    code = world.county.code
    rows = [
        ["", "企业", code, "", "", "", ""],  # 3: no name
        ["好单位", "不存在的类型", code, "", "", "", ""],  # 4: bad kind
        ["越界单位", "企业", world.other_county.code, "", "", "", ""],  # 5: outside scope
        ["无区划单位", "企业", "999999999999", "", "", "", ""],  # 6: unknown region
        ["重复单位", "企业", code, "", "", "", ""],  # 7: duplicate of row 8
        ["重复单位", "机关", code, "", "", "", ""],  # 8
        ["电话错单位", "企业", code, "", "", "", "138-abc"],  # 9: bad phone
        ["外县单位", "企业", code, "", "", "", ""],  # 10: same name, other county
        ["信用代码错", "企业", code, "123", "", "", ""],  # 11: the service refuses the code
        ["正常单位", "企业", code, "", "", "", ""],  # 12: fine, but nothing is imported
    ]
    result = run("units", workbook(UNIT_HEADER, rows), world.reviewer)
    errors = errors_of(result)
    assert (3, "单位名称") in errors
    assert (4, "单位类型") in errors and "医院" in errors[(4, "单位类型")]
    assert (5, "所在区划代码") in errors and (6, "所在区划代码") in errors
    assert (7, "单位名称") in errors and (8, "单位名称") in errors
    assert (9, "联络人电话") in errors
    assert "不在您的管辖范围内" in errors[(10, "单位名称")]
    assert (11, "统一社会信用代码") in errors
    assert not {row for row, _column in errors} & {12}
    assert not result.imported
    assert not Unit.objects.filter(name__in=["正常单位", "好单位", "重复单位"]).exists()
    elsewhere.refresh_from_db()
    assert elsewhere.region == world.other_county


def test_only_a_keeper_imports_units(world):
    data = workbook(UNIT_HEADER, unit_rows(world))
    with pytest.raises(PermissionDenied):
        run("units", data, world.staff_a)
    assert not Unit.objects.filter(name="县人民医院").exists()


def test_a_unit_of_another_county_is_an_error_on_its_row(world):
    data = workbook(UNIT_HEADER, unit_rows(world))
    result = run("units", data, world.other_reviewer)
    assert not result.ok
    assert {row for row, _column in errors_of(result)} == {3, 4, 5}
    assert not Unit.objects.filter(name="县人民医院").exists()


def org_rows(unit_name="测试帮扶单位"):
    return [
        [unit_name, "第一党支部", "党支部", "机关党总支", "甲书记", "12"],  # before its parent
        [unit_name, "机关党总支", "党总支", "测试党委", "", ""],
        [unit_name, "测试党委", "党委", "", "乙书记", "120"],
        [unit_name, "第二党支部", "党支部", "测试党委", "", "8"],
    ]


def test_a_clean_organisations_file_builds_the_tree_and_imports_twice_unchanged(world):
    data = workbook(ORG_HEADER, org_rows())
    first = run("party-organisations", data, world.reviewer)
    assert first.ok, errors_of(first)
    assert (first.created, first.updated, first.unchanged) == (4, 0, 0)
    orgs = {o.name: o for o in PartyOrganisation.objects.filter(unit=world.unit)}
    assert orgs["第一党支部"].parent == orgs["机关党总支"]
    assert orgs["机关党总支"].parent == orgs["测试党委"]
    assert orgs["测试党委"].parent is None and orgs["测试党委"].member_count == 120
    second = run("party-organisations", data, world.reviewer)
    assert second.ok and (second.created, second.updated, second.unchanged) == (0, 0, 4)


def test_an_organisations_file_changes_what_differs(world):
    committee = PartyOrganisationFactory(unit=world.unit, kind=OrgKind.COMMITTEE, name="测试党委")
    data = workbook(ORG_HEADER, [["测试帮扶单位", "测试党委", "党委", "", "新书记", "99"]])
    result = run("party-organisations", data, world.reviewer)
    assert (result.created, result.updated) == (0, 1)
    committee.refresh_from_db()
    assert committee.secretary == "新书记" and committee.member_count == 99
    assert result.changes[0]["fields"]


def test_an_organisations_file_with_bad_rows_lists_every_error_and_imports_nothing(world):
    hidden = UnitFactory(name="外县单位", region=world.other_county)
    PartyOrganisationFactory(unit=world.unit, kind=OrgKind.BRANCH, name="已有支部")
    rows = [
        ["不存在的单位", "某党委", "党委", "", "", ""],  # 3: unknown unit
        ["外县单位", "某党委", "党委", "", "", ""],  # 4: unit outside scope
        ["测试帮扶单位", "某总支", "党总支", "已有支部", "", ""],  # 5: a branch as its parent
        ["测试帮扶单位", "孤儿支部", "党支部", "查无此组织", "", ""],  # 6: unknown parent
        ["测试帮扶单位", "甲", "党总支", "乙", "", ""],  # 7: a loop with row 8
        ["测试帮扶单位", "乙", "党总支", "甲", "", ""],  # 8
        ["测试帮扶单位", "坏类型", "党小组", "", "", ""],  # 9: bad kind
        ["测试帮扶单位", "人数错", "党支部", "", "", "很多"],  # 10: bad member count
        ["测试帮扶单位", "重复", "党委", "", "", ""],  # 11: duplicate of row 12
        ["测试帮扶单位", "重复", "党委", "", "", ""],  # 12
        ["测试帮扶单位", "好党委", "党委", "", "", ""],  # 13: fine, but nothing is imported
    ]
    result = run("party-organisations", workbook(ORG_HEADER, rows), world.reviewer)
    errors = errors_of(result)
    assert "请先导入帮扶单位" in errors[(3, "单位名称")]
    assert (4, "单位名称") in errors
    assert "已有支部" in errors[(5, "上级党组织名称")]
    assert "查无此组织" in errors[(6, "上级党组织名称")]
    assert (7, "上级党组织名称") in errors and (8, "上级党组织名称") in errors
    assert (9, "组织类型") in errors
    assert (10, "党员人数") in errors
    assert (11, "党组织名称") in errors and (12, "党组织名称") in errors
    assert 13 not in {row for row, _column in errors}
    assert not result.imported
    assert not PartyOrganisation.objects.filter(name__in=["好党委", "孤儿支部", "某总支"]).exists()
    assert not hidden.organisations.exists()


def test_a_unit_kept_elsewhere_gets_no_organisations_from_this_county(world):
    village = world.village_a
    elsewhere = UnitFactory(name="外县企业", region=world.other_county)
    elsewhere.led_pairings.create(
        kind="org_pairing",
        name="外县企业结对",
        region=village.region,
        village=village,
        start_date="2025-01-01",
    )
    data = workbook(ORG_HEADER, [["外县企业", "外县企业党委", "党委", "", "", ""]])
    result = run("party-organisations", data, world.reviewer)
    assert not result.ok and "外县企业" in " ".join(errors_of(result).values())
    assert not elsewhere.organisations.exists()


def test_the_templates_have_drop_downs_and_instructions():
    for kind, sheet, header in (
        ("units", "帮扶单位", "单位类型*"),
        ("party-organisations", "单位党组织", "组织类型*"),
    ):
        book = load_workbook(io.BytesIO(template_workbook(sheet_for(kind))))
        assert book.sheetnames[:2] == [sheet, "填写说明"]
        headers = [cell.value for cell in book[sheet][2]]
        assert header in headers
        assert book[sheet].data_validations.dataValidation
