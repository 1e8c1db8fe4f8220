"""gunicorn settings for production (used by deploy/systemd/pairing-web.service and the load
test). Everything can be overridden from the environment file."""

import multiprocessing
import os

# Only nginx on the same machine talks to gunicorn; the application is never exposed directly.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: the pages are short database-bound requests. 2 × cores + 1 is gunicorn's advice;
# on the 2-core machines that is 5 (the load test in the README used 2).
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A ledger of more than EXPORT_SYNC_MAX_ROWS rows runs in Celery, so no request needs long.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak in any library never grows without bound.
max_requests = 2000
max_requests_jitter = 200
# nginx sets X-Forwarded-Proto; trust it from the local proxy only.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Request line and headers limits (defaults are generous; these are tighter).
limit_request_line = 8190
limit_request_fields = 100
proc_name = "pairing-web"
# gunicorn 24+ opens a control socket in the service user's home; the units restart through
# systemd instead, and ProtectHome=true would refuse the socket anyway.
control_socket_disable = True
