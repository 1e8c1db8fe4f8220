""" "本周未入户走访" means something on a Monday (issue 15): one definition of the week
(assessments.periods.week_due, the ISO week Monday to Sunday), the page and the weekly reminder
say it is due by Sunday with the days left, and the households not visited for longest come
first."""

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from assessments.periods import week_due
from assessments.selectors import Thresholds
from home.filters import week_start
from notifications.services import _Links, rule_weekly_visit
from tests.factories import HouseholdFactory, HouseholdPairingFactory, VisitFactory

MONDAY = datetime.date(2026, 11, 30)
SUNDAY = datetime.date(2026, 12, 6)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def on(day: datetime.date):
    # 08:00 in Shanghai is still the previous day in UTC: the page must use the local date.
    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(8), SHANGHAI), tick=False
    )


@pytest.mark.parametrize(
    ("day", "start", "left"),
    [
        (MONDAY, MONDAY, 7),
        (datetime.date(2026, 12, 3), MONDAY, 4),
        (SUNDAY, MONDAY, 1),
        (datetime.date(2027, 1, 1), datetime.date(2026, 12, 28), 3),  # ISO week 2026-W53
    ],
)
def test_one_definition_of_the_week(day, start, left):
    due = week_due(day)
    assert (due.start, due.end, due.days_left) == (start, start + datetime.timedelta(days=6), left)
    assert due.start.weekday() == 0 and due.end.weekday() == 6
    assert week_start(day) == due.start  # the household list's filter reads the same week
    assert f"还剩 {left} 天" in due.sentence and "周一至周日" in due.sentence


@pytest.fixture
def monday_world(world):
    """Household A (张三) last visited 10 days before the Monday; 王五 never visited; 赵六 visited
    on the Monday itself by their own helper."""
    VisitFactory(
        household=world.household_a,
        helper=world.helper_a,
        visited_on=MONDAY - datetime.timedelta(days=10),
    )
    never = HouseholdFactory(village=world.village_a, head_name="王五")
    HouseholdPairingFactory(household=never, helper=world.helper_a)
    done = HouseholdFactory(village=world.village_a, head_name="赵六")
    HouseholdPairingFactory(household=done, helper=world.helper_a)
    VisitFactory(household=done, helper=world.helper_a, visited_on=MONDAY)
    return world


def section(html: str) -> str:
    start = html.index('id="overdue-week"')
    return html[start : html.index("</section>", start)]


def test_the_figure_on_a_monday(monday_world, client, django_assert_max_num_queries):
    with on(MONDAY):
        client.force_login(monday_world.staff_a)
        with django_assert_max_num_queries(30):
            html = section(client.get(reverse("home")).content.decode())
    assert "本周（周一至周日，11-30至12-06）应走访、截至周日还剩 7 天（含今天）" in html
    assert "本周应走访 3 户次，已走访 1 户次，还有 2 户次未走访。" in html
    # Never visited first, then the one not visited for longest; the visited one is not listed.
    names = re.findall(r'households/\d+/">([^<]+)</a>', html)
    assert names == ["王五", "张三"]
    assert "从未走访" in html and "上次走访 11-20（10 天前）" in html
    assert "赵六" not in html
    # On a Monday the count is not an alarm yet (the reminder starts on Thursday).
    assert 'class="badge ">2<' in html


def test_the_figure_on_the_sunday(monday_world, client):
    with on(SUNDAY):
        client.force_login(monday_world.staff_a)
        html = section(client.get(reverse("home")).content.decode())
    assert "截至周日还剩 1 天（含今天）" in html
    assert 'class="badge warn">2<' in html


def test_the_weekly_reminder_says_the_same(monday_world):
    thursday = MONDAY + datetime.timedelta(days=3)
    with on(thursday):
        reminders = rule_weekly_visit(thursday, Thresholds(["HH-VISIT-WEEKLY"]), _Links())
    bodies = {r.subject_key: r.body for r in reminders}
    assert f"household:{monday_world.household_a.pk}" in bodies
    assert "本周（周一至周日，11-30至12-06）应走访、截至周日还剩 4 天（含今天）" in next(
        iter(bodies.values())
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_week_figure_at_360(monday_world, live_server, phone_page, browser_login, shot):
    page = phone_page
    with on(MONDAY):
        browser_login(page, monday_world.staff_a)
        page.goto(live_server.url + "/")
        card = page.locator("#overdue-week")
        card.scroll_into_view_if_needed()
        assert "截至周日还剩 7 天" in card.inner_text()
        names = card.locator("ul.rowlist > li > a:first-child").all_inner_texts()
        assert names == ["王五", "张三"]
        assert page.evaluate("document.documentElement.scrollWidth <= 360")
        shot(page, "week-monday")
