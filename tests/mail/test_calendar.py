"""When a subscription is due and which period it covers (ledgers/subscriptions.py)."""

from __future__ import annotations

import datetime

import pytest

from ledgers.models import Frequency, LedgerDelivery, PeriodRule
from ledgers.subscriptions import (
    deliveries_due,
    latest_scheduled,
    next_scheduled,
    period_for,
    scheduled_day,
)
from tests.mail.conftest import DECEMBER_1

D = datetime.date
M, Q = Frequency.MONTHLY, Frequency.QUARTERLY


@pytest.mark.parametrize(
    ("frequency", "day", "today", "expected"),
    [
        (M, 1, D(2026, 12, 1), D(2026, 12, 1)),  # on its day
        (M, 1, D(2026, 12, 20), D(2026, 12, 1)),  # overdue and not yet sent: still this one
        (M, 5, D(2026, 12, 4), D(2026, 11, 5)),  # before this month's day: last month's
        (M, 31, D(2026, 11, 30), D(2026, 11, 30)),  # day 31 in a 30-day month: its last day
        (M, 31, D(2026, 11, 29), D(2026, 10, 31)),
        (M, 31, D(2026, 12, 1), D(2026, 11, 30)),
        (M, 31, D(2027, 2, 28), D(2027, 2, 28)),
        (M, 30, D(2028, 2, 29), D(2028, 2, 29)),  # a leap February
        (M, 15, D(2027, 1, 10), D(2026, 12, 15)),  # across the year
        (Q, 1, D(2026, 10, 1), D(2026, 10, 1)),
        (Q, 15, D(2026, 12, 1), D(2026, 10, 15)),  # the quarter's first month only
        (Q, 15, D(2026, 10, 14), D(2026, 7, 15)),
        (Q, 15, D(2027, 1, 10), D(2026, 10, 15)),
        (Q, 31, D(2026, 4, 30), D(2026, 4, 30)),  # April has 30 days
    ],
)
def test_latest_scheduled(frequency, day, today, expected):
    assert latest_scheduled(frequency, day, today) == expected


@pytest.mark.parametrize(
    ("frequency", "day", "after", "expected"),
    [
        (M, 1, D(2026, 12, 2), D(2027, 1, 1)),
        (M, 31, D(2026, 11, 1), D(2026, 11, 30)),
        (M, 31, D(2026, 12, 1), D(2026, 12, 31)),
        (Q, 1, D(2026, 10, 2), D(2027, 1, 1)),
        (Q, 20, D(2026, 5, 1), D(2026, 7, 20)),
        (Q, 20, D(2026, 4, 20), D(2026, 4, 20)),
    ],
)
def test_next_scheduled(frequency, day, after, expected):
    assert next_scheduled(frequency, day, after) == expected


def test_scheduled_day_clamps_to_the_month():
    assert scheduled_day(2026, 2, 31) == D(2026, 2, 28)
    assert scheduled_day(2026, 12, 31) == D(2026, 12, 31)


@pytest.mark.parametrize(
    ("rule", "on", "key", "start", "end", "label"),
    [
        (
            PeriodRule.LAST_MONTH,
            D(2026, 12, 1),
            "2026-11",
            D(2026, 11, 1),
            D(2026, 11, 30),
            "2026年11月",
        ),
        (
            PeriodRule.LAST_MONTH,
            D(2027, 1, 1),
            "2026-12",
            D(2026, 12, 1),
            D(2026, 12, 31),
            "2026年12月",
        ),
        (
            PeriodRule.LAST_QUARTER,
            D(2026, 12, 1),
            "2026-Q3",
            D(2026, 7, 1),
            D(2026, 9, 30),
            "2026年第三季度",
        ),
        (
            PeriodRule.LAST_QUARTER,
            D(2026, 10, 15),
            "2026-Q3",
            D(2026, 7, 1),
            D(2026, 9, 30),
            "2026年第三季度",
        ),
        (
            PeriodRule.LAST_QUARTER,
            D(2027, 1, 5),
            "2026-Q4",
            D(2026, 10, 1),
            D(2026, 12, 31),
            "2026年第四季度",
        ),
        (
            PeriodRule.YEAR_TO_DATE,
            D(2026, 12, 1),
            "2026-01~11",
            D(2026, 1, 1),
            D(2026, 11, 30),
            "2026年1月至11月",
        ),
        (
            PeriodRule.YEAR_TO_DATE,
            D(2027, 1, 1),
            "2026-01~12",
            D(2026, 1, 1),
            D(2026, 12, 31),
            "2026年1月至12月",
        ),
        (
            PeriodRule.YEAR_TO_DATE,
            D(2026, 3, 31),
            "2026-01~02",
            D(2026, 1, 1),
            D(2026, 2, 28),
            "2026年1月至2月",
        ),
    ],
)
def test_period_for(rule, on, key, start, end, label):
    period = period_for(rule, on)
    assert (period.key, period.start, period.end, period.label) == (key, start, end, label)


@pytest.mark.django_db
def test_only_active_started_subscriptions_are_due(scene):
    subscription = scene.subscription
    assert len(deliveries_due(today=DECEMBER_1)) == 1
    LedgerDelivery.objects.all().delete()
    subscription.start_date = D(2026, 12, 2)  # starts after its sending day
    subscription.save()
    assert deliveries_due(today=DECEMBER_1) == []
    subscription.start_date = D(2026, 11, 1)
    subscription.end_date = DECEMBER_1  # stopped on the day: nothing from that day on
    subscription.save()
    assert deliveries_due(today=DECEMBER_1) == []
    assert not LedgerDelivery.objects.exists()


@pytest.mark.django_db
def test_a_monthly_subscription_of_last_quarter_sends_each_quarter_once(scene):
    subscription = scene.subscription
    subscription.period_rule = PeriodRule.LAST_QUARTER
    subscription.start_date = D(2026, 1, 1)
    subscription.save()
    for day in (D(2026, 10, 1), D(2026, 11, 1), D(2026, 12, 1)):
        for delivery_id in deliveries_due(today=day):
            LedgerDelivery.objects.filter(pk=delivery_id).update(status=LedgerDelivery.Status.SENT)
    assert list(LedgerDelivery.objects.values_list("period", flat=True)) == ["2026-Q3"]
    assert deliveries_due(today=D(2027, 1, 1))  # and Q4 in January
    assert sorted(LedgerDelivery.objects.values_list("period", flat=True)) == ["2026-Q3", "2026-Q4"]
