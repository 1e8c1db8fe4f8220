"""The read replica's routing (issue 17), on two PostgreSQL databases of the same server: the test
database as the primary and a copy of it, made by the fixture, as the "replica". Each test
builds its rows on the primary, copies the database, then gives the two DIFFERENT names (主库… on
the primary, 副本… on the replica), so every read shows where it came from; every query is also
captured per database.

Proven: the dashboard, a background ledger export and an API list read from the replica; a POST
and then the next GET of the same user (page and API) read the primary; writes land on the
primary only; inside a transaction, and after a write in the same block, reads stay on the
primary; with no replica configured everything is the primary."""

from __future__ import annotations

import time

import pytest
from django.conf import settings as django_settings
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.db_router import PrimaryReplicaRouter, reading_from_replica, reads_from_replica
from households.models import Household
from ledgers import services
from ledgers.models import ExportJob
from tests.ledgers.conftest import open_workbook, sheet_rows
from villages.models import Region

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


def _terminate_others(cursor, name: str) -> None:
    cursor.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        [name],
    )


@pytest.fixture(scope="module")
def replica_alias(django_db_setup, django_db_blocker):
    """Registers a `replica` alias (a database of its own on the same server) for this module's
    tests only: other modules run with no replica configured."""
    primary = connections["default"].settings_dict["NAME"]
    name = f"{primary}_replica"
    with django_db_blocker.unblock():
        connections.close_all()
        with connections["default"]._nodb_cursor() as cursor:
            _terminate_others(cursor, primary)
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{primary}"')
    default = connections["default"].settings_dict
    replica = {**default, "NAME": name, "TEST": {**default["TEST"], "NAME": name, "MIRROR": None}}
    django_settings.DATABASES["replica"] = replica
    yield name
    with django_db_blocker.unblock():
        connections["replica"].close()
        del connections["replica"]
        del django_settings.DATABASES["replica"]
        with connections["default"]._nodb_cursor() as cursor:
            _terminate_others(cursor, name)
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture
def copy_to_replica(replica_alias):
    """Make the replica a copy of the primary as it is now (what streaming replication does)."""

    def copy() -> None:
        primary = connections["default"].settings_dict["NAME"]
        connections.close_all()
        with connections["default"]._nodb_cursor() as cursor:
            _terminate_others(cursor, replica_alias)
            _terminate_others(cursor, primary)
            cursor.execute(f'DROP DATABASE IF EXISTS "{replica_alias}"')
            cursor.execute(f'CREATE DATABASE "{replica_alias}" TEMPLATE "{primary}"')

    return copy


@pytest.fixture
def two_copies(world, copy_to_replica, settings):
    """The world on both databases, with the county and household A named apart."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EXPORT_SYNC_MAX_ROWS = 0  # every export is a background job
    copy_to_replica()
    for alias, prefix in (("default", "主库"), ("replica", "副本")):
        Region.objects.using(alias).filter(pk=world.county.pk).update(name=f"{prefix}县")
        Household.objects.using(alias).filter(pk=world.household_a.pk).update(
            head_name=f"{prefix}户"
        )
    return world


class Captured:
    def __init__(self):
        self.primary = CaptureQueriesContext(connections["default"])
        self.replica = CaptureQueriesContext(connections["replica"])

    def __enter__(self):
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    @staticmethod
    def reads(context, table: str) -> int:
        return sum(
            1
            for q in context.captured_queries
            if q["sql"].lstrip().upper().startswith("SELECT") and f'"{table}"' in q["sql"]
        )


def test_the_dashboard_reads_from_the_replica(client, two_copies):
    world = two_copies
    client.force_login(world.reviewer)
    with Captured() as captured:
        page = client.get(reverse("assessments:dashboard"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "副本县" in text and "主库县" not in text
    assert captured.reads(captured.replica, "villages_region") >= 1
    assert captured.reads(captured.primary, "villages_region") == 0
    # Who is logged in is read from the primary (outside the marked block).
    assert captured.reads(captured.primary, "django_session") == 1


def test_a_background_ledger_export_reads_from_the_replica_and_writes_the_primary(two_copies):
    world = two_copies
    job = services.export_start(
        user=world.reviewer,
        kind="pairing",
        region=Region.objects.get(pk=world.county.pk),
        period=services.parse_period("2026"),
    ).job
    assert job is not None
    # Queued on commit and run in-process (the suite's eager mode) at once: it read the replica.
    job = ExportJob.objects.get(pk=job.pk)
    assert job.status == ExportJob.Status.DONE
    rows = sheet_rows(open_workbook(job.file.open("rb").read()).active)
    heads = {cell for row in rows for cell in row if isinstance(cell, str) and cell.endswith("户")}
    assert "副本户" in heads and "主库户" not in heads
    # The job (created after the copy) and its progress exist on the primary only.
    assert not ExportJob.objects.using("replica").filter(pk=job.pk).exists()


def test_a_post_then_the_next_get_of_the_same_user_read_the_primary(client, two_copies):
    world = two_copies
    client.force_login(world.reviewer)
    assert "副本县" in client.get(reverse("assessments:dashboard")).content.decode()
    form = {
        "kind": "pairing",
        "region": world.county.code,
        "year": "2026",
        "part": "",
        "mask_ids": "on",
    }
    posted = client.post(reverse("ledgers:export"), form)
    assert posted.status_code == 302
    job = ExportJob.objects.get(user=world.reviewer)
    # Written to the primary only.
    assert not ExportJob.objects.using("replica").filter(pk=job.pk).exists()
    with Captured() as captured:
        page = client.get(reverse("assessments:dashboard")).content.decode()
        listed = client.get("/api/v1/export-jobs/").json()
    assert "主库县" in page and "副本县" not in page
    assert [row["id"] for row in listed["results"]] == [job.pk]  # its own write, at once
    assert captured.replica.captured_queries == []


def test_an_api_client_without_cookies_is_pinned_by_user(client, two_copies, settings):
    world = two_copies
    client.force_login(world.reviewer)
    first = client.get("/api/v1/households/").json()
    assert {row["head_name"] for row in first["results"]} >= {"副本户"}
    from config.db_router import pin_user

    pin_user(world.reviewer)  # what a write through the API does (PrimaryPinMiddleware)
    second = client.get("/api/v1/households/").json()
    assert "主库户" in {row["head_name"] for row in second["results"]}


def test_the_pin_ends_after_the_configured_seconds(client, two_copies, settings):
    settings.DATABASE_REPLICA_PIN_SECONDS = 1
    world = two_copies
    client.force_login(world.reviewer)
    client.post(reverse("ledgers:export"), {"kind": "pairing"})  # any write request pins
    assert "主库县" in client.get(reverse("assessments:dashboard")).content.decode()
    time.sleep(2.1)
    assert "副本县" in client.get(reverse("assessments:dashboard")).content.decode()


def test_transactions_and_writes_in_the_block_read_the_primary(two_copies):
    world = two_copies
    with reads_from_replica() as on_replica:
        assert on_replica
        assert Region.objects.get(pk=world.county.pk).name == "副本县"
        with transaction.atomic():
            assert not reading_from_replica()
            assert Region.objects.get(pk=world.county.pk).name == "主库县"
        Region.objects.filter(pk=world.township_a.pk).update(name="新名镇")  # a write
        assert Region.objects.get(pk=world.township_a.pk).name == "新名镇"  # read back: primary
    assert Region.objects.using("replica").get(pk=world.township_a.pk).name != "新名镇"
    assert PrimaryReplicaRouter().allow_migrate("replica", "villages") is False
    assert PrimaryReplicaRouter().allow_migrate("default", "villages") is True
