"""The home page's overdue lists and field days, and the household list's filters and search
(shared with the API through home/filters.py)."""

import datetime

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from assessments.selectors import pace_required
from cadres.models import CadreKind
from home.filters import HouseholdFilter, week_start
from households.models import CreditStatus, Household, Visit, VisitKind
from tests.factories import FieldDayFactory, HouseholdFactory, HouseholdPairingFactory

pytestmark = pytest.mark.django_db

# A Wednesday in the middle of the year: the week started on Monday 2026-06-15.
WEDNESDAY = datetime.datetime(2026, 6, 17, 10, 0, tzinfo=datetime.UTC)


def visit(world, household, helper, day, kind=VisitKind.HOME, status=CreditStatus.CREDITED):
    return Visit.objects.create(
        household=household,
        village=household.village,
        helper=helper,
        visited_on=day,
        kind=kind,
        learned="走访",
        credit_status=status,
    )


def filtered(user, **params):
    request = RequestFactory().get("/")
    request.user = user
    return set(
        HouseholdFilter(
            {k: str(v) for k, v in params.items()},
            queryset=Household.objects.visible_to(user),
            request=request,
        ).qs
    )


class TestPace:
    def test_pace_is_four_times_the_elapsed_fraction_rounded_down(self):
        assert pace_required(datetime.date(2026, 1, 1), 4) == 0
        assert pace_required(datetime.date(2026, 3, 31), 4) == 0  # 90/365 × 4 = 0.99
        assert pace_required(datetime.date(2026, 4, 1), 4) == 0  # 91/365 × 4 = 0.997
        assert pace_required(datetime.date(2026, 4, 2), 4) == 1
        assert pace_required(datetime.date(2026, 12, 31), 4) == 4

    def test_week_starts_on_monday(self):
        assert week_start(datetime.date(2026, 6, 17)) == datetime.date(2026, 6, 15)
        assert week_start(datetime.date(2026, 6, 15)) == datetime.date(2026, 6, 15)
        assert week_start(datetime.date(2026, 6, 21)) == datetime.date(2026, 6, 15)


@pytest.fixture
def wednesday():
    with time_machine.travel(WEDNESDAY, tick=False):
        yield


@pytest.mark.usefixtures("wednesday")
class TestHome:
    def test_staff_sees_overdue_households_with_links_to_the_form(self, world, client):
        client.force_login(world.staff_a)
        response = client.get(reverse("home"))
        body = response.content.decode()
        assert response.context["overdue_week_count"] == 1
        assert f"{reverse('households:visit_create')}?household={world.household_a.pk}" in body
        assert "李四" not in body  # township B

    def test_a_credited_home_visit_this_week_clears_the_weekly_list(self, world, client):
        visit(world, world.household_a, world.helper_a, datetime.date(2026, 6, 15))
        client.force_login(world.staff_a)
        assert client.get(reverse("home")).context["overdue_week_count"] == 0

    def test_phone_calls_last_week_and_held_visits_do_not_clear_it(self, world, client):
        visit(world, world.household_a, world.helper_a, datetime.date(2026, 6, 16), VisitKind.PHONE)
        visit(world, world.household_a, world.helper_a, datetime.date(2026, 6, 14))
        visit(
            world,
            world.household_a,
            world.helper_a,
            datetime.date(2026, 6, 17),
            status=CreditStatus.REVIEW,
        )
        client.force_login(world.staff_a)
        assert client.get(reverse("home")).context["overdue_week_count"] == 1

    def test_behind_pace_counts_credited_visits_this_year(self, world, client):
        # By 17 June the pace is floor(4 × 168/365) = 1 visit.
        client.force_login(world.staff_a)
        context = client.get(reverse("home")).context
        assert context["pace_required"] == 1
        assert [h.pk for h in context["behind"]] == [world.household_a.pk]
        visit(world, world.household_a, world.helper_a, datetime.date(2026, 2, 1))
        assert client.get(reverse("home")).context["behind_count"] == 0

    def test_cadre_sees_only_their_own_pairings_and_field_days(self, world, client):
        other_helper_household = HouseholdFactory(village=world.village_a, head_name="王五")
        HouseholdPairingFactory(household=other_helper_household, helper=world.helper_b)
        world.helper_a.kind = CadreKind.TOWNSHIP_LEADER
        world.helper_a.save()
        for day in (1, 2, 3):
            FieldDayFactory(
                cadre=world.helper_a,
                region=world.village_a.region,
                day=datetime.date(2026, 6, day),
            )
        FieldDayFactory(
            cadre=world.helper_a, region=world.village_a.region, day=datetime.date(2026, 5, 30)
        )
        client.force_login(world.cadre_user)
        response = client.get(reverse("home"))
        context = response.context
        assert [p.household_id for p in context["overdue_week"]] == [world.household_a.pk]
        assert context["field_days"].days == 3
        assert context["field_days"].target == 8  # TOWNSHIP-LEADER-DAYS
        assert "还差 5 天" in response.content.decode()

    def test_reviewer_gets_a_summary(self, world, client):
        visit(
            world,
            world.household_a,
            world.helper_a,
            datetime.date(2026, 6, 10),
            status=CreditStatus.REVIEW,
        )
        client.force_login(world.reviewer)
        response = client.get(reverse("home"))
        assert response.context["summary"]["review"] == 1
        assert reverse("households:review_list") in response.content.decode()


