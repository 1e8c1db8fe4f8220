"""The household list's rows are prepared once per page (households.selectors.household_rows):
the same values as before — names, labels in Chinese, helpers in force, visits, links — in a
fixed number of queries for any page length."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import AssistanceTrack, PovertyCause
from households.selectors import household_rows
from tests.factories import HouseholdFactory, HouseholdPairingFactory, VisitFactory

pytestmark = pytest.mark.django_db
LIST = "households:list"


def test_rows_show_labels_helpers_visits_and_links(world, client):
    today = timezone.localdate()
    VisitFactory(
        household=world.household_a,
        helper=world.helper_a,
        visited_on=today - datetime.timedelta(days=3),
    )
    lonely = HouseholdFactory(
        village=world.village_a,
        head_name="王五",
        cause=PovertyCause.ILLNESS,
        track=AssistanceTrack.INDUSTRY,
        key_difficulty=True,
    )
    client.force_login(world.staff_a)
    body = client.get(reverse(LIST)).content.decode()
    assert f'href="{reverse("households:detail", args=[world.household_a.pk])}"' in body
    assert f'href="{reverse("households:visit_create")}?household={lonely.pk}"' in body
    assert str(PovertyCause.ILLNESS.label) in body and str(AssistanceTrack.INDUSTRY.label) in body
    assert "帮扶人甲" in body and "未结对" in body and "重点" in body
    assert (today - datetime.timedelta(days=3)).strftime("%m-%d") in body
    assert "李四" not in body  # township B's household


def test_helpers_are_joined_in_order_and_masked_id_kept(world):
    from home.selectors import households_decorate

    second = HouseholdPairingFactory(household=world.household_a).helper
    households = households_decorate([world.household_a])
    households[0].masked_id = "1101**********1234"
    (row,) = household_rows(households)
    assert row.helpers == "、".join([world.helper_a.name, second.name])
    assert row.masked_id == "1101**********1234" and row.last_visit == "—"


@pytest.mark.parametrize("extra", [0, 59])
def test_list_queries_do_not_grow_with_rows(world, client, extra, django_assert_max_num_queries):
    for i in range(extra):
        household = HouseholdFactory(village=world.village_a, head_name=f"户主{i}")
        HouseholdPairingFactory(household=household, helper=world.helper_a)
        VisitFactory(household=household, helper=world.helper_a)
    client.force_login(world.staff_a)
    client.get(reverse(LIST))
    with django_assert_max_num_queries(12):
        response = client.get(reverse(LIST))
    assert response.status_code == 200
    visit_links = f'class="button small" href="{reverse("households:visit_create")}?household='
    assert response.content.decode().count(visit_links) == min(extra + 1, 50)


def test_list_trio(world, client):
    client.force_login(world.reviewer)  # reads, does not enter visits: no visit buttons
    body = client.get(reverse(LIST)).content.decode()
    assert "张三" in body and "李四" in body
    assert f'href="{reverse("households:visit_create")}?household=' not in body
    client.logout()
    assert client.get(reverse(LIST)).status_code == 302
