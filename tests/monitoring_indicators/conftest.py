"""Fixtures of the monitoring indicator tests: a fixed today (10 July 2026, after June has
ended), an evaluation of a period through the assessment service, and small builders of
monitoring records (cases, measures, notices) as data; clues go through the services so their
stored days are the services' own."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine

from assessments.models import IndicatorResult, ResultRollup
from assessments.periods import parse_period
from assessments.services import period_evaluate
from monitoring import services
from monitoring.models import (
    CaseStatus,
    Category,
    ClueChannel,
    ClueOutcome,
    LabourCapacity,
    MeasureKind,
    MonitoringCase,
    MonitoringMeasure,
    PublicNotice,
)
from tests.factories import HouseholdFactory

TODAY = datetime.date(2026, 7, 10)
D = datetime.date


@pytest.fixture(autouse=True)
def fixed_today():
    moment = datetime.datetime(2026, 7, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def evaluate(db):
    """evaluate("2026-06") -> {(code, subject_id): IndicatorResult} of the MON-* indicators."""

    def run(period: str, *, today: datetime.date = TODAY):
        period_evaluate(period=parse_period(period), today=today)
        rows = IndicatorResult.objects.filter(
            period=parse_period(period).label, indicator__code__startswith="MON-"
        ).select_related("indicator")
        return {(r.indicator.code, r.subject_id): r for r in rows}

    return run


def rollup(period: str, code: str, region, unit=None) -> tuple[int, int]:
    """(subjects, met) of an indicator's roll-up at a region (all units, or one unit)."""
    row = ResultRollup.objects.get(period=period, indicator__code=code, region=region, unit=unit)
    return row.subjects, row.met


def household(village, name: str):
    return HouseholdFactory(village=village, head_name=name)


def clue(user, hh, received_on, decided_on=None):
    """A cadre's screening clue received on a day, decided (not identified) on another."""
    c = services.clue_record(
        user=user,
        household=hh,
        channel=ClueChannel.SCREENING,
        risk="因病支出大",
        received_on=received_on,
    )
    if decided_on is not None:
        c = services.clue_decide(
            user=user,
            clue=c,
            outcome=ClueOutcome.NOT_IDENTIFIED,
            day=decided_on,
            reason="收入高于监测范围",
        )
    return c


def case(hh, *, decided_on=None, status=CaseStatus.MONITORED, closed_on=None):
    """A monitoring case of the household, as the services leave it after a decision."""
    return MonitoringCase.objects.create(
        household=hh,
        category=Category.SUDDEN,
        risk_types=["illness"],
        labour_capacity=LabourCapacity.CAPABLE,
        status=status,
        received_on=D(2026, 1, 2),
        opened_on=D(2026, 1, 3),
        decided_on=decided_on,
        closed_on=closed_on,
    )


def measure(c, start, end=None, content="养殖帮扶"):
    return MonitoringMeasure.objects.create(
        case=c,
        kind=MeasureKind.INDUSTRY,
        content=content,
        start_date=start,
        end_date=end,
        responsible="王五",
    )


def notice(village, purpose, start, end):
    return PublicNotice.objects.create(
        village=village, purpose=purpose, start_date=start, end_date=end
    )
