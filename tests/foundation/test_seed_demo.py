import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from accounts.models import Role, User
from households.models import Household, HouseholdPairing, Visit
from villages.models import Village

pytestmark = pytest.mark.django_db


def test_seed_demo_small_builds_a_consistent_world(capsys):
    call_command("seed_demo", scale="small", seed=7, today=datetime.date(2026, 11, 20))
    out = capsys.readouterr().out
    assert "township1" in out and "Demo-2026-pw" in out
    assert Village.objects.count() >= 9
    households = Household.objects.count()
    assert households > 100
    # Denormalised columns agree with the villages they came from.
    assert not Household.objects.exclude(path=models_F("village__path")).exists()
    assert not Visit.objects.exclude(path=models_F("village__path")).exists()
    # Nearly every household is paired; a few are not, on purpose (HH-PAIRED has work to do).
    paired = HouseholdPairing.objects.values("household").distinct().count()
    assert 0.9 * households < paired < households
    assert Visit.objects.filter(visited_on__gt=datetime.date(2026, 11, 20)).count() == 0
    # Every role has a demo login with a scope.
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == {r.value for r in Role}
    assert User.objects.get(username="township1").region.level == "township"


def test_seed_demo_is_deterministic():
    def snapshot():
        return (
            list(
                Household.objects.order_by("head_id_number").values_list(
                    "head_id_number", "head_name"
                )
            ),
            list(
                Visit.objects.order_by("visited_on", "helper__name").values_list(
                    "visited_on", "helper__name"
                )[:500]
            ),
            Visit.objects.count(),
        )

    # The first build is rolled back (a savepoint), so the second starts from the same empty tables.
    with transaction.atomic():
        call_command("seed_demo", scale="small", seed=3, today=datetime.date(2026, 6, 1))
        first = snapshot()
        transaction.set_rollback(True)
    assert not Household.objects.exists()
    call_command("seed_demo", scale="small", seed=3, today=datetime.date(2026, 6, 1))
    assert snapshot() == first


def test_seed_demo_refuses_to_mix_with_existing_data():
    call_command("seed_demo", scale="small", seed=1, today=datetime.date(2026, 6, 1))
    with pytest.raises(CommandError):
        call_command("seed_demo", scale="small")
    call_command("seed_demo", scale="small", if_empty=True)  # a no-op, not an error


def models_F(name):
    from django.db.models import F

    return F(name)


def test_seed_demo_id_numbers_pass_the_check_digit():
    from core.idcard import validate_id_number

    call_command("seed_demo", scale="small", seed=9, today=datetime.date(2026, 6, 1))
    for number in Household.objects.values_list("head_id_number", flat=True)[:200]:
        assert validate_id_number(number) == number


def test_demo_cadre_has_households_visits_and_a_work_team():
    """The README's walk-through as the demo cadre needs households of their own to visit and a
    team to belong to (issue: the demo cadre had no paired household)."""
    call_command("seed_demo", scale="small", seed=7, today=datetime.date(2026, 11, 20))
    cadre = User.objects.get(username="cadre").cadre
    today = datetime.date(2026, 11, 20)
    in_force = HouseholdPairing.objects.filter(helper=cadre).in_force(today)
    assert in_force.count() >= 3
    assert Visit.objects.filter(helper=cadre).counted().exists()
    assert cadre.team_memberships.filter(team__end_date__gte=today).exists()
