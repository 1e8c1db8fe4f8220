import datetime

import pytest

from assessments.periods import PeriodError, current_periods, parse_period, period_containing

D = datetime.date


@pytest.mark.parametrize(
    "text,kind,label,start,end",
    [
        ("2026", "year", "2026", D(2026, 1, 1), D(2026, 12, 31)),
        ("2026-Q3", "quarter", "2026-Q3", D(2026, 7, 1), D(2026, 9, 30)),
        ("2026q1", "quarter", "2026-Q1", D(2026, 1, 1), D(2026, 3, 31)),
        ("2026-09", "month", "2026-09", D(2026, 9, 1), D(2026, 9, 30)),
        ("2028-2", "month", "2028-02", D(2028, 2, 1), D(2028, 2, 29)),
        ("2026-12", "month", "2026-12", D(2026, 12, 1), D(2026, 12, 31)),
        ("2026-W38", "week", "2026-W38", D(2026, 9, 14), D(2026, 9, 20)),
        # ISO week 1 of 2026 starts on Monday 29 December 2025.
        ("2026-W01", "week", "2026-W01", D(2025, 12, 29), D(2026, 1, 4)),
        ("2026-W53", "week", "2026-W53", D(2026, 12, 28), D(2027, 1, 3)),
        (" 2026 ", "year", "2026", D(2026, 1, 1), D(2026, 12, 31)),
    ],
)
def test_periods_parse_to_their_first_and_last_day(text, kind, label, start, end):
    period = parse_period(text)
    assert (period.kind, period.label, period.start, period.end) == (kind, label, start, end)


@pytest.mark.parametrize(
    "text", ["", "26", "2026-13", "2026-00", "2026-Q5", "2027-W53", "1999", "2026/09", "明年"]
)
def test_bad_periods_get_a_chinese_message(text):
    with pytest.raises(PeriodError) as exc:
        parse_period(text)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc.value))


def test_a_year_also_evaluates_the_snapshot_indicators():
    assert parse_period("2026").indicator_kinds == ("year", "snapshot")
    assert parse_period("2026-09").indicator_kinds == ("month",)


def test_as_of_is_the_last_day_or_today_while_the_period_runs():
    period = parse_period("2026")
    assert period.as_of(D(2027, 3, 1)) == D(2026, 12, 31)
    assert period.as_of(D(2026, 11, 22)) == D(2026, 11, 22)


def test_period_containing_and_spot_check_spelling():
    assert period_containing("week", D(2026, 1, 1)).label == "2026-W01"
    assert period_containing("quarter", D(2026, 11, 22)).spot_check_quarter == "2026Q4"


def test_the_night_after_a_month_ends_settles_it():
    # Wednesday 30 September and Thursday 1 October 2026 share ISO week 40.
    labels = [p.label for p in current_periods(D(2026, 10, 1))]
    assert labels == ["2026", "2026-Q3", "2026-09", "2026-W40", "2026-Q4", "2026-10"]
