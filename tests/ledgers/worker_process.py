"""Processes for tests/ledgers/test_worker_killed.py, run as `python worker_process.py MODE …`
with DATABASE_URL and CELERY_BROKER_URL set by the test (a SQLite file and a Redis of its own):

- `worker NAME SECONDS_PER_ROW`: a real Celery worker (solo pool) whose pairing ledger writes
  slowly and reports progress every 5 rows, so the test can kill it mid-export;
- `export USERNAME REGION`: the export page, posted as that user; prints the job's id;
- `poll JOB_ID SECONDS`: the job's owner polling the status endpoint, one JSON line a poll,
  until the job is no longer pending or running."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()


def worker(name: str, seconds_per_row: str) -> None:
    from config.celery import app
    from ledgers import services
    from ledgers.exporters import PairingLedger

    services.PROGRESS_EVERY = 5
    rows = PairingLedger.rows
    pause = float(seconds_per_row)

    def slow_rows(self):
        for row in rows(self):
            time.sleep(pause)
            yield row

    PairingLedger.rows = slow_rows
    app.worker_main(
        [
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            f"--hostname={name}@%h",
        ]
    )


def client_for(username: str):
    from django.test import Client
    from django.test.utils import setup_test_environment

    from accounts.models import User

    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def export(username: str, region: str) -> None:
    from django.urls import reverse

    from ledgers.models import ExportJob

    client = client_for(username)
    data = {"kind": "pairing", "region": region, "year": "2026", "part": "", "mask_ids": "on"}
    response = client.post(reverse("ledgers:export"), data)
    assert response.status_code == 302, response.status_code
    print(ExportJob.objects.latest("pk").pk, flush=True)


def poll(job_id: str, seconds: str) -> None:
    from django.urls import reverse

    from ledgers.models import ExportJob

    owner = ExportJob.objects.select_related("user").get(pk=job_id).user.username
    client = client_for(owner)
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        status = client.get(reverse("ledgers:job_status", args=[int(job_id)])).json()
        print(json.dumps(status, ensure_ascii=False), flush=True)
        if status["status"] not in ("pending", "running"):
            return
        time.sleep(0.5)


if __name__ == "__main__":
    {"worker": worker, "export": export, "poll": poll}[sys.argv[1]](*sys.argv[2:])
