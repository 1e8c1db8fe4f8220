"""Every ledger opened back with openpyxl: title, headers, masked IDs, typed cells, row counts
equal to the records in scope, formula-looking text kept as text; and the export's scope."""

import datetime
import io

import pytest
from django.http import Http404

from accounts.models import SecurityEvent
from households.models import Household, Visit
from inspections.models import RectificationItem
from ledgers import services
from ledgers.periods import parse_period
from tests.factories import HouseholdFactory, HouseholdPairingFactory, VisitFactory
from tests.ledgers.conftest import header, open_workbook, sheet_rows
from tests.ledgers.ledger_data import FORMULA_NAME, fill

pytestmark = pytest.mark.django_db

ROSTER_HEADERS = [
    "村区划代码",
    "户主姓名",
    "户主身份证号",
    "家庭人口数",
    "联系电话",
    "致贫原因",
    "帮扶类型",
    "重点困难户",
    "年人均纯收入（元）",
    "脱贫年度",
]


def export(kind, user, region, period="2026", mask=False):
    exporter = services.ledger_exporter(
        user=user, kind=kind, region=region, period=parse_period(period), mask_ids=mask
    )
    out = io.BytesIO()
    rows = services.ledger_write(exporter=exporter, target=out)
    return open_workbook(out.getvalue()), rows


def column(ws, title):
    return header(ws).index(title)


@pytest.fixture
def data(world):
    return fill(world)


def test_pairing_ledger_for_a_county_reviewer(world, data):
    wb, rows = export("pairing", world.reviewer, world.county)
    ws = wb["结对帮扶台账"]
    assert ws["A1"].value == "四川省广元市测试县结对帮扶台账（2026年）".replace("四川省", "")
    assert "制表日期" in ws["A2"].value and "测试县" in ws["A2"].value
    titles = header(ws)
    assert titles[:4] == ["序号", "县（区）", "乡镇（街道）", "村"]
    assert all(name in titles for name in ROSTER_HEADERS)
    data_rows = sheet_rows(ws)
    in_scope = Household.objects.visible_to(world.reviewer).filter(
        path__startswith=world.county.path
    )
    assert rows == len(data_rows) == in_scope.count() == 3
    by_name = {r[column(ws, "户主姓名")]: r for r in data_rows}
    zhang = by_name["张三"]
    assert zhang[column(ws, "户主身份证号")] == world.household_a.head_id_number  # full
    assert zhang[column(ws, "乡镇（街道）")] == "甲镇" and zhang[column(ws, "村")] == "甲村"
    assert zhang[column(ws, "村区划代码")] == world.village_a.region.code
    assert zhang[column(ws, "家庭人口数")] == 3
    assert zhang[column(ws, "年人均纯收入（元）")] == 8234.5
    assert zhang[column(ws, "致贫原因")] == "因病" and zhang[column(ws, "帮扶类型")] == "产业帮扶"
    assert zhang[column(ws, "帮扶责任人")] == "帮扶人甲"
    assert zhang[column(ws, "帮扶单位")] == "测试帮扶单位"
    assert zhang[column(ws, "2026年走访次数")] == 2  # credited visits of 2026 only
    assert zhang[column(ws, "最近走访日期")] == datetime.datetime(2026, 5, 10)
    assert zhang[column(ws, "一户一策")] == "已制定"
    assert zhang[column(ws, "帮扶措施（项）")] == 2 and zhang[column(ws, "已完成措施（项）")] == 1
    formula = by_name[FORMULA_NAME]
    assert formula[column(ws, "重点困难户")] == "是" and formula[column(ws, "脱贫年度")] == 2020
    # Typed cells: the row of 张三.
    row = 4 + data_rows.index(zhang)
    assert ws.cell(row, column(ws, "年人均纯收入（元）") + 1).number_format == "#,##0.00"
    assert ws.cell(row, column(ws, "最近走访日期") + 1).is_date
    assert ws.cell(row, column(ws, "户主身份证号") + 1).data_type == "s"
    # The formula-looking name is text, exactly as entered.
    name_cell = ws.cell(4 + data_rows.index(formula), column(ws, "户主姓名") + 1)
    assert name_cell.data_type == "s" and name_cell.value == FORMULA_NAME
    phone_cell = ws.cell(4 + data_rows.index(formula), column(ws, "联系电话") + 1)
    assert phone_cell.value == "+8613900000000" and phone_cell.data_type == "s"
    totals = [c.value for c in ws[ws.max_row]]
    assert totals[0] == "合计（共 3 户）"
    assert totals[column(ws, "家庭人口数")] == 9


