"""/api/v1/indicator-overrides/: a region's own thresholds through the same services as the
page: the keeper (the county Party-work department) creates, changes and deletes inside the
scope; readers in scope read and get 403 on writes; outside the scope 404 (an object) or 400
(an id in the body, answered like an id that does not exist), nothing changed. The value rules
and the trail are the services'; the schema documents the endpoint in Chinese."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import SecurityEvent
from assessments.models import Indicator, IndicatorOverride
from assessments.selectors import Thresholds
from assessments.services import threshold_set
from tests.factories import VillageFactory, make_township

pytestmark = pytest.mark.django_db
CODE = "HH-VISIT-YEAR"
URL = "/api/v1/indicator-overrides/"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        key = Token.objects.get_or_create(user=user)[0].key
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def item(pk) -> str:
    return f"{URL}{pk}/"


def indicator(code=CODE) -> Indicator:
    return Indicator.objects.get(code=code)


@pytest.fixture
def override(world):
    return threshold_set(
        user=world.reviewer, indicator=indicator(), region=world.township_a, threshold=6
    )


def body(world, region=None, threshold="5", **extra):
    return {
        "indicator": indicator().pk,
        "region": (region or world.township_a).pk,
        "threshold": threshold,
        **extra,
    }


# --- the keeper ---------------------------------------------------------------------------
def test_the_keeper_creates_changes_and_deletes(world):
    client = api(world.reviewer)
    response = client.post(URL, body(world, note="乡镇文件"), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["indicator_code"] == CODE and data["region_code"] == world.township_a.code
    assert (data["threshold"], data["note"], data["unit_label"]) == ("5.00", "乡镇文件", "次")
    assert Thresholds([CODE]).get(CODE, world.village_a.region.path) == Decimal("5")

    response = client.patch(item(data["id"]), {"threshold": "7"}, format="json")
    assert response.status_code == 200 and response.json()["threshold"] == "7.00"
    assert response.json()["note"] == "乡镇文件"  # a partial change keeps the rest
    assert Thresholds([CODE]).get(CODE, world.village_a.region.path) == Decimal("7")

    assert client.delete(item(data["id"])).status_code == 204
    assert not IndicatorOverride.objects.exists()
    assert Thresholds([CODE]).get(CODE, world.village_a.region.path) == Decimal("4")


def test_a_second_override_of_the_same_region_is_a_conflict(world, override):
    response = api(world.reviewer).post(URL, body(world), format="json")
    assert response.status_code == 409
    assert "甲镇已设置“贫困户全年走访次数”的阈值（6），请修改该设置。" in str(response.json())
    assert IndicatorOverride.objects.get().threshold == Decimal("6.00")


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("HH-VISIT-YEAR", "2.5", "该指标按整数计（次），达标值应为整数。"),
        ("HH-VISIT-YEAR", "0", "“不少于 0”等于没有要求（所有对象都达标），达标值应大于 0。"),
        ("SPOT-CHECK-RATE", "150", "百分比不能超过 100。"),
        ("TALENT-DAYS", "40", "一个月最多 31 天，达标值不能超过 31。"),
    ],
)
def test_a_bad_value_is_a_400_with_the_services_message(world, code, value, message):
    response = api(world.reviewer).post(
        URL, {**body(world, threshold=value), "indicator": indicator(code).pk}, format="json"
    )
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "invalid" and message in payload["errors"]["threshold"]
    assert not IndicatorOverride.objects.exists()


def test_bad_bodies_are_400(world, override):
    client = api(world.reviewer)
    negative = client.post(URL, body(world, threshold="-1"), format="json")
    assert negative.status_code == 400 and "threshold" in negative.json()["errors"]
    unknown = client.post(URL, body(world, colour="红"), format="json")
    assert unknown.status_code == 400 and "colour" in unknown.json()["errors"]
    moved = client.patch(item(override.pk), {"region": world.township_b.pk}, format="json")
    assert moved.status_code == 400 and "region" in moved.json()["errors"]
    bad = client.patch(item(override.pk), {"threshold": "2.5"}, format="json")
    assert bad.status_code == 400
    override.refresh_from_db()
    assert (override.region, override.threshold) == (world.township_a, Decimal("6.00"))


# --- readers in scope ----------------------------------------------------------------------
@pytest.mark.parametrize("reader", ["staff_a", "cadre_user", "coordinator"])
def test_a_reader_in_scope_reads_and_may_not_write(world, override, reader):
    client = api(getattr(world, reader))
    listed = client.get(URL)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [override.pk]
    assert client.get(item(override.pk)).status_code == 200
    # Their own village, which they may see but not keep: refused by role.
    created = client.post(URL, body(world, region=world.village_a.region), format="json")
    assert created.status_code == 403
    assert client.patch(item(override.pk), {"threshold": "9"}, format="json").status_code == 403
    assert client.delete(item(override.pk)).status_code == 403
    override.refresh_from_db()
    assert override.threshold == Decimal("6.00") and IndicatorOverride.objects.count() == 1


def test_township_staff_are_refused_by_role(world):
    response = api(world.staff_a).post(URL, body(world), format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "您的角色不能维护考核指标阈值。"
    assert not IndicatorOverride.objects.exists()


# --- outside the scope ----------------------------------------------------------------------
def test_outside_the_scope_is_404_and_nothing_changes(world, override):
    client = api(world.other_reviewer)
    assert client.get(URL).json()["results"] == []
    assert client.get(item(override.pk)).status_code == 404
    assert client.patch(item(override.pk), {"threshold": "9"}, format="json").status_code == 404
    assert client.delete(item(override.pk)).status_code == 404
    created = client.post(URL, body(world, region=world.township_b), format="json")
    assert created.status_code == 400 and "region" in created.json()["errors"]
    # Township B's staff do not find township A's override.
    assert api(world.staff_b).get(item(override.pk)).status_code == 404
    override.refresh_from_db()
    assert override.threshold == Decimal("6.00") and IndicatorOverride.objects.count() == 1


def test_anonymous_is_401(world, override):
    assert api().get(URL).status_code == 401
    assert api().post(URL, body(world), format="json").status_code == 401


# --- filters, trail, queries, schema ---------------------------------------------------------
def test_filters_by_indicator_and_region(world, override):
    threshold_set(
        user=world.reviewer,
        indicator=indicator("TALENT-DAYS"),
        region=world.township_b,
        threshold=3,
    )
    client = api(world.reviewer)
    rows = client.get(URL, {"indicator": CODE}).json()["results"]
    assert [r["id"] for r in rows] == [override.pk]
    rows = client.get(URL, {"region": world.township_b.code}).json()["results"]
    assert [r["indicator_code"] for r in rows] == ["TALENT-DAYS"]


def test_a_token_write_names_its_user_in_the_security_log_and_the_history(world):
    client = api(world.reviewer)
    pk = client.post(URL, body(world), format="json").json()["id"]
    client.patch(item(pk), {"threshold": "8"}, format="json")
    client.delete(item(pk))
    rows = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.THRESHOLD_CHANGE).order_by("pk")
    assert [(r.user, r.region_code, r.detail["action"]) for r in rows] == [
        (world.reviewer, world.township_a.code, "created"),
        (world.reviewer, world.township_a.code, "changed"),
        (world.reviewer, world.township_a.code, "deleted"),
    ]
    assert rows[1].detail["changes"]["threshold"] == ["5.00", "8.00"]
    entries = LogEntry.objects.get_for_model(IndicatorOverride).filter(object_id=pk).order_by("pk")
    assert [(e.action, e.actor) for e in entries] == [
        (0, world.reviewer),
        (1, world.reviewer),
        (2, world.reviewer),
    ]


@pytest.mark.parametrize("rows", [1, 8])
def test_the_list_answers_in_a_fixed_number_of_queries(world, rows, django_assert_max_num_queries):
    for _ in range(rows):
        township = make_township(world.county)
        for region in (township, VillageFactory(township=township).region):
            threshold_set(user=world.reviewer, indicator=indicator(), region=region, threshold=5)
    client = api(world.reviewer)
    with django_assert_max_num_queries(6):
        response = client.get(URL)
    assert response.json()["count"] == 2 * rows


def test_the_schema_documents_the_endpoint_in_chinese(world):
    schema = api().get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    summaries = {
        (path, method): operation["summary"]
        for path in (URL, URL + "{id}/")
        for method, operation in paths[path].items()
    }
    assert summaries == {
        (URL, "get"): "本地指标阈值列表",
        (URL, "post"): "设置本地指标阈值",
        (URL + "{id}/", "get"): "本地指标阈值详情",
        (URL + "{id}/", "patch"): "修改本地指标阈值",
        (URL + "{id}/", "delete"): "删除本地指标阈值",
    }
    assert paths[URL]["post"]["tags"] == ["考核"]
    for code in ("400", "403", "404", "409"):
        assert code in paths[URL]["post"]["responses"]
