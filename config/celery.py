"""The Celery app. Tasks are thin: they take ids and call a service (see each app's tasks.py).

Pages queue their background jobs with `enqueue`, which never lets an unreachable broker turn
into a server error: it answers False within about two seconds (see the broker timeouts in
config/settings.py) and the caller marks its job failed and tells the user."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

app = Celery("pairing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def embedded_queue_ready() -> None:
    """The embedded default's queue is a folder (kombu's filesystem transport): make it, and its
    control folder, before the first message is written or read."""
    if not str(app.conf.broker_url).startswith("filesystem:"):
        return
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@worker_init.connect
@beat_init.connect
def _embedded_queue_at_start(**_: Any) -> None:
    embedded_queue_ready()


def enqueue(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Queue `task(*args, **kwargs)` for a worker; False (logged) when the broker cannot be
    reached. Nobody waits for these results, so none is subscribed to (the result store may be
    down with the broker). Without a broker the message is a file in the embedded queue, taken
    by the worker `dev.py start` runs; in eager mode (tests) the task runs here and its errors
    propagate."""
    if task.app.conf.task_always_eager:
        task.apply_async(args=args, kwargs=kwargs)
        return True
    try:
        embedded_queue_ready()
        task.apply_async(args=args, kwargs=kwargs, ignore_result=True)
    except Exception:
        logger.exception("could not queue %s%r: broker unreachable", task.name, args)
        return False
    return True
