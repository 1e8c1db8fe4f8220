"""Storing reminders once, the daily digest, and the e-mail sent once per person per day."""

import datetime
import threading
from unittest import mock

import pytest
from django.core import mail
from django.db import OperationalError, connection

from notifications.models import Notification, NotificationKind
from notifications.services import digests_send, reminders_run
from tests.factories import HouseholdFactory, HouseholdPairingFactory
from tests.jobs.conftest import SUNDAY, make_item

# The world has other lagging records too (no night schools, …): these tests watch two kinds.
KINDS = [NotificationKind.WEEKLY_VISIT, NotificationKind.RECTIFICATION_OVERDUE]


def stored(kind=None):
    qs = Notification.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    return sorted(qs.values_list("recipient_id", "kind", "subject_key", "period"))


@pytest.mark.django_db
def test_running_twice_stores_each_reminder_once(world):
    first = reminders_run(on=SUNDAY, kinds=KINDS)
    before = stored()
    second = reminders_run(on=SUNDAY, kinds=KINDS)
    assert stored() == before
    assert first.new == {NotificationKind.WEEKLY_VISIT: 2}
    assert second.new == {} and second.found == first.found


@pytest.mark.django_db
def test_one_digest_per_person_and_day_folding_every_reminder(world):
    for _ in range(3):
        household = HouseholdFactory(village=world.village_a)
        HouseholdPairingFactory(household=household, helper=world.helper_a)
    make_item(world, deadline=SUNDAY - datetime.timedelta(days=2), person=world.cadre_user)
    reminders_run(on=SUNDAY, kinds=KINDS)
    digests = Notification.objects.filter(kind=NotificationKind.DIGEST)
    assert sorted(digests.values_list("recipient_id", "period")) == sorted(
        [(world.cadre_user.pk, "2026-11-22"), (world.coordinator.pk, "2026-11-22")]
    )
    digest = digests.get(recipient=world.cadre_user)
    assert digest.items.count() == 5  # 4 households + 1 overdue item
    assert digest.title.startswith("今日提醒 5 项")
    assert digest.body.index("整改事项逾期") < digest.body.index("本周未走访")  # late first
    # Nothing is left outside a digest, so the bell counts one message a day.
    assert not Notification.objects.filter(
        digest__isnull=True, kind=NotificationKind.WEEKLY_VISIT
    ).exists()


@pytest.mark.django_db
def test_new_reminders_later_in_the_day_join_the_same_digest_and_make_it_unread(world):
    reminders_run(on=SUNDAY, kinds=KINDS)
    digest = Notification.objects.get(kind=NotificationKind.DIGEST, recipient=world.cadre_user)
    Notification.objects.filter(pk=digest.pk).update(read_at=datetime.datetime.now(datetime.UTC))
    make_item(world, deadline=SUNDAY - datetime.timedelta(days=1), person=world.cadre_user)
    reminders_run(on=SUNDAY, kinds=KINDS)
    digest.refresh_from_db()
    assert digest.items.count() == 2
    assert digest.read_at is None
    assert Notification.objects.filter(kind=NotificationKind.DIGEST).count() == 2


@pytest.mark.django_db
def test_next_day_a_new_digest_but_no_repeat_of_the_weeks_reminders(world):
    reminders_run(on=SUNDAY - datetime.timedelta(days=1), kinds=KINDS)
    reminders_run(on=SUNDAY, kinds=KINDS)
    assert Notification.objects.filter(kind=NotificationKind.WEEKLY_VISIT).count() == 2
    saturday_digest = Notification.objects.get(
        kind=NotificationKind.DIGEST, recipient=world.cadre_user
    )
    assert saturday_digest.period == "2026-11-21"


@pytest.mark.django_db
def test_digest_is_emailed_once_per_person_per_day(world, settings):
    settings.REMINDER_EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.cadre_user.email = "cadre@example.cn"
    world.cadre_user.save()
    reminders_run(on=SUNDAY, kinds=KINDS)
    assert digests_send(on=SUNDAY) == 1  # the coordinator has no address: in the product only
    assert digests_send(on=SUNDAY) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["cadre@example.cn"]
    assert "本周尚未入户走访" in message.body
    assert Notification.objects.get(
        kind=NotificationKind.DIGEST, recipient=world.cadre_user
    ).emailed_at


@pytest.mark.django_db
def test_no_email_when_email_is_not_configured(world, settings):
    settings.REMINDER_EMAIL_ENABLED = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.cadre_user.email = "cadre@example.cn"
    world.cadre_user.save()
    reminders_run(on=SUNDAY, kinds=KINDS)
    assert digests_send(on=SUNDAY) == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_failed_send_gives_the_claim_back_for_the_next_run(world, settings):
    settings.REMINDER_EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.cadre_user.email = "cadre@example.cn"
    world.cadre_user.save()
    reminders_run(on=SUNDAY, kinds=KINDS)
    with mock.patch("notifications.services.send_mail", side_effect=OSError("smtp down")):
        assert digests_send(on=SUNDAY) == 0
    assert (
        Notification.objects.get(
            kind=NotificationKind.DIGEST, recipient=world.cadre_user
        ).emailed_at
        is None
    )
    assert digests_send(on=SUNDAY) == 1
    assert len(mail.outbox) == 1


def _run_with_retries(on, errors):
    """What the Celery task does (autoretry on OperationalError), in a thread of its own."""
    try:
        for attempt in range(10):
            try:
                reminders_run(on=on, kinds=KINDS)
                return
            except OperationalError as exc:  # SQLite: "database table is locked"
                errors.append(exc)
                threading.Event().wait(0.05 * (attempt + 1))
        raise AssertionError("gave up after retries")
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_store_each_reminder_once(world):
    for _ in range(20):
        household = HouseholdFactory(village=world.village_a)
        HouseholdPairingFactory(household=household, helper=world.helper_a)
    errors: list = []
    threads = [threading.Thread(target=_run_with_retries, args=(SUNDAY, errors)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    rows = stored(NotificationKind.WEEKLY_VISIT)
    assert len(rows) == len(set(rows)) == 2 * 21  # helper and coordinator, 21 households
    assert Notification.objects.filter(kind=NotificationKind.DIGEST).count() == 2
    assert not Notification.objects.filter(
        digest__isnull=True, kind=NotificationKind.WEEKLY_VISIT
    ).exists()
