"""监测对象台账 and 风险线索台账 opened back with openpyxl on a small world: each row checked by
hand, ID numbers masked for roles that may not see them, and another township's cases absent."""

import datetime
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse

from ledgers import services as ledger_services
from ledgers.models import LedgerKind
from ledgers.periods import parse_period
from monitoring import services
from monitoring.models import ClueChannel, Department
from tests.ledgers.conftest import header, open_workbook, sheet_rows
from tests.monitoring.conftest import clue_for, day, identify, open_case

pytestmark = pytest.mark.django_db


def export(kind, user, region, period="2026"):
    exporter = ledger_services.ledger_exporter(
        user=user, kind=kind, region=region, period=parse_period(period)
    )
    out = io.BytesIO()
    rows = ledger_services.ledger_write(exporter=exporter, target=out)
    wb = open_workbook(out.getvalue())
    ws = wb[exporter.name]
    titles = header(ws)
    return [dict(zip(titles, row, strict=False)) for row in sheet_rows(ws)], rows, ws


@pytest.fixture
def cases(mon):
    w = mon.world
    case_a = open_case(w.staff_a, w.household_a, received=-20, risk_types=["illness", "schooling"])
    identify(w, case_a, start=-20)  # steps 6-27 … decided 6-05
    services.measure_record(
        user=w.staff_a,
        case=case_a,
        kind="medical_aid",
        content="大病医疗救助",
        start_date=day(-8),
        responsible="王五",
    )
    services.finance_record(
        user=w.staff_a,
        household=w.household_a,
        year=2026,
        per_capita_net_income=Decimal("7600"),
        rigid_state="unsolved",
        assessed_on=day(-1),
    )
    case_b = open_case(w.staff_b, w.household_b, received=-20)
    identify(SimpleNamespace(staff_a=w.staff_b, reviewer=w.reviewer), case_b, start=-20)
    return case_a, case_b


def test_monitoring_ledger_rows_by_hand(mon, cases):
    w = mon.world
    rows, count, ws = export(LedgerKind.MONITORING, w.reviewer, w.county)
    assert ws["A1"].value.endswith("监测对象台账（2026年）")
    assert count == len(rows) == 2
    zhang = next(r for r in rows if r["户主姓名"] == "张三")
    assert zhang["乡镇（街道）"] == "甲镇" and zhang["村"] == "甲村"
    assert zhang["户主身份证号"] == w.household_a.head_id_number  # a reviewer sees it whole
    assert zhang["监测对象类别"] == "脱贫不稳定户"
    assert zhang["风险类型"] == "因病、因学"
    assert zhang["劳动能力"] == "有劳动能力"
    assert zhang["线索接报日期"] == datetime.datetime(2026, 5, 26)
    assert zhang["入户核实（承诺授权）"] == datetime.datetime(2026, 5, 27)
    assert zhang["县级数据比对"] == datetime.datetime(2026, 5, 28)
    assert zhang["村民主评议和公示"] == datetime.datetime(2026, 5, 29)
    assert zhang["乡镇初审"] == datetime.datetime(2026, 6, 4)
    assert zhang["县级审定"] == datetime.datetime(2026, 6, 5)
    assert zhang["帮扶责任人"] == "帮扶人甲" and zhang["帮扶单位"] == "测试帮扶单位"
    assert zhang["帮扶措施"] == "医疗救助：大病医疗救助"
    assert zhang["2026年人均纯收入（元）"] == 7600
    assert zhang["2026年监测范围（元）"] == 8000
    assert zhang["收入是否高于监测范围"] == "否"
    assert zhang["监测状态"] == "监测帮扶中"
    assert zhang["风险消除日期"] is None
    li = next(r for r in rows if r["户主姓名"] == "李四")
    assert li["乡镇（街道）"] == "乙镇" and li["帮扶措施"] in ("", None)


def test_monitoring_ledger_of_township_staff_is_masked_and_scoped(mon, cases):
    w = mon.world
    rows, count, ws = export(LedgerKind.MONITORING, w.staff_a, w.township_a)
    assert count == 1 and [r["户主姓名"] for r in rows] == ["张三"]
    masked = rows[0]["户主身份证号"]
    assert masked != w.household_a.head_id_number
    assert masked[:6] == w.household_a.head_id_number[:6]
    assert masked[-4:] == w.household_a.head_id_number[-4:]
    assert "身份证号：已脱敏" in ws["A2"].value


