"""Fixtures for the assessment tests: evaluate a period as of a fixed day and read the results
keyed by indicator code and subject."""

import datetime

import pytest

from assessments.models import IndicatorResult
from assessments.periods import parse_period
from assessments.services import period_evaluate

# A day after 2026 has ended: yearly figures of 2026 are final.
AFTER_2026 = datetime.date(2027, 1, 10)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def evaluate(db):
    """evaluate("2026") -> {(code, subject_id): IndicatorResult} for the period."""

    def run(period: str, *, today: datetime.date = AFTER_2026, region=None):
        period_evaluate(period=parse_period(period), today=today, region=region)
        rows = IndicatorResult.objects.filter(period=parse_period(period).label).select_related(
            "indicator"
        )
        return {(r.indicator.code, r.subject_id): r for r in rows}

    return run
