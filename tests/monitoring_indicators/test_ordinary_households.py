"""An ordinary household (一般农户, never registered poor) monitored against relapse counts in the
monitoring indicators, never in the registered households' ones (HH-*)."""

import pytest

from assessments.models import IndicatorResult
from households.models import PovertyStatus
from tests.factories import HouseholdPairingFactory
from tests.monitoring_indicators.conftest import D, case, household, measure

pytestmark = pytest.mark.django_db


def test_ordinary_monitored_household_counts_for_monitoring_only(world, evaluate):
    ordinary = household(world.village_a, "王普通")
    ordinary.status = PovertyStatus.ORDINARY
    ordinary.cause = ""
    ordinary.track = ""
    ordinary.save()
    HouseholdPairingFactory(household=ordinary, helper=world.helper_a, start_date=D(2026, 1, 1))
    measure(case(ordinary, decided_on=D(2026, 2, 1)), D(2026, 2, 1))

    results = evaluate("2026-06")
    assert results[("MON-HELPER", ordinary.pk)].met is True
    assert ("MON-HELPER", world.household_a.pk) not in results  # registered, but not monitored

    evaluate("2026")  # the registered households' yearly indicators (HH-VISIT-YEAR …)
    registered_codes = set(
        IndicatorResult.objects.filter(
            subject_id=ordinary.pk, indicator__code__startswith="HH-"
        ).values_list("indicator__code", flat=True)
    )
    assert registered_codes == set()
    assert IndicatorResult.objects.filter(
        subject_id=world.household_a.pk, indicator__code__startswith="HH-"
    ).exists()
