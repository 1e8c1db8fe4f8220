"""The reminder rules at their edges: who is reminded, of what, for which period."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import Role
from assessments.models import Indicator
from cadres.models import Coverage
from households.models import VisitKind
from notifications.models import NotificationKind
from notifications.services import first_friday, reminders_collect
from pairing.models import PairingKind, TrainingKind
from tests.factories import (
    FieldDayFactory,
    HouseholdFactory,
    HouseholdPairingFactory,
    PairingFactory,
    TermFactory,
    TrainingFactory,
    UserFactory,
    VillageIncomeFactory,
    VisitFactory,
)
from tests.jobs.conftest import SUNDAY, THURSDAY, make_item

pytestmark = pytest.mark.django_db


def keys(reminders, kind=None):
    return {
        (r.recipient_id, r.subject_key, r.period)
        for r in reminders
        if kind is None or r.kind == kind
    }


def weekly(on):
    return reminders_collect(on=on, kinds=[NotificationKind.WEEKLY_VISIT])


# --- weekly visits ---------------------------------------------------------------------------
def test_visit_on_sunday_counts_for_that_week(world):
    VisitFactory(household=world.household_a, helper=world.helper_a, visited_on=SUNDAY)
    assert weekly(SUNDAY) == []


def test_visit_on_previous_sunday_does_not_count_for_this_week(world):
    VisitFactory(
        household=world.household_a,
        helper=world.helper_a,
        visited_on=SUNDAY - datetime.timedelta(days=7),
    )
    subject = f"household:{world.household_a.pk}"
    assert keys(weekly(SUNDAY)) == {
        (world.cadre_user.pk, subject, "2026-W47"),  # the helper
        (world.coordinator.pk, subject, "2026-W47"),  # the coordinator of the helper's unit
    }


def test_visit_on_monday_counts_and_the_week_runs_monday_to_sunday(world):
    VisitFactory(
        household=world.household_a, helper=world.helper_a, visited_on=datetime.date(2026, 11, 16)
    )
    assert weekly(SUNDAY) == []
    # The Monday after belongs to the next week: Thursday of W48 reminds again.
    assert {r.period for r in weekly(datetime.date(2026, 11, 26))} == {"2026-W48"}


def test_weekly_visit_not_reminded_before_thursday(world):
    wednesday = THURSDAY - datetime.timedelta(days=1)
    assert weekly(wednesday) == []
    assert weekly(THURSDAY) != []


def test_phone_call_or_uncredited_visit_is_not_a_home_visit(world):
    VisitFactory(
        household=world.household_a,
        helper=world.helper_a,
        visited_on=SUNDAY,
        kind=VisitKind.PHONE,
    )
    VisitFactory(
        household=world.household_a,
        helper=world.helper_a,
        visited_on=SUNDAY - datetime.timedelta(days=1),
        credit_status="review",
    )
    assert len(weekly(SUNDAY)) == 2


def test_a_visit_by_someone_else_does_not_relieve_the_responsible_helper(world):
    VisitFactory(household=world.household_a, helper=world.helper_b, visited_on=SUNDAY)
    assert (world.cadre_user.pk, f"household:{world.household_a.pk}", "2026-W47") in keys(
        weekly(SUNDAY)
    )


def test_people_without_an_account_get_nothing(world):
    """Household B's helper has no account and their unit no coordinator: nobody to remind."""
    subjects = {r.subject_key for r in weekly(SUNDAY)}
    assert f"household:{world.household_b.pk}" not in subjects


def test_switching_the_indicator_off_switches_the_reminder_off(world):
    Indicator.objects.filter(code="HH-VISIT-WEEKLY").update(active=False)
    assert weekly(SUNDAY) == []


