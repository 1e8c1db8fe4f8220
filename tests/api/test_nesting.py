"""A JSON body nested absurdly deep is a 400 in the API's error shape, never a RecursionError
(a 500): refused by api/parsers.py before it is parsed, on every JSON endpoint."""

import json

import pytest

from api.parsers import MAX_JSON_DEPTH, json_depth
from households.models import Visit
from tests.api.conftest import token_client, url

pytestmark = pytest.mark.django_db


def _post(client, path, payload: str, method="POST"):
    return client.generic(method, url(path), payload.encode(), content_type="application/json")


def _refused(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"status", "code", "detail", "errors"}
    assert body["status"] == 400
    assert body["code"] == "parse_error"
    assert body["errors"]["non_field_errors"]
    return body


@pytest.mark.parametrize(
    "payload", ["[" * 100000 + "]" * 100000, '{"a":' * 50000 + "1" + "}" * 50000]
)
def test_deeply_nested_body_is_400(world, payload):
    body = _refused(_post(token_client(world.staff_a), "visits", payload))
    assert str(MAX_JSON_DEPTH) in body["detail"]
    assert not Visit.objects.exists()


def test_nested_just_past_the_limit_is_400_on_other_endpoints(world):
    payload = '{"theme": ' + "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1) + "}"
    client = token_client(world.staff_a)
    _refused(_post(client, "party-days", payload))
    _refused(_post(client, "village-incomes", payload))


def test_unbalanced_deep_body_is_400(world):
    _refused(_post(token_client(world.staff_a), "visits", "[" * 100000))


def test_brackets_in_strings_do_not_count(world):
    """A long text of brackets is data, not nesting: the body is read and judged by its fields."""
    payload = json.dumps({"household": world.household_a.pk, "learned": "[" * 5000})
    response = _post(token_client(world.staff_a), "visits", payload)
    assert response.status_code == 400  # too long a text: a field error, not a parse error
    assert response.json()["code"] == "invalid"
    assert "learned" in response.json()["errors"]


def test_json_depth():
    assert json_depth("1") == 0
    assert json_depth('{"a": [1, {"b": "]]]"}]}') == 3
    assert json_depth('["\\"[[["]') == 1
