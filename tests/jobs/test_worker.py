"""The reminder task end to end through a real Celery worker on Redis (not eager mode).

Skipped with a reason when Redis does not answer on a developer's machine; under CI=true it
must run (dev.py starts Redis there)."""

import os

import pytest
from celery.result import EagerResult

import notifications.tasks  # noqa: F401  (registers the tasks with the app)
from notifications.models import Notification, NotificationKind
from tests import celery_worker
from tests.factories import HouseholdFactory, HouseholdPairingFactory
from tests.jobs.conftest import SUNDAY

REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/6"
KINDS = [NotificationKind.WEEKLY_VISIT, NotificationKind.TERM_ENDING]


@pytest.fixture
def worker_on_redis():
    with celery_worker.worker_on_redis(REDIS_URL, pool="threads", concurrency=2) as worker:
        yield worker


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
