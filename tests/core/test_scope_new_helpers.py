"""Township staff can pair (or hand households over to) a helper of a unit paired with one of
their villages even before that helper has any household: the helper is in their scope. Staff
of another township, where the unit is not paired, still do not see them."""

import datetime

import pytest

from cadres.models import Cadre, CadreKind
from households.models import HouseholdPairing
from households.services import household_pairing_record
from tests.factories import CadreFactory

pytestmark = pytest.mark.django_db


def test_unpaired_helper_of_a_paired_unit_is_in_the_township_scope(world):
    newcomer = CadreFactory(name="新帮扶人", unit=world.unit, kind=CadreKind.HELPER)
    assert Cadre.objects.visible_to(world.staff_a).filter(pk=newcomer.pk).exists()
    assert not Cadre.objects.visible_to(world.staff_b).filter(pk=newcomer.pk).exists()

    pairing = household_pairing_record(
        user=world.staff_a,
        household=world.household_a,
        helper=newcomer,
        start_date=datetime.date(2026, 3, 1),
    )
    assert HouseholdPairing.objects.filter(pk=pairing.pk, helper=newcomer).exists()


def test_a_unit_cadre_who_is_not_a_helper_stays_out_of_scope(world):
    leader = CadreFactory(name="单位领导", unit=world.unit, kind=CadreKind.COUNTY_LEADER)
    assert not Cadre.objects.visible_to(world.staff_a).filter(pk=leader.pk).exists()
