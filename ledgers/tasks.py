"""Celery tasks of the ledgers app: thin, they take ids and call a service."""

from celery import shared_task
from django.db import OperationalError

from ledgers import services


# A locked database ("database table is locked" on SQLite, a lock timeout elsewhere) before the
# job is claimed is transient: retry. The claim is a conditional update, so a retry is harmless.
# Acknowledged only when done (acks_late), and given back to the queue when its worker process
# dies (reject_on_worker_lost; a worker killed outright leaves it unacknowledged, and Redis hands
# it out again after CELERY_BROKER_VISIBILITY_TIMEOUT): the redelivered task takes the job over
# if its heartbeat has stopped, otherwise it does nothing.
@shared_task(
    name="ledgers.tasks.run_export",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=1,
    retry_backoff_max=10,
    max_retries=6,
)
def run_export(job_id: int) -> str:
    """Fill a large ledger export (queued by the export page once the job row is committed)."""
    job = services.export_job_run(job_id=job_id)
    return job.status if job is not None else "skipped"


@shared_task(name="ledgers.tasks.purge_expired_exports")
def purge_expired_exports() -> dict:
    """Delete ledgers past EXPORT_KEEP_DAYS, fail jobs that stopped making progress (a dead
    worker's), and delete uploaded rosters older than a day. Scheduled by the beat schedule."""
    return services.ledger_files_purge()


# The scheduled ledgers' tasks live in their own module; imported here to be registered.
from ledgers.subscription_tasks import send_ledger_delivery, send_scheduled_ledgers  # noqa: E402,F401
