"""Whether the ledger exporters' way of reading still streams on a given database configuration:
QuerySet.values_list(...).iterator(chunk_size=2000) over ROWS rows of ~100 bytes (a temporary
table), printing the peak memory it added. Run it with a deployment's environment, e.g.

    DATABASE_URL=postgres://…/pairing .venv/bin/python deploy/check_streaming.py
    DATABASE_URL=postgres://…/pairing DATABASE_POOLER=pgbouncer .venv/bin/python deploy/check_streaming.py

With server-side cursors (a direct connection) memory stays flat; with DATABASE_POOLER=pgbouncer
(server-side cursors off) psycopg receives the whole result first (see the README)."""

import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, models  # noqa: E402

ROWS = int(os.environ.get("ROWS", "1000000"))


class StreamRow(models.Model):
    payload = models.TextField()

    class Meta:
        app_label = "core"
        db_table = "stream_check_rows"  # the temporary table (pg_temp is searched first)
        managed = False

    def __str__(self) -> str:
        return str(self.pk)


def main() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE stream_check_rows AS SELECT g AS id, repeat('x', 100) AS payload"
            " FROM generate_series(1, %s) AS g",
            [ROWS],
        )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    rows = sum(1 for _ in StreamRow.objects.values_list("id", "payload").iterator(chunk_size=2000))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    off = settings.DATABASES["default"].get("DISABLE_SERVER_SIDE_CURSORS", False)
    print(
        f"server-side cursors {'off' if off else 'on'}: {rows:,} rows, "
        f"+{(peak - before) / 1024:.0f} MB peak while iterating, {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
