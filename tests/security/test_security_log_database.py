"""On PostgreSQL the security log is append-only in the database too (accounts migration
0005): a trigger refuses UPDATE and DELETE, except the purge of rows past the legal keeping
time (180 days) and the user_id → NULL Django writes when a user is deleted."""

import datetime

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import SecurityEvent, User

# The trigger exists on PostgreSQL only: `postgres` deselects these tests on SQLite
# (tests/conftest.py) and dev.py runs them in its PostgreSQL pass.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

Kind = SecurityEvent.Kind


def _insert(username: str, days_ago: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_securityevent (kind, username, region_code, detail, created_at)"
            " VALUES (%s, %s, '', '{}'::jsonb, %s) RETURNING id",
            [Kind.LOGIN, username, timezone.now() - datetime.timedelta(days=days_ago)],
        )
        return cursor.fetchone()[0]


def _delete(pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_securityevent WHERE id = %s", [pk])


def test_recent_rows_cannot_be_updated_or_deleted_in_the_database(world):
    recent = SecurityEvent.objects.create(kind=Kind.LOGIN, username="recent")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        SecurityEvent.objects.filter(pk=recent.pk).update(username="someone else")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _delete(recent.pk)
    young = _insert("young", 179)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _delete(young)
    assert SecurityEvent.objects.get(pk=recent.pk).username == "recent"
    assert SecurityEvent.objects.filter(pk=young).exists()


def test_the_purge_of_old_rows_works(world):
    old, young = _insert("old", 200), _insert("young", 179)
    recent = SecurityEvent.objects.create(kind=Kind.LOGIN, username="recent")
    call_command("purge_security_log")
    assert set(
        SecurityEvent.objects.filter(pk__in=[old, young, recent.pk]).values_list("pk", flat=True)
    ) == {
        young,
        recent.pk,
    }


def test_deleting_a_user_keeps_their_events_with_the_name(world):
    user = User.objects.create(username="leaver")
    event = SecurityEvent.objects.create(kind=Kind.LOGIN, user=user, username="leaver")
    user.delete()
    event = SecurityEvent.objects.get(pk=event.pk)
    assert event.user_id is None and event.username == "leaver"


def test_the_folded_counter_never_updates_a_log_row(world):
    from accounts.services import security_event_fold

    for _ in range(3):
        security_event_fold(kind=Kind.OUT_OF_SCOPE, user=world.staff_b, detail={})
    event = SecurityEvent.objects.get(kind=Kind.OUT_OF_SCOPE)
    assert event.tally.count == 3
