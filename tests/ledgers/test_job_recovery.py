"""A background export whose worker died: the heartbeat shows it, the owner's page fails it
(in Chinese, with a 重新导出 button that makes a new job with the same parameters, the owner's
only), a redelivered task takes it over, the nightly purge fails it within minutes, and the task
is acknowledged late and given back when its worker is lost."""

import datetime
import gc
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from ledgers import services
from ledgers.exporters import PairingLedger
from ledgers.models import ExportJob
from ledgers.tasks import run_export
from tests.factories import HouseholdFactory


def running_job(world, *, beat_seconds_ago, user=None, **extra):
    """A job 'running, 13 %' whose last heartbeat was this many seconds ago."""
    now = timezone.now()
    job = ExportJob.objects.create(
        user=user or world.reviewer,
        kind=extra.pop("kind", "pairing"),
        region=extra.pop("region", world.county),
        period=extra.pop("period", "2026"),
        status=ExportJob.Status.RUNNING,
        total_rows=100,
        done_rows=13,
        attempts=1,
        **extra,
    )
    ExportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=now - datetime.timedelta(seconds=beat_seconds_ago),
        created_at=now - datetime.timedelta(seconds=beat_seconds_ago + 30),
    )
    return job


def test_a_job_without_progress_is_failed_when_its_owner_polls(client, world, settings):
    settings.EXPORT_STALE_SECONDS = 120
    alive = running_job(world, beat_seconds_ago=10)
    dead = running_job(world, beat_seconds_ago=150)
    client.force_login(world.reviewer)
    status = client.get(reverse("ledgers:job_status", args=[alive.pk])).json()
    assert status["status"] == "running" and status["progress"] == 13
    status = client.get(reverse("ledgers:job_status", args=[dead.pk])).json()
    assert status["status"] == "failed"
    assert "后台进程已停止" in status["error"] and "重新导出" in status["error"]
    html = client.get(reverse("ledgers:job", args=[dead.pk])).content.decode()
    assert "后台进程已停止" in html
    assert 'action="' + reverse("ledgers:job", args=[dead.pk]) + '"' in html  # the retry form
    # The page of a job that never started fails it after EXPORT_PENDING_SECONDS.
    settings.EXPORT_PENDING_SECONDS = 600
    waiting = ExportJob.objects.create(
        user=world.reviewer, kind="pairing", region=world.county, period="2026"
    )
    ExportJob.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    html = client.get(reverse("ledgers:job", args=[waiting.pk])).content.decode()
    waiting.refresh_from_db()
    assert waiting.status == ExportJob.Status.FAILED and "仍未开始" in html


def test_the_purge_fails_jobs_without_progress_within_minutes(world, settings):
    settings.EXPORT_STALE_SECONDS = 120
    alive = running_job(world, beat_seconds_ago=30)
    dead = running_job(world, beat_seconds_ago=180)
    assert services.ledger_files_purge()["stale"] == 1
    alive.refresh_from_db()
    dead.refresh_from_db()
    assert alive.status == ExportJob.Status.RUNNING
    assert dead.status == ExportJob.Status.FAILED and "后台进程已停止" in dead.error


def test_a_redelivered_task_takes_over_a_job_whose_worker_died(world, settings):
    settings.EXPORT_STALE_SECONDS = 120
    for i in range(3):
        HouseholdFactory(village=world.village_a, head_name=f"户{i}")
    alive = running_job(world, beat_seconds_ago=10)
    assert services.export_job_run(job_id=alive.pk) is None  # its worker is still beating
    alive.refresh_from_db()
    assert (alive.status, alive.attempts) == (ExportJob.Status.RUNNING, 1)

    dead = running_job(world, beat_seconds_ago=150)
    job = services.export_job_run(job_id=dead.pk)
    assert job is not None and job.status == ExportJob.Status.DONE
    assert job.attempts == 2 and job.file and job.done_rows == job.total_rows == 5
    assert job.heartbeat_at > timezone.now() - datetime.timedelta(seconds=60)

    # A job lost EXPORT_MAX_ATTEMPTS times is failed rather than run again.
    lost = running_job(world, beat_seconds_ago=150)
    ExportJob.objects.filter(pk=lost.pk).update(attempts=services.EXPORT_MAX_ATTEMPTS)
    assert services.export_job_run(job_id=lost.pk) is None
    lost.refresh_from_db()
    assert lost.status == ExportJob.Status.FAILED


