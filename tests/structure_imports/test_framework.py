"""The Excel import framework (ledgers/sheets/base.py) with the regions kind and a toy kind:
the header found by its names below a title row, aliases, full-width digits, every bad row
listed at once with its row and column, all or nothing, the dry run is the import, a second
import changes nothing, the error copy, the template, and the refusals of files."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from households.models import PovertyCause
from ledgers.sheets.base import (
    CREATED,
    Col,
    SheetRefused,
    SheetSpec,
    error_copy,
    run_sheet,
    sheet_for,
    sheets,
    template_workbook,
)
from tests.factories import make_id_number
from tests.structure_imports.conftest import workbook
from villages.models import Region, RegionLevel, Village

pytestmark = pytest.mark.django_db

REGIONS = "regions"


def run(data, user, *, dry_run=True, spec=None):
    spec = spec or sheet_for(REGIONS)
    return run_sheet(spec, io.BytesIO(data), size=len(data), user=user, dry_run=dry_run)


def messages_of(result):
    return [(e.row, e.column, e.letter, e.value, e.message) for e in result.errors]


# --- the regions kind -----------------------------------------------------------------------
def test_the_regions_kind_is_discovered_and_registered():
    assert REGIONS in [spec.kind for spec in sheets()]
    spec = sheet_for(REGIONS)
    assert spec.keeper_kind == "region" and spec.title == "区划与村"


def test_a_county_loads_its_townships_and_villages_in_any_order_below_a_title_row(tree):
    data = workbook(
        [
            ["510105002001", "新华村", ""],  # a village before its township
            ["510105002000", "新华街道", None],  # 12-digit form of a township
            ["510105001002", "泡桐树社区", "510105001"],
        ],
        title="青羊区统计用区划代码（2024年）",
    )
    result = run(data, tree.reviewer, dry_run=False)
    assert result.ok, messages_of(result)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert result.header_row == 2 and result.sheet == "区划与村" and result.imported
    township = Region.objects.get(code="510105002")
    assert township.level == RegionLevel.TOWNSHIP and township.parent == tree.county
    village = Village.objects.get(region__code="510105002001")
    assert village.name == "新华村" and village.township == township
    assert (
        village.county == tree.county and village.path == "51/5101/510105/510105002/510105002001/"
    )
    assert [c["row"] for c in result.changes] == [3, 4, 5]


def test_aliases_full_width_digits_numbers_and_spaces_are_read(tree):
    data = workbook(
        [
            ["５１０１０５００１００２", " 泡桐树 社区 ", None],
            [510105001003, "同仁路社区", 510105001],  # Excel stored the codes as numbers
        ],
        headers=("统计用区划代码", "区划名称", "上级区划代码"),
        title=None,
        sheet="Sheet1",
    )
    result = run(data, tree.reviewer, dry_run=False)
    assert result.ok, messages_of(result)
    assert Region.objects.get(code="510105001002").name == "泡桐树社区"
    assert Village.objects.get(region__code="510105001003").name == "同仁路社区"


def test_every_kind_of_bad_row_is_listed_at_once_and_nothing_is_written(tree):
    data = workbook(
        [
            ["510105001010", "好村", ""],  # row 3: right, but the file has errors
            ["5101050010", "位数不对", ""],  # row 4: 10 digits
            ["510105001011", "", ""],  # row 5: no name
            ["510105001012", "甲", ""],  # row 6: duplicate of row 7
            ["510105001012", "乙", ""],  # row 7
            ["510105001013", "上级不符", "510105002"],  # row 8
            ["510104020", "书院街街道", ""],  # row 9: another county's township
            ["510104020001", "外县的村", ""],  # row 10: under another county
            ["510105", "青羊区改名", ""],  # row 11: the reviewer's own county
            ["51010500A001", "字母", ""],  # row 12
        ]
    )
    before = Region.objects.count()
    result = run(data, tree.reviewer, dry_run=False)
    assert not result.ok and not result.imported
    found = {(e.row, e.column) for e in result.errors}
    assert found == {
        (4, "区划代码"),
        (5, "名称"),
        (6, "区划代码"),
        (7, "区划代码"),
        (8, "上级代码"),
        (9, "区划代码"),
        (10, "区划代码"),
        (11, "区划代码"),
        (12, "区划代码"),
    }
    by_row = {e.row: e for e in result.errors}
    assert (
        by_row[4].letter == "A" and by_row[4].value == "5101050010" and "10位" in by_row[4].message
    )
    assert by_row[5].letter == "B" and by_row[5].message == "名称不能为空。"
    assert "第 7 行" in by_row[6].message and "第 6 行" in by_row[7].message
    assert "510105001" in by_row[8].message and by_row[8].letter == "C"
    assert "不在您的管辖范围内" in by_row[9].message
    assert "不存在或不在您的管辖范围内" in by_row[10].message
    assert "上级维护" in by_row[11].message
    assert "数字" in by_row[12].message
    assert [e.row for e in result.errors] == sorted(e.row for e in result.errors)
    # All or nothing: the good row 3 was not written either.
    assert Region.objects.count() == before
    assert not Region.objects.filter(code="510105001010").exists()


def test_the_dry_run_is_the_import_and_a_second_import_changes_nothing(tree):
    data = workbook(
        [
            ["510105002", "新华街道", ""],
            ["510105002001", "新华村", ""],
            ["510105001001", "宽巷子社区", ""],  # exists, unchanged
            ["510105000000", "青羊区", ""],  # the reviewer's own county, unchanged
        ]
    )
    checked = run(data, tree.reviewer)
    assert checked.ok and not checked.imported
    assert not Region.objects.filter(code="510105002").exists()
    imported = run(data, tree.reviewer, dry_run=False)
    assert imported.imported
    assert checked.as_dict() == imported.as_dict()
    assert (imported.created, imported.updated, imported.unchanged) == (2, 0, 2)
    again = run(data, tree.reviewer, dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert again.changes == []


def test_a_renamed_village_is_an_update_listing_old_and_new_and_renames_its_village(tree):
    data = workbook([["510105001001", "宽窄巷子社区", ""]])
    result = run(data, tree.reviewer, dry_run=False)
    assert (result.created, result.updated) == (0, 1)
    assert result.changes[0]["fields"] == [["名称", "宽巷子社区", "宽窄巷子社区"]]
    tree.village.refresh_from_db()
    assert tree.village.name == "宽窄巷子社区"


def test_township_staff_cannot_import_regions(tree):
    data = workbook([["510105001002", "泡桐树社区", ""]])
    with pytest.raises(PermissionDenied):
        run(data, tree.staff, dry_run=False)
    assert not Region.objects.filter(code="510105001002").exists()


def test_the_queries_of_a_run_do_not_grow_per_row_in_the_check(tree):
    """The check reads the file's codes in chunks; each row's write is its own service call."""

    def queries(n):
        rows = [[f"510105001{100 + i:03d}", f"村{i}", ""] for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            run(workbook(rows), tree.reviewer)
        return len(ctx)

    few, many = queries(2), queries(12)
    # Linear in the rows written (one service call each), bounded per row.
    assert (many - few) / 10 <= 25


# --- the workbooks ---------------------------------------------------------------------------
def test_the_error_copy_opens_and_carries_every_message_next_to_the_cells(tree):
    data = workbook(
        [["510105001010", "好村", ""], ["5101050010", "位数不对", ""], ["510105001011", "", ""]]
    )
    result = run(data, tree.reviewer)
    errors = [e.as_dict() for e in result.errors]
    copy = error_copy(
        io.BytesIO(data), sheet=result.sheet, header_row=result.header_row, errors=errors
    )
    ws = load_workbook(io.BytesIO(copy))["区划与村"]
    assert ws.cell(row=2, column=4).value == "错误说明"
    assert "10位" in ws.cell(row=4, column=4).value
    assert ws.cell(row=5, column=4).value == "名称：名称不能为空。"
    assert ws.cell(row=3, column=4).value is None
    assert ws["A4"].fill.fgColor.rgb.endswith("FFC7CE") and ws["B5"].comment is not None


class ToySheet(SheetSpec):
    """Every parse kind; apply records what it parsed (no database)."""

    kind = "toy"
    title = "玩具"
    sheet_name = "玩具"
    keeper_kind = "region"
    columns = [
        Col("名称", "name", required=True, aliases=("姓名",), example="张三"),
        Col("人数", "count", parse="int"),
        Col("金额", "amount", parse="decimal"),
        Col("日期", "day", parse="date"),
        Col("是否", "flag", parse="bool"),
        Col("身份证号", "id_number", parse="id_number"),
        Col("电话", "phone", parse="phone"),
        Col("代码", "code", parse="code"),
        Col("致贫原因", "cause", choices=PovertyCause),
        Col("颜色", "colour", choices=["红", "绿"]),
        Col("偶数", "even", parse=lambda text: _even(text)),
    ]
    instructions = ["玩具说明一行。"]

    def __init__(self):
        self.applied = []

    def key(self, row):
        return row["name"]

    def apply(self, row, user):
        self.applied.append({col.key: row[col.key] for col in self.columns})
        return CREATED


def _even(text):
    if not text.isdigit() or int(text) % 2:
        raise ValueError("应为偶数。")
    return int(text)


def toy_file(rows, headers=None):
    spec = ToySheet()
    return workbook(rows, headers=headers or [c.name for c in spec.columns], sheet="玩具")


def test_every_parse_kind_reads_what_townships_type(tree):
    number = make_id_number()
    rows = [
        [
            "甲",
            "3",
            "1,234.50元",
            "2024/1/5",
            "是",
            number.lower(),
            "0839-1234567",
            "0012",
            "因病",
            "红",
            "4",
        ],
        ["乙", 4.0, 12, "2024年1月6日", "否", None, None, 510105, "illness", " 绿 ", 6],
        [
            "丙",
            None,
            None,
            datetime.datetime(2024, 1, 7, 8, 30),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ],
        ["丁", None, None, 45299, None, None, None, None, None, None, None],  # an Excel day number
        ["戊", None, None, "2024-01-08", None, None, None, None, None, None, None],
    ]
    spec = ToySheet()
    result = run(toy_file(rows), tree.reviewer, spec=spec)
    assert result.ok, messages_of(result)
    first, second, third, fourth, fifth = spec.applied
    assert first["count"] == 3 and first["amount"] == Decimal("1234.50")
    assert first["day"] == datetime.date(2024, 1, 5) and first["flag"] is True
    assert first["id_number"] == number.upper() and first["phone"] == "0839-1234567"
    assert first["code"] == "0012" and first["cause"] == "illness" and first["colour"] == "红"
    assert first["even"] == 4
    assert second["count"] == 4 and second["amount"] == Decimal("12") and second["flag"] is False
    assert second["day"] == datetime.date(2024, 1, 6) and second["code"] == "510105"
    assert second["cause"] == "illness" and second["colour"] == "绿" and second["id_number"] is None
    assert third["day"] == datetime.date(2024, 1, 7) and third["count"] is None
    assert third["colour"] is None and third["name"] == "丙"
    assert fourth["day"] == datetime.date(2024, 1, 8) and fifth["day"] == datetime.date(2024, 1, 8)


def test_every_bad_cell_is_reported_with_its_reason(tree):
    number = make_id_number()
    rows = [
        [
            "甲",
            "三",
            "一百",
            "2024-02-30",
            "也许",
            float(number[:17]),
            "139****5678",
            "12a",
            "因懒",
            "蓝",
            "3",
        ],
        ["乙", None, None, None, None, number[:-4] + "****", "abc", None, None, None, None],
        [None, "1", None, None, None, None, None, None, None, None, None],
    ]
    result = run(toy_file(rows), tree.reviewer, spec=ToySheet())
    by_cell = {(e.row, e.column): e.message for e in result.errors}
    assert by_cell[(3, "人数")] == "人数应为整数。"
    assert by_cell[(3, "金额")] == "金额应为数字。"
    assert "不是有效日期" in by_cell[(3, "日期")]
    assert by_cell[(3, "是否")] == "是否应填“是”或“否”。"
    assert "存成了数字" in by_cell[(3, "身份证号")]
    assert "脱敏" in by_cell[(3, "电话")]
    assert by_cell[(3, "代码")] == "代码应只含数字。"
    assert "因病" in by_cell[(3, "致贫原因")] and "应为以下之一" in by_cell[(3, "致贫原因")]
    assert by_cell[(3, "颜色")] == "颜色应为以下之一：红、绿。"
    assert by_cell[(3, "偶数")] == "应为偶数。"
    assert "脱敏" in by_cell[(4, "身份证号")]
    assert "联系电话格式不正确" in by_cell[(4, "电话")]
    assert by_cell[(5, "名称")] == "名称不能为空。"
    letters = {e.column: e.letter for e in result.errors}
    assert letters["名称"] == "A" and letters["偶数"] == "K"


def test_the_template_has_its_headers_drop_downs_example_and_instructions():
    content = template_workbook(ToySheet())
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames[:2] == ["玩具", "填写说明"]
    ws = book["玩具"]
    headers = [cell.value for cell in ws[2]]
    assert headers[0] == "名称*" and headers[1] == "人数"
    assert ws["A2"].font.color.rgb.endswith("C00000")
    lists = {str(v.sqref): v.formula1 for v in ws.data_validations.dataValidation}
    assert lists["I3:I1002"] == '"' + ",".join(str(label) for label in PovertyCause.labels) + '"'
    assert lists["J3:J1002"] == '"红,绿"' and lists["E3:E1002"] == '"是,否"'
    assert ws["F3"].number_format == "@" and ws["H3"].number_format == "@"
    notes = book["填写说明"]
    texts = [row for row in notes.iter_rows(values_only=True)]
    assert texts[0][:3] == ("列名", "是否必填", "填写要求")
    assert texts[1][:2] == ("名称", "必填") and texts[1][3] == "张三"
    assert any(row[2] == "玩具说明一行。" for row in texts)
    # The template read back is a file with no data rows (refused as such, not misread).
    with pytest.raises(SheetRefused, match="没有数据行"):
        from ledgers.sheets.base import SheetRun

        run_ = SheetRun(ToySheet())
        run_.read(io.BytesIO(content))


def test_the_regions_template_imports_once_filled(tree):
    content = template_workbook(sheet_for(REGIONS))
    book = load_workbook(io.BytesIO(content))
    ws = book["区划与村"]
    ws["A3"], ws["B3"] = "510105001002", "泡桐树社区"
    out = io.BytesIO()
    book.save(out)
    result = run(out.getvalue(), tree.reviewer, dry_run=False)
    assert result.ok and result.created == 1


# --- refusals of the file --------------------------------------------------------------------
def test_files_that_are_no_workbook_are_refused_with_the_reason(tree, settings):
    with pytest.raises(SheetRefused, match="不是 Excel"):
        run("区划代码,名称\n510105001002,泡桐树社区\n".encode(), tree.reviewer)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    with pytest.raises(SheetRefused, match=r"\.xls"):
        run(ole, tree.reviewer)
    with pytest.raises(SheetRefused, match="空的"):
        run(b"", tree.reviewer)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(SheetRefused, match="不是 Excel 工作簿"):
        run(zipped.getvalue(), tree.reviewer)
    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(SheetRefused, match="文件过大"):
        run(workbook([["510105001002", "泡桐树社区", ""]]), tree.reviewer)


def test_a_workbook_without_the_headers_names_the_missing_columns(tree):
    book = Workbook()
    book.active.append(["村名", "人口"])
    book.active.append(["某村", 100])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(SheetRefused, match="缺少：区划代码") as refusal:
        run(out.getvalue(), tree.reviewer)
    assert "名称" not in refusal.value.message.split("缺少：")[1].split("。")[0]


def test_too_many_rows_are_refused(tree, settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = [[f"510105001{100 + i:03d}", f"村{i}", ""] for i in range(5)]
    with pytest.raises(SheetRefused, match="超过 3 行"):
        run(workbook(rows), tree.reviewer)
