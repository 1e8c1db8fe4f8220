"""Ledgers sent to superiors on a schedule (issue 16): a reviewer subscribes addresses to a
ledger of a region of their scope, for a period relative to the sending day (last month, last
quarter, the year to the end of last month), monthly on a day or quarterly on a day of the
quarter's first month. The daily beat task (`ledgers.tasks.send_scheduled_ledgers`, 07:00
Asia/Shanghai) makes one LedgerDelivery per subscription and period and sends it.

Sending never happens twice for one period: the row is unique per (subscription, period), and
it is claimed with a conditional UPDATE (the row lock of that statement: pending or failed →
sending) before the SMTP conversation; it is marked sent right after the server accepted the
message. A failed send is recorded with its error and retried (Celery's retries with backoff,
then the next daily run) until LEDGER_MAIL_MAX_ATTEMPTS. The ledger is built by the export
service with MASKED ID numbers only, in the subscriber's scope, and logged in the security log
as every export is; a workbook over LEDGER_MAIL_MAX_BYTES is kept on the server and the mail
carries a link to its download page (login and scope needed)."""

from __future__ import annotations

import calendar
import datetime
import logging
import re
import smtplib
import tempfile
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import SecurityEvent, User
from accounts.services import security_event_record
from core.kept import (
    kept_apply,
    kept_delete,
    kept_end,
    kept_ensure_visible,
    kept_require,
    kept_save,
)
from ledgers import selectors, services
from ledgers.exporters import Exporter
from ledgers.models import Frequency, LedgerDelivery, LedgerSubscription, PeriodRule
from ledgers.periods import LedgerPeriod, parse_period
from villages.models import Region

logger = logging.getLogger(__name__)

KIND = "ledger_subscription"  # core.keepers: reviewers (and administrators)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_RECIPIENTS = 20


def sending_stale() -> datetime.timedelta:
    """A delivery left `sending` this long has lost its worker and may be claimed again: longer
    than a task may run (CELERY_TASK_TIME_LIMIT, the ledger's build included), so a slow build
    is never taken over while it runs."""
    return datetime.timedelta(seconds=int(settings.CELERY_TASK_TIME_LIMIT) + 300)


QUARTER_FIRST_MONTHS = (1, 4, 7, 10)
_SEPARATORS = re.compile(r"[\s,;，；、]+")
FIELDS = {"kind", "region", "period_rule", "frequency", "day", "recipients", "start_date"}


# --- the calendar: when a subscription is due, and which period it covers -----------------------
def scheduled_day(year: int, month: int, day: int) -> datetime.date:
    """Day D of a month; the month's last day when it has no day D (31 in November → 30)."""
    return datetime.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _month_before(year: int, month: int, months: int = 1) -> tuple[int, int]:
    index = year * 12 + (month - 1) - months
    return index // 12, index % 12 + 1


