"""The monitoring pages: the permission trio on every page and action (the keeper can; a reader
in scope reads but cannot write, 403; out of scope, 404 and nothing changes; anonymous, to the
login), the clue list's deadlines, the printable notice that never shows an ID number or a
phone, and list query counts that do not grow with rows."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from households.models import IncomeRecord
from monitoring import services
from monitoring.models import (
    CaseStatus,
    ClueChannel,
    HouseholdFinance,
    MonitoringCase,
    MonitoringMeasure,
    MonitoringRange,
    MonitoringStep,
    PublicNotice,
    RemovalStatus,
    RiskClue,
    RiskRemoval,
    StepKind,
)
from tests.factories import UserFactory, make_county
from tests.monitoring.conftest import (
    another,
    clue_for,
    day,
    identify,
    notice_for,
    open_case,
    remove_ready,
    signed_form,
)

pytestmark = pytest.mark.django_db


def as_user(client, user):
    client.force_login(user)
    return client


def body(response) -> str:
    return response.content.decode()


# --- reading: every page, for a keeper, a reader, an outsider and an anonymous visitor -------
@pytest.fixture
def records(mon):
    """One of each record in township A: a clue, a decided case with a measure, a yearly
    account and a notice, and an identifying case waiting for its data comparison."""
    w = mon.world
    clue = clue_for(w.staff_a, w.household_a, received=-3, channel=ClueChannel.APPLICATION)
    case = identify(w, open_case(w.staff_a, another(w.village_a, head_name="王小二")))
    measure = services.measure_record(
        user=w.staff_a,
        case=case,
        kind="employment",
        content="推荐务工",
        start_date=day(-5),
        responsible="帮扶人甲",
    )
    finance = remove_ready(w, case)
    identifying = open_case(w.staff_a, another(w.village_a, head_name="钱多多"), received=-10)
    services.case_step_record(
        user=w.cadre_user,
        case=identifying,
        kind=StepKind.HOME_CHECK,
        done_on=day(-9),
        checkers="帮扶人甲",
        document=signed_form(),
    )
    notice = case.steps.get(kind=StepKind.APPRAISAL).notice
    return {
        "clue": clue,
        "case": case,
        "identifying": identifying,
        "measure": measure,
        "finance": finance,
        "notice": notice,
        "step": identifying.steps.get(),
        "range": MonitoringRange.objects.get(year=2026),
    }


READ_PAGES = [
    ("monitoring:index", None),
    ("monitoring:clue_list", None),
    ("monitoring:clue_detail", "clue"),
    ("monitoring:case_list", None),
    ("monitoring:case_detail", "case"),
    ("monitoring:case_detail", "identifying"),
    ("monitoring:screening", None),
    ("monitoring:notice_list", None),
    ("monitoring:notice_detail", "notice"),
    ("monitoring:notice_print", "notice"),
    ("monitoring:range_list", None),
    ("monitoring:step_document", "step"),
]


def url_of(name, records, key):
    return reverse(name, args=[records[key].pk]) if key else reverse(name)


@pytest.mark.parametrize(("name", "key"), READ_PAGES)
def test_keepers_and_readers_in_scope_read_every_page(client, mon, records, name, key):
    w = mon.world
    for user in (w.staff_a, w.reviewer, w.coordinator, w.cadre_user, w.admin):
        response = as_user(client, user).get(url_of(name, records, key))
        assert response.status_code == 200, (user.username, name)


@pytest.mark.parametrize(
    ("name", "key"),
    [(n, k) for n, k in READ_PAGES if k is not None],
)
def test_an_outsider_gets_404(client, mon, records, name, key):
    response = as_user(client, mon.world.staff_b).get(url_of(name, records, key))
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "key"), READ_PAGES)
def test_anonymous_goes_to_the_login(client, mon, records, name, key):
    response = client.get(url_of(name, records, key))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_lists_show_only_the_scope(client, mon, records):
    w = mon.world
    clue_for(w.staff_b, w.household_b, received=-1)
    staff_b_list = body(as_user(client, w.staff_b).get(reverse("monitoring:clue_list")))
    assert "李四" in staff_b_list and "张三" not in staff_b_list
    cases_b = body(client.get(reverse("monitoring:case_list")))
    assert "王小二" not in cases_b
    reviewer = body(as_user(client, w.reviewer).get(reverse("monitoring:clue_list")))
    assert "李四" in reviewer and "张三" in reviewer
    notices_b = body(as_user(client, w.staff_b).get(reverse("monitoring:notice_list")))
    assert "甲村" not in notices_b


def test_the_county_sees_every_case_with_its_days(client, mon, records):
    w = mon.world
    case_b = open_case(w.staff_b, w.household_b, received=-16)
    page = body(as_user(client, w.reviewer).get(reverse("monitoring:case_list")))
    assert "王小二" in page and "钱多多" in page and "李四" in page
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    late_row = next(row for row in rows if "李四" in row)
    assert "16" in late_row and "超期" in late_row
    on_time = next(row for row in rows if "钱多多" in row)
    assert "超期" not in on_time
    late_only = body(client.get(reverse("monitoring:case_list"), {"late": "true"}))
    assert "李四" in late_only and "钱多多" not in late_only
    assert case_b.status == CaseStatus.IDENTIFYING


def test_the_clue_list_marks_the_late_ones_at_their_edge(client, mon):
    w = mon.world
    clue_for(w.staff_a, w.household_a, received=-15)
    clue_for(w.staff_a, another(w.village_a, head_name="赵晚"), received=-16)
    page = body(as_user(client, w.staff_a).get(reverse("monitoring:clue_list")))
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    on_time = next(row for row in rows if "张三" in row)
    late = next(row for row in rows if "赵晚" in row)
    assert "第 15 天" in on_time and "超期" not in on_time
    assert "第 16 天" in late and "已超期 1 天" in late
    late_only = body(client.get(reverse("monitoring:clue_list"), {"late": "true"}))
    assert "赵晚" in late_only and "张三" not in late_only


def test_an_application_shows_its_acceptance_deadline(client, mon):
    w = mon.world
    clue_for(w.staff_a, w.household_a, received=-3, channel=ClueChannel.APPLICATION)
    page = body(as_user(client, w.staff_a).get(reverse("monitoring:clue_list")))
    assert "待受理" in page and "已超期 1 天" in page


# --- writing: each action, for a keeper, a reader in scope and an outsider ----------------
def _trio(client, world, url, data, changed, *, keeper=None, reader=None, outsider=None):
    """POST as a reader in scope (403), an outsider (404), then the keeper (a redirect);
    `changed()` tells whether the write happened."""
    reader = reader or world.coordinator
    outsider = outsider or world.staff_b
    fresh = data if callable(data) else (lambda: data)  # an upload is read by each request
    assert as_user(client, reader).post(url, fresh()).status_code == 403
    assert not changed()
    assert as_user(client, outsider).post(url, fresh()).status_code == 404
    assert not changed()
    response = as_user(client, keeper or world.staff_a).post(url, fresh())
    assert response.status_code == 302, body(response)[:2000]
    assert changed()
    return response


def test_clue_create(client, mon):
    w = mon.world
    url = reverse("monitoring:clue_create")
    assert as_user(client, w.coordinator).get(url).status_code == 403
    assert as_user(client, w.staff_b).get(url, {"household": w.household_a.pk}).status_code == 404
    picked = body(as_user(client, w.cadre_user).get(url, {"q": "zs"}))
    assert "张三" in picked and "李四" not in picked
    data = {
        "household": w.household_a.pk,
        "channel": "screening",
        "risk": "务工收入骤减",
        "received_on": day(0).isoformat(),
    }
    _trio(
        client,
        w,
        url,
        data,
        lambda: RiskClue.objects.filter(household=w.household_a).exists(),
        keeper=w.cadre_user,
    )
    clue = RiskClue.objects.get(household=w.household_a)
    assert clue.received_by == w.cadre_user and clue.risk == "务工收入骤减"


def test_clue_create_refusal_stays_on_the_form(client, mon):
    w = mon.world
    response = as_user(client, w.staff_a).post(
        reverse("monitoring:clue_create"),
        {"household": w.household_a.pk, "channel": "department", "risk": "住院"},
    )
    assert response.status_code == 400
    assert "部门预警请选择预警部门" in body(response)
    assert not RiskClue.objects.exists()


def test_clue_accept(client, mon):
    w = mon.world
    clue = clue_for(w.staff_a, w.household_a, received=-1, channel=ClueChannel.APPLICATION)
    _trio(
        client,
        w,
        reverse("monitoring:clue_accept", args=[clue.pk]),
        {"day": day(0).isoformat()},
        lambda: RiskClue.objects.get(pk=clue.pk).accepted_on is not None,
    )


def test_clue_decide(client, mon):
    w = mon.world
    clue = clue_for(w.staff_a, w.household_a)
    _trio(
        client,
        w,
        reverse("monitoring:clue_decide", args=[clue.pk]),
        {"outcome": "not_identified", "day": day(0).isoformat(), "reason": "收入稳定"},
        lambda: RiskClue.objects.get(pk=clue.pk).decided_on is not None,
    )


def test_clue_decide_refusal_is_shown(client, mon):
    w = mon.world
    clue = clue_for(w.staff_a, w.household_a)
    response = as_user(client, w.staff_a).post(
        reverse("monitoring:clue_decide", args=[clue.pk]),
        {"outcome": "not_identified", "day": day(0).isoformat(), "reason": ""},
    )
    assert response.status_code == 400 and "请填写不予识别的原因" in body(response)


def test_clue_open_case(client, mon):
    w = mon.world
    clue = clue_for(w.staff_a, w.household_a)
    response = _trio(
        client,
        w,
        reverse("monitoring:clue_open_case", args=[clue.pk]),
        {
            "category": "unstable",
            "risk_types": ["illness", "schooling"],
            "labour_capacity": "capable",
            "opened_on": day(0).isoformat(),
        },
        lambda: MonitoringCase.objects.exists(),
    )
    case = MonitoringCase.objects.get()
    assert response["Location"] == reverse("monitoring:case_detail", args=[case.pk])
    assert case.risk_types == ["illness", "schooling"]


def test_clue_edit(client, mon):
    w = mon.world
    clue = clue_for(w.staff_a, w.household_a)
    url = reverse("monitoring:clue_edit", args=[clue.pk])
    assert as_user(client, w.staff_a).get(url).status_code == 200
    _trio(
        client,
        w,
        url,
        {"channel": "screening", "risk": "改正后的风险", "received_on": day(-20).isoformat()},
        lambda: RiskClue.objects.get(pk=clue.pk).risk == "改正后的风险",
    )


def _step_data(kind, **extra):
    return {"kind": kind, "done_on": day(0).isoformat(), **extra}


def test_case_step_home_check_by_a_cadre(client, mon):
    w = mon.world
    case = open_case(w.staff_a, w.household_a)
    url = reverse("monitoring:case_step", args=[case.pk])
    as_user(client, w.cadre_user)
    response = client.post(url, {**_step_data("home_check", checkers="帮扶人甲")})
    assert response.status_code == 400 and "承诺授权书" in body(response)
    assert as_user(client, w.coordinator).post(url, {}).status_code == 403
    assert as_user(client, w.staff_b).post(url, {}).status_code == 404
    response = as_user(client, w.cadre_user).post(
        url, {**_step_data("home_check", checkers="帮扶人甲"), "document": signed_form()}
    )
    assert response.status_code == 302
    step = case.steps.get()
    assert step.kind == StepKind.HOME_CHECK and step.recorded_by == w.cadre_user
    document = as_user(client, w.staff_a).get(reverse("monitoring:step_document", args=[step.pk]))
    assert document.status_code == 200 and document["Content-Type"] == "image/jpeg"
    # the cadre's part ends there: the data comparison is the township's
    assert as_user(client, w.cadre_user).post(url, _step_data("data_comparison")).status_code == 403


def test_case_step_out_of_order_is_not_offered_and_refused(client, mon):
    w = mon.world
    case = open_case(w.staff_a, w.household_a)
    page = body(as_user(client, w.staff_a).get(reverse("monitoring:case_detail", args=[case.pk])))
    assert "登记“入户核实（承诺授权）”" in page
    assert "县级数据比对" in page
    # a forged kind in the form is ignored: the form is always the next step's
    response = client.post(
        reverse("monitoring:case_step", args=[case.pk]), _step_data("data_comparison")
    )
    assert response.status_code == 400
    assert not case.steps.exists()


def test_case_step_trio(client, mon):
    w = mon.world
    case = open_case(w.staff_a, w.household_a)
    services.case_step_record(
        user=w.staff_a,
        case=case,
        kind=StepKind.HOME_CHECK,
        done_on=day(-19),
        checkers="王五",
        document=signed_form(),
    )
    _trio(
        client,
        w,
        reverse("monitoring:case_step", args=[case.pk]),
        _step_data("data_comparison", note="比对无异常"),
        lambda: case.steps.filter(kind=StepKind.DATA_COMPARISON).exists(),
    )


def test_county_decision_page_is_the_reviewers(client, mon):
    w = mon.world
    case = identify(w, open_case(w.staff_a, w.household_a), decide=False)
    url = reverse("monitoring:case_step", args=[case.pk])
    staff_page = body(
        as_user(client, w.staff_a).get(reverse("monitoring:case_detail", args=[case.pk]))
    )
    assert "登记“县级审定”" not in staff_page
    _trio(
        client,
        w,
        url,
        _step_data("county_decision"),
        lambda: MonitoringCase.objects.get(pk=case.pk).status == CaseStatus.MONITORED,
        keeper=w.reviewer,
        reader=w.staff_a,
        outsider=UserFactory(role="reviewer", region=make_county("外县")),
    )


def test_case_not_identified(client, mon):
    w = mon.world
    case = open_case(w.staff_a, w.household_a)
    _trio(
        client,
        w,
        reverse("monitoring:case_not_identified", args=[case.pk]),
        {"day": day(0).isoformat(), "reason": "入户核实收入稳定"},
        lambda: MonitoringCase.objects.get(pk=case.pk).status == CaseStatus.NOT_IDENTIFIED,
    )


def test_case_edit(client, mon):
    w = mon.world
    case = open_case(w.staff_a, w.household_a)
    url = reverse("monitoring:case_edit", args=[case.pk])
    assert as_user(client, w.coordinator).get(url).status_code == 403
    _trio(
        client,
        w,
        url,
        {"category": "sudden", "risk_types": ["disaster"], "labour_capacity": "weak"},
        lambda: MonitoringCase.objects.get(pk=case.pk).category == "sudden",
    )


def test_step_withdraw(client, mon):
    w = mon.world
    case = identify(w, open_case(w.staff_a, w.household_a), decide=False)
    step = case.steps.get(kind=StepKind.TOWNSHIP_REVIEW)
    _trio(
        client,
        w,
        reverse("monitoring:step_withdraw", args=[step.pk]),
        {},
        lambda: not MonitoringStep.objects.filter(pk=step.pk).exists(),
    )


def test_measure_create_and_edit(client, mon):
    w = mon.world
    case = open_case(w.staff_a, w.household_a)
    url = reverse("monitoring:measure_create", args=[case.pk])
    assert as_user(client, w.staff_a).get(url).status_code == 200
    data = {
        "kind": "industry",
        "content": "发展中药材种植",
        "start_date": day(0).isoformat(),
        "responsible": "帮扶人甲",
        "status": "in_progress",
    }
    _trio(client, w, url, data, lambda: MonitoringMeasure.objects.exists())
    measure = MonitoringMeasure.objects.get()
    assert measure.before_decision is True
    page = body(client.get(reverse("monitoring:case_detail", args=[case.pk])))
    assert "先帮后认" in page
    edit = reverse("monitoring:measure_edit", args=[measure.pk])
    _trio(
        client,
        w,
        edit,
        {**data, "status": "done", "end_date": day(0).isoformat()},
        lambda: MonitoringMeasure.objects.get(pk=measure.pk).status == "done",
    )
    _trio(
        client,
        w,
        edit,
        {"delete": "1"},
        lambda: not MonitoringMeasure.objects.exists(),
    )


def test_finance_create_and_edit(client, mon):
    w = mon.world
    case = open_case(w.staff_a, w.household_a)
    data = {
        "year": 2025,
        "per_capita_net_income": "6800",
        "medical_expense": "30000",
        "schooling_expense": "0",
        "other_rigid_expense": "0",
        "rigid_state": "unsolved",
        "assessed_on": day(0).isoformat(),
    }
    _trio(
        client,
        w,
        reverse("monitoring:finance_create", args=[case.pk]),
        data,
        lambda: HouseholdFinance.objects.exists(),
    )
    finance = HouseholdFinance.objects.get()
    page = body(client.get(reverse("monitoring:case_detail", args=[case.pk])))
    assert "6800" in page and "在范围内" in page
    _trio(
        client,
        w,
        reverse("monitoring:finance_edit", args=[finance.pk]),
        {**data, "rigid_state": "solved"},
        lambda: HouseholdFinance.objects.get(pk=finance.pk).rigid_state == "solved",
    )


@pytest.fixture
def monitored(mon):
    w = mon.world
    case = identify(w, open_case(w.staff_a, w.household_a, received=-233), start=-233)
    remove_ready(w, case)
    return case


def test_removal_checks_are_shown_and_the_refusal_gives_its_reason(client, mon, monitored):
    w = mon.world
    services.case_update(user=w.staff_a, case=monitored, labour_capacity="none")
    url = reverse("monitoring:case_detail", args=[monitored.pk])
    page = body(as_user(client, w.staff_a).get(url))
    assert "无劳动能力的户落实兜底保障措施后继续监测" in page
    response = client.post(
        reverse("monitoring:removal_propose", args=[monitored.pk]),
        {"kind": "stable", "proposed_on": day(0).isoformat()},
    )
    assert response.status_code == 400
    assert "暂不能消除风险" in body(response)
    assert not RiskRemoval.objects.exists()


def test_removal_propose_step_and_stop(client, mon, monitored):
    w = mon.world
    _trio(
        client,
        w,
        reverse("monitoring:removal_propose", args=[monitored.pk]),
        {"kind": "stable", "proposed_on": day(-10).isoformat()},
        lambda: RiskRemoval.objects.exists(),
    )
    removal = RiskRemoval.objects.get()
    _trio(
        client,
        w,
        reverse("monitoring:removal_step", args=[removal.pk]),
        lambda: {**_step_data("home_check", checkers="王五、赵六"), "document": signed_form()},
        lambda: removal.steps.exists(),
    )
    _trio(
        client,
        w,
        reverse("monitoring:removal_stop", args=[removal.pk]),
        {"day": day(0).isoformat(), "reason": "收入不稳定"},
        lambda: RiskRemoval.objects.get(pk=removal.pk).status == RemovalStatus.STOPPED,
    )


# --- screening ------------------------------------------------------------------------------
def test_screening_lists_and_raises_clues_in_one_action(client, mon):
    w = mon.world
    low = another(w.village_a, head_name="低收入")
    near = another(w.village_a, head_name="接近线")
    fell = another(w.village_a, head_name="骤降户")
    fine = another(w.village_a, head_name="宽裕户")
    for household, previous, latest in (
        (low, "7000", "6000"),
        (near, "11000", "11900"),  # ≤ 1.5 × 8,000
        (fell, "30000", "20000"),  # fell by a third
        (fine, "20000", "21000"),
    ):
        IncomeRecord.objects.create(household=household, year=2025, per_capita_net_income=previous)
        IncomeRecord.objects.create(household=household, year=2026, per_capita_net_income=latest)
    url = reverse("monitoring:screening")
    page = body(as_user(client, w.staff_a).get(url))
    for name in ("低收入", "接近线", "骤降户"):
        assert name in page
    assert "宽裕户" not in page
    assert "较上年下降33%" in page
    data = {
        "township": w.township_a.pk,
        "households": [low.pk, fell.pk],
        "risk": "排查发现收入偏低",
        "received_on": day(0).isoformat(),
    }
    assert as_user(client, w.coordinator).post(url, data).status_code == 403
    assert as_user(client, w.staff_b).post(url, data).status_code == 404
    assert not RiskClue.objects.exists()
    response = as_user(client, w.staff_a).post(url, data)
    assert response.status_code == 302
    raised = RiskClue.objects.order_by("household__head_name")
    assert {c.household for c in raised} == {low, fell}
    assert all(c.channel == ClueChannel.SCREENING for c in raised)
    again = body(client.get(url))
    assert "已有未办结的线索" in again


def test_screening_query_count_does_not_grow(client, mon, django_assert_max_num_queries):
    w = mon.world
    as_user(client, w.staff_a)
    for n in range(3):
        IncomeRecord.objects.create(
            household=another(w.village_a), year=2026, per_capita_net_income=Decimal(6000 + n)
        )
    with django_assert_max_num_queries(16) as few:
        client.get(reverse("monitoring:screening"))
    for n in range(20):
        IncomeRecord.objects.create(
            household=another(w.village_a), year=2026, per_capita_net_income=Decimal(6000 + n)
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("monitoring:screening"))


# --- notices --------------------------------------------------------------------------------
def test_notice_create_edit_and_add_cases(client, mon):
    w = mon.world
    url = reverse("monitoring:notice_create")
    assert as_user(client, w.coordinator).get(url).status_code == 403
    data = {
        "village": w.village_a.pk,
        "purpose": "identification",
        "start_date": day(1).isoformat(),
        "end_date": day(5).isoformat(),
    }
    assert as_user(client, w.coordinator).post(url, data).status_code == 403
    # staff of another township cannot choose the village: the form refuses it, nothing saved
    response = as_user(client, w.staff_b).post(url, data)
    assert response.status_code == 400 and not PublicNotice.objects.exists()
    short = as_user(client, w.staff_a).post(url, {**data, "end_date": day(4).isoformat()})
    assert short.status_code == 400 and "不少于5天" in body(short)
    assert as_user(client, w.staff_a).post(url, data).status_code == 302
    notice = PublicNotice.objects.get()
    _trio(
        client,
        w,
        reverse("monitoring:notice_edit", args=[notice.pk]),
        {
            "start_date": day(1).isoformat(),
            "end_date": day(6).isoformat(),
            "objections": "无异议",
        },
        lambda: PublicNotice.objects.get(pk=notice.pk).objections == "无异议",
    )
    case = open_case(w.staff_a, w.household_a)
    services.case_step_record(
        user=w.staff_a,
        case=case,
        kind=StepKind.HOME_CHECK,
        done_on=day(-19),
        checkers="王五",
        document=signed_form(),
    )
    services.case_step_record(
        user=w.staff_a, case=case, kind=StepKind.DATA_COMPARISON, done_on=day(-18)
    )
    detail = body(
        as_user(client, w.staff_a).get(reverse("monitoring:notice_detail", args=[notice.pk]))
    )
    assert "列入民主评议通过的户" in detail and "张三" in detail
    _trio(
        client,
        w,
        reverse("monitoring:notice_add_cases", args=[notice.pk]),
        {"cases": [case.pk], "appraised_on": day(0).isoformat()},
        lambda: case.steps.filter(kind=StepKind.APPRAISAL, notice=notice).exists(),
    )


def test_notice_delete(client, mon):
    w = mon.world
    notice = notice_for(w.staff_a, w.village_a)
    _trio(
        client,
        w,
        reverse("monitoring:notice_edit", args=[notice.pk]),
        {"delete": "1"},
        lambda: not PublicNotice.objects.exists(),
    )


NUMBER_18 = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
PHONE_11 = re.compile(r"(?<![0-9])1[0-9]{10}(?![0-9])")


def test_the_printed_notice_never_shows_an_id_number_or_a_phone(client, mon):
    w = mon.world
    households = []
    for name, phone in (("张三", None), ("刘大", "13700001111"), ("陈二", "18912345678")):
        household = (
            w.household_a
            if name == "张三"
            else another(w.village_a, head_name=name, phone=phone, group_name="二组")
        )
        households.append(household)
    notice = notice_for(w.staff_a, w.village_a, start=-12)
    for household in households:
        member = household.members.create(
            name=f"{household.head_name}之子",
            relation="child",
            id_number=None,
            health="长期慢性病",
        )
        assert member.pk
        case = open_case(w.staff_a, household)
        services.case_step_record(
            user=w.staff_a,
            case=case,
            kind=StepKind.HOME_CHECK,
            done_on=day(-19),
            checkers="王五",
            document=signed_form(),
        )
        services.case_step_record(
            user=w.staff_a, case=case, kind=StepKind.DATA_COMPARISON, done_on=day(-18)
        )
    services.notice_add_cases(
        user=w.staff_a,
        notice=notice,
        cases=MonitoringCase.objects.filter(household__in=households),
        appraised_on=day(-13),
    )
    response = as_user(client, w.staff_a).get(reverse("monitoring:notice_print", args=[notice.pk]))
    page = body(response)
    assert response.status_code == 200
    for household in households:
        assert household.head_name in page
        assert household.head_id_number not in page
    assert "二组" in page and "脱贫不稳定户" in page
    assert notice.start_date.strftime("%Y.%m.%d") in page
    assert not NUMBER_18.search(page), NUMBER_18.search(page)
    assert not PHONE_11.search(page), PHONE_11.search(page)
    assert "慢性病" not in page and "因病" not in page  # no health detail
    assert "@page" not in page  # the A4 rules are the stylesheet's (the CSP forbids inline)
    assert "monitoring/notice.css" in page


# --- ranges ---------------------------------------------------------------------------------
def test_range_create_and_edit_by_the_regions_reviewers(client, mon):
    w = mon.world
    url = reverse("monitoring:range_create")
    assert as_user(client, w.staff_a).get(url).status_code == 403
    data = {"region": w.county.pk, "year": 2027, "amount": "8500", "basis": "县政府文件"}
    assert as_user(client, w.staff_a).post(url, data).status_code == 403
    other = UserFactory(role="reviewer", region=make_county("外县"))
    assert as_user(client, other).post(url, data).status_code == 400  # not a choice of theirs
    assert not MonitoringRange.objects.filter(year=2027).exists()
    assert as_user(client, w.reviewer).post(url, data).status_code == 302
    kept = MonitoringRange.objects.get(year=2027)
    page = body(as_user(client, w.staff_a).get(reverse("monitoring:range_list")))
    assert "8500" in page and "8000" in page  # the county's own and the province's above it
    edit = reverse("monitoring:range_edit", args=[kept.pk])
    _trio(
        client,
        w,
        edit,
        {"amount": "8600", "basis": "调整"},
        lambda: MonitoringRange.objects.get(pk=kept.pk).amount == Decimal("8600"),
        keeper=w.reviewer,
        reader=w.staff_a,
        outsider=other,
    )


# --- query counts -------------------------------------------------------------------------
def _more(world, n):
    for _ in range(n):
        household = another(world.village_a)
        clue_for(world.staff_a, household, received=-3)
        identify(world, open_case(world.staff_a, another(world.village_a)), decide=False)


@pytest.mark.parametrize(
    "name", ["monitoring:clue_list", "monitoring:case_list", "monitoring:notice_list"]
)
def test_list_query_counts_do_not_grow_with_rows(client, mon, name, django_assert_max_num_queries):
    w = mon.world
    as_user(client, w.reviewer)
    _more(w, 1)
    with django_assert_max_num_queries(30) as few:
        assert client.get(reverse(name)).status_code == 200
    _more(w, 4)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(name)).status_code == 200


def test_every_page_is_chinese_and_fits_a_phone(client, mon, records):
    w = mon.world
    page = body(
        as_user(client, w.staff_a).get(
            reverse("monitoring:case_detail", args=[records["identifying"].pk])
        )
    )
    assert 'name="viewport"' in page
    assert "登记“县级数据比对”" in page
    for word in ("identifying", "home_check", "None", "True", "False"):
        assert f">{word}<" not in page