# --- yearly pace -----------------------------------------------------------------------------
def test_yearly_pace_counts_the_years_visits(world):
    on = datetime.date(2026, 11, 20)  # pace: floor(4 × 324/365) = 3 visits by now
    for day in (datetime.date(2026, 2, 3), datetime.date(2026, 5, 6)):
        VisitFactory(household=world.household_a, helper=world.helper_a, visited_on=day)
    VisitFactory(
        household=world.household_a, helper=world.helper_a, visited_on=datetime.date(2025, 12, 30)
    )
    found = reminders_collect(on=on, kinds=[NotificationKind.YEARLY_PACE])
    assert keys(found) == {
        (world.cadre_user.pk, f"household:{world.household_a.pk}", "2026-11"),
        (world.coordinator.pk, f"household:{world.household_a.pk}", "2026-11"),
    }
    VisitFactory(
        household=world.household_a, helper=world.helper_a, visited_on=datetime.date(2026, 8, 8)
    )
    assert reminders_collect(on=on, kinds=[NotificationKind.YEARLY_PACE]) == []


# --- terms -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("days", "reminded"), [(0, True), (59, True), (60, True), (61, False)])
def test_term_ending_within_60_days_the_60th_included(world, days, reminded):
    on = datetime.date(2026, 11, 22)
    term = TermFactory(
        cadre=world.helper_a,
        village=world.village_a,
        start_date=datetime.date(2025, 1, 1),
        end_date=on + datetime.timedelta(days=days),
        dispatching_unit=world.unit,
    )
    found = keys(reminders_collect(on=on, kinds=[NotificationKind.TERM_ENDING]))
    expected = {
        (world.cadre_user.pk, f"term:{term.pk}", term.end_date.isoformat()),
        (world.coordinator.pk, f"term:{term.pk}", term.end_date.isoformat()),
    }
    assert found == (expected if reminded else set())


def test_recalled_term_is_not_reminded(world):
    on = datetime.date(2026, 11, 22)
    TermFactory(
        cadre=world.helper_a,
        village=world.village_a,
        start_date=datetime.date(2025, 1, 1),
        end_date=on + datetime.timedelta(days=30),
        recalled_on=datetime.date(2026, 10, 1),
    )
    assert reminders_collect(on=on, kinds=[NotificationKind.TERM_ENDING]) == []


# --- rectification ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("late", "township", "county"),
    [(0, False, False), (1, False, False), (3, True, False), (9, True, False), (10, True, True)],
)
def test_overdue_item_escalates_to_township_then_county(world, settings, late, township, county):
    settings.ESCALATE_TOWNSHIP_AFTER_DAYS = 3
    settings.ESCALATE_COUNTY_AFTER_DAYS = 10
    on = datetime.date(2026, 11, 22)
    item = make_item(world, deadline=on - datetime.timedelta(days=late), person=world.cadre_user)
    found = {
        r.recipient_id
        for r in reminders_collect(on=on, kinds=[NotificationKind.RECTIFICATION_OVERDUE])
        if r.subject_key == f"rectification:{item.pk}"
    }
    if late == 0:  # due today is not overdue yet
        assert found == set()
        return
    expected = {world.cadre_user.pk, world.coordinator.pk}
    if township:
        expected.add(world.staff_a.pk)  # not staff_b: the item is in township A
    if county:
        expected.add(world.reviewer.pk)
    assert found == expected


def test_closed_items_are_not_reminded(world):
    on = datetime.date(2026, 11, 22)
    make_item(
        world,
        deadline=on - datetime.timedelta(days=20),
        person=world.cadre_user,
        status="closed",
        closed_on=on,
        closed_by=world.reviewer,
    )
    assert reminders_collect(on=on, kinds=[NotificationKind.RECTIFICATION_OVERDUE]) == []


# --- Party day -------------------------------------------------------------------------------
def test_party_day_reminded_the_day_before_the_first_friday(world, term_a):
    friday = first_friday(2026, 12)
    assert friday == datetime.date(2026, 12, 4)
    thursday = friday - datetime.timedelta(days=1)
    found = reminders_collect(on=thursday, kinds=[NotificationKind.PARTY_DAY])
    assert {(r.recipient_id, r.subject_key) for r in found} == {
        (world.cadre_user.pk, f"village:{world.village_a.pk}"),
        (world.staff_a.pk, "township"),
        (world.staff_b.pk, "township"),
    }
    assert {r.period for r in found} == {"2026-12"}
    # Any other Thursday says nothing.
    assert reminders_collect(on=THURSDAY, kinds=[NotificationKind.PARTY_DAY]) == []