def latest_scheduled(frequency: str, day: int, today: datetime.date) -> datetime.date:
    """The last sending day on or before `today` (monthly: day D of a month; quarterly: day D of
    January, April, July or October)."""
    year, month = today.year, today.month
    if frequency == Frequency.QUARTERLY:
        month = QUARTER_FIRST_MONTHS[(month - 1) // 3]
        step = 3
    else:
        step = 1
    candidate = scheduled_day(year, month, day)
    if candidate > today:
        year, month = _month_before(year, month, step)
        candidate = scheduled_day(year, month, day)
    return candidate


def next_scheduled(frequency: str, day: int, after: datetime.date) -> datetime.date:
    """The first sending day on or after `after`."""
    step = 3 if frequency == Frequency.QUARTERLY else 1
    year, month = after.year, after.month
    if frequency == Frequency.QUARTERLY:
        month = QUARTER_FIRST_MONTHS[(month - 1) // 3]
    candidate = scheduled_day(year, month, day)
    while candidate < after:
        year, month = _month_before(year, month, -step)
        candidate = scheduled_day(year, month, day)
    return candidate


@dataclass(frozen=True)
class YearToDate(LedgerPeriod):
    """January to the end of the month before the sending day: 2026-01~11."""

    @property
    def label(self) -> str:
        return _("%(year)d年1月至%(month)d月") % {"year": self.year, "month": self.end.month}


def period_for(rule: str, scheduled_on: datetime.date) -> LedgerPeriod:
    """The period a sending on `scheduled_on` covers: the month before, the quarter before the
    one the day lies in, or the year up to the end of the month before. Its key is the
    delivery's unique key (a monthly subscription of last quarter sends each quarter once)."""
    year, month = _month_before(scheduled_on.year, scheduled_on.month)
    if rule == PeriodRule.LAST_QUARTER:
        quarter = (scheduled_on.month - 1) // 3 + 1
        year, quarter = (
            (scheduled_on.year - 1, 4) if quarter == 1 else (scheduled_on.year, quarter - 1)
        )
        return parse_period(f"{year}-Q{quarter}")
    if rule == PeriodRule.YEAR_TO_DATE:
        end = scheduled_day(year, month, 31)
        return YearToDate(f"{year}-01~{month:02d}", datetime.date(year, 1, 1), end)
    return parse_period(f"{year}-{month:02d}")


def period_label(delivery: LedgerDelivery) -> str:
    """The Chinese name of a delivery's period (2026年11月, 2026年第三季度, 2026年1月至11月)."""
    if "~" in delivery.period:
        return YearToDate(delivery.period, delivery.period_start, delivery.period_end).label
    return parse_period(delivery.period).label


def active_on(day: datetime.date) -> QuerySet[LedgerSubscription]:
    """Subscriptions that send on `day`: started, and not stopped (the stop day sends nothing)."""
    return LedgerSubscription.objects.filter(start_date__lte=day).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=day)
    )


# --- keeping subscriptions (pages, API) ---------------------------------------------------------
def parse_recipients(text: str) -> tuple[list[str], list[str]]:
    """The addresses in a text (commas, semicolons, spaces or new lines), and the errors."""
    addresses: list[str] = []
    errors: list[str] = []
    for part in _SEPARATORS.split(text or ""):
        if not part:
            continue
        try:
            validate_email(part)
        except ValidationError:
            errors.append(_("“%(value)s”不是有效的电子邮箱。") % {"value": part})
            continue
        if part.lower() not in {a.lower() for a in addresses}:
            addresses.append(part)
    if not addresses and not errors:
        errors.append(_("请至少填写一个收件人邮箱。"))
    if len(addresses) > MAX_RECIPIENTS:
        errors.append(_("收件人最多%(max)d个。") % {"max": MAX_RECIPIENTS})
    return addresses, errors


def _errors(subscription: LedgerSubscription, user: User) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    addresses, problems = parse_recipients(subscription.recipients)
    if problems:
        errors["recipients"] = problems
    else:
        subscription.recipients = ", ".join(addresses)
    region = subscription.region if subscription.region_id else None
    if region is not None:
        if not scope_covers(user, region):
            raise Http404
        if not selectors.regions_for_export(user=user).filter(pk=region.pk).exists():
            errors["region"] = [_("请选择县（区）或乡镇（街道）等区划，不能选择村。")]
    return errors


def scope_covers(user: User, region: Region) -> bool:
    try:
        services.region_check(user=user, region=region)
    except Http404:
        return False
    return True


def subscription_record(
    *,
    user: User,
    kind: str,
    region: Region,
    period_rule: str,
    frequency: str,
    day: int,
    recipients: str,
    start_date: datetime.date | None = None,
) -> LedgerSubscription:
    kept_require(user, KIND)
    subscription = LedgerSubscription(
        kind=kind,
        region=region,
        period_rule=period_rule,
        frequency=frequency,
        day=day,
        recipients=recipients or "",
        start_date=start_date or timezone.localdate(),
        created_by=user,
    )
    return kept_save(subscription, errors=_errors(subscription, user))


def subscription_update(
    *, user: User, subscription: LedgerSubscription, **changes: Any
) -> LedgerSubscription:
    kept_require(user, KIND)
    kept_ensure_visible(LedgerSubscription, user, subscription)
    if changes.get("start_date", True) is None:
        changes.pop("start_date")
    kept_apply(subscription, changes, FIELDS)
    return kept_save(subscription, errors=_errors(subscription, user))


