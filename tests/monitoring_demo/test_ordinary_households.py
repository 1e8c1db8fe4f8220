"""一般农户: a household never registered poor is recordable (for 边缘易致贫户 / 突发严重困难户)
without a cause of poverty or a track; a registered household still needs both; an ordinary
household has no registration or exit year; the monitoring's category rule accepts it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from households.models import Household, PovertyStatus
from households.services import household_record, household_update
from monitoring import selectors
from monitoring.models import Category
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db


def form_data(world, number, **changes):
    data = {
        "village": world.village_a.pk,
        "head_name": "王五",
        "head_id_number": number,
        "size": "3",
        "cause": "",
        "track": "",
        "status": "ordinary",
        "food_clothing_ok": "on",
    }
    data.update(changes)
    return data


def test_staff_record_an_ordinary_household_without_cause_or_track(world, client):
    client.force_login(world.staff_a)
    number = make_id_number()
    page = client.get(reverse("households:create")).content.decode()
    assert "一般农户" in page
    response = client.post(reverse("households:create"), form_data(world, number))
    assert response.status_code == 302
    household = Household.objects.get(head_id_number=number)
    assert household.status == PovertyStatus.ORDINARY and not household.is_registered
    assert (household.cause, household.track) == ("", "")
    assert selectors.category_refusal(household, Category.MARGINAL) is None
    assert selectors.category_refusal(household, Category.SUDDEN) is None
    assert selectors.category_refusal(household, Category.UNSTABLE)  # never exited


def test_a_registered_household_still_needs_cause_and_track(world, client):
    client.force_login(world.staff_a)
    number = make_id_number()
    response = client.post(reverse("households:create"), form_data(world, number, status="poor"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "建档立卡户请选择主要致贫原因。" in page and "建档立卡户请选择帮扶类型。" in page
    assert not Household.objects.filter(head_id_number=number).exists()


def test_an_ordinary_household_has_no_registration_or_exit_year(world):
    with pytest.raises(ValidationError) as error:
        household_record(
            user=world.staff_a,
            village=world.village_a,
            head_name="王五",
            head_id_number=make_id_number(),
            size=2,
            status=PovertyStatus.ORDINARY,
            registered_year=2015,
        )
    assert "registered_year" in error.value.message_dict
    # Turning a registered household into an ordinary one keeps the rule too.
    with pytest.raises(ValidationError):
        household_update(
            user=world.staff_a,
            household=world.household_a,
            status=PovertyStatus.ORDINARY,
            exit_year=2020,
        )
    world.household_a.refresh_from_db()
    assert world.household_a.status == PovertyStatus.POOR


def test_the_api_lists_the_ordinary_status(world, client):
    household = household_record(
        user=world.staff_a,
        village=world.village_a,
        head_name="王五",
        head_id_number=make_id_number(),
        size=2,
        status=PovertyStatus.ORDINARY,
    )
    client.force_login(world.reviewer)
    response = client.get(f"/api/v1/households/{household.pk}/")
    assert response.status_code == 200
    assert response.json()["status"] == "ordinary"
