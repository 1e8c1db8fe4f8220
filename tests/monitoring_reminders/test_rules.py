"""The reminders of monitoring against relapse at their edges: each fires on its day and not
the day before, reaches the right people, and is stored once however often the job runs."""

import datetime
from types import SimpleNamespace

import pytest

from monitoring import services
from monitoring.models import ClueChannel, StepKind
from notifications.models import Notification, NotificationKind
from notifications.services import reminders_collect, reminders_run
from tests.factories import VisitFactory
from tests.monitoring.conftest import (
    clue_for,
    day,
    identify,
    notice_for,
    open_case,
    signed_form,
)

pytestmark = pytest.mark.django_db


def collect(kind, on):
    return [r for r in reminders_collect(on=on, kinds=[kind]) if r.kind == kind]


def recipients(reminders):
    return sorted(r.recipient_id for r in reminders)


# --- a clue on its 10th day undecided -------------------------------------------------------
def test_clue_reminded_on_its_tenth_day_to_its_township_only(mon):
    w = mon.world
    clue = clue_for(w.staff_a, w.household_a, received=-10)
    clue_for(w.staff_b, w.household_b, received=-9)  # township B, its 9th day
    found = collect(NotificationKind.CLUE_UNDECIDED, day(0))
    assert recipients(found) == [w.staff_a.pk]
    assert found[0].subject_key == f"clue:{clue.pk}"
    assert "张三" in found[0].title and "10" in found[0].title
    assert "2026年6月20日" in found[0].body  # received 6-05 + 15 days
    # The day before (its 9th day) and the day after (11th): nothing.
    assert collect(NotificationKind.CLUE_UNDECIDED, day(-1)) == []
    day_after = collect(NotificationKind.CLUE_UNDECIDED, day(1))
    assert f"clue:{clue.pk}" not in {r.subject_key for r in day_after}
    # Township B's clue reaches its 10th day tomorrow, and only township B's staff.
    assert recipients(collect(NotificationKind.CLUE_UNDECIDED, day(1))) == [w.staff_b.pk]


def test_decided_clue_is_not_reminded(mon):
    w = mon.world
    clue = clue_for(w.staff_a, w.household_a, received=-10)
    services.clue_decide(
        user=w.staff_a, clue=clue, outcome="not_identified", day=day(-1), reason="收入稳定"
    )
    assert collect(NotificationKind.CLUE_UNDECIDED, day(0)) == []


def test_running_twice_stores_one_reminder(mon):
    w = mon.world
    clue_for(w.staff_a, w.household_a, received=-10)
    reminders_run(on=day(0), kinds=[NotificationKind.CLUE_UNDECIDED])
    reminders_run(on=day(0), kinds=[NotificationKind.CLUE_UNDECIDED])
    stored = Notification.objects.filter(kind=NotificationKind.CLUE_UNDECIDED)
    assert stored.count() == 1
    item = stored.get()
    assert item.recipient_id == w.staff_a.pk
    assert item.digest is not None and item.digest.kind == NotificationKind.DIGEST
    assert "风险线索临近办结时限 1 项" in item.digest.title


def test_reminder_day_is_the_selectors_setting(mon, settings):
    w = mon.world
    settings.MONITORING_CLUE_REMINDER_DAY = 12
    clue_for(w.staff_a, w.household_a, received=-10)
    assert collect(NotificationKind.CLUE_UNDECIDED, day(0)) == []
    assert recipients(collect(NotificationKind.CLUE_UNDECIDED, day(2))) == [w.staff_a.pk]


# --- an application not accepted after 2 days ----------------------------------------------
def test_application_reminded_from_its_third_day(mon):
    w = mon.world
    clue_for(w.staff_a, w.household_a, received=-2, channel=ClueChannel.APPLICATION)
    clue_for(w.staff_b, w.household_b, received=-3, channel=ClueChannel.SCREENING)
    # Day 2 is on time; a screening clue needs no acceptance.
    assert collect(NotificationKind.APPLICATION_UNACCEPTED, day(0)) == []
    found = collect(NotificationKind.APPLICATION_UNACCEPTED, day(1))
    assert recipients(found) == [w.staff_a.pk]
    assert "逾期1天" in found[0].title


