"""A large export end to end with a real Celery worker on Redis: the page queues the job, the
worker fills it and writes its progress, the status endpoint moves the bar, the owner downloads.

Needs Redis (TEST_REDIS_URL, default database 5 on 127.0.0.1). Skipped when Redis is not
reachable, except under CI=true, where it must run."""

import os
import socket
import time
from urllib.parse import urlparse

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse

from config.celery import app
from ledgers import services
from ledgers.exporters import PairingLedger
from ledgers.models import ExportJob
from tests.factories import HouseholdFactory
from tests.ledgers.conftest import open_workbook, sheet_rows

REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/5"
CI = os.environ.get("CI", "").lower() == "true"


def redis_reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def _forget_connections() -> None:
    """The app caches its broker connection pool and producers on first use; an earlier test
    that ran tasks in-process would otherwise keep sending to the default broker."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    if hasattr(app._local, "backend"):
        del app._local.backend


@pytest.fixture
def worker_on_redis(settings):
    if not redis_reachable(REDIS_URL):
        if CI:
            pytest.fail(f"CI=true but Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis 不可达（{REDIS_URL}）：真实 worker 测试跳过（CI 中必须运行）")
    keys = ("broker_url", "result_backend", "task_always_eager", "task_eager_propagates")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(
        broker_url=REDIS_URL,
        result_backend=REDIS_URL,
        task_always_eager=False,
        task_eager_propagates=False,
    )
    _forget_connections()
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
        ) as worker:
            yield worker
    finally:
        app.conf.update(saved)
        _forget_connections()


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
        {"kind": "pairing", "region": world.county.code, "year": "2026", "part": ""},
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
