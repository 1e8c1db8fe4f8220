"""The backup and restore procedure of the README, run for real: backup.sh of a live database
and uploads folder, restore.sh into a new database, and every table's row count compared."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from accounts.models import SecurityEvent

ROOT = Path(__file__).resolve().parents[2]

# backup.sh and restore.sh are for PostgreSQL: dev.py runs these in its PostgreSQL pass only.
pytestmark = [pytest.mark.postgres]


def _url(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _run(args, **env):
    return subprocess.run(
        [str(a) for a in args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_backup_then_restore_gives_back_every_row_and_upload(transactional_db, world, tmp_path):
    SecurityEvent.objects.create(kind=SecurityEvent.Kind.LOGIN, username="staff_a")
    media = tmp_path / "media"
    (media / "visits" / "2026").mkdir(parents=True)
    (media / "visits" / "2026" / "p1.jpg").write_bytes(os.urandom(4096))
    source = _url(connection.settings_dict["NAME"])

    backup = _run(
        [ROOT / "deploy" / "backup.sh", tmp_path / "backups"],
        DATABASE_URL=source,
        MEDIA_ROOT=str(media),
    )
    assert backup.returncode == 0, backup.stderr
    folder = Path(backup.stdout.strip().splitlines()[-1])
    assert {p.name for p in folder.iterdir()} == {
        "database.dump",
        "media.tar.gz",
        "rowcounts.tsv",
        "SHA256SUMS",
    }
    counts = dict(line.split("\t") for line in (folder / "rowcounts.tsv").read_text().splitlines())
    assert int(counts["households_household"]) == 2
    assert int(counts["accounts_securityevent"]) >= 1

    # A backup that fails leaves nothing behind that could pass for one.
    failed = _run(
        [ROOT / "deploy" / "backup.sh", tmp_path / "failed"],
        DATABASE_URL=_url("no_such_database_sec"),
        MEDIA_ROOT=str(media),
    )
    assert failed.returncode != 0 and not any((tmp_path / "failed").iterdir())

    target_name = connection.settings_dict["NAME"] + "_restore"
    target = _url(target_name)
    admin_url = _url("postgres")
    _run(["psql", admin_url, "-c", f'DROP DATABASE IF EXISTS "{target_name}"'])
    assert _run(["psql", admin_url, "-c", f'CREATE DATABASE "{target_name}"']).returncode == 0
    try:
        restored_media = tmp_path / "restored-media"
        restore = _run(
            [ROOT / "deploy" / "restore.sh", folder],
            DATABASE_URL=target,
            MEDIA_ROOT=str(restored_media),
        )
        assert restore.returncode == 0, restore.stdout + restore.stderr
        assert "counts match the backup" in restore.stdout
        assert (restored_media / "visits" / "2026" / "p1.jpg").read_bytes() == (
            media / "visits" / "2026" / "p1.jpg"
        ).read_bytes()
        # The application reads the restored database as it is (logins, the security log).
        check = _run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from accounts.models import SecurityEvent, User;"
                "print(User.objects.filter(username='staff_a').count(),"
                " SecurityEvent.objects.filter(username='staff_a').count())",
            ],
            DATABASE_URL=target,
        )
        assert check.returncode == 0, check.stderr
        assert check.stdout.split()[-2:] == ["1", "1"]
        # Restoring over a database that is not empty is refused.
        again = _run(
            [ROOT / "deploy" / "restore.sh", folder],
            DATABASE_URL=target,
            MEDIA_ROOT=str(tmp_path / "other"),
        )
        assert again.returncode == 2 and "restore into an empty one" in again.stderr
        # A damaged backup is refused before anything is written.
        (folder / "media.tar.gz").write_bytes(b"damaged")
        damaged = _run(
            [ROOT / "deploy" / "restore.sh", folder],
            DATABASE_URL=target,
            MEDIA_ROOT=str(tmp_path / "other"),
        )
        assert damaged.returncode != 0 and not (tmp_path / "other").exists()
    finally:
        connection.close()
        _run(["psql", admin_url, "-c", f'DROP DATABASE IF EXISTS "{target_name}"'])
