"""Celery tasks of the scheduled ledgers (ledgers/subscriptions.py): thin, they take ids and call
the service. Imported by ledgers/tasks.py so Celery's autodiscovery registers them."""

from __future__ import annotations

import datetime

from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError

from ledgers import subscriptions


@shared_task(
    name="ledgers.tasks.send_scheduled_ledgers",
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=3,
)
def send_scheduled_ledgers(on: str | None = None) -> dict:
    """The daily run (beat, 07:00): queue each subscription's delivery that is due or overdue."""
    today = datetime.date.fromisoformat(on) if on else None
    return subscriptions.deliveries_run(today=today)


@shared_task(
    bind=True,
    name="ledgers.tasks.send_ledger_delivery",
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=10,
)
def send_ledger_delivery(self: Task, delivery_id: int, manual: bool = False) -> str:
    """Send one delivery. On a worker a failed SMTP send is retried with backoff
    (LEDGER_MAIL_RETRY_SECONDS, doubled each time, at most an hour) until LEDGER_MAIL_MAX_ATTEMPTS
    attempts; in-process (no broker) the next daily run or 立即重新发送 tries again. The claim
    makes a duplicated or redelivered task harmless."""
    result = subscriptions.delivery_send(delivery_id=delivery_id, manual=manual)
    if result.retry and not self.request.is_eager:
        base = settings.LEDGER_MAIL_RETRY_SECONDS
        raise self.retry(countdown=min(base * 2**self.request.retries, 3600))
    return result.delivery.status
