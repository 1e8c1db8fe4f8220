"""A helping unit's coordinator phone follows the rule of the cadres' and households' phones:
in full for roles that may see full numbers (User.can_view_full_id: reviewers and
administrators), masked by core.idcard.mask_phone for everyone else, and a unit outside the
scope is a 404 (the permission trio)."""

import pytest

from core.idcard import mask_phone
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
MASKED = "138****5678"


@pytest.fixture
def unit(world):
    world.unit.coordinator_phone = PHONE
    world.unit.save(update_fields=["coordinator_phone"])
    return world.unit


def _detail(user, unit):
    return token_client(user).get(f"/api/v1/units/{unit.pk}/")


def _listed(user, unit):
    response = token_client(user).get("/api/v1/units/", {"page_size": 200})
    assert response.status_code == 200
    return next(row for row in response.json()["results"] if row["id"] == unit.pk)


def test_the_rule_is_the_cadres_one():
    assert mask_phone(PHONE) == MASKED


@pytest.mark.parametrize("who", ["reviewer", "admin"])
def test_a_role_that_may_see_full_numbers_sees_the_coordinator_phone(world, unit, who):
    user = getattr(world, who)
    assert user.can_view_full_id
    response = _detail(user, unit)
    assert response.status_code == 200
    assert response.json()["coordinator_phone"] == PHONE
    assert _listed(user, unit)["coordinator_phone"] == PHONE


@pytest.mark.parametrize("who", ["staff_a", "cadre_user", "coordinator"])
def test_a_role_that_may_not_sees_it_masked(world, unit, who):
    user = getattr(world, who)
    assert not user.can_view_full_id
    response = _detail(user, unit)
    assert response.status_code == 200
    body = response.json()
    assert body["coordinator_phone"] == MASKED
    assert PHONE not in response.content.decode()
    assert _listed(user, unit)["coordinator_phone"] == MASKED
    # The same mask as a cadre's phone for the same user.
    world.helper_a.phone = PHONE
    world.helper_a.save(update_fields=["phone"])
    cadre = token_client(user).get(f"/api/v1/cadres/{world.helper_a.pk}/")
    assert cadre.status_code == 200
    assert cadre.json()["phone"] == body["coordinator_phone"]


def test_an_empty_phone_stays_empty(world):
    assert _detail(world.staff_a, world.unit).json()["coordinator_phone"] == ""


def test_a_unit_outside_the_scope_is_404(world, unit):
    response = _detail(world.staff_b, unit)
    assert response.status_code == 404
    assert PHONE not in response.content.decode()
    listed = token_client(world.staff_b).get("/api/v1/units/", {"page_size": 200}).json()
    assert unit.pk not in {row["id"] for row in listed["results"]}
