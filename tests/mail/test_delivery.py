"""A scheduled ledger goes to a real SMTP server once, with the right attachment, after one
failed attempt; reruns and retries never send it twice; a large one goes as a link."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Role, SecurityEvent
from core.idcard import mask_id_number
from ledgers import subscriptions
from ledgers.models import LedgerDelivery
from ledgers.subscription_tasks import send_scheduled_ledgers
from tests.factories import UserFactory
from tests.mail.conftest import DECEMBER_1

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(message):
    parts = list(message.iter_attachments())
    assert len(parts) == 1
    part = parts[0]
    assert part.get_content_type() == XLSX_TYPE
    return part.get_filename(), part.get_content()


def _ledger_rows(content: bytes) -> tuple[list[str], list[tuple]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    header_at = next(i for i, row in enumerate(rows) if "户主身份证号" in row)
    header = [str(cell) if cell is not None else "" for cell in rows[header_at]]
    data = [row for row in rows[header_at + 1 :] if isinstance(row[0], int)]  # not 合计
    return header, data


def _every_cell(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return " ".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )


def check_november_ledger(scene, smtp_server, *, attempts: int) -> None:
    """The one message the superior received, and the delivery row that logs it."""
    assert len(smtp_server.messages) == 1
    rcpt, message = smtp_server.messages[0]
    assert rcpt == ["superior@example.cn"]
    assert message["To"] == "superior@example.cn"
    # (Python folds a long encoded subject onto a continuation line: a leading space.)
    assert message["Subject"].strip() == "【台账报送】广元市测试县走访台账（2026年11月）"
    assert "身份证号和电话已脱敏" in message.get_body(("plain",)).get_content()

    filename, content = _attachment(message)
    assert filename.startswith("走访台账") and filename.endswith("_2026-11.xlsx")
    header, rows = _ledger_rows(content)
    ids = [row[header.index("户主身份证号")] for row in rows]
    dates = [row[header.index("走访日期")] for row in rows]
    first, second = scene.november_ids
    assert sorted(ids) == sorted(mask_id_number(n) for n in (first, first, second))
    assert all(d.year == 2026 and d.month == 11 for d in dates)  # not October's, not December's
    everything = _every_cell(content)
    for full in scene.november_ids:
        assert full not in everything

    delivery = LedgerDelivery.objects.get(subscription=scene.subscription)
    assert delivery.status == LedgerDelivery.Status.SENT
    assert delivery.period == "2026-11" and delivery.scheduled_on == DECEMBER_1
    assert delivery.attempts == attempts
    assert "451" in delivery.last_error and "第1次发送失败" in delivery.last_error
    assert delivery.message_id == message["Message-ID"]
    assert delivery.rows == 3 and delivery.attachment_name == filename
    assert delivery.attachment_size == len(content)
    assert delivery.recipients == "superior@example.cn"
    # The export of personal data is in the security log, as the subscriber's, masked.
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.EXPORT).latest("id")
    assert event.user == scene.world.reviewer and event.detail["masked_ids"] is True


@pytest.mark.django_db
def test_the_november_ledger_arrives_once_after_one_failed_attempt(
    scene, smtp_server, eager_celery
):
    smtp_server.fail = 1  # the server refuses the first DATA with 451
    first = send_scheduled_ledgers.apply(kwargs={"on": DECEMBER_1.isoformat()}).get()
    assert first["queued"] == 1
    assert smtp_server.refused == 1 and smtp_server.messages == []
    delivery = LedgerDelivery.objects.get(subscription=scene.subscription)
    assert delivery.status == LedgerDelivery.Status.FAILED and delivery.attempts == 1

    # The next morning's run takes the failed delivery again (in-process there is no
    # Celery countdown; a worker retries sooner: tests/mail/test_worker.py).
    second = send_scheduled_ledgers.apply(kwargs={"on": "2026-12-02"}).get()
    assert second["queued"] == 1
    check_november_ledger(scene, smtp_server, attempts=2)

    # Running again (the same morning, the next one) sends nothing.
    for day in ("2026-12-02", "2026-12-03"):
        assert send_scheduled_ledgers.apply(kwargs={"on": day}).get()["queued"] == 0
    assert len(smtp_server.messages) == 1
    assert LedgerDelivery.objects.count() == 1


@pytest.mark.django_db
def test_a_failed_send_is_recorded_and_the_next_run_sends_it_once(scene, smtp_server):
    smtp_server.fail = 1
    [delivery_id] = subscriptions.deliveries_due(today=DECEMBER_1)
    first = subscriptions.delivery_send(delivery_id=delivery_id)
    assert not first.sent and first.retry
    assert first.delivery.status == LedgerDelivery.Status.FAILED
    assert "451" in first.delivery.last_error
    assert smtp_server.messages == []

    # The beat missed no day: the next morning the overdue, failed delivery is due again.
    assert subscriptions.deliveries_due(today=DECEMBER_1 + datetime.timedelta(days=1)) == [
        delivery_id
    ]
    second = subscriptions.delivery_send(delivery_id=delivery_id)
    assert second.sent and second.delivery.attempts == 2
    third = subscriptions.delivery_send(delivery_id=delivery_id)  # a duplicated task
    assert not third.sent and third.delivery.status == LedgerDelivery.Status.SENT
    assert subscriptions.deliveries_due(today=DECEMBER_1 + datetime.timedelta(days=2)) == []
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_a_delivery_being_sent_is_not_sent_by_a_second_worker(scene, smtp_server):
    [delivery_id] = subscriptions.deliveries_due(today=DECEMBER_1)
    LedgerDelivery.objects.filter(pk=delivery_id).update(
        status=LedgerDelivery.Status.SENDING, claimed_at=timezone.now(), attempts=1
    )
    assert not subscriptions.delivery_send(delivery_id=delivery_id).sent
    assert smtp_server.messages == []
    # A worker that died mid-send leaves it `sending`: after sending_stale() another may take it.
    LedgerDelivery.objects.filter(pk=delivery_id).update(
        claimed_at=timezone.now() - subscriptions.sending_stale() - datetime.timedelta(minutes=1)
    )
    assert subscriptions.delivery_send(delivery_id=delivery_id).sent
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_a_server_that_is_down_fails_the_delivery_with_its_reason(scene, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens (discard)
    settings.EMAIL_TIMEOUT = 2
    settings.LEDGER_MAIL_MAX_ATTEMPTS = 2
    [delivery_id] = subscriptions.deliveries_due(today=DECEMBER_1)
    assert subscriptions.delivery_send(delivery_id=delivery_id).retry
    last = subscriptions.delivery_send(delivery_id=delivery_id)
    assert not last.sent and not last.retry  # out of attempts
    assert last.delivery.attempts == 2 and last.delivery.last_error.startswith("第2次发送失败")
    assert subscriptions.deliveries_due(today=DECEMBER_1) == []  # no more automatic tries


@pytest.mark.django_db
def test_a_large_ledger_goes_as_a_link_that_needs_login_and_scope(
    scene, smtp_server, settings, client
):
    settings.LEDGER_MAIL_MAX_BYTES = 1000  # every ledger is "large" here
    settings.LEDGER_MAIL_SITE_URL = "https://dangjian.example.gov.cn"
    [delivery_id] = subscriptions.deliveries_due(today=DECEMBER_1)
    assert subscriptions.delivery_send(delivery_id=delivery_id).sent
    [(_rcpt, message)] = smtp_server.messages
    assert list(message.iter_attachments()) == []
    url = f"/ledgers/subscriptions/deliveries/{delivery_id}/download/"
    assert f"https://dangjian.example.gov.cn{url}" in message.get_body(("plain",)).get_content()
    delivery = LedgerDelivery.objects.get(pk=delivery_id)
    assert delivery.file and delivery.link.endswith(url) and delivery.attachment_size > 1000

    assert client.get(url).status_code == 302  # login first
    world = scene.world
    city = UserFactory(username="city", role=Role.REVIEWER, region=world.county.parent)
    client.force_login(city)
    response = client.get(url)
    assert response.status_code == 200
    header, rows = _ledger_rows(b"".join(response.streaming_content))
    assert len(rows) == 3
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.DOWNLOAD, user=city).exists()
    client.force_login(world.staff_b)  # a township's staff: not their region
    assert client.get(url).status_code == 404
    client.force_login(world.cadre_user)
    assert client.get(url).status_code == 403

    # After EXPORT_KEEP_DAYS the file is deleted by the daily run; the link then says so.
    assert (
        subscriptions.delivery_files_purge(
            now=timezone.now() + datetime.timedelta(days=settings.EXPORT_KEEP_DAYS + 1)
        )
        == 1
    )
    client.force_login(city)
    gone = client.get(url)
    assert gone.status_code == 410 and "超过保留期限" in gone.content.decode()


@pytest.mark.django_db
def test_a_subscriber_who_lost_the_region_gets_a_failed_delivery_not_a_leak(scene, smtp_server):
    reviewer = scene.world.reviewer
    reviewer.region = scene.world.township_b
    reviewer.save()
    [delivery_id] = subscriptions.deliveries_due(today=DECEMBER_1)
    result = subscriptions.delivery_send(delivery_id=delivery_id)
    assert not result.sent and not result.retry
    assert "无权导出" in result.delivery.last_error
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_the_command_sends_the_november_ledger_on_its_day(scene, smtp_server):
    out = io.StringIO()
    call_command("send_scheduled_ledgers", "--today", "2026-11-30", stdout=out)
    # Its last sending day then was November 1, before the subscription started: nothing.
    assert "到期 0 项" in out.getvalue()
    call_command("send_scheduled_ledgers", "--today", "2026-12-01", stdout=out)
    assert "已发送" in out.getvalue() and "superior@example.cn" in out.getvalue()
    call_command("send_scheduled_ledgers", "--today", "2026-12-01", stdout=out)
    assert len(smtp_server.messages) == 1