def test_party_day_on_the_first_of_the_month_is_reminded_on_the_last_day_before(world, term_a):
    # May 2026 begins on a Friday: the day before is 30 April.
    assert first_friday(2026, 5) == datetime.date(2026, 5, 1)
    found = reminders_collect(on=datetime.date(2026, 4, 30), kinds=[NotificationKind.PARTY_DAY])
    assert {r.period for r in found} == {"2026-05"}


# --- days in the field -----------------------------------------------------------------------
def test_leader_short_of_days_is_reminded_from_mid_month(world):
    leader_user = UserFactory(username="leader", role=Role.CADRE, cadre=world.helper_b)
    coverage = Coverage.objects.create(
        level=Coverage.Level.TOWNSHIP_LEADER,
        cadre=world.helper_b,
        region=world.village_a.region,
        start_date=datetime.date(2026, 1, 1),
    )
    for day in (3, 10):
        FieldDayFactory(
            cadre=world.helper_b, region=world.village_a.region, day=datetime.date(2026, 11, day)
        )
    on = datetime.date(2026, 11, 20)  # pace: floor(8 × 20/30) = 5 days
    found = keys(reminders_collect(on=on, kinds=[NotificationKind.FIELD_DAYS]))
    assert found == {
        (leader_user.pk, f"coverage:{coverage.pk}", "2026-11"),
        (world.staff_a.pk, f"coverage:{coverage.pk}", "2026-11"),
    }
    early = datetime.date(2026, 11, 14)
    assert reminders_collect(on=early, kinds=[NotificationKind.FIELD_DAYS]) == []


# --- units and villages ----------------------------------------------------------------------
def test_unit_behind_on_night_schools_is_reminded_to_its_coordinator(world):
    PairingFactory(lead_unit=world.unit, village=world.village_a, kind=PairingKind.DESIGNATED)
    for month in (3, 6, 9, 10):
        TrainingFactory(
            unit=world.unit,
            village=world.village_a,
            kind=TrainingKind.NIGHT_SCHOOL,
            held_on=datetime.date(2026, month, 1),
        )
    on = datetime.date(2026, 11, 20)
    found = reminders_collect(on=on, kinds=[NotificationKind.UNIT_ACTIVITIES])
    subjects = {r.subject_key for r in found}
    assert f"unit:{world.unit.pk}:UNIT-NIGHT-SCHOOL" not in subjects  # 4 of 4: met
    assert f"unit:{world.unit.pk}:UNIT-SPECIAL-MEETING" in subjects  # 0 of 4
    assert f"unit:{world.unit.pk}:LEAD-JOINT-MEETING" in subjects  # a lead unit: 0 of 2
    assert {r.recipient_id for r in found} == {world.coordinator.pk}
    assert {r.period for r in found} == {"2026Q4"}


def test_village_below_collective_income_line(world, term_a):
    VillageIncomeFactory(village=world.village_a, year=2025, amount=Decimal("30000"))
    VillageIncomeFactory(village=world.village_a, year=2026, amount=Decimal("19999.99"))
    on = datetime.date(2026, 11, 20)
    found = keys(reminders_collect(on=on, kinds=[NotificationKind.VILLAGE_INCOME]))
    subject = f"village:{world.village_a.pk}:2026"
    assert found == {
        (world.cadre_user.pk, subject, "2026Q4"),
        (world.coordinator.pk, subject, "2026Q4"),
    }


def test_village_at_the_line_is_not_reminded(world, term_a):
    VillageIncomeFactory(village=world.village_a, year=2026, amount=Decimal("20000"))
    on = datetime.date(2026, 11, 20)
    assert reminders_collect(on=on, kinds=[NotificationKind.VILLAGE_INCOME]) == []


def test_rules_run_in_a_fixed_number_of_queries(world, term_a, django_assert_max_num_queries):
    """Set-based: more households must not mean more queries."""
    for _ in range(15):
        household = HouseholdFactory(village=world.village_a)
        HouseholdPairingFactory(household=household, helper=world.helper_a)
    # 40 + 5 for the two reporting-period rules (issue 16: regions, county settings, periods,
    # township staff; the reviewers' queue), none of which grows with the households.
    with django_assert_max_num_queries(45):
        found = reminders_collect(on=SUNDAY)
    assert len([r for r in found if r.kind == NotificationKind.WEEKLY_VISIT]) == 32
