"""The structure's endpoints (api/views/kept_pairing.py): the permission trio on each (the
keeper writes; a reader in scope reads and gets 403 on a write; an outsider gets 404 and nothing
changes; anonymous callers get 401), the rules' field errors, ending instead of deleting, the
reads the replaced endpoints served, the unit assessments, and list query counts."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role
from assessments.models import UnitAssessment
from pairing.models import (
    Donation,
    OrgKind,
    Pairing,
    PairingParticipant,
    PairingYearPlan,
    PartyOrganisation,
    Project,
    Unit,
)
from tests.factories import (
    PairingFactory,
    PartyOrganisationFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        key = Token.objects.get_or_create(user=user)[0].key
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def url(prefix, pk=None, tail=""):
    return f"/api/v1/{prefix}/" if pk is None else f"/api/v1/{prefix}/{pk}/{tail}"


def other_unit(world, name="参与单位"):
    unit = UnitFactory(region=world.county, name=name)
    return unit, PartyOrganisationFactory(unit=unit, kind=OrgKind.COMMITTEE, name=f"{name}党委")


# Each endpoint: a side-A record, a body to create one, a change, who keeps it, how to see that
# nothing changed.
def units(world):
    return {
        "record": world.unit,
        "create": {"name": "新单位", "kind": "organ", "region": world.county.pk},
        "change": {"principal_leader": "张主任"},
        "keeper": "reviewer",
        "field": "principal_leader",
        "count": lambda: Unit.objects.count(),
    }


def organisations(world):
    committee = PartyOrganisationFactory(unit=world.unit, kind=OrgKind.COMMITTEE, name="党委")
    return {
        "record": committee,
        "create": {
            "name": "第一党支部",
            "kind": "branch",
            "unit": world.unit.pk,
            "parent": committee.pk,
        },
        "change": {"secretary": "李书记"},
        "keeper": "reviewer",
        "field": "secretary",
        "count": lambda: PartyOrganisation.objects.count(),
    }


def pairings(world):
    return {
        "record": world.pairing,
        "create": {
            "kind": "org_pairing",
            "name": "新结对",
            "lead_unit": world.unit.pk,
            "village": world.village_a.pk,
            "start_date": "2026-01-01",
            "end_date": "2028-12-31",
        },
        "change": {"special_action": "专项行动"},
        "keeper": "reviewer",
        "field": "special_action",
        "count": lambda: Pairing.objects.count(),
    }


def participants(world):
    _unit, committee = other_unit(world)
    _unit2, committee2 = other_unit(world, "第二单位")
    return {
        "record": PairingParticipant.objects.create(pairing=world.pairing, organisation=committee),
        "create": {"pairing": world.pairing.pk, "organisation": committee2.pk},
        "change": None,
        "keeper": "reviewer",
        "field": "organisation_id",
        "count": lambda: PairingParticipant.objects.count(),
    }


def year_plans(world):
    return {
        "record": PairingYearPlan.objects.create(pairing=world.pairing, year=2026, content="计划"),
        "create": {"pairing": world.pairing.pk, "year": 2027, "content": "明年计划"},
        "change": {"content": "改后计划"},
        "keeper": "reviewer",
        "field": "content",
        "count": lambda: PairingYearPlan.objects.count(),
    }


def projects(world):
    record = Project.objects.create(
        unit=world.unit, village=world.village_a, name="项目", kind="industry", year=2026
    )
    return {
        "record": record,
        "create": {
            "unit": world.unit.pk,
            "village": world.village_a.pk,
            "pairing": world.pairing.pk,
            "name": "新项目",
            "kind": "education",
            "year": 2026,
            "direct_funds": "20000.00",
        },
        "change": {"status": "done"},
        "keeper": "coordinator",
        "field": "status",
        "count": lambda: Project.objects.count(),
    }


def donations(world):
    record = Donation.objects.create(
        unit=world.unit, village=world.village_a, donor="王党员", amount=100, donated_on=TODAY
    )
    return {
        "record": record,
        "create": {
            "unit": world.unit.pk,
            "village": world.village_a.pk,
            "donor": "赵党员",
            "amount": "500.00",
            "donated_on": TODAY.isoformat(),
        },
        "change": {"donor": "钱党员"},
        "keeper": "coordinator",
        "field": "donor",
        "count": lambda: Donation.objects.count(),
    }


ENDPOINTS = {
    "units": units,
    "party-organisations": organisations,
    "pairings": pairings,
    "pairing-participants": participants,
    "pairing-year-plans": year_plans,
    "projects": projects,
    "donations": donations,
}


def value(record, name):
    record.refresh_from_db()
    return getattr(record, name)


@pytest.mark.parametrize("prefix", ENDPOINTS)
def test_the_keeper_creates_and_changes(world, prefix):
    case = ENDPOINTS[prefix](world)
    client = api(getattr(world, case["keeper"]))
    before = case["count"]()
    response = client.post(url(prefix), case["create"], format="json")
    assert response.status_code == 201, response.json()
    assert case["count"]() == before + 1
    assert response.json()["id"]
    if case["change"]:
        response = client.patch(url(prefix, case["record"].pk), case["change"], format="json")
        assert response.status_code == 200, response.json()
        changed = next(iter(case["change"].values()))
        assert value(case["record"], case["field"]) == changed
    else:
        assert client.patch(url(prefix, case["record"].pk), {}, format="json").status_code == 405


@pytest.mark.parametrize("prefix", ENDPOINTS)
def test_a_reader_in_scope_reads_but_cannot_write(world, prefix):
    case = ENDPOINTS[prefix](world)
    client = api(world.staff_a)
    record = case["record"]
    listed = client.get(url(prefix), {"page_size": 200})
    assert record.pk in {row["id"] for row in listed.json()["results"]}
    assert client.get(url(prefix, record.pk)).status_code == 200
    before = value(record, case["field"])
    count = case["count"]()
    response = client.post(url(prefix), case["create"], format="json")
    assert response.status_code == 403, response.json()
    assert response.json()["code"] == "permission_denied"
    if case["change"]:
        assert (
            client.patch(url(prefix, record.pk), case["change"], format="json").status_code == 403
        )
    assert client.delete(url(prefix, record.pk)).status_code in (403, 405)
    assert case["count"]() == count and value(record, case["field"]) == before


@pytest.mark.parametrize("prefix", ENDPOINTS)
@pytest.mark.parametrize("outsider", ["staff_b", "other_reviewer"])
def test_an_outsider_gets_404_and_nothing_changes(world, prefix, outsider):
    case = ENDPOINTS[prefix](world)
    client = api(getattr(world, outsider))
    record = case["record"]
    before = value(record, case["field"])
    assert client.get(url(prefix, record.pk)).status_code == 404
    if case["change"]:
        assert (
            client.patch(url(prefix, record.pk), case["change"], format="json").status_code == 404
        )
    assert client.delete(url(prefix, record.pk)).status_code in (404, 405)
    assert value(record, case["field"]) == before
    listed = client.get(url(prefix), {"page_size": 200}).json()["results"]
    assert record.pk not in {row["id"] for row in listed}


@pytest.mark.parametrize("prefix", [*ENDPOINTS, "unit-assessments"])
def test_anonymous_callers_get_401(world, prefix):
    response = api().get(url(prefix))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_body_naming_an_object_outside_scope_changes_nothing(world):
    hidden = UnitFactory(region=world.other_county)
    response = api(world.reviewer).post(
        url("party-organisations"),
        {"name": "越界党委", "kind": "committee", "unit": hidden.pk},
        format="json",
    )
    assert response.status_code == 400 and "unit" in response.json()["errors"]
    assert not PartyOrganisation.objects.filter(name="越界党委").exists()


# --- rules, ending, deleting ----------------------------------------------------------------
def test_a_wrong_parent_is_a_field_error_naming_it(world):
    branch = PartyOrganisationFactory(unit=world.unit, kind=OrgKind.BRANCH, name="某支部")
    response = api(world.reviewer).post(
        url("party-organisations"),
        {"name": "新总支", "kind": "general_branch", "unit": world.unit.pk, "parent": branch.pk},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "某支部" in body["errors"]["parent"][0]


def test_a_pairing_ending_before_it_starts_is_refused(world):
    body = {**pairings(world)["create"], "end_date": "2025-06-30"}
    response = api(world.reviewer).post(url("pairings"), body, format="json")
    assert response.status_code == 400
    assert "结束日期不能早于开始日期" in response.json()["errors"]["end_date"][0]


def test_a_participating_unit_listed_twice_is_refused(world):
    unit, committee = other_unit(world)
    branch = PartyOrganisationFactory(unit=unit, kind=OrgKind.BRANCH, parent=committee)
    client = api(world.reviewer)
    first = client.post(
        url("pairing-participants"),
        {"pairing": world.pairing.pk, "organisation": committee.pk},
        format="json",
    )
    assert first.status_code == 201
    again = client.post(
        url("pairing-participants"),
        {"pairing": world.pairing.pk, "organisation": committee.pk},
        format="json",
    )
    assert again.status_code == 409
    second = client.post(
        url("pairing-participants"),
        {"pairing": world.pairing.pk, "organisation": branch.pk},
        format="json",
    )
    assert second.status_code == 400
    assert "参与单位党委" in second.json()["errors"]["organisation"][0]
    assert client.delete(url("pairing-participants", first.json()["id"])).status_code == 204
    assert not world.pairing.participants.exists()


def test_a_duplicate_unit_name_is_a_conflict(world):
    response = api(world.reviewer).post(
        url("units"),
        {"name": "测试帮扶单位", "kind": "organ", "region": world.county.pk},
        format="json",
    )
    assert response.status_code == 409
    assert "测试帮扶单位" in response.json()["errors"]["name"][0]


def test_a_unit_records_refer_to_is_ended_not_deleted(world):
    PartyOrganisationFactory(unit=world.unit, kind=OrgKind.COMMITTEE)
    client = api(world.reviewer)
    response = client.delete(url("units", world.unit.pk))
    assert response.status_code == 400
    assert "撤销日期" in response.json()["errors"]["non_field_errors"][0]
    refused = client.post(
        url("units", world.unit.pk, "end/"), {"day": TODAY.isoformat()}, format="json"
    )
    assert refused.status_code == 400 and world.pairing.name in str(refused.json()["errors"])
    ended = client.post(
        url("pairings", world.pairing.pk, "end/"), {"day": TODAY.isoformat()}, format="json"
    )
    assert ended.status_code == 200 and ended.json()["end_date"] == TODAY.isoformat()
    response = client.post(
        url("units", world.unit.pk, "end/"), {"day": TODAY.isoformat()}, format="json"
    )
    assert response.status_code == 200 and response.json()["end_date"] == TODAY.isoformat()


def test_a_reader_cannot_end_a_record(world):
    response = api(world.staff_a).post(
        url("pairings", world.pairing.pk, "end/"), {"day": TODAY.isoformat()}, format="json"
    )
    assert response.status_code == 403
    assert Pairing.objects.get(pk=world.pairing.pk).end_date == datetime.date(2027, 12, 31)


def test_a_coordinator_keeps_only_their_own_units_projects(world):
    partner = UnitFactory(region=world.county, name="伙伴单位")
    PairingFactory(lead_unit=partner, village=world.village_a)
    body = {**projects(world)["create"], "unit": partner.pk, "pairing": None}
    response = api(world.coordinator).post(url("projects"), body, format="json")
    assert response.status_code == 403
    assert "伙伴单位" in response.json()["detail"]


# --- the reads the replaced endpoints served ----------------------------------------------
def test_the_replaced_endpoints_keep_their_fields(world):
    client = api(world.reviewer)
    unit = client.get(url("units", world.unit.pk)).json()
    assert {
        "id",
        "name",
        "kind",
        "credit_code",
        "region",
        "principal_leader",
        "deputy_in_charge",
        "coordinator_name",
        "coordinator_phone",
        "end_date",
    } <= set(unit)
    pairing = client.get(url("pairings", world.pairing.pk)).json()
    assert {"lead_unit_name", "village_name", "participants", "path", "three_year_plan"} <= set(
        pairing
    )
    filtered = client.get(url("pairings"), {"lead_unit": world.unit.pk}).json()
    assert [row["id"] for row in filtered["results"]] == [world.pairing.pk]


# --- unit assessments ------------------------------------------------------------------------
def test_unit_assessments_are_read_by_reviewers_and_the_units_coordinator(world):
    assessment = UnitAssessment.objects.create(
        unit=world.unit,
        year=2026,
        met_share="0.9500",
        earned_grade="excellent",
        capped=True,
        cap_reasons=[
            {
                "kind": "village",
                "name": "甲村",
                "path": world.village_a.path,
                "text": "甲村未按期退出",
            },
            {"kind": "village", "name": "外村", "path": "/999/", "text": "外村未按期退出"},
        ],
        final_grade="competent",
    )
    row = api(world.reviewer).get(url("unit-assessments", assessment.pk)).json()
    assert row["score"] == "0.9500" and row["final_grade"] == "competent" and row["capped"]
    assert [r["text"] for r in row["reasons"]] == ["甲村未按期退出"] and row["hidden_reasons"] == 1
    own = api(world.coordinator).get(url("unit-assessments"), {"year": 2026}).json()
    assert [r["id"] for r in own["results"]] == [assessment.pk]
    assert len(own["results"][0]["reasons"]) == 2
    assert api(world.staff_a).get(url("unit-assessments")).json()["results"] == []
    assert api(world.staff_a).get(url("unit-assessments", assessment.pk)).status_code == 404
    other = UserFactory(
        username="coord_b", role=Role.COORDINATOR, unit=UnitFactory(region=world.county)
    )
    assert api(other).get(url("unit-assessments", assessment.pk)).status_code == 404
    assert api(world.other_reviewer).get(url("unit-assessments", assessment.pk)).status_code == 404
    assert api(world.reviewer).post(url("unit-assessments"), {}, format="json").status_code == 405


# --- query counts ----------------------------------------------------------------------------
_serial = itertools.count(1)


def _make(world, prefix, n):
    for _ in range(n):
        i = next(_serial)
        unit, committee = other_unit(world, f"单位{prefix}{i}")
        pairing = PairingFactory(lead_unit=unit, village=world.village_a, name=f"结对{prefix}{i}")
        PairingParticipant.objects.create(pairing=pairing, organisation=committee)
        PairingYearPlan.objects.create(pairing=pairing, year=2026, content="计划")
        Project.objects.create(
            unit=unit, village=world.village_a, pairing=pairing, name="项", kind="other", year=2026
        )
        Donation.objects.create(
            unit=unit,
            organisation=committee,
            village=world.village_a,
            donor="某",
            amount=1,
            donated_on=TODAY,
        )
        UnitAssessment.objects.create(
            unit=unit, year=2026, earned_grade="competent", final_grade="competent"
        )


def _count(client, prefix) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(prefix), {"page_size": 100})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("prefix", [*ENDPOINTS, "unit-assessments"])
def test_list_queries_do_not_grow_with_rows(world, prefix):
    client = api(world.reviewer)
    _make(world, prefix, 1)
    one = _count(client, prefix)
    _make(world, prefix, 15)
    assert _count(client, prefix) == one
    assert one <= 6
