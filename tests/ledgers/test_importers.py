"""The roster importer: header found by name, normalising, every row checked with every error
reported at once, all or nothing, idempotent, and clear refusals for files that are not rosters."""

import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from stdnum.cn import ric

from households.models import Household, IncomeRecord, PovertyStatus
from ledgers import importers
from ledgers.importers import COLUMNS, RosterRefused, import_roster
from tests.factories import make_id_number
from tests.ledgers.conftest import roster_file

pytestmark = pytest.mark.django_db


def run(data, user, *, dry_run=False, income_year=2026):
    return import_roster(
        io.BytesIO(data), size=len(data), user=user, income_year=income_year, dry_run=dry_run
    )


def good_row(world, id_number=None, name="王五", **overrides):
    values = {
        "村区划代码": world.village_a.region.code,
        "户主姓名": name,
        "户主身份证号": id_number or make_id_number(),
        "家庭人口数": 4,
        "联系电话": "13912345678",
        "致贫原因": "因病",
        "帮扶类型": "产业帮扶",
        "重点困难户": "否",
        "年人均纯收入（元）": 5000,
        "脱贫年度": None,
    }
    values.update(overrides)
    return [values[name] for name in COLUMNS]


def test_a_clean_roster_is_imported_with_the_households_denormalised_fields(world):
    ids = [make_id_number(), make_id_number()]
    data = roster_file(
        [
            good_row(world, ids[0], name="王五"),
            good_row(world, ids[1], name="赵六", **{"脱贫年度": 2020, "重点困难户": "是"}),
        ]
    )
    check = run(data, world.staff_a)
    assert check.ok and (check.created, check.updated, check.unchanged) == (2, 0, 0)
    wang = Household.objects.get(head_id_number=ids[0])
    assert wang.township == world.township_a and wang.path == world.village_a.path
    assert wang.name_initials == "ww"
    assert wang.cause == "illness" and wang.track == "industry" and wang.size == 4
    assert wang.status == PovertyStatus.POOR
    assert IncomeRecord.objects.get(household=wang, year=2026).per_capita_net_income == 5000
    zhao = Household.objects.get(head_id_number=ids[1])
    assert zhao.key_difficulty and zhao.exit_year == 2020 and zhao.status == PovertyStatus.EXITED


def test_a_county_roster_of_heads_born_before_their_area_code_existed_imports_every_row(world):
    """510821 旺苍县 has its code since 1985; its heads born earlier carry it all the same (the code
    is where the number was issued). python-stdnum's rule refused every one of these rows."""
    ids = []
    for index, year in enumerate(range(1950, 1985)):
        body = f"510821{year}{index % 12 + 1:02d}{index % 28 + 1:02d}{index:03d}"
        ids.append(body + ric.calc_check_digit(body + "0"))
    assert not any(ric.is_valid(number) for number in ids)
    villages = [world.village_a, world.village_b]  # both townships of the county
    rows = [
        good_row(
            world, number, name=f"户主{index}", **{"村区划代码": villages[index % 2].region.code}
        )
        for index, number in enumerate(ids)
    ]
    check = run(roster_file(rows, title="贫困户名册（旺苍县）"), world.reviewer)
    assert check.errors == []
    assert check.ok and (check.created, check.updated, check.unchanged) == (35, 0, 0)
    assert set(
        Household.objects.filter(head_id_number__in=ids).values_list("head_id_number", flat=True)
    ) == set(ids)


def test_importing_the_same_file_again_changes_nothing(world):
    data = roster_file([good_row(world), good_row(world, name="赵六")])
    run(data, world.staff_a)
    stamps = dict(Household.objects.values_list("id", "updated_at"))
    again = run(data, world.staff_a)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert again.changes == []
    assert dict(Household.objects.values_list("id", "updated_at")) == stamps


def test_existing_households_are_matched_by_id_number_and_updated(world):
    household = world.household_a
    row = good_row(
        world,
        household.head_id_number,
        name="张三",
        **{"家庭人口数": 5, "年人均纯收入（元）": "6,100.5"},
    )
    check = run(roster_file([row]), world.staff_a, dry_run=True)
    assert (check.created, check.updated) == (0, 1)
    changed = {field[0]: field[1:] for field in check.changes[0]["fields"]}
    assert changed["家庭人口数"] == ["3", "5"]
    assert changed["2026年人均纯收入（元）"] == ["", "6100.50"]
    household.refresh_from_db()
    assert household.size == 3  # a dry run writes nothing
    run(roster_file([row]), world.staff_a)
    household.refresh_from_db()
    assert household.size == 5
    assert IncomeRecord.objects.get(household=household).per_capita_net_income == Decimal("6100.50")