# openpyxl's unfinished sheet stream complains when it is collected: expected, not a failure.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_worker_whose_job_was_taken_over_stops_writing(world, settings, monkeypatch):
    for i in range(6):
        HouseholdFactory(village=world.village_a, head_name=f"户{i}")
    job = ExportJob.objects.create(
        user=world.reviewer, kind="pairing", region=world.county, period="2026", total_rows=8
    )
    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    rows = PairingLedger.rows

    def taken_over_midway(self):
        for n, row in enumerate(rows(self)):
            if n == 3:  # another task claimed the job meanwhile
                ExportJob.objects.filter(pk=job.pk).update(attempts=7, done_rows=0)
            yield row

    monkeypatch.setattr(PairingLedger, "rows", taken_over_midway)
    assert services.export_job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.attempts, job.done_rows, job.file.name) == ("running", 7, 0, "")
    gc.collect()  # the abandoned sheet stream is collected here, under this test's filter


def test_retry_makes_a_new_job_with_the_same_parameters_for_its_owner_only(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_STALE_SECONDS = 120
    dead = running_job(world, beat_seconds_ago=150, kind="visit", period="2026-Q3", masked=True)
    client.force_login(world.admin)  # an administrator sees the job but may not retry it
    html = client.get(reverse("ledgers:job", args=[dead.pk])).content.decode()
    assert "后台进程已停止" in html
    assert 'action="' + reverse("ledgers:job", args=[dead.pk]) + '"' not in html
    assert client.post(reverse("ledgers:job", args=[dead.pk])).status_code == 404
    client.force_login(world.staff_a)
    assert client.post(reverse("ledgers:job", args=[dead.pk])).status_code == 404
    assert ExportJob.objects.count() == 1

    client.force_login(world.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("ledgers:job", args=[dead.pk]))
    new = ExportJob.objects.exclude(pk=dead.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledgers:job", args=[new.pk])
    assert (new.user, new.kind, new.region, new.period, new.masked) == (
        world.reviewer,
        "visit",
        world.county,
        "2026-Q3",
        True,
    )
    assert new.status == ExportJob.Status.DONE  # run in-process here (no broker)
    # A job that is done is not retried again.
    assert client.post(reverse("ledgers:job", args=[new.pk]))["Location"] == reverse(
        "ledgers:job", args=[new.pk]
    )
    assert ExportJob.objects.count() == 2


def test_the_export_task_is_acknowledged_late_and_given_back_when_its_worker_dies():
    assert run_export.acks_late is True
    assert run_export.reject_on_worker_lost is True
    options = app.conf.broker_transport_options
    assert options["visibility_timeout"] > app.conf.task_time_limit
    assert options["socket_connect_timeout"] <= 2
    assert app.conf.broker_connection_timeout <= 2
    policy = app.conf.task_publish_retry_policy
    assert policy["max_retries"] * policy["interval_max"] <= 2


def test_a_heartbeat_is_written_with_every_progress_update(world, settings, monkeypatch):
    for i in range(6):
        HouseholdFactory(village=world.village_a, head_name=f"户{i}")
    job = ExportJob.objects.create(
        user=world.reviewer, kind="pairing", region=world.county, period="2026", total_rows=8
    )
    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    rows = PairingLedger.rows
    beats = []

    def watched(self):
        for row in rows(self):
            beats.append(ExportJob.objects.values_list("heartbeat_at", flat=True).get(pk=job.pk))
            time.sleep(0.01)
            yield row

    monkeypatch.setattr(PairingLedger, "rows", watched)
    assert services.export_job_run(job_id=job.pk).status == ExportJob.Status.DONE
    assert all(beats) and beats == sorted(beats) and len(set(beats)) >= 3
