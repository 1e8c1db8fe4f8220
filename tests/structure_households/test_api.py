"""The API of the households' kept records: the same reads as the read-only endpoints it
replaces (same JSON for households and household pairings), the permission trio on every
endpoint, writes through the pages' services (same rules and messages), the handover, end and
reassign actions, the coverage list, and query counts that do not grow with the rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate

from api.views import households as read_views
from households.models import (
    Household,
    HouseholdPairing,
    IncomeRecord,
    Measure,
    Member,
    Plan,
    PovertyStatus,
)
from tests.factories import (
    HouseholdFactory,
    HouseholdPairingFactory,
    MeasureFactory,
    PlanFactory,
    VisitFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db

D = datetime.date
API = "/api/v1/"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        key = Token.objects.get_or_create(user=user)[0].key
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def old_read(viewset, user, path, params=None, pk=None):
    """What the replaced read-only endpoint answered (its viewset, called directly)."""
    request = APIRequestFactory().get(path, params or {})
    force_authenticate(request, user=user)
    if pk is None:
        return viewset.as_view({"get": "list"})(request).data
    return viewset.as_view({"get": "retrieve"})(request, pk=pk).data


def pairing_a(world):
    return HouseholdPairing.objects.get(household=world.household_a, helper=world.helper_a)


# --- the same reads as before ------------------------------------------------------------------
@pytest.mark.parametrize("params", [{}, {"ordering": "-head_name"}, {"key_difficulty": "false"}])
def test_households_read_as_before(world, kept, params):
    MeasureFactory(plan=kept.plan_a, owner=world.helper_a)
    VisitFactory(household=world.household_a, helper=world.helper_a, visited_on=D(2026, 3, 3))
    for user in (world.reviewer, world.staff_a, world.coordinator):
        new = api(user).get(API + "households/", params).json()
        old = old_read(read_views.HouseholdViewSet, user, API + "households/", params)
        assert new["results"] == old["results"], user
        one = api(user).get(API + f"households/{world.household_a.pk}/").json()
        assert one == old_read(read_views.HouseholdViewSet, user, API, pk=world.household_a.pk), (
            user
        )
    shown = api(world.staff_a).get(API + "households/").json()["results"][0]
    assert "*" in shown["head_id_number_masked"] and "*" in shown["phone"]
    assert api(world.reviewer).get(API + "households/").json()["results"][0]["phone"].isdigit()


@pytest.mark.parametrize(
    "params", [{}, {"ordering": "start_date"}, {"in_force_on": "2026-06-01"}, {"village": 1}]
)
def test_household_pairings_read_as_before(world, kept, params):
    HouseholdPairingFactory(
        household=world.household_a, helper=kept.successor, end_date=D(2025, 6, 30)
    )
    for user in (world.reviewer, world.staff_a, world.coordinator, world.cadre_user):
        new = api(user).get(API + "household-pairings/", params).json()
        old = old_read(read_views.HouseholdPairingViewSet, user, API, params)
        assert new["results"] == old["results"], user


# --- the permission trio on every endpoint -------------------------------------------------------
def endpoints(world, kept):
    """(prefix, id of a township-A row, a PATCH body)."""
    return [
        ("households", world.household_a.pk, {"size": 6}),
        ("household-members", kept.member_a.pk, {"health": "良好"}),
        ("household-incomes", kept.income_a.pk, {"per_capita_net_income": "5300.00"}),
        ("household-plans", kept.plan_a.pk, {"summary": "改"}),
        ("plan-measures", kept.measure_a.pk, {"content": "改"}),
        ("household-pairings", pairing_a(world).pk, {"start_date": "2025-02-01"}),
    ]


def test_trio_reads(world, kept):
    for prefix, pk, _body in endpoints(world, kept):
        assert api().get(API + f"{prefix}/").status_code == 401, prefix
        assert api(world.staff_b).get(API + f"{prefix}/{pk}/").status_code == 404, prefix
        listed = api(world.staff_b).get(API + f"{prefix}/").json()["results"]
        assert pk not in [row["id"] for row in listed], prefix
        assert api(world.staff_a).get(API + f"{prefix}/{pk}/").status_code == 200, prefix
        assert api(world.cadre_user).get(API + f"{prefix}/{pk}/").status_code == 200, prefix


def test_trio_writes(world, kept):
    for prefix, pk, body in endpoints(world, kept):
        response = api(world.staff_b).patch(API + f"{prefix}/{pk}/", body, format="json")
        assert response.status_code == 404, prefix
        response = api(world.cadre_user).patch(API + f"{prefix}/{pk}/", body, format="json")
        assert response.status_code == 403, prefix
        assert response.json()["code"] == "permission_denied", prefix
    world.household_a.refresh_from_db()
    assert world.household_a.size == 3
    assert pairing_a(world).start_date == D(2025, 1, 1)
    for prefix, pk, body in endpoints(world, kept):
        response = api(world.staff_a).patch(API + f"{prefix}/{pk}/", body, format="json")
        assert response.status_code == 200, (prefix, response.json())
    world.household_a.refresh_from_db()
    assert world.household_a.size == 6
    assert pairing_a(world).start_date == D(2025, 2, 1)


def test_create_through_the_services(world, kept):
    staff = api(world.staff_a)
    number = make_id_number()
    body = {
        "village": world.village_a.pk,
        "head_name": "王五",
        "head_id_number": number,
        "size": 4,
        "cause": "illness",
        "track": "industry",
    }
    assert api(world.cadre_user).post(API + "households/", body, format="json").status_code == 403
    assert api(world.staff_b).post(API + "households/", body, format="json").status_code == 400
    response = staff.post(API + "households/", body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert number not in str(created) and created["head_id_number_masked"].startswith(number[:6])
    household = Household.objects.get(pk=created["id"])
    again = staff.post(API + "households/", body, format="json")
    assert again.status_code == 409
    assert again.json()["errors"]["head_id_number"] == ["该身份证号已登记为甲村 王五户的户主。"]

    member = staff.post(
        API + "household-members/",
        {
            "household": household.pk,
            "name": "王小五",
            "relation": "child",
            "id_number": make_id_number(),
        },
        format="json",
    )
    assert member.status_code == 201 and "*" in member.json()["id_number_masked"]
    income = {"household": household.pk, "year": 2025, "per_capita_net_income": "6800"}
    assert staff.post(API + "household-incomes/", income, format="json").status_code == 201
    duplicate = staff.post(API + "household-incomes/", income, format="json")
    assert duplicate.status_code == 409 and "2025 年已有收入记录" in str(duplicate.json())
    plan = staff.post(
        API + "household-plans/",
        {"household": household.pk, "drawn_up_on": "2026-03-01", "summary": "产业"},
        format="json",
    )
    assert plan.status_code == 201
    measure = staff.post(
        API + "plan-measures/",
        {
            "plan": plan.json()["id"],
            "content": "养殖",
            "deadline": "2026-12-31",
            "owner": world.helper_a.pk,
        },
        format="json",
    )
    assert measure.status_code == 201 and measure.json()["household"] == household.pk
    pairing = staff.post(
        API + "household-pairings/",
        {"household": household.pk, "helper": world.helper_a.pk, "start_date": "2026-01-01"},
        format="json",
    )
    assert pairing.status_code == 201 and pairing.json()["unit"] == world.unit.pk
    overlapping = staff.post(
        API + "household-pairings/",
        {"household": household.pk, "helper": world.helper_a.pk, "start_date": "2026-02-01"},
        format="json",
    )
    assert overlapping.status_code == 409
    assert "帮扶人甲 → 王五户（2026-01-01 起）" in str(overlapping.json()["errors"])


def test_delete_only_where_nothing_refers(world, kept):
    staff = api(world.staff_a)
    response = staff.delete(API + f"households/{world.household_a.pk}/")
    assert (
        response.status_code == 400
        and "不能删除" in response.json()["errors"]["non_field_errors"][0]
    )
    assert staff.delete(API + f"household-plans/{kept.plan_a.pk}/").status_code == 400
    assert staff.delete(API + f"plan-measures/{kept.measure_a.pk}/").status_code == 204
    assert staff.delete(API + f"household-plans/{kept.plan_a.pk}/").status_code == 204
    assert staff.delete(API + f"household-members/{kept.member_a.pk}/").status_code == 204
    assert staff.delete(API + f"household-incomes/{kept.income_a.pk}/").status_code == 204
    assert (
        api(world.staff_b).delete(API + f"household-members/{kept.member_b.pk}/").status_code == 204
    )
    assert not Member.objects.exists() or not Member.objects.filter(pk=kept.member_a.pk).exists()
    assert not Plan.objects.filter(pk=kept.plan_a.pk).exists()
    assert not Measure.objects.filter(pk=kept.measure_a.pk).exists()
    assert not IncomeRecord.objects.filter(pk=kept.income_a.pk).exists()


def test_household_end_is_an_exit(world):
    response = api(world.staff_a).post(
        API + f"households/{world.household_a.pk}/end/", {"day": "2026-06-30"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["exit_year"]) == ("exited", 2026)
    assert Household.objects.get(pk=world.household_a.pk).status == PovertyStatus.EXITED


# --- pairing actions ---------------------------------------------------------------------------------
def test_handover_and_end(world, kept):
    url = API + f"household-pairings/{pairing_a(world).pk}/"
    body = {"helper": kept.successor.pk, "day": "2026-07-01"}
    assert api(world.cadre_user).post(url + "handover/", body, format="json").status_code == 403
    assert api(world.staff_b).post(url + "handover/", body, format="json").status_code == 404
    early = api(world.staff_a).post(url + "handover/", {**body, "day": "2024-12-31"}, format="json")
    assert early.status_code == 400
    assert "帮扶人甲 → 张三户（2025-01-01 起）" in early.json()["errors"]["day"][0]
    response = api(world.coordinator).post(url + "handover/", body, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["old"]["end_date"], data["new"]["start_date"]) == ("2026-06-30", "2026-07-01")
    assert data["new"]["helper"] == kept.successor.pk
    ended = api(world.staff_a).post(
        API + f"household-pairings/{data['new']['id']}/end/", {"day": "2026-10-31"}, format="json"
    )
    assert ended.status_code == 200 and ended.json()["end_date"] == "2026-10-31"


def test_reassign(world, kept):
    second = HouseholdFactory(village=world.village_a, head_name="赵六")
    own = HouseholdPairingFactory(household=second, helper=world.helper_a)
    url = API + "household-pairings/reassign/"
    body = {
        "helper": world.helper_a.pk,
        "day": "2026-09-01",
        "to_helper": kept.successor.pk,
        "choices": [{"pairing": own.pk, "helper": kept.other_unit_helper.pk}],
    }
    assert api(world.cadre_user).post(url, body, format="json").status_code == 403
    # An id outside the scope in a body is answered as an id that does not exist.
    outside = api(world.staff_b).post(url, body, format="json")
    assert outside.status_code == 400 and "helper" in outside.json()["errors"]
    assert pairing_a(world).end_date is None
    # One conflict: nothing changes, the conflict is named.
    blocker = HouseholdPairingFactory(household=world.household_a, helper=kept.successor)
    refused = api(world.staff_a).post(url, body, format="json")
    assert refused.status_code == 400
    assert "接替人丙 → 张三户（2025-01-01 起）" in str(refused.json()["errors"])
    assert pairing_a(world).end_date is None
    blocker.delete()
    response = api(world.staff_a).post(url, body, format="json")
    assert response.status_code == 200, response.json()
    changed = {c["old"]["household"]: c["new"]["helper"] for c in response.json()["changed"]}
    assert changed == {
        world.household_a.pk: kept.successor.pk,
        second.pk: kept.other_unit_helper.pk,
    }
    assert not HouseholdPairing.objects.filter(helper=world.helper_a).in_force(D(2026, 9, 1))


def test_unknown_fields_are_refused(world):
    response = api(world.staff_a).post(
        API + f"household-pairings/{pairing_a(world).pk}/handover/",
        {"helper": world.helper_a.pk, "day": "2026-07-01", "days": 3},
        format="json",
    )
    assert response.status_code == 400 and "days" in response.json()["errors"]


# --- coverage ----------------------------------------------------------------------------------------
def test_coverage(world):
    lonely = HouseholdFactory(village=world.village_a, head_name="未结对户")
    elsewhere = HouseholdFactory(village=world.village_b, head_name="乙未结对")
    ended = HouseholdFactory(village=world.village_a)
    HouseholdPairingFactory(household=ended, end_date=D(2025, 12, 31))
    rows = api(world.staff_a).get(API + "household-coverage/").json()["results"]
    assert sorted(r["id"] for r in rows) == sorted([lonely.pk, ended.pk])
    rows = api(world.staff_a).get(API + "household-coverage/", {"on": "2025-06-01"}).json()
    assert [r["id"] for r in rows["results"]] == [lonely.pk]
    rows = (
        api(world.reviewer).get(API + "household-coverage/", {"village": world.village_b.pk}).json()
    )
    assert [r["id"] for r in rows["results"]] == [elsewhere.pk]
    assert "*" in rows["results"][0]["head_id_number_masked"]
    assert api().get(API + "household-coverage/").status_code == 401
    assert api(world.staff_a).post(API + "household-coverage/", {}).status_code == 405
    assert api(world.staff_a).get(API + "household-coverage/", {"on": "x"}).status_code == 400


# --- query counts ----------------------------------------------------------------------------------
def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "prefix",
    [
        "households",
        "household-members",
        "household-incomes",
        "household-plans",
        "plan-measures",
        "household-pairings",
        "household-coverage",
    ],
)
def test_list_queries_do_not_grow(world, kept, prefix):
    client = api(world.reviewer)
    url = API + f"{prefix}/"

    def grow(n, start=0):
        for i in range(start, start + n):
            household = HouseholdFactory(village=world.village_a, head_name=f"户{i}")
            if i % 2:
                HouseholdPairingFactory(household=household, helper=world.helper_a)
            household.members.create(name=f"成员{i}", relation="child")
            IncomeRecord.objects.create(household=household, year=2025, per_capita_net_income=5000)
            MeasureFactory(plan=PlanFactory(household=household), owner=world.helper_a)

    grow(2)  # one row of every kind (paired and not)
    _queries(client, url)
    few = _queries(client, url)
    grow(15, start=2)
    assert _queries(client, url) == few
