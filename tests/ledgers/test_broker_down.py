"""A large export asked for while the broker is down: the page answers within seconds, in
Chinese, that the background job could not be started; the job is failed (not left pending);
the rest of the page keeps working. The broker is a Redis of the test's own, stopped mid-test."""

import time

import pytest
from django.urls import reverse

from ledgers.models import ExportJob
from tests.factories import HouseholdFactory
from tests.jobs.own_redis import broker_at, redis_server

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_post(client, region, **extra):
    data = {
        "kind": "pairing",
        "region": region.code,
        "year": "2026",
        "part": "",
        "mask_ids": "on",
        **extra,
    }
    return client.post(reverse("ledgers:export"), data)


@pytest.mark.django_db(transaction=True)
def test_a_large_export_with_the_broker_down_fails_its_job_at_once(client, world, settings):
    for i in range(4):
        HouseholdFactory(village=world.village_a, head_name=f"户{i}")
    settings.EXPORT_SYNC_MAX_ROWS = 2
    client.force_login(world.reviewer)
    with redis_server() as server, broker_at(server.url, settings):
        server.stop()  # the broker goes away
        started = time.monotonic()
        response = export_post(client, world.county)
        elapsed = time.monotonic() - started
        job = ExportJob.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("ledgers:job", args=[job.pk])
        assert elapsed < 5, elapsed
        assert job.status == ExportJob.Status.FAILED and job.finished_at is not None
        assert "后台任务无法启动" in job.error

        page = client.get(response["Location"])
        assert page.status_code == 200
        html = page.content.decode()
        assert "后台任务无法启动" in html and "重新导出" in html
        status = client.get(reverse("ledgers:job_status", args=[job.pk])).json()
        assert status["status"] == "failed" and "后台任务无法启动" in status["error"]

        # Retrying while the broker is still down fails the same way, quickly, without a 500.
        started = time.monotonic()
        retried = client.post(reverse("ledgers:job", args=[job.pk]))
        assert time.monotonic() - started < 5
        assert retried.status_code == 302
        again = ExportJob.objects.exclude(pk=job.pk).get()
        assert again.status == ExportJob.Status.FAILED

        # Everything else keeps working: the page, and ledgers small enough to download at once.
        assert client.get(reverse("ledgers:export")).status_code == 200
        settings.EXPORT_SYNC_MAX_ROWS = 5000
        small = export_post(client, world.county)
        assert small.status_code == 200 and small["Content-Type"] == XLSX
        assert ExportJob.objects.count() == 2