class TestHouseholdFilter:
    def test_search_by_name_initials_and_id_digits(self, world):
        user = world.staff_a
        assert filtered(user, q="zs") == {world.household_a}
        assert filtered(user, q="ZS") == {world.household_a}
        assert filtered(user, q="张") == {world.household_a}
        assert filtered(user, q=world.household_a.head_id_number[-4:]) == {world.household_a}
        assert filtered(user, q="ls") == set()  # 李四 is outside the scope

    def test_short_digit_strings_do_not_match_ids(self, world):
        number = world.household_a.head_id_number
        assert filtered(world.staff_a, q=number[-3:]) == set()

    def test_village_choices_are_scoped(self, world):
        request = RequestFactory().get("/")
        request.user = world.staff_a
        form = HouseholdFilter({}, queryset=Household.objects.none(), request=request).form
        assert list(form.fields["village"].queryset) == [world.village_a]
        invalid = HouseholdFilter(
            {"village": str(world.village_b.pk)},
            queryset=Household.objects.visible_to(world.staff_a),
            request=request,
        )
        assert not invalid.is_valid()

    def test_track_cause_and_key_difficulty(self, world):
        key = HouseholdFactory(
            village=world.village_a,
            head_name="重点户",
            key_difficulty=True,
            track="safety_net",
            cause="disability",
        )
        assert filtered(world.staff_a, key_difficulty="true") == {key}
        assert filtered(world.staff_a, track="safety_net") == {key}
        assert filtered(world.staff_a, cause="disability") == {key}
        assert filtered(world.staff_a, key_difficulty="false") == {world.household_a}

    def test_not_visited_for_n_days(self, world):
        today = timezone.localdate()
        recent = HouseholdFactory(village=world.village_a, head_name="近期")
        visit(world, recent, world.helper_a, today - datetime.timedelta(days=3))
        stale = HouseholdFactory(village=world.village_a, head_name="很久")
        visit(world, stale, world.helper_a, today - datetime.timedelta(days=40))
        assert filtered(world.staff_a, not_visited_days=30) == {world.household_a, stale}
        assert filtered(world.staff_a, not_visited_days=2) == {world.household_a, recent, stale}

    @pytest.mark.usefixtures("wednesday")
    def test_overdue_filters_match_the_home_page(self, world):
        assert filtered(world.staff_a, overdue="week") == {world.household_a}
        assert filtered(world.staff_a, overdue="pace") == {world.household_a}
        visit(world, world.household_a, world.helper_a, datetime.date(2026, 6, 16))
        assert filtered(world.staff_a, overdue="week") == set()
        assert filtered(world.staff_a, overdue="pace") == set()

    def test_list_page_filters_by_search(self, world, client):
        client.force_login(world.staff_a)
        HouseholdFactory(village=world.village_a, head_name="王五")
        body = client.get(reverse("households:list"), {"q": "zs"}).content.decode()
        assert "张三" in body and "王五" not in body