def test_monitoring_ledger_leaves_out_cases_not_decided(mon):
    w = mon.world
    open_case(w.staff_a, w.household_a, received=-5)  # identifying
    rows, count, _ws = export(LedgerKind.MONITORING, w.reviewer, w.county)
    assert count == 0 and rows == []


def test_monitoring_ledger_another_township_out_of_scope(mon, cases):
    from django.http import Http404

    w = mon.world
    with pytest.raises(Http404):
        export(LedgerKind.MONITORING, w.staff_a, w.township_b)


@pytest.fixture
def clues(mon):
    w = mon.world
    late = clue_for(w.staff_a, w.household_a, received=-20, channel=ClueChannel.APPLICATION)
    services.clue_accept(user=w.staff_a, clue=late, day=day(-17))  # 3 days: late
    services.clue_decide(
        user=w.staff_a, clue=late, outcome="not_identified", day=day(-4), reason="收入稳定"
    )  # 16 days: late
    on_time = clue_for(
        w.staff_a,
        w.household_a,
        received=-15,
        channel=ClueChannel.DEPARTMENT,
        department=Department.MEDICAL_INSURANCE,
        risk="住院自付费用高",
    )
    services.clue_decide(
        user=w.staff_a, clue=on_time, outcome="not_identified", day=day(0), reason="已报销"
    )  # day 15: on time
    clue_for(w.staff_b, w.household_b, received=-3)  # township B, open
    return late, on_time


def test_clue_ledger_rows_by_hand(mon, clues):
    w = mon.world
    rows, count, ws = export(LedgerKind.RISK_CLUE, w.reviewer, w.county)
    assert count == len(rows) == 3
    first, second, third = (
        next(r for r in rows if r["接报日期"] == datetime.datetime(2026, 5, 26)),
        next(r for r in rows if r["接报日期"] == datetime.datetime(2026, 5, 31)),
        next(r for r in rows if r["户主姓名"] == "李四"),
    )
    assert first["线索来源"] == "农户自主申报" and first["预警部门"] in ("", None)
    assert first["受理日期"] == datetime.datetime(2026, 5, 29) and first["受理用时（天）"] == 3
    assert first["受理是否逾期"] == "逾期"
    assert first["办结日期"] == datetime.datetime(2026, 6, 11)
    assert first["办结结果"] == "不予识别" and first["办结用时（天）"] == 16
    assert first["办结是否逾期"] == "逾期"
    assert second["线索来源"] == "部门筛查预警" and second["预警部门"] == "医保部门"
    assert second["风险情况"] == "住院自付费用高"
    assert second["受理是否逾期"] in ("", None)  # not an application
    assert second["办结用时（天）"] == 15 and second["办结是否逾期"] == "否"
    assert third["乡镇（街道）"] == "乙镇" and third["办结是否逾期"] == "未办结"
    assert third["办结日期"] is None


def test_clue_ledger_of_township_staff_is_masked_and_scoped(mon, clues):
    w = mon.world
    rows, count, _ws = export(LedgerKind.RISK_CLUE, w.staff_a, w.township_a)
    assert count == 2 and {r["户主姓名"] for r in rows} == {"张三"}
    assert all(r["户主身份证号"] != w.household_a.head_id_number for r in rows)
    assert all(r["户主身份证号"][-4:] == w.household_a.head_id_number[-4:] for r in rows)


def test_clue_ledger_period_is_by_received_day(mon, clues):
    w = mon.world
    rows, count, _ws = export(LedgerKind.RISK_CLUE, w.reviewer, w.county, period="2026-05")
    # Received 5-26 and 5-31; township B's clue of 6-12 belongs to June.
    assert count == 2 and {r["户主姓名"] for r in rows} == {"张三"}


def test_export_page_offers_both_ledgers(mon, client):
    w = mon.world
    client.force_login(w.reviewer)
    page = client.get(reverse("ledgers:export")).content.decode()
    assert 'value="monitoring"' in page and 'value="risk_clue"' in page
    assert "监测对象台账" in page and "风险线索台账" in page