def test_township_staff_get_masked_ids_and_only_their_township(world, data):
    wb, rows = export("pairing", world.staff_a, world.township_a)
    ws = wb.active
    data_rows = sheet_rows(ws)
    assert rows == len(data_rows) == 2
    assert {r[column(ws, "乡镇（街道）")] for r in data_rows} == {"甲镇"}
    ids = [r[column(ws, "户主身份证号")] for r in data_rows]
    full = world.household_a.head_id_number
    assert full[:6] + "*" * 8 + full[-4:] in ids
    assert all("*" * 8 in number and len(number) == 18 for number in ids)
    assert "身份证号：已脱敏" in ws["A2"].value


def test_reviewer_may_ask_for_masked_ids(world, data):
    wb, _rows = export("pairing", world.reviewer, world.county, mask=True)
    ids = [r[column(wb.active, "户主身份证号")] for r in sheet_rows(wb.active)]
    assert all("********" in number for number in ids)


@pytest.mark.parametrize("kind", ["pairing", "visit", "village", "assessment", "rectification"])
def test_township_reviewer_ledger_holds_only_that_township(world, data, township_reviewer, kind):
    with pytest.raises(Http404):
        services.ledger_exporter(
            user=township_reviewer, kind=kind, region=world.county, period=parse_period("2026")
        )
    wb, rows = export(kind, township_reviewer, world.township_a)
    for ws in wb.worksheets:
        titles = header(ws)
        if "乡镇（街道）" in titles:
            townships = {r[titles.index("乡镇（街道）")] for r in sheet_rows(ws)}
            assert townships <= {"甲镇"}, (kind, ws.title)
        texts = " ".join(str(v) for r in sheet_rows(ws) for v in r if v is not None)
        assert "乙村" not in texts and "李四" not in texts


def test_visit_ledger_lists_every_visit_of_the_period(world, data):
    wb, rows = export("visit", world.reviewer, world.county)
    ws = wb["走访台账"]
    data_rows = sheet_rows(ws)
    expected = Visit.objects.filter(
        path__startswith=world.county.path,
        visited_on__gte=datetime.date(2026, 1, 1),
        visited_on__lte=datetime.date(2026, 12, 31),
    ).count()
    assert rows == len(data_rows) == expected == 4
    credit = {r[column(ws, "考核计入")] for r in data_rows}
    assert credit == {"计入考核", "不计入考核"}
    noted = next(r for r in data_rows if r[column(ws, "考核计入")] == "不计入考核")
    assert noted[column(ws, "了解情况与帮扶内容")] == "了解情况"  # the bell character removed
    assert noted[column(ws, "不计入或待审核原因")] == "同日重复走访"
    assert isinstance(noted[column(ws, "走访日期")], datetime.datetime)
    assert isinstance(noted[column(ws, "填报时间")], datetime.datetime)
    # A quarter holds only its visits.
    _wb, q2_rows = export("visit", world.reviewer, world.county, period="2026-Q2")
    assert q2_rows == 3


def test_village_ledger(world, data):
    wb, rows = export("village", world.reviewer, world.county)
    ws = wb["村级台账"]
    data_rows = sheet_rows(ws)
    assert rows == len(data_rows) == 2
    village_a = next(r for r in data_rows if r[column(ws, "村")] == "甲村")
    assert village_a[column(ws, "2024年集体经济收入（元）")] == 12000
    assert village_a[column(ws, "2026年集体经济收入（元）")] == 25000
    assert village_a[column(ws, "后备干部（人）")] == 2
    assert village_a[column(ws, "下派人才（人）")] == 1
    assert village_a[column(ws, "第一书记")] == "第一书记甲"
    assert village_a[column(ws, "结对帮扶单位")] == "测试帮扶单位"
    assert village_a[column(ws, "建档贫困户（户）")] == 2
    assert village_a[column(ws, "建档立卡贫困村")] == "是"
    assert village_a[column(ws, "退出情况")] == "未按期退出"
    row = 4 + data_rows.index(village_a)
    assert ws.cell(row, column(ws, "2026年集体经济收入（元）") + 1).number_format == "#,##0.00"
    assert ws.cell(row, column(ws, "计划退出年度") + 1).number_format == "0"


