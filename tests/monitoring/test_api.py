"""The monitoring API: every resource and action with the permission trio (the keeper can; a
reader in scope reads but cannot write, 403; out of scope, 404 and nothing changes; anonymous,
401), the same rules as the pages (steps in order, the deadlines' edges, removal refusals), the
schema with Chinese summaries, and list query counts that do not grow with rows."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

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
    Procedure,
    PublicNotice,
    RemovalStatus,
    RiskClue,
    RiskRemoval,
    StepKind,
)
from tests.api.conftest import token_client
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


def api(path: str, pk=None, action: str = "") -> str:
    base = f"/api/v1/{path}/" if pk is None else f"/api/v1/{path}/{pk}/"
    return f"{base}{action}/" if action else base


def trio(world, method, url, data, changed, *, keeper=None, reader=None, outsider=None, fmt="json"):
    """As a reader in scope (403), an outsider (404), anonymous (401), then the keeper."""
    fresh = data if callable(data) else (lambda: data)
    for user, status in (
        (reader or world.coordinator, 403),
        (outsider or world.staff_b, 404),
        (None, 401),
    ):
        response = getattr(token_client(user), method)(url, fresh(), format=fmt)
        assert response.status_code == status, (user, response.content[:300])
        assert not changed()
    response = getattr(token_client(keeper or world.staff_a), method)(url, fresh(), format=fmt)
    assert response.status_code in (200, 201, 204), response.content[:1000]
    assert changed()
    return response


# --- reads ----------------------------------------------------------------------------------
@pytest.fixture
def records(mon):
    w = mon.world
    clue = clue_for(w.staff_a, w.household_a, received=-3, channel=ClueChannel.APPLICATION)
    case = identify(w, open_case(w.staff_a, another(w.village_a, head_name="王小二")))
    services.measure_record(
        user=w.staff_a,
        case=case,
        kind="employment",
        content="推荐务工",
        start_date=day(-5),
        responsible="帮扶人甲",
    )
    remove_ready(w, case)
    return {"clue": clue, "case": case}


READS = [
    "monitoring-ranges",
    "risk-clues",
    "monitoring-cases",
    "monitoring-steps",
    "monitoring-measures",
    "household-finances",
    "public-notices",
]


@pytest.mark.parametrize("path", READS)
def test_lists_and_details_within_scope(mon, records, path):
    w = mon.world
    rows = token_client(w.staff_a).get(api(path)).json()["results"]
    assert rows, path
    detail = token_client(w.coordinator).get(api(path, rows[0]["id"]))
    assert detail.status_code == 200
    if path != "monitoring-ranges":  # the province's range applies to township B too
        assert token_client(w.staff_b).get(api(path)).json()["results"] == []
        assert token_client(w.staff_b).get(api(path, rows[0]["id"])).status_code == 404
    assert token_client().get(api(path)).status_code == 401


def test_clue_rows_carry_the_deadline_rule(mon):
    w = mon.world
    clue_for(w.staff_a, w.household_a, received=-15)
    clue_for(w.staff_a, another(w.village_a, head_name="赵晚"), received=-16)
    rows = {
        r["head_name"]: r for r in token_client(w.staff_a).get(api("risk-clues")).json()["results"]
    }
    assert rows["张三"]["deadline"]["days_elapsed"] == 15 and not rows["张三"]["deadline"]["late"]
    assert rows["赵晚"]["deadline"]["days_elapsed"] == 16 and rows["赵晚"]["deadline"]["late"]
    assert rows["张三"]["acceptance_deadline"] is None
    late = token_client(w.staff_a).get(api("risk-clues"), {"late": "true"}).json()["results"]
    assert [r["head_name"] for r in late] == ["赵晚"]
    assert re.fullmatch(r"\d{6}\*{8}[\dX]{4}", rows["张三"]["head_id_number_masked"])
    assert "phone" not in rows["张三"]


def test_an_application_answers_its_two_days(mon):
    w = mon.world
    clue_for(w.staff_a, w.household_a, received=-3, channel=ClueChannel.APPLICATION)
    row = token_client(w.staff_a).get(api("risk-clues")).json()["results"][0]
    assert row["state"] == "awaiting"
    assert row["acceptance_deadline"]["late"] is True
    assert row["acceptance_deadline"]["days_elapsed"] == 3


def test_cases_carry_their_next_step_and_days(mon, records):
    w = mon.world
    case = open_case(w.staff_b, w.household_b, received=-16)
    rows = token_client(w.reviewer).get(api("monitoring-cases")).json()["results"]
    by_id = {r["id"]: r for r in rows}
    assert by_id[case.pk]["next_step"] == StepKind.HOME_CHECK
    assert by_id[case.pk]["deadline"]["late"] is True
    assert by_id[records["case"].pk]["status"] == CaseStatus.MONITORED
    assert by_id[records["case"].pk]["next_step"] is None
    assert [s["kind"] for s in by_id[records["case"].pk]["steps"]] == [
        "home_check",
        "data_comparison",
        "appraisal",
        "township_review",
        "county_decision",
    ]


# --- writes: each resource and action ---------------------------------------------------------
def test_range_create_update_delete(mon):
    w = mon.world
    other = UserFactory(role="reviewer", region=make_county("外县"))
    province_range = MonitoringRange.objects.get(year=2026)
    # a range set above the reviewer's region is read, not changed
    response = token_client(w.reviewer).patch(
        api("monitoring-ranges", province_range.pk), {"amount": "1"}, format="json"
    )
    assert response.status_code == 403
    data = {"region": w.county.pk, "year": 2027, "amount": "8500"}
    response = token_client(other).post(api("monitoring-ranges"), data, format="json")
    assert response.status_code == 400  # the county is no region of theirs
    response = token_client(w.staff_a).post(api("monitoring-ranges"), data, format="json")
    assert response.status_code == 403
    response = token_client(w.reviewer).post(api("monitoring-ranges"), data, format="json")
    assert response.status_code == 201
    assert (
        token_client(w.reviewer).post(api("monitoring-ranges"), data, format="json").status_code
        == 409
    )
    kept = MonitoringRange.objects.get(year=2027)
    trio(
        w,
        "patch",
        api("monitoring-ranges", kept.pk),
        {"amount": "8600"},
        lambda: MonitoringRange.objects.get(pk=kept.pk).amount == Decimal("8600"),
        keeper=w.reviewer,
        reader=w.staff_a,
        outsider=other,
    )
    trio(
        w,
        "delete",
        api("monitoring-ranges", kept.pk),
        None,
        lambda: not MonitoringRange.objects.filter(pk=kept.pk).exists(),
        keeper=w.reviewer,
        reader=w.staff_a,
        outsider=other,
    )


def test_clue_create(mon):
    w = mon.world
    data = {"household": w.household_a.pk, "channel": "department", "risk": "住院费用高"}
    response = token_client(w.staff_a).post(api("risk-clues"), data, format="json")
    assert response.status_code == 400 and "department" in response.json()["errors"]
    data["department"] = "medical_insurance"
    assert (
        token_client(w.coordinator).post(api("risk-clues"), data, format="json").status_code == 403
    )
    # a household outside the scope is no household at all: refused, nothing written
    response = token_client(w.staff_b).post(api("risk-clues"), data, format="json")
    assert response.status_code == 400 and "household" in response.json()["errors"]
    assert not RiskClue.objects.exists()
    response = token_client(w.cadre_user).post(api("risk-clues"), data, format="json")
    assert response.status_code == 201
    assert response.json()["received_by"] == w.cadre_user.pk


def test_clue_update_accept_and_decide(mon):
    w = mon.world
    clue = clue_for(w.staff_a, w.household_a, received=-2, channel=ClueChannel.APPLICATION)
    trio(
        w,
        "patch",
        api("risk-clues", clue.pk),
        {"risk": "改正后的风险"},
        lambda: RiskClue.objects.get(pk=clue.pk).risk == "改正后的风险",
    )
    trio(
        w,
        "post",
        api("risk-clues", clue.pk, "accept"),
        {"day": day(0).isoformat()},
        lambda: RiskClue.objects.get(pk=clue.pk).accepted_on == day(0),
    )
    response = token_client(w.staff_a).post(
        api("risk-clues", clue.pk, "decide"), {"outcome": "not_identified"}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    trio(
        w,
        "post",
        api("risk-clues", clue.pk, "decide"),
        {"outcome": "not_identified", "reason": "收入稳定"},
        lambda: RiskClue.objects.get(pk=clue.pk).decided_on is not None,
    )
    assert RiskClue.objects.get(pk=clue.pk).decision_days == 2


def test_screening_and_raise(mon):
    w = mon.world
    low = another(w.village_a, head_name="低收入")
    IncomeRecord.objects.create(household=low, year=2026, per_capita_net_income=Decimal("6000"))
    response = token_client(w.staff_a).get(
        api("risk-clues") + "screening/", {"township": w.township_a.pk}
    )
    assert response.status_code == 200
    assert [r["head_name"] for r in response.json()] == ["低收入"]
    assert (
        token_client(w.staff_b)
        .get(api("risk-clues") + "screening/", {"township": w.township_a.pk})
        .status_code
        == 404
    )
    assert token_client(w.staff_a).get(api("risk-clues") + "screening/").status_code == 400
    # the outsider's household ids are not theirs: a 400 (like any id outside the scope)
    data = {"households": [low.pk], "risk": "排查发现收入偏低"}
    assert (
        token_client(w.coordinator)
        .post(api("risk-clues") + "raise/", data, format="json")
        .status_code
        == 403
    )
    assert (
        token_client(w.staff_b).post(api("risk-clues") + "raise/", data, format="json").status_code
        == 400
    )
    assert not RiskClue.objects.exists()
    response = token_client(w.staff_a).post(api("risk-clues") + "raise/", data, format="json")
    assert response.status_code == 201
    assert [c["head_name"] for c in response.json()["created"]] == ["低收入"]
    again = token_client(w.staff_a).post(api("risk-clues") + "raise/", data, format="json")
    assert again.json() == {"created": [], "skipped": [low.pk]}


def test_case_open_update_steps_and_not_identified(mon):
    w = mon.world
    clue = clue_for(w.staff_a, w.household_a)
    data = {
        "clue": clue.pk,
        "category": "unstable",
        "risk_types": ["illness"],
        "labour_capacity": "capable",
    }
    assert (
        token_client(w.coordinator).post(api("monitoring-cases"), data, format="json").status_code
        == 403
    )
    assert (
        token_client(w.staff_b).post(api("monitoring-cases"), data, format="json").status_code
        == 400
    )
    response = token_client(w.staff_a).post(api("monitoring-cases"), data, format="json")
    assert response.status_code == 201, response.content
    case = MonitoringCase.objects.get()
    trio(
        w,
        "patch",
        api("monitoring-cases", case.pk),
        {"risk_types": ["illness", "schooling"]},
        lambda: MonitoringCase.objects.get(pk=case.pk).risk_types == ["illness", "schooling"],
    )
    steps = api("monitoring-cases", case.pk, "steps")
    out_of_order = token_client(w.staff_a).post(steps, {"kind": "data_comparison"}, format="json")
    assert out_of_order.status_code == 400
    assert "请先完成“入户核实（承诺授权）”" in out_of_order.content.decode()
    trio(
        w,
        "post",
        steps,
        lambda: {"kind": "home_check", "checkers": "帮扶人甲", "document": signed_form()},
        lambda: case.steps.exists(),
        keeper=w.cadre_user,
        fmt="multipart",
    )
    step = case.steps.get()
    document = token_client(w.staff_a).get(api("monitoring-steps", step.pk, "document"))
    assert document.status_code == 200
    assert (
        token_client(w.staff_b).get(api("monitoring-steps", step.pk, "document")).status_code == 404
    )
    trio(
        w,
        "post",
        api("monitoring-cases", case.pk, "not-identified"),
        {"reason": "数据比对发现有经营实体"},
        lambda: MonitoringCase.objects.get(pk=case.pk).status == CaseStatus.NOT_IDENTIFIED,
    )
    assert RiskClue.objects.get(pk=clue.pk).outcome == "not_identified"


def test_county_decision_through_the_api(mon):
    w = mon.world
    case = identify(w, open_case(w.staff_a, w.household_a), decide=False)
    trio(
        w,
        "post",
        api("monitoring-cases", case.pk, "steps"),
        {"kind": "county_decision", "note": "同意纳入监测"},
        lambda: MonitoringCase.objects.get(pk=case.pk).status == CaseStatus.MONITORED,
        keeper=w.reviewer,
        reader=w.staff_a,
        outsider=UserFactory(role="reviewer", region=make_county("外县")),
    )


def test_step_withdraw(mon):
    w = mon.world
    case = identify(w, open_case(w.staff_a, w.household_a), decide=False)
    step = case.steps.get(kind=StepKind.TOWNSHIP_REVIEW)
    trio(
        w,
        "delete",
        api("monitoring-steps", step.pk),
        None,
        lambda: not MonitoringStep.objects.filter(pk=step.pk).exists(),
    )


def test_measures(mon):
    w = mon.world
    case = open_case(w.staff_a, w.household_a, labour="none")
    data = {
        "case": case.pk,
        "kind": "small_loan",
        "content": "小额信贷",
        "start_date": day(0).isoformat(),
        "responsible": "帮扶人甲",
    }
    refused = token_client(w.staff_a).post(api("monitoring-measures"), data, format="json")
    assert refused.status_code == 400 and "兜底保障" in refused.content.decode()
    data["kind"] = "minimum_living"
    assert (
        token_client(w.coordinator)
        .post(api("monitoring-measures"), data, format="json")
        .status_code
        == 403
    )
    assert (
        token_client(w.staff_b).post(api("monitoring-measures"), data, format="json").status_code
        == 400
    )
    response = token_client(w.staff_a).post(api("monitoring-measures"), data, format="json")
    assert response.status_code == 201 and response.json()["before_decision"] is True
    measure = MonitoringMeasure.objects.get()
    trio(
        w,
        "patch",
        api("monitoring-measures", measure.pk),
        {"status": "done", "end_date": day(0).isoformat()},
        lambda: MonitoringMeasure.objects.get(pk=measure.pk).status == "done",
    )
    trio(
        w,
        "delete",
        api("monitoring-measures", measure.pk),
        None,
        lambda: not MonitoringMeasure.objects.exists(),
    )


def test_finances(mon):
    w = mon.world
    data = {
        "household": w.household_a.pk,
        "year": 2025,
        "per_capita_net_income": "6800",
        "rigid_state": "unsolved",
    }
    assert (
        token_client(w.coordinator).post(api("household-finances"), data, format="json").status_code
        == 403
    )
    response = token_client(w.staff_a).post(api("household-finances"), data, format="json")
    assert response.status_code == 201 and response.json()["range_amount"] == "7500.00"
    assert (
        token_client(w.staff_a).post(api("household-finances"), data, format="json").status_code
        == 409
    )
    finance = HouseholdFinance.objects.get()
    trio(
        w,
        "patch",
        api("household-finances", finance.pk),
        {"rigid_state": "solved"},
        lambda: HouseholdFinance.objects.get(pk=finance.pk).rigid_state == "solved",
    )
    trio(
        w,
        "delete",
        api("household-finances", finance.pk),
        None,
        lambda: not HouseholdFinance.objects.exists(),
    )


@pytest.fixture
def monitored(mon):
    w = mon.world
    case = identify(w, open_case(w.staff_a, w.household_a, received=-233), start=-233)
    remove_ready(w, case)
    return case


def test_removal_refusal_gives_every_reason(mon, monitored):
    w = mon.world
    services.case_update(user=w.staff_a, case=monitored, labour_capacity="none")
    household = monitored.household
    household.water_ok = False
    household.save()
    checks = token_client(w.coordinator).get(
        api("monitoring-cases", monitored.pk, "removal-checks")
    )
    assert checks.status_code == 200
    failing = {c["key"] for c in checks.json() if not c["ok"]}
    assert failing == {"labour", "guarantees"}
    response = token_client(w.staff_a).post(
        api("risk-removals"), {"case": monitored.pk, "kind": "stable"}, format="json"
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "无劳动能力的户落实兜底保障措施后继续监测" in text and "饮水安全" in text
    assert not RiskRemoval.objects.exists()


def test_removal_propose_steps_and_stop(mon, monitored):
    w = mon.world
    data = {"case": monitored.pk, "kind": "stable", "proposed_on": day(-10).isoformat()}
    assert (
        token_client(w.coordinator).post(api("risk-removals"), data, format="json").status_code
        == 403
    )
    assert (
        token_client(w.staff_b).post(api("risk-removals"), data, format="json").status_code == 400
    )
    response = token_client(w.staff_a).post(api("risk-removals"), data, format="json")
    assert response.status_code == 201 and response.json()["next_step"] == "home_check"
    removal = RiskRemoval.objects.get()
    trio(
        w,
        "post",
        api("risk-removals", removal.pk, "steps"),
        lambda: {
            "kind": "home_check",
            "checkers": "王五、赵六",
            "done_on": day(-9).isoformat(),
            "document": signed_form(),
        },
        lambda: removal.steps.exists(),
        fmt="multipart",
    )
    notice = notice_for(w.staff_a, w.village_a, purpose=Procedure.REMOVAL, start=-8, days=7)
    response = token_client(w.staff_a).post(
        api("risk-removals", removal.pk, "steps"),
        {"kind": "appraisal", "notice": notice.pk, "done_on": day(-8).isoformat()},
        format="json",
    )
    assert response.status_code == 201
    early = token_client(w.staff_a).post(
        api("risk-removals", removal.pk, "steps"),
        {"kind": "township_review", "done_on": day(-2).isoformat()},  # the notice's last day
        format="json",
    )
    assert early.status_code == 400 and "公示期到" in early.content.decode()
    trio(
        w,
        "post",
        api("risk-removals", removal.pk, "stop"),
        {"reason": "公示期间有异议"},
        lambda: RiskRemoval.objects.get(pk=removal.pk).status == RemovalStatus.STOPPED,
    )


def test_notices(mon):
    w = mon.world
    data = {
        "village": w.village_a.pk,
        "purpose": "identification",
        "start_date": day(1).isoformat(),
        "end_date": day(4).isoformat(),
    }
    short = token_client(w.staff_a).post(api("public-notices"), data, format="json")
    assert short.status_code == 400 and "不少于5天" in short.content.decode()
    data["end_date"] = day(5).isoformat()
    assert (
        token_client(w.coordinator).post(api("public-notices"), data, format="json").status_code
        == 403
    )
    assert (
        token_client(w.staff_b).post(api("public-notices"), data, format="json").status_code == 400
    )
    response = token_client(w.staff_a).post(api("public-notices"), data, format="json")
    assert response.status_code == 201 and response.json()["days"] == 5
    notice = PublicNotice.objects.get()
    trio(
        w,
        "patch",
        api("public-notices", notice.pk),
        {"objections": "无异议"},
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
    trio(
        w,
        "post",
        api("public-notices", notice.pk, "households"),
        {"cases": [case.pk], "appraised_on": day(0).isoformat()},
        lambda: case.steps.filter(kind=StepKind.APPRAISAL).exists(),
    )
    refused = token_client(w.staff_a).delete(api("public-notices", notice.pk))
    assert refused.status_code == 400 and "不能删除" in refused.content.decode()
    empty = notice_for(w.staff_a, w.village_a)
    trio(
        w,
        "delete",
        api("public-notices", empty.pk),
        None,
        lambda: not PublicNotice.objects.filter(pk=empty.pk).exists(),
    )


# --- the schema and the query counts ----------------------------------------------------------
def test_every_monitoring_operation_is_in_the_schema_in_chinese():
    schema = token_client().get("/api/v1/schema/", {"format": "json"}).json()
    paths = {
        p: item
        for p, item in schema["paths"].items()
        if any(r in p for r in READS + ["risk-removals"])
    }
    expected = {
        "/api/v1/monitoring-ranges/": {"get", "post"},
        "/api/v1/risk-clues/{id}/accept/": {"post"},
        "/api/v1/risk-clues/{id}/decide/": {"post"},
        "/api/v1/risk-clues/screening/": {"get"},
        "/api/v1/risk-clues/raise/": {"post"},
        "/api/v1/monitoring-cases/": {"get", "post"},
        "/api/v1/monitoring-cases/{id}/steps/": {"post"},
        "/api/v1/monitoring-cases/{id}/not-identified/": {"post"},
        "/api/v1/monitoring-cases/{id}/removal-checks/": {"get"},
        "/api/v1/monitoring-steps/{id}/": {"get", "delete"},
        "/api/v1/monitoring-steps/{id}/document/": {"get"},
        "/api/v1/risk-removals/": {"get", "post"},
        "/api/v1/risk-removals/{id}/steps/": {"post"},
        "/api/v1/risk-removals/{id}/stop/": {"post"},
        "/api/v1/monitoring-measures/{id}/": {"get", "patch", "delete"},
        "/api/v1/household-finances/{id}/": {"get", "patch", "delete"},
        "/api/v1/public-notices/{id}/households/": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    for path, item in paths.items():
        for method, operation in item.items():
            assert re.search(r"[\u4e00-\u9fff]", operation.get("summary", "")), (method, path)
            assert operation["tags"] == ["防止返贫监测"], (method, path)


LISTS = {
    "risk-clues": lambda w: clue_for(w.staff_a, another(w.village_a), received=-3),
    "monitoring-cases": lambda w: identify(
        w, open_case(w.staff_a, another(w.village_a)), decide=False
    ),
    "monitoring-steps": lambda w: identify(
        w, open_case(w.staff_a, another(w.village_a)), decide=False
    ),
    "public-notices": lambda w: notice_for(w.staff_a, w.village_a),
    "monitoring-measures": lambda w: services.measure_record(
        user=w.staff_a,
        case=open_case(w.staff_a, another(w.village_a)),
        kind="industry",
        content="种植",
        start_date=day(0),
        responsible="甲",
    ),
    "household-finances": lambda w: services.finance_record(
        user=w.staff_a,
        household=another(w.village_a),
        year=2025,
        per_capita_net_income=Decimal("7000"),
        rigid_state="none",
    ),
    "risk-removals": None,
}


@pytest.mark.parametrize("path", [p for p, make in LISTS.items() if make])
def test_list_queries_do_not_grow_with_rows(mon, path):
    w = mon.world
    make = LISTS[path]
    make(w)
    client = token_client(w.reviewer)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(api(path), {"page_size": 100})
        assert response.status_code == 200
        return len(queries)

    one = count()
    for _ in range(4):
        make(w)
    assert count() == one
    assert one <= 8
