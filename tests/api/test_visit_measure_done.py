"""A visit sent through the API can mark the plan's measure it names as done, as the visit form
does (the same service): the measure is done on the visit's date."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from households.models import MeasureStatus
from tests.factories import MeasureFactory, PlanFactory

pytestmark = pytest.mark.django_db


def _post(world, measure, **extra):
    client = APIClient()
    client.force_authenticate(world.staff_a)
    body = {
        "household": world.household_a.pk,
        "helper": world.helper_a.pk,
        "visited_on": timezone.localdate().isoformat(),
        "learned": "了解生产生活情况，落实产业帮扶措施。",
        "measure": measure.pk,
        **extra,
    }
    return client.post("/api/v1/visits/", body, format="json")


def test_visit_marks_the_named_measure_done(world):
    measure = MeasureFactory(plan=PlanFactory(household=world.household_a))
    response = _post(world, measure, measure_done=True)
    assert response.status_code == 201, response.json()
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.DONE
    assert measure.done_on == timezone.localdate()


def test_visit_naming_a_measure_without_done_leaves_it(world):
    measure = MeasureFactory(
        plan=PlanFactory(household=world.household_a),
        deadline=timezone.localdate() + datetime.timedelta(days=30),
    )
    assert _post(world, measure).status_code == 201
    measure.refresh_from_db()
    assert measure.status != MeasureStatus.DONE
