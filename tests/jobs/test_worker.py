"""The reminder task end to end through a real Celery worker on Redis (not eager mode).

Skipped with a reason when Redis does not answer on a developer's machine; under CI=true it
must run (dev.py starts Redis there)."""

import os

import pytest
from celery.result import EagerResult

import notifications.tasks  # noqa: F401  (registers the tasks with the app)
from config.celery import app as celery_app
from notifications.models import Notification, NotificationKind
from tests.factories import HouseholdFactory, HouseholdPairingFactory
from tests.jobs.conftest import SUNDAY

REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/6"
CI = os.environ.get("CI", "").lower() == "true"
KINDS = [NotificationKind.WEEKLY_VISIT, NotificationKind.TERM_ENDING]


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


def _forget_connections() -> None:
    """The app caches its result backend (per thread) and its broker connection pool: an eager
    test earlier in the session leaves the disabled backend and a pool for the default broker,
    so `.delay()` would publish elsewhere and `.get()` wait for nothing."""
    celery_app._backend_cache = None
    celery_app._local.__dict__.pop("backend", None)
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def worker_on_redis():
    from celery.contrib.testing.worker import start_worker

    if not _redis_answers(REDIS_URL):
        if CI:
            pytest.fail(f"CI=true but Redis does not answer at {REDIS_URL}")
        pytest.skip(f"Redis 不可达（{REDIS_URL}），跳过真实 worker 测试；CI 中必须运行")
    keys = ("task_always_eager", "broker_url", "result_backend")
    saved = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(task_always_eager=False, broker_url=REDIS_URL, result_backend=REDIS_URL)
    _forget_connections()
    celery_app.control.purge()  # nothing left over from an earlier run
    try:
        with start_worker(
            celery_app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING"
        ) as worker:
            yield worker
    finally:
        celery_app.conf.update(saved)
        _forget_connections()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_reminder_task_on_a_real_worker_stores_each_reminder_once(world, worker_on_redis):
    for _ in range(5):
        HouseholdPairingFactory(
            household=HouseholdFactory(village=world.village_a), helper=world.helper_a
        )
    send = notifications.tasks.send_reminders
    on = SUNDAY.isoformat()

    sent = send.delay(kinds=KINDS, on=on)
    assert not isinstance(sent, EagerResult)  # through the broker, not in-process
    first = sent.get(timeout=60)
    assert first["new"] == {NotificationKind.WEEKLY_VISIT: 12}  # 6 households × 2 people
    rows = list(
        Notification.objects.exclude(kind=NotificationKind.DIGEST).values_list(
            "recipient_id", "kind", "subject_key", "period"
        )
    )
    assert len(rows) == len(set(rows)) == 12

    # Run again, and twice at the same moment on two worker threads: nothing new.
    results = [send.delay(kinds=KINDS, on=on) for _ in range(2)]
    again = send.delay(kinds=KINDS, on=on).get(timeout=60)
    for result in results:
        assert result.get(timeout=60)["new"] == {}
    assert again["new"] == {}
    assert Notification.objects.exclude(kind=NotificationKind.DIGEST).count() == 12
    assert Notification.objects.filter(kind=NotificationKind.DIGEST).count() == 2
    digest = Notification.objects.get(kind=NotificationKind.DIGEST, recipient=world.cadre_user)
    assert digest.items.count() == 6
