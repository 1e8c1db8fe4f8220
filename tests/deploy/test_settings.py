"""How the settings grow with the deployment (issues 15 and 17): the embedded default (no broker:
the filesystem queue, sessions in the database), Redis (broker, shared cache, cached_db sessions),
a read replica, PgBouncer; queues by kind and the systemd units that consume them. Each case is
read from a fresh process with that environment, as a server starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from config.celery import app
from config.db_router import (
    PIN_COOKIE,
    PrimaryPinMiddleware,
    PrimaryReplicaRouter,
    reading_from_replica,
    reads_from_replica,
)

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
django.setup()
from django.conf import settings as s
from config.celery import app
print(json.dumps({
    "broker": app.conf.broker_url,
    "eager": app.conf.task_always_eager,
    "folder": app.conf.broker_transport_options.get("data_folder_in"),
    "session": s.SESSION_ENGINE,
    "cache": s.CACHES["default"]["BACKEND"],
    "aliases": sorted(s.DATABASES),
    "replica_test": s.DATABASES.get("replica", {}).get("TEST"),
    "no_server_cursors": s.DATABASES["default"].get("DISABLE_SERVER_SIDE_CURSORS", False),
    "options": s.DATABASES["default"].get("OPTIONS", {}).get("options"),
}))
"""


def probe(**env) -> dict:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DATABASE_", "CACHE_"))
    }
    clean.update({"REDIS_URL": "", "DJANGO_ENV": "development"})
    clean.update(env)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_embedded_default_queues_to_a_folder_and_keeps_sessions_in_the_database(tmp_path):
    got = probe(DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    assert got["broker"] == "filesystem://"
    assert got["eager"] is False  # a real worker takes the tasks (dev.py start runs it)
    assert got["folder"] == str(ROOT / "var" / "celery-queue")
    assert got["session"] == "django.contrib.sessions.backends.db"
    assert got["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert got["aliases"] == ["default"]
    asked = probe(DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", CELERY_TASK_ALWAYS_EAGER="true")
    assert asked["eager"] is True


def test_the_test_suite_runs_tasks_in_process():
    assert app.conf.task_always_eager is True


def test_redis_shares_the_cache_and_sessions_between_web_machines(tmp_path):
    got = probe(
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", REDIS_URL="redis://10.0.0.30:6379/0"
    )
    assert got["broker"] == "redis://10.0.0.30:6379/0" and got["eager"] is False
    assert got["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert got["session"] == "django.contrib.sessions.backends.cached_db"


def test_a_replica_url_adds_the_alias_and_pgbouncer_turns_off_server_side_cursors():
    primary = "postgres://pairing@10.0.0.20:6432/pairing"
    got = probe(DATABASE_URL=primary, DATABASE_REPLICA_URL=primary + "_replica")
    assert got["aliases"] == ["default", "replica"]
    assert got["replica_test"]["MIRROR"] == "default"
    assert (
        got["no_server_cursors"] is False and "max_parallel_workers_per_gather=0" in got["options"]
    )
    pooled = probe(DATABASE_URL=primary, DATABASE_POOLER="pgbouncer")
    assert pooled["no_server_cursors"] is True
    assert pooled["options"] is None  # PgBouncer refuses startup options (set on the role)


def test_a_misspelt_pooler_stops_start_up():
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**clean, "DATABASE_POOLER": "pgbounce"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "DATABASE_POOLER must be empty or pgbouncer" in done.stderr


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("ledgers.tasks.run_export", "heavy"),
        ("assessments.tasks.evaluate_period", "heavy"),
        ("assessments.tasks.evaluate_current_periods", "heavy"),
        ("notifications.tasks.send_reminders", "default"),
        ("notifications.tasks.send_digest_emails", "default"),
    ],
)
def test_queues_by_kind(task, queue):
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_the_units_consume_their_queues():
    units = ROOT / "deploy" / "systemd"
    exec_start = {
        name: next(
            line
            for line in (units / name).read_text().splitlines()
            if line.startswith("ExecStart=")
        )
        for name in (
            "pairing-worker.service",
            "pairing-worker-heavy.service",
            "pairing-worker-default.service",
        )
    }
    assert "--queues=default,heavy" in exec_start["pairing-worker.service"]
    assert "--queues=heavy " in exec_start["pairing-worker-heavy.service"]
    assert "--queues=default " in exec_start["pairing-worker-default.service"]
    # Every queue a task is routed to is consumed by some unit.
    routed = {route["queue"] for route in app.conf.task_routes.values()} | {
        app.conf.task_default_queue
    }
    consumed = {
        q for line in exec_start.values() for q in line.split("--queues=")[1].split()[0].split(",")
    }
    assert routed <= consumed


def test_with_no_replica_everything_reads_and_writes_the_default(db):
    router = PrimaryReplicaRouter()
    with reads_from_replica() as on_replica:
        assert on_replica is False
        assert not reading_from_replica()
        assert router.db_for_read(None) is None  # Django's default
    assert router.db_for_write(None) == "default"


def test_the_middleware_pins_a_browser_after_a_write_only_with_a_replica(db, world):
    request_factory = RequestFactory()
    middleware = PrimaryPinMiddleware(lambda request: HttpResponse("ok"))

    def call(method):
        request = getattr(request_factory, method)("/")
        request.user = world.reviewer
        return middleware(request)

    assert PIN_COOKIE not in call("post").cookies  # no replica: nothing to pin
    from django.conf import settings

    # A replica alias for the middleware to see (it opens no connection).
    settings.DATABASES["replica"] = {**settings.DATABASES["default"], "TEST": {"MIRROR": "default"}}
    try:
        assert PIN_COOKIE not in call("get").cookies
        pinned = call("post").cookies[PIN_COOKIE]
        assert pinned["max-age"] == settings.DATABASE_REPLICA_PIN_SECONDS
        assert pinned["httponly"] and pinned["samesite"] == "Lax"
        for method in ("put", "patch", "delete"):
            assert PIN_COOKIE in call(method).cookies
    finally:
        del settings.DATABASES["replica"]
