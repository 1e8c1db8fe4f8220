"""The schema tells the truth about the query strings: what it declares (integers from 1 for
ids, a page size of 1 to 200, booleans, region codes, bounded texts) is exactly what the lists
take; anything else is a 400 in the API's error shape, never silently ignored."""

import pytest

from tests.api.conftest import make_visits, side, token_client, url

pytestmark = pytest.mark.django_db


def _parameters(path: str) -> dict:
    schema = token_client().get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"][path]["get"]
    return {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}


def test_schema_declares_the_bounds_the_lists_apply():
    visits = _parameters("/api/v1/visits/")
    for name in ("household", "village", "helper"):
        assert visits[name] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    assert visits["page"] == {"type": "integer", "minimum": 1}
    assert visits["page_size"] == {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}
    assert visits["region"] == {"type": "string", "pattern": r"^\d{2,15}$"}
    households = _parameters("/api/v1/households/")
    assert households["not_visited_days"] == {"type": "integer", "minimum": 1, "maximum": 3660}
    assert households["key_difficulty"] == {"type": "boolean"}
    assert households["id_number"]["maxLength"] == 30
    incomes = _parameters("/api/v1/village-incomes/")
    assert incomes["year"] == {"type": "integer", "minimum": 2000, "maximum": 2100}


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("households", {"page_size": "null"}),
        ("cadres", {"unit": "0"}),
        ("visits", {"household": "1.5"}),
        ("visits", {"household": "1e3"}),
        ("visits", {"household": " 1"}),
        ("visits", {"page_size": "null"}),
        ("visits", {"page_size": "0"}),
        ("visits", {"page_size": "201"}),
        ("visits", {"page_size": "2.5"}),
        ("visits", {"page_size": ""}),
        ("visits", {"page": "abc"}),
        ("visits", {"page": "0"}),
        ("visits", {"page": ""}),
        ("visits", {"region": ""}),
        ("visits", {"region": " 93"}),
        ("visits", {"date_from": ""}),
        ("visits", {"kind": ""}),
        ("villages", {"is_poor_village": "maybe"}),
        ("villages", {"is_poor_village": ""}),
        ("households", {"key_difficulty": "null"}),
        ("households", {"not_visited_days": "7.5"}),
        ("notifications", {"unread": "yes"}),
    ],
)
def test_what_the_schema_forbids_is_400(world, path, params):
    response = token_client(world.staff_a).get(url(path), params)
    (name,) = params
    assert response.status_code == 400, (params, response.content)
    body = response.json()
    assert body["code"] == "invalid"
    assert name in body["errors"]


def test_what_the_schema_allows_is_accepted(world):
    make_visits(side(world, "a"), 3)
    client = token_client(world.staff_a)
    assert client.get(url("visits"), {"page_size": 200}).status_code == 200
    assert len(client.get(url("visits"), {"page_size": 1}).json()["results"]) == 1
    assert client.get(url("visits"), {"page": 99}).status_code == 404  # past the end
    assert client.get(url("villages"), {"is_poor_village": "false"}).status_code == 200
    assert client.get(url("households"), {"key_difficulty": "true"}).status_code == 200
    assert client.get(url("visits"), {"q": ""}).status_code == 200  # unknown: ignored


def test_an_id_outside_the_scope_lists_nothing_instead_of_a_400(world):
    """`village` and `helper` of the visit and household lists are ids, as the schema says: one
    the user cannot see (or that does not exist) narrows the list to nothing."""
    make_visits(side(world, "a"), 2)
    client = token_client(world.staff_a)
    for params in (
        {"village": world.village_b.pk},
        {"helper": world.helper_b.pk},
        {"village": 987654},
    ):
        response = client.get(url("visits"), params)
        assert response.status_code == 200, response.content
        assert response.json()["count"] == 0
    assert client.get(url("households"), {"village": world.village_b.pk}).json()["count"] == 0
    own = client.get(url("visits"), {"village": world.village_a.pk}).json()
    assert own["count"] >= 2
