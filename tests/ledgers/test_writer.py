"""The base writer: formula injection and illegal characters neutralised, typed cells, the
office layout (title, subtitle, header, frozen panes, filter, totals), Excel's row limit."""

import datetime
import io
from decimal import Decimal

from ledgers.writer import Column, Kind, LedgerWriter, Sheet
from tests.ledgers.conftest import header, open_workbook

COLUMNS = [
    Column("姓名"),
    Column("身份证号", Kind.CODE),
    Column("人数", Kind.INT, total=True),
    Column("收入（元）", Kind.MONEY, total=True),
    Column("日期", Kind.DATE),
    Column("说明", Kind.LONG_TEXT),
]


def write(rows, **kwargs):
    writer = LedgerWriter(title="测试台账（2026年）", subtitle="区划：测试县", **kwargs)
    writer.add_sheet(Sheet("测试台账", COLUMNS, rows, count_unit="户"))
    out = io.BytesIO()
    writer.save(out)
    return open_workbook(out.getvalue())


def test_formula_looking_text_is_written_as_text_never_as_formula():
    names = ['=HYPERLINK("http://evil.example","点我")', "+86 139", "-1+2", "@SUM(A1)", "#N/A"]
    wb = write([(name, "1", 1, Decimal("1"), None, name) for name in names])
    ws = wb.active
    for index, name in enumerate(names, start=4):
        for column in ("B", "G"):  # a text column and a wrapped one (A is 序号)
            cell = ws[f"{column}{index}"]
            assert cell.value == name
            assert cell.data_type == "s"
            assert cell.quotePrefix
    assert not ws["B4"].value.startswith("'")  # kept exactly as typed, no apostrophe added


def test_characters_excel_refuses_are_removed_and_long_text_cut():
    wb = write([("张\x07三\x1b", "11\x00", 1, None, None, "长" * 40000)])
    ws = wb.active
    assert ws["B4"].value == "张三"
    assert ws["C4"].value == "11"
    assert len(ws["G4"].value) == 32767


def test_cells_are_typed_with_number_formats_and_totals_summed():
    day = datetime.date(2026, 3, 2)
    wb = write(
        [
            ("张三", "110105198001011234", 3, Decimal("8234.50"), day, "好"),
            ("李四", "110105198001011235", 5, Decimal("100"), None, None),
        ]
    )
    ws = wb.active
    assert ws["D4"].value == 3 and ws["D4"].number_format == "#,##0"
    assert ws["E4"].value == 8234.5 and ws["E4"].number_format == "#,##0.00"
    assert ws["F4"].value.date() == day and ws["F4"].number_format == "yyyy-mm-dd"
    assert ws["C4"].data_type == "s"  # the ID number stays text
    assert ws["A4"].value == 1 and ws["A5"].value == 2  # 序号
    totals = [c.value for c in ws[6]]
    assert totals[0] == "合计（共 2 户）"
    assert totals[3] == 8 and totals[4] == 8334.5


def test_sheet_looks_like_an_office_ledger():
    wb = write([("张三", "1", 1, None, None, None)])
    ws = wb.active
    assert ws.title == "测试台账"
    assert ws["A1"].value == "测试台账（2026年）" and ws["A1"].font.b
    assert ws["A2"].value == "区划：测试县"
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:G1", "A2:G2"}
    assert header(ws) == ["序号", "姓名", "身份证号", "人数", "收入（元）", "日期", "说明"]
    assert ws["B3"].font.b
    assert ws.freeze_panes == "B4"
    assert ws.auto_filter.ref == "A3:G4"
    assert ws.print_title_rows == "$1:$3"
    assert ws.page_setup.orientation == "landscape"
    assert ws.column_dimensions["C"].width >= 14


def test_rows_past_the_sheet_limit_continue_on_a_second_sheet():
    rows = [(f"户{i}", str(i), 1, None, None, None) for i in range(10)]
    writer = LedgerWriter(title="大台账", subtitle="", max_rows_per_sheet=10)
    writer.add_sheet(Sheet("大台账", COLUMNS, rows, count_unit="户"))
    out = io.BytesIO()
    writer.save(out)
    wb = open_workbook(out.getvalue())
    assert wb.sheetnames == ["大台账", "大台账（续2）"]
    first, second = wb.worksheets
    assert first.max_row == 9  # 3 header rows + 6 data rows (a row kept for totals)
    assert second["A1"].value == "大台账（续2）"
    assert header(second)[1] == "姓名"
    assert second["A4"].value == 7  # numbering continues
    assert second[second.max_row][0].value == "合计（共 10 户）"


def test_progress_is_reported_while_writing():
    seen = []
    rows = [(f"户{i}", str(i), 1, None, None, None) for i in range(25)]
    writer = LedgerWriter(title="t", subtitle="", on_progress=seen.append, progress_every=10)
    writer.add_sheet(Sheet("t", COLUMNS, rows))
    writer.save(io.BytesIO())
    assert seen == [10, 20]


def test_rows_with_long_wrapped_text_are_tall_enough_to_read():
    wb = write(
        [("张三", "1", 1, None, None, "走访了解情况" * 20), ("李四", "2", 1, None, None, "短")]
    )
    ws = wb.active
    assert ws.row_dimensions[4].height >= 15 * 5
    assert ws.row_dimensions[5].height is None
    assert ws["G4"].alignment.wrap_text
