"""Thin tasks: they take plain arguments, call a service and are safe to run twice (the unique
key on notifications and the conditional UPDATE of `emailed_at` make a rerun harmless).
The schedule that calls them is in notifications/schedule.py."""

import datetime

from celery import shared_task
from django.db import OperationalError

from notifications import services


def _day(on: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(on) if on else None


@shared_task(
    name="notifications.tasks.send_reminders",
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=3,
)
def send_reminders(kinds: list[str] | None = None, on: str | None = None) -> dict:
    """Run the reminder rules (all, or the kinds given) and fold new reminders into digests."""
    result = services.reminders_run(on=_day(on), kinds=kinds)
    return {"found": result.found, "new": result.new, "digests": result.digests}


@shared_task(
    name="notifications.tasks.send_digest_emails",
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=3,
)
def send_digest_emails(on: str | None = None) -> int:
    """E-mail each person's digest of the day, once."""
    return services.digests_send(on=_day(on))
