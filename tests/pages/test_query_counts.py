"""Each list page issues the same number of queries with 1 row as with 60 (pinned), so an
N+1 cannot creep back. The bounds include the session, the user, the navigation and the bell."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from households.models import CreditStatus, Visit, VisitPhoto
from tests.factories import (
    HouseholdFactory,
    HouseholdPairingFactory,
    MeasureFactory,
    TrainingFactory,
    VillageFactory,
)
from tests.pages.helpers import ENTRY_URLS, jpeg_upload, records_in, yesterday

pytestmark = pytest.mark.django_db


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def pin(client, url, grow, bound, django_assert_max_num_queries):
    """Same query count for 1 row and for 60 rows, and at most `bound`."""
    client.get(url)  # warm caches that are filled once per process (content types, ...)
    with django_assert_max_num_queries(bound):
        one = queries_for(client, url)
    grow(59)
    with django_assert_max_num_queries(bound):
        sixty = queries_for(client, url)
    assert one == sixty, (url, one, sixty)
    return one


def add_households(world, n, *, village=None, visits=2, photos=False):
    village = village or world.village_a
    for i in range(n):
        household = HouseholdFactory(village=village, head_name=f"户主{i}")
        HouseholdPairingFactory(household=household, helper=world.helper_a)
        for d in range(visits):
            visit = Visit.objects.create(
                household=household,
                village=village,
                helper=world.helper_a,
                visited_on=yesterday() - datetime.timedelta(days=d),
                learned="了解情况",
                created_by=world.staff_a,
            )
            if photos:
                VisitPhoto.objects.create(visit=visit, image=jpeg_upload())


def test_household_list(world, client, django_assert_max_num_queries):
    client.force_login(world.staff_a)
    Visit.objects.create(
        household=world.household_a,
        village=world.village_a,
        helper=world.helper_a,
        visited_on=yesterday(),
        learned="x",
    )
    url = reverse("households:list") + "?key_difficulty=&track="
    pin(client, url, lambda n: add_households(world, n), 12, django_assert_max_num_queries)


def test_household_list_with_search_and_overdue_filters(
    world, client, django_assert_max_num_queries
):
    client.force_login(world.staff_a)
    add_households(world, 1, visits=0)
    url = reverse("households:list") + "?q=hz&overdue=week&not_visited_days=3"
    # 13: the overdue filter reads the thresholds of the households' regions (one query).
    pin(
        client, url, lambda n: add_households(world, n, visits=0), 13, django_assert_max_num_queries
    )


def test_village_list(world, client, django_assert_max_num_queries):
    client.force_login(world.reviewer)

    def grow(n):
        for i in range(n):
            village = VillageFactory(township=world.township_a, name=f"新村{i}")
            add_households(world, 1, village=village, visits=1)

    pin(client, reverse("villages:list"), grow, 14, django_assert_max_num_queries)


@pytest.mark.parametrize("kind", list(ENTRY_URLS))
def test_activity_lists(world, client, kind, django_assert_max_num_queries):
    records = records_in(world)
    client.force_login(world.staff_a)
    model = type(records[kind])
    template = records[kind]

    def grow(n):
        for i in range(n):
            copy = model.objects.get(pk=template.pk)
            copy.pk = None
            if kind == "field_day":
                copy.day = template.day - datetime.timedelta(days=i + 1)
            elif kind == "party_day":
                copy.held_on = template.held_on - datetime.timedelta(days=i + 1)
            elif kind == "income":
                copy.year = template.year - i - 1
            copy.save()

    url = reverse("pairing:activities") + f"?kind={kind}"
    pin(client, url, grow, 10, django_assert_max_num_queries)


def test_review_queue(world, client, django_assert_max_num_queries):
    client.force_login(world.reviewer)

    def held(n):
        for i in range(n):
            visit = Visit.objects.create(
                household=world.household_a,
                village=world.village_a,
                helper=world.helper_a,
                visited_on=yesterday() - datetime.timedelta(days=i),
                learned="待审",
                credit_status=CreditStatus.REVIEW,
                credit_reason="定位距村过远",
                created_by=world.staff_a,
            )
            VisitPhoto.objects.create(visit=visit, image=jpeg_upload())

    held(1)
    pin(client, reverse("households:review_list"), held, 10, django_assert_max_num_queries)


def test_household_page(world, client, django_assert_max_num_queries):
    client.force_login(world.staff_a)
    MeasureFactory(plan__household=world.household_a)
    made = []

    def visits(n):
        for _ in range(n):
            made.append(1)
            i = len(made)
            visit = Visit.objects.create(
                household=world.household_a,
                village=world.village_a,
                helper=world.helper_a,
                visited_on=yesterday() - datetime.timedelta(days=i),
                learned="走访",
                measure=world.household_a.plan.measures.first(),
                created_by=world.staff_a,
            )
            VisitPhoto.objects.create(visit=visit, image=jpeg_upload())

    visits(1)
    url = reverse("households:detail", args=[world.household_a.pk])
    # 21: the indicator lines read the thresholds of the household's region (one query).
    pin(client, url, visits, 21, django_assert_max_num_queries)


def test_village_page(world, client, django_assert_max_num_queries):
    client.force_login(world.staff_a)
    TrainingFactory(village=world.village_a)
    url = reverse("villages:detail", args=[world.village_a.pk])
    pin(client, url, lambda n: add_households(world, n), 26, django_assert_max_num_queries)


def test_home_overdue_lists(world, client, django_assert_max_num_queries):
    client.force_login(world.staff_a)
    # 13: both lists compare with the thresholds of the households' regions (one query).
    pin(
        client,
        reverse("home"),
        lambda n: add_households(world, n, visits=0),
        13,
        django_assert_max_num_queries,
    )


def test_income_rows_render_without_extra_queries(world, client, django_assert_max_num_queries):
    from villages.models import VillageIncome

    client.force_login(world.reviewer)

    def grow(n):
        for i in range(n):
            village = VillageFactory(township=world.township_a, name=f"收入村{i}")
            VillageIncome.objects.create(
                village=village, year=timezone.localdate().year, amount=Decimal(str(10000 + i))
            )

    pin(client, reverse("villages:list"), grow, 14, django_assert_max_num_queries)