def subscription_end(
    *, user: User, subscription: LedgerSubscription, day: datetime.date | None
) -> LedgerSubscription:
    """Stop sending from `day` on (the deliveries made so far stay as the log)."""
    kept_require(user, KIND)
    kept_ensure_visible(LedgerSubscription, user, subscription)
    return kept_end(subscription, day, field="end_date")


def subscription_delete(*, user: User, subscription: LedgerSubscription) -> None:
    """Delete a subscription that never sent anything; one with deliveries is stopped instead."""
    kept_require(user, KIND)
    kept_ensure_visible(LedgerSubscription, user, subscription)
    kept_delete(subscription, end_field="end_date")


# --- the daily run --------------------------------------------------------------------------------
def deliveries_due(*, today: datetime.date | None = None) -> list[int]:
    """Make (or find) each active subscription's delivery of its latest sending day up to
    `today` (today's, or an overdue one the beat missed), and return the ids still to send:
    new, failed with attempts left, or left `sending` by a dead worker."""
    today = today or timezone.localdate()
    now = timezone.now()
    due: list[int] = []
    for subscription in active_on(today).order_by("id"):
        scheduled_on = latest_scheduled(subscription.frequency, subscription.day, today)
        if scheduled_on < subscription.start_date:
            continue
        period = period_for(subscription.period_rule, scheduled_on)
        delivery = _delivery_row(subscription, period, scheduled_on)
        if _sendable(delivery, now):
            due.append(delivery.pk)
    return due


def _delivery_row(
    subscription: LedgerSubscription, period: LedgerPeriod, scheduled_on: datetime.date
) -> LedgerDelivery:
    defaults = {
        "period_start": period.start,
        "period_end": period.end,
        "scheduled_on": scheduled_on,
        "recipients": subscription.recipients,
    }
    try:
        with transaction.atomic():
            delivery, _created = LedgerDelivery.objects.get_or_create(
                subscription=subscription, period=period.key, defaults=defaults
            )
    except IntegrityError:  # a concurrent run made it first: the unique key holds
        delivery = LedgerDelivery.objects.get(subscription=subscription, period=period.key)
    return delivery


def _sendable(delivery: LedgerDelivery, now: datetime.datetime) -> bool:
    if delivery.attempts >= settings.LEDGER_MAIL_MAX_ATTEMPTS:
        return False
    if delivery.status in (LedgerDelivery.Status.PENDING, LedgerDelivery.Status.FAILED):
        return True
    return bool(
        delivery.status == LedgerDelivery.Status.SENDING
        and delivery.claimed_at is not None
        and delivery.claimed_at < now - sending_stale()
    )


