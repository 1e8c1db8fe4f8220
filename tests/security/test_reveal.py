"""Full ID numbers: only for roles that may see them, only by an explicit POST, always logged."""

import pytest
from django.urls import reverse

from accounts.models import SecurityEvent

pytestmark = pytest.mark.django_db


def _reveal(client, household):
    return client.post(reverse("households:reveal_id", args=[household.pk]), REMOTE_ADDR="10.0.0.5")


def test_reviewer_sees_the_full_number_and_the_view_is_logged(world, client):
    client.force_login(world.reviewer)
    response = _reveal(client, world.household_a)
    assert response.status_code == 200
    body = response.content.decode()
    assert world.household_a.head_id_number in body
    assert world.household_a.phone in body
    assert "no-store" in response["Cache-Control"]
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.FULL_ID_VIEW)
    assert event.user == world.reviewer and event.ip_address == "10.0.0.5"
    assert event.detail["household_id"] == world.household_a.pk
    assert event.region_code == world.village_a.region.code


def test_township_staff_may_not_reveal_even_in_their_township(world, client):
    client.force_login(world.staff_a)
    response = _reveal(client, world.household_a)
    assert response.status_code == 403
    assert world.household_a.head_id_number not in response.content.decode()
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.FULL_ID_VIEW).exists()


def test_out_of_scope_household_is_404_even_for_a_reviewer_role(world, client):
    world.reviewer.region = world.township_b
    world.reviewer.save()
    client.force_login(world.reviewer)
    assert _reveal(client, world.household_a).status_code == 404
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.FULL_ID_VIEW).exists()


def test_anonymous_is_sent_to_log_in_and_get_is_refused(world, client):
    response = _reveal(client, world.household_a)
    assert response.status_code == 302 and reverse("accounts:login") in response.url
    client.force_login(world.reviewer)
    assert (
        client.get(reverse("households:reveal_id", args=[world.household_a.pk])).status_code == 405
    )
