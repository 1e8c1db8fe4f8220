"""A large export end to end with a real Celery worker on Redis: the page queues the job, the
worker fills it and writes its progress, the status endpoint moves the bar, the owner downloads.

Needs Redis (TEST_REDIS_URL, default database 5 on 127.0.0.1). Skipped when Redis is not
reachable, except under CI=true, where it must run."""

import os
import time

import pytest
from django.urls import reverse

from ledgers import services
from ledgers.exporters import PairingLedger
from ledgers.models import ExportJob
from tests import celery_worker
from tests.factories import HouseholdFactory
from tests.ledgers.conftest import open_workbook, sheet_rows

REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/5"


@pytest.fixture
def worker_on_redis():
    with celery_worker.worker_on_redis(REDIS_URL, pool="solo", shutdown_timeout=30) as worker:
        yield worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_large_export_runs_on_a_real_worker_with_progress(
    client, world, settings, monkeypatch, worker_on_redis
):
    for i in range(38):
        HouseholdFactory(village=world.village_a, head_name=f"户{i:02d}")
    settings.EXPORT_SYNC_MAX_ROWS = 10
    monkeypatch.setattr(services, "PROGRESS_EVERY", 5)
    rows = PairingLedger.rows

    def slow_rows(self):  # long enough for the page to see the bar move
        for row in rows(self):
            time.sleep(0.05)
            yield row

    monkeypatch.setattr(PairingLedger, "rows", slow_rows)

    client.force_login(world.reviewer)
    response = client.post(
        reverse("ledgers:export"),
        {
            "kind": "pairing",
            "region": world.county.code,
            "year": "2026",
            "part": "",
            "mask_ids": "on",
        },
    )
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("ledgers:job", args=[job.pk])
    assert job.total_rows == 40

    seen = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        status = client.get(reverse("ledgers:job_status", args=[job.pk])).json()
        seen.append((status["status"], status["progress"]))
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert seen[-1] == ("done", 100), seen
    assert any(state == "running" and 0 < progress < 100 for state, progress in seen), seen
    progress = [p for _state, p in seen]
    assert progress == sorted(progress)  # the bar only moves forward

    page = client.get(reverse("ledgers:job", args=[job.pk])).content.decode()
    assert reverse("ledgers:job_download", args=[job.pk]) in page
    download = client.get(reverse("ledgers:job_download", args=[job.pk]))
    assert download.status_code == 200
    assert len(sheet_rows(open_workbook(b"".join(download.streaming_content)).active)) == 40
    client.force_login(world.staff_a)
    assert client.get(reverse("ledgers:job_download", args=[job.pk])).status_code == 404
