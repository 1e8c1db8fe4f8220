"""The Celery app. Tasks are thin: they take ids and call a service (see each app's tasks.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pairing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
