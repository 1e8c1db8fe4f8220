"""The permission trio on every endpoint: the user in scope sees the row (and only the rows of
their scope), another township's staff gets 404 and does not find it in the list, an anonymous
caller gets 401. Reviewer-only lists (spot checks) are empty for township staff."""

import pytest

from tests.api.conftest import ENDPOINTS, ids, side, token_client, url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_in_scope_user_sees_own_rows_only(world, endpoint):
    mine = endpoint.make(side(world, "a"), 2)
    theirs = endpoint.make(side(world, "b"), 1) if endpoint.outsider else []
    client = token_client(getattr(world, endpoint.viewer))

    listed = client.get(url(endpoint.path), {"page_size": 200})
    assert listed.status_code == 200, listed.content
    seen = ids(listed)
    assert {row.pk for row in mine} <= seen
    assert not {row.pk for row in theirs} & seen

    detail = client.get(url(endpoint.path, mine[0].pk))
    assert detail.status_code == 200
    assert detail.json()["id"] == mine[0].pk


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.outsider], ids=str)
def test_other_townships_staff_gets_404(world, endpoint):
    row = endpoint.make(side(world, "a"), 1)[0]
    client = token_client(getattr(world, endpoint.outsider))

    response = client.get(url(endpoint.path, row.pk))
    assert response.status_code == 404
    body = response.json()
    assert body["status"] == 404 and body["code"] == "not_found" and body["errors"] == {}
    assert row.pk not in ids(client.get(url(endpoint.path), {"page_size": 200}))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_anonymous_gets_401(world, endpoint):
    row = endpoint.make(side(world, "a"), 1)[0]
    client = token_client()
    for address in (url(endpoint.path), url(endpoint.path, row.pk)):
        response = client.get(address)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_wrong_token_gets_401(world, endpoint):
    client = token_client()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = client.get(url(endpoint.path))
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.parametrize("path", ["spot-check-draws", "spot-check-items"])
def test_spot_checks_are_hidden_from_the_checked(world, path):
    """Unannounced inspections: township staff, cadres and coordinators see no draw at all."""
    endpoint = next(e for e in ENDPOINTS if e.path == path)
    row = endpoint.make(side(world, "a"), 1)[0]
    for user in (world.staff_a, world.cadre_user, world.coordinator):
        client = token_client(user)
        assert client.get(url(path)).json()["count"] == 0
        assert client.get(url(path, row.pk)).status_code == 404


def test_session_authentication_works_too(world, client):
    client.force_login(world.staff_a)
    response = client.get(url("households"))
    assert response.status_code == 200
    assert world.household_a.pk in ids(response)


def test_notifications_are_the_recipients_own_even_for_an_administrator(world):
    endpoint = next(e for e in ENDPOINTS if e.path == "notifications")
    row = endpoint.make(side(world, "a"), 1)[0]
    assert token_client(world.admin).get(url("notifications", row.pk)).status_code == 404


def test_export_jobs_administrator_sees_all(world):
    endpoint = next(e for e in ENDPOINTS if e.path == "export-jobs")
    row = endpoint.make(side(world, "a"), 1)[0]
    assert token_client(world.admin).get(url("export-jobs", row.pk)).status_code == 200


def test_id_numbers_masked_for_everyone_phone_for_those_who_may_not_see_it(world):
    """Full ID numbers never leave in bulk (reviewers reveal one household at a time on the
    page, logged); the phone is shown in full only to roles that may see full numbers."""
    household = world.household_a
    masked_id = household.head_id_number[:6] + "********" + household.head_id_number[-4:]
    for user, phone in ((world.staff_a, "139****5678"), (world.reviewer, household.phone)):
        row = token_client(user).get(url("households", household.pk)).json()
        assert row["head_id_number_masked"] == masked_id
        assert household.head_id_number not in str(row)
        assert row["phone"] == phone
    found = token_client(world.staff_a).get(
        url("households"), {"id_number": household.head_id_number.lower()}
    )
    assert ids(found) == {household.pk}