def test_header_is_found_below_title_rows_whatever_the_column_order(world):
    order = list(reversed(COLUMNS))
    row = dict(zip(COLUMNS, good_row(world), strict=True))
    workbook = Workbook()
    ws = workbook.active
    ws.title = "名单"  # not the template's sheet name: the first sheet with the header is used
    ws.append(["东河镇2026年贫困户名册"])
    ws.append(["填报单位：东河镇人民政府", None, "填报日期：2026-11-01"])
    ws.append([])
    ws.append([f"{name} " for name in order])
    ws.append([row[name] for name in order])
    out = io.BytesIO()
    workbook.save(out)
    check = run(out.getvalue(), world.staff_a)
    assert check.ok and check.created == 1
    assert check.parsed.header_row == 4


def test_full_width_characters_and_stray_spaces_are_normalised(world):
    number = make_id_number()
    full_width_id = " " + number[:-1].translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    full_width_id = full_width_id[:6] + "　" + full_width_id[6:] + number[-1].lower() + " "
    code = world.village_a.region.code.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    row = good_row(
        world,
        full_width_id,
        name=" 王　五 ",
        **{
            "村区划代码": f" {code} ",
            "家庭人口数": "４",
            "致贫原因": " 因 病 ",
            "帮扶类型": "产业帮扶\u200b",
            "联系电话": "１３９ １２３４ ５６７８",
            "年人均纯收入（元）": "５０００．５ 元",
        },
    )
    check = run(roster_file([row]), world.staff_a)
    assert check.ok, [e.message for e in check.errors]
    household = Household.objects.get(head_id_number=number.upper())
    assert household.head_name == "王五"
    assert household.size == 4 and household.phone == "13912345678"
    assert household.incomes.get().per_capita_net_income == Decimal("5000.50")


def test_every_kind_of_bad_row_is_reported_at_once_and_nothing_is_imported(world):
    dup = make_id_number()
    valid = make_id_number()
    bad_checksum = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    rows = [
        good_row(world, name="好人"),  # row 3: fine on its own
        good_row(world, **{"村区划代码": "999999999999"}),  # 4 no such village
        good_row(world, **{"村区划代码": world.village_b.region.code}),  # 5 other township
        good_row(world, name="  "),  # 6 no name
        good_row(world, bad_checksum),  # 7 check digit
        good_row(world, 1.10105198001011e17),  # 8 Excel number
        good_row(world, valid[:6] + "********" + valid[-4:]),  # 9 masked
        good_row(world, **{"家庭人口数": 0}),  # 10
        good_row(world, **{"家庭人口数": "2.5"}),  # 11
        good_row(world, **{"致贫原因": "穷"}),  # 12
        good_row(world, **{"帮扶类型": None}),  # 13
        good_row(world, **{"重点困难户": "可能"}),  # 14
        good_row(world, **{"年人均纯收入（元）": -5}),  # 15
        good_row(world, **{"年人均纯收入（元）": "很多"}),  # 16
        good_row(world, **{"脱贫年度": 1999}),  # 17
        good_row(world, **{"脱贫年度": 2099}),  # 18
        good_row(world, dup),  # 19
        good_row(world, dup),  # 20 duplicate of 19
        good_row(world, world.household_b.head_id_number),  # 21 outside the scope
        good_row(world, **{"联系电话": "call me"}),  # 22
        good_row(world, "123"),  # 23 too short
    ]
    before = Household.objects.count()
    check = run(roster_file(rows), world.staff_a)
    assert not check.ok
    assert Household.objects.count() == before
    found = {(e.row, e.column) for e in check.errors}
    expected = {
        (4, "村区划代码"),
        (5, "村区划代码"),
        (6, "户主姓名"),
        (7, "户主身份证号"),
        (8, "户主身份证号"),
        (9, "户主身份证号"),
        (10, "家庭人口数"),
        (11, "家庭人口数"),
        (12, "致贫原因"),
        (13, "帮扶类型"),
        (14, "重点困难户"),
        (15, "年人均纯收入（元）"),
        (16, "年人均纯收入（元）"),
        (17, "脱贫年度"),
        (18, "脱贫年度"),
        (20, "户主身份证号"),
        (21, "户主身份证号"),
        (22, "联系电话"),
        (23, "户主身份证号"),
    }
    assert found == expected
    assert [e.row for e in check.errors] == sorted(e.row for e in check.errors)
    messages = {(e.row, e.column): e for e in check.errors}
    assert "不存在" in messages[(4, "村区划代码")].message
    assert "管辖范围" in messages[(5, "村区划代码")].message
    assert "校验位" in messages[(7, "户主身份证号")].message
    numeric = messages[(8, "户主身份证号")]
    assert "文本" in numeric.message and numeric.value == "1.10105198001011E+17"
    assert "脱敏" in messages[(9, "户主身份证号")].message
    assert "第 19 行" in messages[(20, "户主身份证号")].message
    assert "管辖范围以外" in messages[(21, "户主身份证号")].message
    assert messages[(12, "致贫原因")].value == "穷" and "因病" in messages[(12, "致贫原因")].message
    assert messages[(12, "致贫原因")].letter == "F"
    assert "2099" in messages[(18, "脱贫年度")].value

    copy = load_workbook(
        io.BytesIO(
            importers.error_workbook(
                io.BytesIO(roster_file(rows)),
                sheet=check.parsed.sheet,
                header_row=check.parsed.header_row,
                errors=[e.as_dict() for e in check.errors],
            )
        )
    )
    ws = copy["贫困户名册"]
    assert ws.cell(2, 11).value == "错误说明"
    assert ws.cell(3, 11).value is None
    assert "村区划代码不存在" in ws.cell(4, 11).value
    assert ws["F12"].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws["F12"].comment is not None


