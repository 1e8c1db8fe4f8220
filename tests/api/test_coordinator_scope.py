"""A unit coordinator reads the fixed Party days of the villages their unit is paired with, on
the API and on the pages (a Party day names no unit: the scope goes through its village)."""

import pytest
from django.urls import reverse

from pairing.models import PartyDay
from tests.api.conftest import make_party_days, side, token_client, url
from tests.factories import PairingFactory, VillageFactory


@pytest.fixture
def party_days(world):
    own = make_party_days(side(world, "a"), 2)  # village A: paired with the coordinator's unit
    outside = make_party_days(side(world, "b"), 1)[0]  # village B: no pairing of the unit
    other = VillageFactory(township=world.township_a)
    PairingFactory(village=other)  # another unit's pairing: not the coordinator's
    outside_too = PartyDay.objects.create(village=other, held_on=own[0].held_on, theme="他村党日")
    return own, [outside, outside_too]


def test_coordinator_lists_the_party_days_of_paired_villages(world, party_days):
    own, outside = party_days
    client = token_client(world.coordinator)
    response = client.get(url("party-days"))
    assert response.status_code == 200, response.content
    assert {row["id"] for row in response.json()["results"]} == {day.pk for day in own}
    assert response.json()["count"] == len(own)


def test_coordinator_reads_a_party_day_and_not_one_outside(world, party_days):
    own, outside = party_days
    client = token_client(world.coordinator)
    response = client.get(url("party-days", own[0].pk))
    assert response.status_code == 200, response.content
    assert response.json()["id"] == own[0].pk
    for day in outside:
        response = client.get(url("party-days", day.pk))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_coordinator_party_day_pages(world, party_days, client):
    own, outside = party_days
    client.force_login(world.coordinator)
    response = client.get(reverse("pairing:activities"), {"kind": "party_day"})
    assert response.status_code == 200
    rows = {row.pk for row in response.context["page_obj"].object_list}
    assert rows == {day.pk for day in own}
    for day in own:
        detail = client.get(reverse("pairing:party_day_detail", args=[day.pk]))
        assert detail.status_code == 200
    for day in outside:
        detail = client.get(reverse("pairing:party_day_detail", args=[day.pk]))
        assert detail.status_code == 404
