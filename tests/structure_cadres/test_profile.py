"""A stationed cadre's own page (cadres:my_profile): their term, team, households and field days,
and their phone and e-mail, which they may change; nobody else's record (404), and not their
kind, unit or terms (refused with the reason), on the page and through the API alike."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from accounts.models import Role
from cadres import services
from cadres.models import Term
from tests.factories import FieldDayFactory, HouseholdPairingFactory, TermFactory, UserFactory
from tests.structure_cadres.conftest import api, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def stationed_user(world, people):
    cadre = people.a.stationed
    TermFactory(
        cadre=cadre,
        village=world.village_a,
        role=Term.TermRole.STATIONED,
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2030, 1, 1),
    )
    HouseholdPairingFactory(household=world.household_a, helper=cadre)
    FieldDayFactory(cadre=cadre, region=world.village_a.region, day=datetime.date(2026, 3, 2))
    cadre.phone = "13566667777"
    cadre.save()
    return UserFactory(username="stationed", role=Role.CADRE, cadre=cadre)


def test_my_profile_shows_term_team_households_and_field_days(
    client, world, people, stationed_user
):
    client.force_login(stationed_user)
    response = client.get(reverse("cadres:my_profile"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "甲村工作队" in page
    assert reverse("villages:detail", args=[world.village_a.pk]) in page
    assert reverse("households:detail", args=[world.household_a.pk]) in page
    assert "2026-03-02" in page
    assert [p.household for p in response.context["pairings"]] == [world.household_a]
    # Their phone follows the rule for their role, as everywhere.
    assert "135****7777" in page and "13566667777" not in page


def test_a_cadre_changes_their_own_phone_and_email(client, world, people, stationed_user):
    client.force_login(stationed_user)
    response = client.post(
        reverse("cadres:my_profile"), {"phone": "13600009999", "email": "me@example.cn"}
    )
    assert response.status_code == 302
    cadre = people.a.stationed
    cadre.refresh_from_db()
    assert (cadre.phone, cadre.email) == ("13600009999", "me@example.cn")
    history = client.get(reverse("cadres:my_profile")).context["history"]
    assert any(label == "电子邮箱" for line in history for label, _, _ in line.changes)


def test_a_cadre_leaving_the_masked_phone_empty_keeps_it(client, world, people, stationed_user):
    client.force_login(stationed_user)
    client.post(reverse("cadres:my_profile"), {"phone": "", "email": "new@example.cn"})
    cadre = people.a.stationed
    cadre.refresh_from_db()
    assert (cadre.phone, cadre.email) == ("13566667777", "new@example.cn")


def test_a_cadre_cannot_change_their_unit_kind_or_terms(world, people, stationed_user):
    cadre = people.a.stationed
    own_unit = cadre.unit_id
    assert own_unit != world.unit.pk
    for changes in ({"unit": world.unit}, {"kind": "first_secretary"}, {"name": "改名"}):
        with pytest.raises(ValidationError) as excinfo:
            services.cadre_update(user=stationed_user, cadre=cadre, **changes)
        (field,) = changes
        assert "身份、单位和任期由组织部门维护" in excinfo.value.message_dict[field][0]
    cadre.refresh_from_db()
    assert (cadre.unit_id, cadre.kind, cadre.name) == (own_unit, "stationed", "甲村队员")
    term = cadre.terms.get()
    with pytest.raises(PermissionDenied):
        services.term_update(user=stationed_user, term=term, end_date=datetime.date(2031, 1, 1))


def test_a_cadre_cannot_change_another_cadres_profile(world, people, stationed_user):
    other = people.a.secretary  # a teammate's village's first secretary: readable
    client = token_client(stationed_user)
    assert client.get(api("cadres", other.pk)).status_code == 200
    response = client.patch(api("cadres", other.pk), {"phone": "13000000000"}, format="json")
    assert response.status_code == 404
    with pytest.raises(Http404):
        services.cadre_profile_update(user=stationed_user, cadre=other, phone="13000000000")
    other.refresh_from_db()
    assert other.phone == "13911112222"


def test_the_api_takes_the_same_rule(world, people, stationed_user):
    client = token_client(stationed_user)
    own = people.a.stationed
    ok = client.patch(api("cadres", own.pk), {"email": "api@example.cn"}, format="json")
    assert ok.status_code == 200
    assert ok.json()["email"] == "api@example.cn"
    refused = client.patch(api("cadres", own.pk), {"kind": "helper"}, format="json")
    assert refused.status_code == 400
    assert "身份、单位和任期由组织部门维护" in refused.json()["errors"]["kind"][0]
    own.refresh_from_db()
    assert own.kind == "stationed"


def test_my_profile_is_a_stationed_cadres_only(client, world, people):
    for user in (world.staff_a, world.reviewer, world.coordinator):
        client.force_login(user)
        assert client.get(reverse("cadres:my_profile")).status_code == 404
    client.logout()
    response = client.get(reverse("cadres:my_profile"))
    assert response.status_code == 302


def test_other_roles_cannot_use_the_profile_rule(world, people):
    with pytest.raises(PermissionDenied):
        services.cadre_update(user=world.staff_a, cadre=people.a.secretary, phone="13000000000")