def test_one_bad_row_stops_the_whole_import(world):
    rows = [good_row(world), good_row(world, name="赵六"), good_row(world, **{"家庭人口数": -1})]
    before = Household.objects.count()
    check = run(roster_file(rows), world.staff_a)
    assert len(check.errors) == 1 and check.errors[0].row == 5
    assert Household.objects.count() == before


def test_the_command_line_without_a_user_may_import_anywhere(world):
    row = good_row(world, **{"村区划代码": world.village_b.region.code})
    assert run(roster_file([row]), None).ok


def test_totals_and_blank_rows_are_skipped(world):
    rows = [good_row(world), [None] * 10, ["合计（共 1 户）", None, None, 4]]
    check = run(roster_file(rows), world.staff_a)
    assert check.ok and check.total_rows == 1


def _ole_file(encrypted: bool) -> bytes:
    body = bytearray(importers.OLE_MAGIC + b"\x00" * 504)
    if encrypted:
        body += "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64
    return bytes(body + b"\x00" * 2048)


def _zip(files: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def _workbook(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "空的"),
        ("村区划代码,户主姓名\n1,2\n".encode("gbk"), "不是 Excel"),
        (_ole_file(encrypted=True), "密码"),
        (_ole_file(encrypted=False), ".xls"),
        (_zip({"word/document.xml": "<w/>", "[Content_Types].xml": "<T/>"}), "Word"),
        (b"PK\x03\x04" + b"\x00" * 100, "损坏"),
        (_zip({"xl/workbook.xml": "<not really>", "[Content_Types].xml": "<x"}), "无法作为 Excel"),
        (_workbook([]), "空的"),
        (_workbook([["姓名", "电话"], ["张三", "1"]]), "找不到名册的表头行"),
        (_workbook([COLUMNS]), "没有数据行"),
    ],
)
def test_files_that_are_not_rosters_are_refused_clearly(world, content, fragment):
    with pytest.raises(RosterRefused) as refused:
        run(content, world.staff_a)
    assert fragment in refused.value.message


def test_too_large_or_too_many_rows_is_refused(world, settings):
    data = roster_file([good_row(world) for _ in range(5)])
    settings.IMPORT_MAX_ROWS = 4
    with pytest.raises(RosterRefused, match="超过 4 行"):
        run(data, world.staff_a)
    settings.IMPORT_MAX_ROWS = 100
    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(RosterRefused, match="文件过大"):
        run(data, world.staff_a)


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(world, settings):
    settings.IMPORT_MAX_BYTES = 100_000
    bomb = _zip({"xl/workbook.xml": "<w/>", "xl/worksheets/sheet1.xml": " " * 3_000_000})
    assert len(bomb) < 100_000
    with pytest.raises(RosterRefused, match="解压后过大"):
        run(bomb, world.staff_a)


def test_template_has_the_roster_columns_and_imports_back(world):
    template = load_workbook(io.BytesIO(importers.template_workbook(rows=20)))
    ws = template["贫困户名册"]
    assert [c.value for c in ws[2]] == COLUMNS
    assert ws["C3"].number_format == "@"
    assert len(ws.data_validations.dataValidation) == 3
    assert "填写说明" in template.sheetnames
    for index, value in enumerate(good_row(world), 1):
        ws.cell(3, index, value)
    out = io.BytesIO()
    template.save(out)
    check = run(out.getvalue(), world.staff_a)
    assert check.ok and check.created == 1
