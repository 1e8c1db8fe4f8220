"""Bad input is refused cleanly: one JSON shape with field messages, the right status code,
nothing written, never a 500 — and Chinese by default, English on request for the built-in
messages."""

import datetime
import json
import re

import pytest
from django.utils import timezone

from households.models import Visit
from tests.api.conftest import token_client, url

pytestmark = pytest.mark.django_db


def _shape(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"status", "code", "detail", "errors"}
    assert body["status"] == status
    return body


@pytest.fixture
def staff(world):
    return token_client(world.staff_a)


def _visit(world, **overrides):
    body = {
        "household": world.household_a.pk,
        "visited_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        "learned": "了解生产生活情况",
    }
    body.update(overrides)
    return body


def _post_raw(client, path, payload: bytes, content_type="application/json", **extra):
    return client.generic("POST", url(path), payload, content_type=content_type, **extra)


class TestRefusedBodies:
    def test_malformed_json(self, world, staff):
        body = _shape(_post_raw(staff, "visits", b'{"household": 1,'), 400)
        assert body["code"] == "parse_error"
        assert "无法解析" in body["detail"]  # Chinese by default, like every other message
        assert body["errors"]["non_field_errors"]
        assert not Visit.objects.exists()

    def test_json_that_is_not_an_object(self, world, staff):
        body = _shape(_post_raw(staff, "visits", b"[1, 2, 3]"), 400)
        assert body["errors"]["non_field_errors"]

    def test_wrong_types_name_their_fields(self, world, staff):
        payload = {"household": "甲", "visited_on": 5, "learned": ["x"], "latitude": "north"}
        body = _shape(staff.post(url("visits"), payload, format="json"), 400)
        assert body["code"] == "invalid"
        assert {"household", "visited_on", "learned", "latitude"} <= set(body["errors"])
        assert not Visit.objects.exists()

    def test_unknown_field_is_refused(self, world, staff):
        body = _shape(
            staff.post(url("visits"), _visit(world, credit_status="credited"), format="json"),
            400,
        )
        assert body["errors"] == {"credit_status": ["未知字段，此接口不接受该字段。"]}
        assert not Visit.objects.exists()

    @pytest.mark.parametrize(
        "visited_on, message",
        [
            ("1999-12-31", "走访日期不合理。"),
            (
                (datetime.date.today() + datetime.timedelta(days=400)).isoformat(),
                "走访日期不能晚于今天。",
            ),
        ],
    )
    def test_out_of_range_dates(self, world, staff, visited_on, message):
        body = _shape(
            staff.post(url("visits"), _visit(world, visited_on=visited_on), format="json"), 400
        )
        assert body["errors"]["visited_on"] == [message]
        assert not Visit.objects.exists()

    @pytest.mark.parametrize("visited_on", ["99999-01-01", "2026-02-30", "", "昨天"])
    def test_impossible_dates(self, world, staff, visited_on):
        body = _shape(
            staff.post(url("visits"), _visit(world, visited_on=visited_on), format="json"), 400
        )
        assert "visited_on" in body["errors"]

    def test_huge_numbers_and_nul_characters(self, world, staff):
        payload = _visit(world, household=10**30, learned="a\x00b", latitude=1e308)
        body = _shape(staff.post(url("visits"), payload, format="json"), 400)
        assert {"household", "learned", "latitude"} <= set(body["errors"])

    def test_huge_body_is_413_before_it_is_read(self, world, staff, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
        payload = json.dumps(_visit(world, learned="很" * 2000)).encode()
        body = _shape(_post_raw(staff, "visits", payload), 413)
        assert body["code"] == "too_large"
        assert not Visit.objects.exists()

    def test_huge_multipart_field_is_413(self, world, staff, settings):
        """Within the multipart allowance (photos) but one text field beyond Django's limit:
        Django raises RequestDataTooBig while parsing; it is answered 413 JSON too."""
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
        body = _shape(staff.post(url("visits"), _visit(world, learned="很" * 2000)), 413)
        assert body["code"] == "too_large"
        assert not Visit.objects.exists()

    def test_too_many_fields(self, world, staff, settings):
        settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
        payload = {f"f{i}": "x" for i in range(20)}
        body = _shape(staff.post(url("visits"), payload), 400)
        assert body["errors"]["non_field_errors"]

    def test_unsupported_media_type(self, world, staff):
        body = _shape(_post_raw(staff, "visits", b"learned=x", content_type="text/plain"), 415)
        assert body["code"] == "unsupported_media_type"

    def test_method_not_allowed(self, world, staff):
        body = _shape(staff.put(url("regions", world.township_a.pk), {}, format="json"), 405)
        assert body["code"] == "method_not_allowed"


class TestQueryStrings:
    @pytest.mark.parametrize(
        "params",
        [
            {"date_from": "not-a-date"},
            {"region": "abc"},
            {"household": "x"},
            {"village": "999999999999999999999999"},
            {"credit_status": "maybe"},
        ],
    )
    def test_bad_filters_are_400(self, world, staff, params):
        body = _shape(staff.get(url("visits"), params), 400)
        assert set(params) & set(body["errors"])

    def test_bad_page_is_404(self, world, staff):
        body = _shape(staff.get(url("visits"), {"page": 99}), 404)
        assert body["code"] == "not_found"

    def test_not_visited_days_out_of_range(self, world, staff):
        body = _shape(staff.get(url("households"), {"not_visited_days": 100000}), 400)
        assert "not_visited_days" in body["errors"]

    def test_unknown_region_code_lists_nothing(self, world, staff):
        assert staff.get(url("households"), {"region": "99999999"}).json()["count"] == 0


class TestUnknownAddresses:
    @pytest.mark.parametrize(
        "address",
        [
            "/api/v1/nothing/",
            "/api/v1/visits/abc/",
            "/api/v1/visits/1/nothing/",
            "/api/v1/visits/%0A/",
            "/api/v1/regions/%C2%81%0A%40/",
        ],
    )
    def test_json_404(self, world, staff, address):
        body = _shape(staff.get(address), 404)
        assert body["code"] == "not_found"

    def test_post_to_an_unknown_address_is_a_json_404(self, world, client):
        client.force_login(world.staff_a)
        client.handler.enforce_csrf_checks = True
        response = client.post("/api/v1/nothing/", {"a": 1})
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_huge_id_is_404(self, world, staff):
        _shape(staff.get(url("visits", "9" * 18)), 404)
        _shape(staff.get("/api/v1/visits/" + "9" * 40 + "/"), 404)


class TestLanguage:
    def test_chinese_by_default(self, world, staff):
        body = _shape(staff.post(url("visits"), {}, format="json"), 400)
        assert body["errors"]["learned"] == ["该字段是必填项。"]
        assert body["detail"] == "提交的数据有误，请按字段提示修改。"

    def test_english_on_request(self, world):
        client = token_client(world.staff_a, HTTP_ACCEPT_LANGUAGE="en")
        body = _shape(client.post(url("visits"), {}, format="json"), 400)
        assert body["errors"]["learned"] == ["This field is required."]
        assert body["detail"] == "The submitted data is invalid; see the messages per field."
        body = _shape(client.get(url("visits", 999)), 404)
        assert body["detail"] == "Not found."
        anonymous = token_client(HTTP_ACCEPT_LANGUAGE="en")
        body = _shape(anonymous.get(url("visits")), 401)
        assert body["detail"] == "Authentication credentials were not provided."

    def test_rule_messages_follow_the_language_too(self, world):
        """The services' rule messages are translated by the project's English catalogue."""
        client = token_client(world.staff_a, HTTP_ACCEPT_LANGUAGE="en")
        body = _shape(
            client.post(url("visits"), _visit(world, visited_on="1999-01-01"), format="json"), 400
        )
        message = body["errors"]["visited_on"][0]
        assert message and not re.search(r"[\u4e00-\u9fff]", message)
