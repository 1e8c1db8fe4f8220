from celery import shared_task

from accounts.services import security_log_purge


@shared_task
def purge_security_log() -> int:
    """Daily: drop security events past SECURITY_LOG_KEEP_DAYS (never fewer than 180 days)."""
    return security_log_purge()
