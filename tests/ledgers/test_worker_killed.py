"""A worker killed with -9 in the middle of a large export (the defect: the job stayed
"running, 13 %" until the nightly purge). Real processes on a Redis of the test's own: a worker
starts the export, is killed, a second worker starts, the owner polls; the job must end failed
(with the reason, in Chinese) or completed by the redelivered task, never stay running.

The worker processes cannot share the test's in-memory SQLite database, so the test's committed
data is copied to a file they open (tests/ledgers/worker_process.py)."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import HouseholdFactory
from tests.jobs.own_redis import redis_server

HELPER = Path(__file__).with_name("worker_process.py")


def job_row(db: Path, job_id: int):
    with sqlite3.connect(db, timeout=20) as conn:
        return conn.execute(
            "SELECT status, done_rows, total_rows, error FROM ledgers_exportjob WHERE id = ?",
            (job_id,),
        ).fetchone()


@pytest.mark.worker
@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_export_never_leaves_the_job_running(world, tmp_path):
    # It copies the SQLite test database to a file the worker processes open; dev.py runs it
    # in its SQLite pass (conftest deselects it on PostgreSQL).
    for i in range(58):
        HouseholdFactory(village=world.village_a, head_name=f"户{i:02d}")
    db = tmp_path / "db.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(db)
    connection.connection.backup(target)
    target.close()

    with redis_server() as server:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{db}",
            "REDIS_URL": server.url,
            "CELERY_BROKER_URL": server.url,
            "CELERY_RESULT_BACKEND": server.url,
            "MEDIA_ROOT": str(tmp_path / "media"),
            "EXPORT_SYNC_MAX_ROWS": "10",
            "EXPORT_STALE_SECONDS": "3",
            "CELERY_BROKER_VISIBILITY_TIMEOUT": "4",
        }

        def start(*args, log):
            return subprocess.Popen(
                [sys.executable, str(HELPER), *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )

        logs = [open(tmp_path / f"worker{n}.log", "w") for n in (1, 2)]  # noqa: SIM115
        first = start("worker", "w1", "0.1", log=logs[0])
        second = None
        try:
            exported = subprocess.run(
                [sys.executable, str(HELPER), "export", world.reviewer.username, world.county.code],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert exported.returncode == 0, exported.stderr[-3000:]
            job_id = int(exported.stdout.split()[-1])

            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                status, done, total, _error = job_row(db, job_id)
                if status == "running" and done >= 10:
                    break
                assert first.poll() is None, (tmp_path / "worker1.log").read_text()[-3000:]
                time.sleep(0.1)
            assert status == "running" and 0 < done < total == 60, (status, done, total)
            os.kill(first.pid, signal.SIGKILL)  # mid-export: no acknowledgement, no last word
            first.wait(timeout=10)
            assert job_row(db, job_id)[0] == "running"

            time.sleep(4.5)  # past the visibility timeout and EXPORT_STALE_SECONDS
            second = start("worker", "w2", "0", log=logs[1])
            # Give the redelivered task a chance to take the job over before the owner looks
            # (if the owner's poll comes first, it fails the job: either ending is right).
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and job_row(db, job_id)[:2] == ("running", done):
                time.sleep(0.2)
            polled = subprocess.run(
                [sys.executable, str(HELPER), "poll", str(job_id), "90"],
                env=env,
                capture_output=True,
                text=True,
                timeout=150,
            )
            assert polled.returncode == 0, polled.stderr[-3000:]
            seen = [json.loads(line) for line in polled.stdout.splitlines() if line.startswith("{")]
            assert seen, polled.stdout
            last = seen[-1]
            assert last["status"] in ("done", "failed"), seen
            if last["status"] == "failed":
                assert "后台进程已停止" in last["error"]
            else:
                assert last["progress"] == 100 and last["download_url"]
            time.sleep(1)  # a redelivered task that arrives late must not revive it
            assert job_row(db, job_id)[0] == last["status"]
        finally:
            for process in (first, second):
                if process is not None and process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        process.kill()
            for log in logs:
                log.close()