def test_accepted_application_is_not_reminded(mon):
    w = mon.world
    clue = clue_for(w.staff_a, w.household_a, received=-5, channel=ClueChannel.APPLICATION)
    services.clue_accept(user=w.staff_a, clue=clue, day=day(-1))  # late, but accepted
    assert collect(NotificationKind.APPLICATION_UNACCEPTED, day(0)) == []


def test_application_reminded_once_a_day(mon):
    w = mon.world
    clue_for(w.staff_a, w.household_a, received=-5, channel=ClueChannel.APPLICATION)
    for _ in range(2):
        reminders_run(on=day(0), kinds=[NotificationKind.APPLICATION_UNACCEPTED])
    reminders_run(on=day(1), kinds=[NotificationKind.APPLICATION_UNACCEPTED])
    periods = sorted(
        Notification.objects.filter(kind=NotificationKind.APPLICATION_UNACCEPTED).values_list(
            "period", flat=True
        )
    )
    assert periods == ["2026-06-15", "2026-06-16"]


# --- a public notice ending ------------------------------------------------------------------
def test_notice_reminded_the_day_before_and_on_its_last_day(mon):
    w = mon.world
    notice = notice_for(w.staff_a, w.village_a, start=-3, days=5)  # 6-12 … 6-16
    assert collect(NotificationKind.NOTICE_ENDING, day(-1)) == []  # ends in 2 days
    tomorrow = collect(NotificationKind.NOTICE_ENDING, day(0))
    assert recipients(tomorrow) == [w.staff_a.pk]
    assert tomorrow[0].subject_key == f"notice:{notice.pk}"
    assert "明天" in tomorrow[0].title and "甲村" in tomorrow[0].title
    today = collect(NotificationKind.NOTICE_ENDING, day(1))
    assert recipients(today) == [w.staff_a.pk] and "今天" in today[0].title
    assert collect(NotificationKind.NOTICE_ENDING, day(2)) == []  # ended


def test_notice_of_township_b_goes_to_township_b(mon):
    w = mon.world
    notice_for(w.staff_b, w.village_b, start=-4, days=5)  # ends today
    assert recipients(collect(NotificationKind.NOTICE_ENDING, day(0))) == [w.staff_b.pk]


# --- a township review waiting ---------------------------------------------------------------
def appraised(w, *, notice_start, household=None, staff=None):
    staff = staff or w.staff_a
    household = household or w.household_a
    case = open_case(staff, household, received=-14)
    services.case_step_record(
        user=staff,
        case=case,
        kind=StepKind.HOME_CHECK,
        done_on=day(-13),
        checkers="王五",
        document=signed_form(),
    )
    services.case_step_record(
        user=staff, case=case, kind=StepKind.DATA_COMPARISON, done_on=day(-12)
    )
    notice = notice_for(staff, case.village, start=notice_start, days=5)
    services.case_step_record(
        user=staff, case=case, kind=StepKind.APPRAISAL, done_on=day(-11), notice=notice
    )
    return case, notice


def test_review_waits_from_the_day_after_the_notice_ends(mon):
    w = mon.world
    case, notice = appraised(w, notice_start=-5)  # notice 6-10 … 6-14
    assert notice.end_date == day(-1)
    assert collect(NotificationKind.TOWNSHIP_REVIEW, day(-1)) == []  # notice's last day
    found = collect(NotificationKind.TOWNSHIP_REVIEW, day(0))
    assert recipients(found) == [w.staff_a.pk]
    assert found[0].subject_key == f"case:{case.pk}"
    assert "乡镇初审" in found[0].title and "14天" in found[0].body


def test_review_done_is_not_reminded(mon):
    w = mon.world
    case, _notice = appraised(w, notice_start=-10)
    services.case_step_record(
        user=w.staff_a, case=case, kind=StepKind.TOWNSHIP_REVIEW, done_on=day(-1)
    )
    assert collect(NotificationKind.TOWNSHIP_REVIEW, day(0)) == []


