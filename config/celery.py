"""The Celery app. Tasks are thin: they take ids and call a service (see each app's tasks.py).

Pages queue their background jobs with `enqueue`, which never lets an unreachable broker turn
into a server error: it answers False within about two seconds (see the broker timeouts in
config/settings.py) and the caller marks its job failed and tells the user."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

app = Celery("pairing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Queue `task(*args, **kwargs)` for a worker; False (logged) when the broker cannot be
    reached. Nobody waits for these results, so none is subscribed to (the result store may be
    down with the broker). Without a broker the task runs here and its errors propagate."""
    if task.app.conf.task_always_eager:
        task.apply_async(args=args, kwargs=kwargs)
        return True
    try:
        task.apply_async(args=args, kwargs=kwargs, ignore_result=True)
    except Exception:
        logger.exception("could not queue %s%r: broker unreachable", task.name, args)
        return False
    return True