def _claim(delivery_id: int, now: datetime.datetime, *, manual: bool = False) -> int | None:
    """Take the delivery for this attempt (one UPDATE: the database locks the row, so of two
    workers one wins); None when it is sent, being sent, or out of automatic attempts (a
    reviewer's 立即重新发送 is one more attempt beyond them)."""
    claimable = Q(status__in=[LedgerDelivery.Status.PENDING, LedgerDelivery.Status.FAILED]) | Q(
        status=LedgerDelivery.Status.SENDING, claimed_at__lt=now - sending_stale()
    )
    rows = LedgerDelivery.objects.filter(pk=delivery_id)
    if not manual:
        rows = rows.filter(attempts__lt=settings.LEDGER_MAIL_MAX_ATTEMPTS)
    claimed = rows.filter(claimable).update(
        status=LedgerDelivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    attempts: int = LedgerDelivery.objects.values_list("attempts", flat=True).get(pk=delivery_id)
    return attempts


@dataclass
class SendResult:
    delivery: LedgerDelivery
    sent: bool = False
    retry: bool = False  # failed for a reason a later attempt may not meet (SMTP, network)


def delivery_send(*, delivery_id: int, manual: bool = False) -> SendResult:
    """Send one delivery once: claim it, build the masked ledger, mail it (or a link), mark it
    sent as soon as the SMTP server accepted it. A failure is recorded with its error."""
    now = timezone.now()
    attempt = _claim(delivery_id, now, manual=manual)
    delivery = LedgerDelivery.objects.select_related(
        "subscription__region", "subscription__created_by"
    ).get(pk=delivery_id)
    if attempt is None:
        return SendResult(delivery)
    mine = LedgerDelivery.objects.filter(
        pk=delivery_id, attempts=attempt, status=LedgerDelivery.Status.SENDING
    )
    subscription = delivery.subscription
    period = (
        YearToDate(delivery.period, delivery.period_start, delivery.period_end)
        if "~" in delivery.period
        else parse_period(delivery.period)
    )
    try:
        exporter = services.ledger_exporter(
            user=subscription.created_by,
            kind=subscription.kind,
            region=subscription.region,
            period=period,
            mask_ids=True,
        )
    except (PermissionDenied, Http404):
        mine.update(
            status=LedgerDelivery.Status.FAILED,
            attempts=settings.LEDGER_MAIL_MAX_ATTEMPTS,  # no retry can mend this
            last_error=_("订阅人已无权导出该区划的台账，未发送；请由现任审核人员重新订阅。"),
        )
        return SendResult(LedgerDelivery.objects.get(pk=delivery_id))
    recipients = subscription.recipient_list
    message_id = make_msgid(domain=_mail_domain())
    with tempfile.TemporaryFile() as target:
        rows = services.ledger_write(exporter=exporter, target=target)
        size = target.tell()
        target.seek(0)
        attach = size <= settings.LEDGER_MAIL_MAX_BYTES
        link = ""
        stored = ""
        if not attach:
            if not delivery.file:
                delivery.file.save(exporter.filename, File(target), save=False)
                mine.update(file=delivery.file.name)
            stored = delivery.file.name or ""
            link = settings.LEDGER_MAIL_SITE_URL.rstrip("/") + reverse(
                "ledger_mail:delivery_download", args=[delivery.pk]
            )
        with translation.override(settings.LANGUAGE_CODE):
            message = EmailMessage(
                subject=_("【台账报送】%(title)s") % {"title": exporter.title},
                body=_body(exporter=exporter, rows=rows, size=size, link=link),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=recipients,
                headers={"Message-ID": message_id},
            )
        if attach:
            message.attach(exporter.filename, target.read(), XLSX)
        try:
            message.send(fail_silently=False)
        except Exception as exc:  # SMTP refusals, a server that is down, a network error
            logger.warning("ledger delivery %s attempt %s failed: %s", delivery_id, attempt, exc)
            mine.update(
                status=LedgerDelivery.Status.FAILED,
                last_error=_("第%(n)d次发送失败（%(at)s）：%(error)s")
                % {
                    "n": attempt,
                    "at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
                    "error": smtp_error_text(exc),
                },
            )
            failed = LedgerDelivery.objects.get(pk=delivery_id)
            return SendResult(failed, retry=failed.attempts < settings.LEDGER_MAIL_MAX_ATTEMPTS)
    # Accepted by the SMTP server: marked at once, so no retry or rerun sends it again.
    LedgerDelivery.objects.filter(pk=delivery_id).update(
        status=LedgerDelivery.Status.SENT,
        sent_at=timezone.now(),
        message_id=message_id,
        recipients=", ".join(recipients),
        rows=rows,
        attachment_name=exporter.filename,
        attachment_size=size,
        link=link,
        file=stored,
    )
    return SendResult(LedgerDelivery.objects.get(pk=delivery_id), sent=True)


def smtp_error_text(exc: Exception) -> str:
    """Why a send failed, in Chinese, with the mail server's own words after it."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _("收件人被邮件服务器拒收：%(who)s") % {"who": "、".join(exc.recipients)}
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        if 400 <= exc.smtp_code < 500:
            reason = _("邮件服务器暂时拒收（代码 %(code)d），稍后自动重试") % {
                "code": exc.smtp_code
            }
        else:
            reason = _("邮件服务器拒收（代码 %(code)d）") % {"code": exc.smtp_code}
        return f"{reason}：{text[:500]}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return _("邮件服务器中断了连接")
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return _("无法连接邮件服务器（%(error)s）") % {
            "error": str(exc)[:300] or type(exc).__name__
        }
    return _("发送出错（%(error)s）") % {"error": str(exc)[:500] or type(exc).__name__}


def _mail_domain() -> str:
    sender = settings.DEFAULT_FROM_EMAIL
    return sender.rsplit("@", 1)[-1].strip(">") if "@" in sender else "pairing.local"


def _body(*, exporter: Exporter, rows: int, size: int, link: str) -> str:
    lines = [
        _("您好："),
        "",
        _("按定期报送设置，现发送%(title)s。") % {"title": exporter.title},
        _("区划：%(region)s（%(code)s）；期间：%(start)s 至 %(end)s；共 %(rows)d 行。")
        % {
            "region": exporter.region_label,
            "code": exporter.region.code,
            "start": exporter.period.start.isoformat(),
            "end": exporter.period.end.isoformat(),
            "rows": rows,
        },
        _("台账中的身份证号和电话已脱敏。"),
    ]
    if link:
        lines.append(
            _(
                "台账文件较大（%(mb).1f MB），未作为附件发送，请登录系统下载（需在您的管辖范围内）："
                "%(link)s"
            )
            % {"mb": size / 1024 / 1024, "link": link}
        )
    else:
        lines.append(_("台账见附件（Excel）。"))
    lines += ["", _("本邮件由党建扶贫结对帮扶工作管理系统自动发送，请勿直接回复。")]
    return "\n".join(lines)


def delivery_resend(*, user: User, delivery: LedgerDelivery) -> LedgerDelivery:
    """ "Send again now" for a failed delivery (the page's button, the API's action): its
    attempts start again and the send is queued; a delivery already sent is never resent."""
    kept_require(user, KIND)
    kept_ensure_visible(LedgerDelivery, user, delivery)
    reset = LedgerDelivery.objects.filter(
        pk=delivery.pk, status=LedgerDelivery.Status.FAILED
    ).update(status=LedgerDelivery.Status.PENDING)
    if not reset:
        raise ValidationError({"__all__": [_("只有发送失败的报送可以重新发送。")]})
    delivery_queue(delivery_id=delivery.pk, manual=True)
    delivery.refresh_from_db()
    return delivery


def delivery_queue(*, delivery_id: int, manual: bool = False) -> bool:
    """Hand a delivery to the workers (in-process without a broker); False if the broker is
    down (the delivery stays pending and the next daily run sends it)."""
    from config.celery import enqueue
    from ledgers.subscription_tasks import send_ledger_delivery

    return enqueue(send_ledger_delivery, delivery_id, manual=manual)


def deliveries_run(*, today: datetime.date | None = None) -> dict[str, int]:
    """The daily run: purge old link files, then queue every due delivery."""
    purged = delivery_files_purge()
    queued = 0
    for delivery_id in deliveries_due(today=today):
        if delivery_queue(delivery_id=delivery_id):
            queued += 1
    return {"queued": queued, "purged": purged}


def delivery_files_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the kept files of linked ledgers after EXPORT_KEEP_DAYS (their page then says so)."""
    now = now or timezone.now()
    before = now - datetime.timedelta(days=settings.EXPORT_KEEP_DAYS)
    purged = 0
    for delivery in LedgerDelivery.objects.filter(sent_at__lt=before).exclude(file=""):
        delivery.file.delete(save=False)
        LedgerDelivery.objects.filter(pk=delivery.pk).update(file="")
        purged += 1
    return purged


# --- the linked download ---------------------------------------------------------------------------
def delivery_for_download(*, user: User, delivery_id: int) -> LedgerDelivery:
    """A linked ledger, for a user whose scope covers its region (others: not found)."""
    if not services.user_can_export(user):
        raise PermissionDenied
    delivery = (
        LedgerDelivery.objects.visible_to(user)
        .select_related("subscription__region")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise Http404
    return delivery


def delivery_download_log(*, delivery: LedgerDelivery, request: HttpRequest) -> None:
    security_event_record(
        kind=SecurityEvent.Kind.DOWNLOAD,
        request=request,
        region_code=delivery.subscription.region.code,
        rows=delivery.rows,
        detail={
            "ledger": delivery.subscription.kind,
            "period": delivery.period,
            "delivery": delivery.pk,
            "masked_ids": True,
        },
    )
