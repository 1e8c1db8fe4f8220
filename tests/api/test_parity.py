"""A visit written through the API and one written through the browser form are the same
record with the same effect on the indicators: both go through households.services.visit_record.

Two equivalent households (same village, same helper, same pairing start) get the same visits,
one household through the form, the other through the API; the rows must agree field by field
(apart from the household and the row's own identity), including their credit status, reason
and pairing attribution, and the yearly visit indicator (HH-VISIT-YEAR) must give both the same
value."""

import datetime
import uuid
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from assessments import engine
from assessments.models import Indicator
from assessments.periods import parse_period
from households.models import CreditStatus, Visit
from tests.api.conftest import token_client, url
from tests.factories import HouseholdFactory, HouseholdPairingFactory

pytestmark = pytest.mark.django_db

COMPARED = [
    "village_id",
    "township_id",
    "path",
    "helper_id",
    "org_pairing_id",
    "kind",
    "visited_on",
    "learned",
    "problems",
    "measure_id",
    "latitude",
    "longitude",
    "credit_status",
    "credit_reason",
    "created_by_id",
]


def _day(n):
    return timezone.localdate() - datetime.timedelta(days=n)


@pytest.fixture
def midyear():
    """Mid-June, so every visit below falls in the evaluated year."""
    moment = datetime.datetime(2026, 6, 17, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=True):
        yield


@pytest.fixture
def twins(world, midyear):
    start = datetime.date(2026, 1, 1)
    households = []
    for name in ("孪生甲", "孪生乙"):
        household = HouseholdFactory(village=world.village_a, head_name=name)
        HouseholdPairingFactory(household=household, helper=world.helper_a, start_date=start)
        households.append(household)
    return households


def _by_form(client, world, household, **values):
    data = {
        "household": household.pk,
        "submission_token": str(uuid.uuid4()),
        "helper": world.helper_a.pk,
        "kind": "home",
        "learned": "了解生产生活情况，宣讲惠民政策",
        "problems": "",
        "latitude": "",
        "longitude": "",
        **values,
    }
    response = client.post(reverse("households:visit_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Visit.objects.filter(household=household).latest("id")


def _by_api(client, world, household, **values):
    body = {
        "household": household.pk,
        "submission_token": str(uuid.uuid4()),
        "helper": world.helper_a.pk,
        "kind": "home",
        "learned": "了解生产生活情况，宣讲惠民政策",
        "problems": "",
        **{k: v for k, v in values.items() if v != ""},
    }
    response = client.post(url("visits"), body, format="json")
    assert response.status_code == 201, response.content
    return Visit.objects.get(pk=response.json()["id"])


def _same(form_visit, api_visit):
    for name in COMPARED:
        assert getattr(form_visit, name) == getattr(api_visit, name), name
    assert form_visit.household_pairing.helper_id == api_visit.household_pairing.helper_id
    assert form_visit.household_pairing.start_date == api_visit.household_pairing.start_date
    assert form_visit.photos.count() == api_visit.photos.count()


def test_form_and_api_write_identical_visits(world, twins, client):
    client.force_login(world.staff_a)
    api = token_client(world.staff_a)
    form_household, api_household = twins
    cases = [
        # A plain credited home visit.
        {"visited_on": _day(3).isoformat()},
        # The same helper, household and day again: saved, not counted.
        {"visited_on": _day(3).isoformat(), "problems": "缺劳力"},
        # A phone call with coordinates far from the village: held for review.
        {
            "visited_on": _day(2).isoformat(),
            "kind": "phone",
            "latitude": "39.9",
            "longitude": "116.4",
        },
        # Another credited visit.
        {"visited_on": _day(1).isoformat(), "kind": "home"},
    ]
    statuses = []
    for values in cases:
        form_visit = _by_form(client, world, form_household, **values)
        api_visit = _by_api(api, world, api_household, **values)
        _same(form_visit, api_visit)
        statuses.append(form_visit.credit_status)
    assert (
        statuses
        == [
            CreditStatus.CREDITED,
            CreditStatus.NOT_COUNTED,
            CreditStatus.REVIEW,
            CreditStatus.CREDITED,
        ]
        or timezone.localdate().timetuple().tm_yday <= 3
    )  # early January: some days fall in last year

    indicator = Indicator.objects.get(code="HH-VISIT-YEAR")
    period = parse_period(str(timezone.localdate().year))
    results, problems = engine.evaluate(
        period=period,
        today=timezone.localdate(),
        region_path=world.village_a.path,
        indicators=[indicator],
    )
    assert not problems
    value = {r.row.household_id: (r.row.value, r.met, r.shortfall) for r in results}
    assert value[form_household.pk] == value[api_household.pk]
    assert value[form_household.pk][0] == sum(s == CreditStatus.CREDITED for s in statuses)


def test_form_and_api_refuse_the_same_bad_visit(world, twins, client):
    """A future date: the form shows the service's message, the API returns it as a 400."""
    client.force_login(world.staff_a)
    future = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    page = client.post(
        reverse("households:visit_create"),
        {
            "household": twins[0].pk,
            "submission_token": str(uuid.uuid4()),
            "helper": world.helper_a.pk,
            "visited_on": future,
            "kind": "home",
            "learned": "x",
        },
    )
    assert page.status_code == 200
    api = token_client(world.staff_a).post(
        url("visits"),
        {"household": twins[1].pk, "visited_on": future, "learned": "x"},
        format="json",
    )
    assert api.status_code == 400
    message = api.json()["errors"]["visited_on"][0]
    assert message in page.content.decode()
    assert not Visit.objects.exists()
