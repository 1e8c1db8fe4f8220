"""The events other parts of the product write into the security log, checked end to end through
the pages people use: a ledger export and download, a voided spot-check draw."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent
from tests.factories import VisitFactory

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_ledger_export_and_download_are_logged_with_region_and_rows(world, client):
    VisitFactory(household=world.household_a, helper=world.helper_a)
    client.force_login(world.reviewer)
    year = str(timezone.localdate().year)
    response = client.post(
        reverse("ledgers:export"),
        {
            "kind": "pairing",
            "region": world.county.code,
            "year": year,
            "part": "",
            "mask_ids": "on",
        },
        REMOTE_ADDR="10.20.30.40",
    )
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    export = SecurityEvent.objects.get(kind=Kind.EXPORT)
    assert (export.user, export.ip_address, export.region_code) == (
        world.reviewer,
        "10.20.30.40",
        world.county.code,
    )
    assert export.rows == 2  # the two households of the county

    from ledgers.periods import parse_period
    from ledgers.services import export_job_create, export_job_run

    job = export_job_create(
        user=world.reviewer,
        kind="pairing",
        region=world.county,
        period=parse_period(year),
        mask_ids=True,
        total_rows=2,
    )
    export_job_run(job_id=job.pk)
    download = client.get(reverse("ledgers:job_download", args=[job.pk]), REMOTE_ADDR="10.20.30.41")
    assert download.status_code == 200
    event = SecurityEvent.objects.get(kind=Kind.DOWNLOAD)
    assert (event.ip_address, event.region_code, event.rows) == (
        "10.20.30.41",
        world.county.code,
        2,
    )


def test_voiding_a_draw_is_logged(world, client):
    from inspections.services import quarter_of, spot_check_draw

    draw = spot_check_draw(
        region=world.county,
        quarter=quarter_of(timezone.localdate()),
        drawn_by=world.reviewer,
        seed=7,
    )
    client.force_login(world.reviewer)
    response = client.post(
        reverse("inspections:draw_void", args=[draw.pk]),
        {"reason": "抽取范围有误，重新抽取"},
        REMOTE_ADDR="10.20.30.42",
    )
    assert response.status_code == 302
    event = SecurityEvent.objects.get(kind=Kind.DRAW_VOIDED)
    assert (event.user, event.ip_address, event.region_code) == (
        world.reviewer,
        "10.20.30.42",
        world.county.code,
    )
    assert event.detail["reason"] == "抽取范围有误，重新抽取"


def test_the_log_answers_the_auditors_question_for_one_day(world, client):
    """Who logged in, from where, and what they did: one filterable admin list."""
    client.post(
        reverse("accounts:login"),
        {"username": "reviewer", "password": world.password},
        REMOTE_ADDR="10.1.1.1",
    )
    client.force_login(world.admin)
    today = timezone.localdate()
    response = client.get(
        reverse("admin:accounts_securityevent_changelist"),
        {
            "kind": "login",
            "created_at__day": today.day,
            "created_at__month": today.month,
            "created_at__year": today.year,
        },
    )
    assert response.status_code == 200
    assert "10.1.1.1" in response.content.decode()