def test_case_before_its_appraisal_is_not_reminded(mon):
    w = mon.world
    open_case(w.staff_a, w.household_a, received=-14)
    assert collect(NotificationKind.TOWNSHIP_REVIEW, day(0)) == []


def test_review_of_township_b_goes_to_township_b(mon):
    w = mon.world
    appraised(w, notice_start=-10, household=w.household_b, staff=w.staff_b)
    assert recipients(collect(NotificationKind.TOWNSHIP_REVIEW, day(0))) == [w.staff_b.pk]


# --- a monitored household not visited this month ------------------------------------------
def monitored(w):
    case = open_case(w.staff_a, w.household_a, received=-20)
    return identify(w, case, start=-20)  # decided on 6-05


def test_unvisited_monitored_household_reminded_from_the_20th(mon):
    w = mon.world
    case = monitored(w)
    on19, on20 = datetime.date(2026, 6, 19), datetime.date(2026, 6, 20)
    assert collect(NotificationKind.MONITORED_UNVISITED, on19) == []
    found = collect(NotificationKind.MONITORED_UNVISITED, on20)
    # The helper in force (through the cadre's account) and township A's staff; not B's.
    assert recipients(found) == sorted([w.cadre_user.pk, w.staff_a.pk])
    assert {r.subject_key for r in found} == {f"household:{case.household_id}"}
    assert {r.period for r in found} == {"2026-06"}
    assert "帮扶人甲" in found[0].title


def test_visited_this_month_is_not_reminded(mon):
    w = mon.world
    monitored(w)
    VisitFactory(household=w.household_a, helper=w.helper_a, visited_on=datetime.date(2026, 6, 1))
    assert collect(NotificationKind.MONITORED_UNVISITED, datetime.date(2026, 6, 20)) == []


def test_last_months_visit_does_not_count(mon):
    w = mon.world
    monitored(w)
    VisitFactory(household=w.household_a, helper=w.helper_a, visited_on=datetime.date(2026, 5, 31))
    assert collect(NotificationKind.MONITORED_UNVISITED, datetime.date(2026, 6, 20)) != []


def test_identifying_case_is_not_a_monitored_household(mon):
    w = mon.world
    open_case(w.staff_a, w.household_a, received=-20)
    assert collect(NotificationKind.MONITORED_UNVISITED, datetime.date(2026, 6, 25)) == []


def test_unvisited_reminded_once_a_month(mon):
    w = mon.world
    monitored(w)
    for on in (datetime.date(2026, 6, 20), datetime.date(2026, 6, 21), datetime.date(2026, 6, 21)):
        reminders_run(on=on, kinds=[NotificationKind.MONITORED_UNVISITED])
    stored = Notification.objects.filter(kind=NotificationKind.MONITORED_UNVISITED)
    assert sorted(stored.values_list("recipient_id", flat=True)) == sorted(
        [w.cadre_user.pk, w.staff_a.pk]
    )


def test_township_b_case_reaches_township_b_and_its_helper_without_account(mon):
    w = mon.world
    case = open_case(w.staff_b, w.household_b, received=-20)
    identify(SimpleNamespace(staff_a=w.staff_b, reviewer=w.reviewer), case, start=-20)
    # helper_b has no user account: only township B's staff are told.
    found = collect(NotificationKind.MONITORED_UNVISITED, datetime.date(2026, 6, 20))
    assert recipients(found) == [w.staff_b.pk]


def test_all_monitoring_kinds_are_scheduled():
    from notifications.schedule import MONITORING_KINDS, SCHEDULE

    entry = next(e for e in SCHEDULE if e.name == "防止返贫监测提醒")
    assert entry.kwargs["kinds"] == MONITORING_KINDS
    assert set(MONITORING_KINDS) == {
        NotificationKind.CLUE_UNDECIDED,
        NotificationKind.APPLICATION_UNACCEPTED,
        NotificationKind.NOTICE_ENDING,
        NotificationKind.TOWNSHIP_REVIEW,
        NotificationKind.MONITORED_UNVISITED,
    }
