"""A real Celery worker on Redis for the job tests (not eager mode).

The app caches its result backend (per thread), its broker connection pool and, through kombu's
global pool registry, its producers. Eager tests and earlier worker tests leave those pointing at
another broker or closed, so every worker test starts and ends by forgetting all of them.
Skipped with a reason when Redis does not answer on a developer's machine; under CI=true it must
run (dev.py starts Redis there)."""

import contextlib
import os

import pytest
from kombu import pools

from config.celery import app

CI = os.environ.get("CI", "").lower() == "true"


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


def forget_connections() -> None:
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


@contextlib.contextmanager
def worker_on_redis(redis_url: str, **worker_options):
    from celery.contrib.testing.worker import start_worker

    if not redis_answers(redis_url):
        if CI:
            pytest.fail(f"CI=true but Redis does not answer at {redis_url}")
        pytest.skip(f"Redis 不可达（{redis_url}），跳过真实 worker 测试；CI 中必须运行")
    keys = ("task_always_eager", "task_eager_propagates", "broker_url", "result_backend")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(
        task_always_eager=False,
        task_eager_propagates=False,
        broker_url=redis_url,
        result_backend=redis_url,
    )
    forget_connections()
    app.control.purge()  # nothing left over from an earlier run
    try:
        with start_worker(
            app, perform_ping_check=False, loglevel="WARNING", **worker_options
        ) as worker:
            yield worker
    finally:
        app.conf.update(saved)
        forget_connections()
