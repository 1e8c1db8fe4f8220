"""The visit form's helper picker (issue 17): the household's helpers in force, read once per
request, shown and validated from the same list; saving a visit in a pinned number of queries
with its history entry in one insert. Scope unchanged (the permission trio)."""

import datetime
import re
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from households.forms import VisitForm
from households.models import CreditStatus, PairingRule, Visit, VisitKind
from households.selectors import helpers_for_form, household_helpers_in_force
from tests.factories import CadreFactory, HouseholdPairingFactory, MeasureFactory, UserFactory

pytestmark = pytest.mark.django_db
CREATE = "households:visit_create"


def _post(world, **overrides):
    data = {
        "household": world.household_a.pk,
        "submission_token": str(uuid.uuid4()),
        "helper": world.helper_a.pk,
        "visited_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        "kind": VisitKind.HOME,
        "learned": "了解春耕准备情况",
        "problems": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def paired(world):
    """household A: helper_a and a second helper in force (names sort 乙 after 丙? by code
    point), one whose pairing ended, and a helper of another household."""
    second = CadreFactory(name="帮扶人丙", unit=world.unit)
    HouseholdPairingFactory(household=world.household_a, helper=second)
    ended = CadreFactory(name="帮扶人丁", unit=world.unit)
    HouseholdPairingFactory(
        household=world.household_a,
        helper=ended,
        start_date=datetime.date(2024, 1, 1),
        end_date=datetime.date(2024, 12, 31),
    )
    return second, ended


def test_picker_lists_the_households_helpers_in_force_by_name(world, paired):
    second, ended = paired
    helpers = household_helpers_in_force(user=world.staff_a, household=world.household_a)
    assert helpers == sorted([world.helper_a, second], key=lambda c: (c.name, c.pk))
    assert ended not in helpers and world.helper_b not in helpers
    # The queryset readers get the same helpers.
    assert set(helpers_for_form(user=world.staff_a, household=world.household_a)) == set(helpers)


def test_picker_is_the_rule_of_the_day(world, paired):
    _second, ended = paired
    on = datetime.date(2024, 6, 1)
    assert household_helpers_in_force(user=world.staff_a, household=world.household_a, on=on) == [
        ended
    ]


def test_picker_respects_scope(world):
    # Staff of township B see no pairing of household A, so no helper of it.
    assert household_helpers_in_force(user=world.staff_b, household=world.household_a) == []
    assert household_helpers_in_force(user=world.reviewer, household=world.household_a) == [
        world.helper_a
    ]


def test_form_reads_the_helpers_once_and_validates_against_them(world, paired):
    second, ended = paired
    with CaptureQueriesContext(connection) as built:
        form = VisitForm(user=world.staff_a, household=world.household_a)
    assert len(built) == 2  # the helpers in force and the open measures
    with CaptureQueriesContext(connection) as rendered:
        html = str(form["helper"])
    assert len(rendered) == 0
    assert f'value="{world.helper_a.pk}"' in html and f'value="{second.pk}"' in html
    assert f'value="{ended.pk}"' not in html

    bound = VisitForm(
        _post(world, helper=second.pk), user=world.staff_a, household=world.household_a
    )
    with CaptureQueriesContext(connection) as validated:
        assert bound.is_valid(), bound.errors
    assert len(validated) == 0
    assert bound.cleaned_data["helper"] == second

    refused = VisitForm(
        _post(world, helper=ended.pk), user=world.staff_a, household=world.household_a
    )
    assert not refused.is_valid()
    assert refused.errors["helper"] == ["所选走访人不是该户的帮扶责任人。"]


def test_single_helper_is_preselected_and_measure_choices_come_from_the_same_read(world):
    measure = MeasureFactory(plan__household=world.household_a)
    form = VisitForm(user=world.staff_a, household=world.household_a)
    assert form.initial["helper"] == world.helper_a.pk
    assert list(form.fields["measure"].listed) == [measure]
    bound = VisitForm(
        _post(world, measure=measure.pk), user=world.staff_a, household=world.household_a
    )
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["measure"] == measure


def test_form_page_trio(world, client):
    url = reverse(CREATE)
    client.force_login(world.staff_a)
    response = client.get(url, {"household": world.household_a.pk})
    assert response.status_code == 200
    assert re.search(
        rf'<option value="{world.helper_a.pk}"[^>]*>帮扶人甲</option>', response.content.decode()
    )
    # A role that may not enter visits: refused.
    client.force_login(world.reviewer)
    assert client.get(url, {"household": world.household_a.pk}).status_code == 403
    # The other township's household: not found, and a post writes nothing.
    client.force_login(world.staff_b)
    assert client.get(url, {"household": world.household_a.pk}).status_code == 404
    before = Visit.objects.count()
    response = client.post(f"{url}?household={world.household_a.pk}", _post(world))
    assert response.status_code == 404 and Visit.objects.count() == before


def test_saving_a_visit_in_pinned_queries_with_one_history_insert(
    world, client, django_assert_max_num_queries
):
    client.force_login(world.staff_a)
    url = f"{reverse(CREATE)}?household={world.household_a.pk}"
    client.get(url)
    ContentType.objects.get_for_model(Visit)  # cached in a running server
    # 13 reads and writes of the visit itself (session, user, region, household, its helpers in
    # force and open measures, the token, the scope of household and village, the helper's
    # pairing, the pairings for the credit, the one-a-day check, the insert) + the history
    # insert + the reporting-period lock (regions and periods, 4).
    with django_assert_max_num_queries(20) as captured:
        response = client.post(url, _post(world))
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.credit_status == CreditStatus.CREDITED and visit.helper == world.helper_a
    history = [q["sql"] for q in captured.captured_queries if "auditlog_logentry" in q["sql"]]
    assert len(history) == 1 and history[0].startswith("INSERT")
    # The scope of a cadre is not read for a helper paired with the household.
    assert not [q for q in captured.captured_queries if 'FROM "cadres_cadre"' in q["sql"]]


def test_a_helper_in_scope_not_paired_is_still_recorded_not_counted(world):
    from households.services import visit_record

    other = CadreFactory(name="本镇干部", unit=world.unit)  # in scope: the unit is paired here
    visit = visit_record(
        user=world.staff_a,
        household=world.household_a,
        helper=other,
        visited_on=timezone.localdate(),
        learned="走访",
        submission_token=uuid.uuid4(),
    )
    assert visit.credit_status == CreditStatus.NOT_COUNTED
    assert visit.pairing_rule == PairingRule.NOT_PAIRED


def test_a_helper_outside_scope_is_refused(world):
    from django.core.exceptions import ValidationError

    from households.services import visit_record

    with pytest.raises(ValidationError) as refused:
        visit_record(
            user=world.staff_a,
            household=world.household_a,
            helper=world.helper_b,  # helps household B, in township B only
            visited_on=timezone.localdate(),
            learned="走访",
        )
    assert refused.value.message_dict["helper"] == ["走访人不在您的管辖范围内。"]
    assert not Visit.objects.exists()


def test_an_admin_sees_every_helper_of_the_household(world):
    admin = UserFactory(username="admin2", role="admin", is_superuser=True)
    assert household_helpers_in_force(user=admin, household=world.household_a) == [world.helper_a]


def test_form_without_a_household_offers_every_cadre_in_scope_as_before(world):
    # The offline shell (households/offline.py) fills the household's helpers in by script.
    form = VisitForm(user=world.staff_a, household=None)
    assert set(form.fields["helper"].listed) == set(
        helpers_for_form(user=world.staff_a, household=None)
    )
    assert world.helper_a in form.fields["helper"].listed
    assert world.helper_b not in form.fields["helper"].listed  # township B's helper
    assert not form.fields["helper"].help_text
