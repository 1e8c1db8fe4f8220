"""The scheduled ledger through a real Celery worker on Redis (db 9): the first SMTP attempt
is refused (451), Celery's retry with backoff sends it, the superior's server receives it
once; the beat's task run again sends nothing. Skipped with a reason when Redis does not
answer on a developer's machine; under CI=true it must run."""

from __future__ import annotations

import os
import time

import pytest
from celery.result import EagerResult

from ledgers.models import LedgerDelivery
from ledgers.subscription_tasks import send_scheduled_ledgers
from tests import celery_worker
from tests.mail.conftest import DECEMBER_1
from tests.mail.test_delivery import check_november_ledger

REDIS_URL = os.environ.get("TEST_MAIL_REDIS_URL") or "redis://127.0.0.1:6379/9"


@pytest.fixture
def worker(settings):
    settings.LEDGER_MAIL_RETRY_SECONDS = 1  # the backoff, shortened: 1 s, 2 s, 4 s …
    with celery_worker.worker_on_redis(REDIS_URL, pool="threads", concurrency=2) as worker:
        yield worker


def wait_for(condition, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_refused_first_attempt_is_retried_by_the_worker_and_arrives_once(
    scene, smtp_server, worker
):
    smtp_server.fail = 1
    started = send_scheduled_ledgers.delay(on=DECEMBER_1.isoformat())
    assert not isinstance(started, EagerResult)  # through the broker
    assert started.get(timeout=60)["queued"] == 1

    def sent():
        return LedgerDelivery.objects.filter(status=LedgerDelivery.Status.SENT).exists()

    assert wait_for(sent), LedgerDelivery.objects.values()
    assert smtp_server.refused == 1
    check_november_ledger(scene, smtp_server, attempts=2)

    # The beat's task twice more, at once on two threads: nothing is sent again.
    again = [send_scheduled_ledgers.delay(on=DECEMBER_1.isoformat()) for _ in range(2)]
    assert [result.get(timeout=60)["queued"] for result in again] == [0, 0]
    time.sleep(1)
    assert len(smtp_server.messages) == 1