def test_assessment_summary(world, data):
    wb, rows = export("assessment", world.reviewer, world.county)
    assert wb.sheetnames == ["指标汇总", "按乡镇", "按帮扶单位", "单位年度考核"]
    overall = sheet_rows(wb["指标汇总"])
    assert len(overall) == 1
    ws = wb["指标汇总"]
    row = overall[0]
    assert row[column(ws, "指标代码")] == "HH-VISIT-YEAR"
    assert row[column(ws, "考核对象数")] == 3 and row[column(ws, "达标数")] == 1
    assert row[column(ws, "未达标数")] == 2
    assert row[column(ws, "达标率")] == pytest.approx(0.3333)
    assert ws.cell(4, column(ws, "达标率") + 1).number_format == "0.0%"
    assert row[column(ws, "考核标准")] == "不少于4次"
    townships = {r[2]: r for r in sheet_rows(wb["按乡镇"])}
    assert townships["甲镇"][header(wb["按乡镇"]).index("考核对象数")] == 2
    assert townships["乙镇"][header(wb["按乡镇"]).index("达标数")] == 0
    units = sheet_rows(wb["按帮扶单位"])
    assert [(r[1], r[header(wb["按帮扶单位"]).index("考核对象数")]) for r in units] == [
        ("测试帮扶单位", 2)
    ]
    graded = sheet_rows(wb["单位年度考核"])
    ws4 = wb["单位年度考核"]
    assert graded[0][column(ws4, "帮扶单位")] == "测试帮扶单位"
    assert graded[0][column(ws4, "受三捆绑限制")] == "是"
    assert graded[0][column(ws4, "限制原因")] == "驻村干部年度考核不称职"
    assert graded[0][column(ws4, "最高可评等次")] == "称职"
    assert rows == 1 + 2 + 1 + 1


def test_rectification_ledger(world, data):
    wb, rows = export("rectification", world.reviewer, world.county)
    ws = wb["督查整改台账"]
    data_rows = sheet_rows(ws)
    assert rows == len(data_rows) == RectificationItem.objects.count() == 2
    late = next(r for r in data_rows if r[column(ws, "问题清单")] == "走访记录不全")
    assert late[column(ws, "逾期情况")] == "已逾期"
    assert late[column(ws, "整改状态")] == "整改中"
    assert late[column(ws, "责任单位")] == "测试帮扶单位"
    assert late[column(ws, "整改时限")] == datetime.datetime(2026, 1, 31)
    formula = next(r for r in data_rows if r[column(ws, "村")] == "乙村")
    assert formula[column(ws, "问题清单")] == "=1+1 阵地未挂牌"


def test_each_export_is_logged(world, data):
    _wb, rows = export("pairing", world.staff_a, world.township_a)
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.EXPORT)
    assert event.user == world.staff_a
    assert event.region_code == world.township_a.code
    assert event.rows == rows == 2
    assert event.detail["ledger"] == "pairing"
    assert event.detail["period"] == "2026"
    assert event.detail["masked_ids"] is True


def test_pairing_ledger_queries_do_not_grow_with_households(
    world, data, django_assert_max_num_queries
):
    for i in range(40):
        household = HouseholdFactory(village=world.village_a, head_name=f"户{i}")
        HouseholdPairingFactory(household=household, helper=world.helper_a)
        VisitFactory(household=household, helper=world.helper_a)
    exporter = services.ledger_exporter(
        user=world.reviewer, kind="pairing", region=world.county, period=parse_period("2026")
    )
    exporter.chunk_size = 10  # five chunks: the query count is per chunk, not per household
    with django_assert_max_num_queries(4 + 5 * 4 + 3):
        rows = exporter.write(io.BytesIO())
    assert rows == 43
