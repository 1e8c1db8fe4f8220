"""The new lists answer in a fixed number of queries (the same for 2 rows as for 40), and the
household page stays within the bound tests/pages pins for it."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import IncomeRecord, Member
from tests.factories import (
    CadreFactory,
    HouseholdFactory,
    HouseholdPairingFactory,
    MeasureFactory,
    PlanFactory,
)

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def grow(world, n, start=0):
    for i in range(start, start + n):
        household = HouseholdFactory(village=world.village_a, head_name=f"户主{i}")
        helper = CadreFactory(name=f"帮扶人{i}", unit=world.unit)
        if i % 3:
            HouseholdPairingFactory(household=household, helper=helper)
            HouseholdPairingFactory(
                household=household,
                helper=world.helper_a,
                start_date=datetime.date(2024, 1, 1),
                end_date=datetime.date(2024, 12, 31),
            )
        Member.objects.create(household=household, name=f"成员{i}", relation="child")
        IncomeRecord.objects.create(household=household, year=2025, per_capita_net_income=5000)


PAGES = [
    ("households:pairing_list", ""),
    ("households:pairing_list", "?on=2026-06-01&q=hz"),
    ("households:coverage", ""),
    ("households:coverage", "?on=2024-06-01"),
]


@pytest.mark.parametrize("user", ["staff_a", "reviewer", "coordinator"])
@pytest.mark.parametrize(("name", "query"), PAGES)
def test_lists_do_not_grow(world, client, user, name, query):
    client.force_login(getattr(world, user))
    url = reverse(name) + query
    grow(world, 3)
    client.get(url)
    few = queries(client, url)
    grow(world, 40, start=3)
    assert queries(client, url) == few
    assert few <= 16, few


def test_the_reassign_list_does_not_grow(world, client):
    client.force_login(world.staff_a)
    url = reverse("households:pairing_reassign") + f"?helper={world.helper_a.pk}"

    def more(n, start):
        for i in range(start, start + n):
            HouseholdPairingFactory(
                household=HouseholdFactory(village=world.village_a, head_name=f"户{i}"),
                helper=world.helper_a,
            )

    more(2, 0)
    client.get(url)
    few = queries(client, url)
    more(30, 2)
    assert queries(client, url) == few


def test_the_household_page_stays_within_its_bound(world, client):
    """tests/pages/test_query_counts.py pins the household page at 21 queries; the sections
    added here (incomes, every pairing, the buttons) add none for township staff."""
    client.force_login(world.staff_a)
    MeasureFactory(plan=PlanFactory(household=world.household_a))
    IncomeRecord.objects.create(household=world.household_a, year=2025, per_capita_net_income=1)
    url = reverse("households:detail", args=[world.household_a.pk])
    client.get(url)
    assert queries(client, url) <= 21
