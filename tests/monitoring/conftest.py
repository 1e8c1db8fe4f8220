"""Fixtures of the monitoring tests: the shared world (two townships of one county) on a fixed
day, a monitoring range set by the province, and helpers that carry a case through its steps by
the services, as the pages and the API do."""

from __future__ import annotations

import datetime
import io
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from households.models import PovertyStatus
from monitoring import services
from monitoring.models import (
    Category,
    ClueChannel,
    LabourCapacity,
    MonitoringRange,
    Procedure,
    RigidExpenseState,
    StepKind,
)

TODAY = datetime.date(2026, 6, 15)


def day(offset: int) -> datetime.date:
    """A day relative to the tests' today (negative: in the past)."""
    return TODAY + datetime.timedelta(days=offset)


@pytest.fixture(autouse=True)
def fixed_today():
    moment = datetime.datetime(2026, 6, 15, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def signed_form(name: str = "authorisation.jpg") -> SimpleUploadedFile:
    """A photographed signed form (a small JPEG)."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@dataclass
class Monitoring:
    world: object
    province: object


@pytest.fixture
def mon(world):
    """The world, with household A an exited household and province-wide ranges for 2025 and
    2026 (7,500 and 8,000 yuan)."""
    province = world.county.parent.parent
    MonitoringRange.objects.create(region=province, year=2025, amount=Decimal("7500"))
    MonitoringRange.objects.create(region=province, year=2026, amount=Decimal("8000"))
    for household in (world.household_a, world.household_b):
        household.status = PovertyStatus.EXITED
        household.exit_year = 2019
        household.save()
    return Monitoring(world=world, province=province)


def clue_for(user, household, *, received=-20, channel=ClueChannel.SCREENING, **extra):
    return services.clue_record(
        user=user,
        household=household,
        channel=channel,
        risk=extra.pop("risk", "家庭成员患重病，医疗支出大"),
        received_on=day(received),
        **extra,
    )


def open_case(user, household, *, received=-20, labour=LabourCapacity.CAPABLE, **extra):
    clue = clue_for(user, household, received=received)
    return services.case_open(
        user=user,
        clue=clue,
        category=extra.pop("category", Category.UNSTABLE),
        risk_types=extra.pop("risk_types", ["illness"]),
        labour_capacity=labour,
        opened_on=day(received),
    )


def notice_for(user, village, *, purpose=Procedure.IDENTIFICATION, start=-12, days=5):
    return services.notice_record(
        user=user,
        village=village,
        purpose=purpose,
        start_date=day(start),
        end_date=day(start + days - 1),
    )


def identify(world, case, *, start=-20, decide=True):
    """Carry an identifying case through its steps: home check on day start+1, comparison +2,
    appraisal +3 on a 5-day notice from +4, township review +9, county decision +10."""
    staff = world.staff_a
    services.case_step_record(
        user=staff,
        case=case,
        kind=StepKind.HOME_CHECK,
        done_on=day(start + 1),
        checkers="王五",
        document=signed_form(),
    )
    services.case_step_record(
        user=staff, case=case, kind=StepKind.DATA_COMPARISON, done_on=day(start + 2)
    )
    notice = notice_for(staff, case.village, start=start + 4)
    services.case_step_record(
        user=staff, case=case, kind=StepKind.APPRAISAL, done_on=day(start + 3), notice=notice
    )
    services.case_step_record(
        user=staff, case=case, kind=StepKind.TOWNSHIP_REVIEW, done_on=day(start + 9)
    )
    if decide:
        services.case_step_record(
            user=world.reviewer, case=case, kind=StepKind.COUNTY_DECISION, done_on=day(start + 10)
        )
    case.refresh_from_db()
    return case


def remove_ready(world, case, *, income="9000", assessed=0, rigid=RigidExpenseState.SOLVED):
    """Income and expenses that meet the removal's conditions (2026, above 8,000)."""
    return services.finance_record(
        user=world.staff_a,
        household=case.household,
        year=2026,
        per_capita_net_income=Decimal(income),
        rigid_state=rigid,
        assessed_on=day(assessed),
    )


def another(village, **extra):
    """Another exited household of the village."""
    from tests.factories import HouseholdFactory

    extra.setdefault("status", PovertyStatus.EXITED)
    extra.setdefault("exit_year", 2018)
    return HouseholdFactory(village=village, **extra)
