import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.scope import ScopedQuerySet


class LedgerKind(models.TextChoices):
    PAIRING = "pairing", _("结对帮扶台账")
    VISIT = "visit", _("走访台账")
    VILLAGE = "village", _("村级台账")
    ASSESSMENT = "assessment", _("考核汇总台账")
    RECTIFICATION = "rectification", _("督查整改台账")
    MONITORING = "monitoring", _("监测对象台账")
    RISK_CLUE = "risk_clue", _("风险线索台账")


class ExportJob(models.Model):
    """An Excel ledger asked for by a user. Large ones are filled by a Celery task that updates
    `progress`; the file is kept EXPORT_KEEP_DAYS days and only its owner (or an administrator)
    may download it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        EXPIRED = "expired", _("已过期")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.CASCADE,
        related_name="export_jobs",
    )
    kind = models.CharField(_("台账"), max_length=20, choices=LedgerKind.choices)
    region = models.ForeignKey(
        "villages.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField(_("期间"), max_length=10)
    masked = models.BooleanField(_("身份证号脱敏"), default=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    done_rows = models.PositiveIntegerField(_("已写行数"), default=0)
    file = models.FileField(_("文件"), upload_to="exports/%Y/%m/", blank=True)
    error = models.TextField(_("错误"), blank=True)
    # Written with every progress update: a running job without one for EXPORT_STALE_SECONDS
    # has lost its worker (services.export_jobs_fail_stale, or a redelivered task takes it over).
    heartbeat_at = models.DateTimeField(_("最近进展"), null=True, blank=True)
    # How many times a task has claimed the job; a worker whose claim was taken over stops.
    attempts = models.PositiveSmallIntegerField(_("运行次数"), default=0)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("台账导出")
        verbose_name_plural = _("台账导出")
        ordering = ["-created_at"]
        indexes = [
            # The export page lists the user's recent jobs; the purge finds expired files.
            models.Index(fields=["user", "created_at"], name="export_job_user_idx"),
            models.Index(fields=["status", "expires_at"], name="export_job_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region} {self.period}"

    @property
    def progress(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.done_rows * 100 / self.total_rows))


def roster_upload_path(instance: "RosterImport", filename: str) -> str:
    # A random name: the file holds full ID numbers and must not be guessable.
    return f"imports/{uuid.uuid4().hex}.xlsx"


class RosterImport(models.Model):
    """A household roster uploaded from Excel: checked first (the dry run shows every error or
    every change), imported only when the user confirms and only if every row is right. The
    uploaded file is kept until the purge job removes it (it holds full ID numbers)."""

    class Status(models.TextChoices):
        INVALID = "invalid", _("有错误，未导入")
        CHECKED = "checked", _("已检查，待确认导入")
        IMPORTED = "imported", _("已导入")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.CASCADE,
        related_name="roster_imports",
    )
    file = models.FileField(_("上传文件"), upload_to=roster_upload_path, blank=True)
    original_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    income_year = models.PositiveSmallIntegerField(_("收入年度"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增户数"), default=0)
    updated_count = models.PositiveIntegerField(_("更新户数"), default=0)
    unchanged_count = models.PositiveIntegerField(_("未变化户数"), default=0)
    sheet = models.CharField(_("工作表"), max_length=100, blank=True)
    header_row = models.PositiveIntegerField(_("表头所在行"), default=1)
    # File-level refusal (not an xlsx, encrypted, too large…), shown instead of row errors.
    refusal = models.TextField(_("拒绝原因"), blank=True)
    # Every row error: {"row", "column", "letter", "value", "message"}.
    errors = models.JSONField(_("错误"), default=list, blank=True)
    # What the import would change (dry run) or changed: {"row", "action", "id", "name", "fields"}.
    changes = models.JSONField(_("变化"), default=list, blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    imported_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("名册导入")
        verbose_name_plural = _("名册导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} {self.get_status_display()}"

    @property
    def error_count(self) -> int:
        return len(self.errors)


def sheet_upload_path(instance: "SheetImport", filename: str) -> str:
    # A random name: an upload may hold ID numbers and phones and must not be guessable.
    return f"imports/sheets/{uuid.uuid4().hex}.xlsx"


class SheetImport(models.Model):
    """A workbook of kept records (区划与村, units, cadres, pairings, plans …, ledgers/sheets/)
    uploaded from Excel: checked first (a dry run: the import itself, rolled back, so it shows
    every error or exactly what importing will change), imported only when the user confirms.
    The file is kept until the purge removes it."""

    class Status(models.TextChoices):
        INVALID = "invalid", _("有错误，未导入")
        CHECKED = "checked", _("已检查，待确认导入")
        IMPORTED = "imported", _("已导入")

    kind = models.CharField(_("导入类型"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.CASCADE,
        related_name="sheet_imports",
    )
    file = models.FileField(_("上传文件"), upload_to=sheet_upload_path, blank=True)
    original_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增条数"), default=0)
    updated_count = models.PositiveIntegerField(_("更新条数"), default=0)
    unchanged_count = models.PositiveIntegerField(_("未变化条数"), default=0)
    sheet = models.CharField(_("工作表"), max_length=100, blank=True)
    header_row = models.PositiveIntegerField(_("表头所在行"), default=1)
    # File-level refusal (not an xlsx, encrypted, too large, no header …).
    refusal = models.TextField(_("拒绝原因"), blank=True)
    # Every row error: {"row", "column", "letter", "value", "message"}.
    errors = models.JSONField(_("错误"), default=list, blank=True)
    # What the import would change (dry run) or changed: {"row", "action", "name", "fields"}.
    changes = models.JSONField(_("变化"), default=list, blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    imported_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("表格导入")
        verbose_name_plural = _("表格导入")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The import pages list the user's recent imports (of one kind, or all).
            models.Index(fields=["user", "kind", "created_at"], name="sheet_import_user_idx"),
            # The nightly purge finds uploads older than a day.
            models.Index(fields=["created_at"], name="sheet_import_purge_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} {self.get_status_display()}"

    @property
    def error_count(self) -> int:
        return len(self.errors)


# --- ledgers sent to superiors on a schedule (issue 16) ---------------------------------------
class PeriodRule(models.TextChoices):
    LAST_MONTH = "last_month", _("上月")
    LAST_QUARTER = "last_quarter", _("上季度")
    YEAR_TO_DATE = "year_to_date", _("本年至上月末")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度（季度首月）")


class LedgerSubscriptionQuerySet(ScopedQuerySet):
    scope_path_field = "region__path"


class LedgerSubscription(models.Model):
    """A reviewer's standing order: this ledger, of this region, for this period (relative to the
    sending day), e-mailed to these addresses monthly or quarterly on a day. Sent by the daily
    beat task (ledgers/subscriptions.py); each sending is a LedgerDelivery."""

    kind = models.CharField(_("台账"), max_length=20, choices=LedgerKind.choices)
    region = models.ForeignKey(
        "villages.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    period_rule = models.CharField(_("台账期间"), max_length=20, choices=PeriodRule.choices)
    frequency = models.CharField(_("发送周期"), max_length=10, choices=Frequency.choices)
    day = models.PositiveSmallIntegerField(
        _("发送日"),
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("每月（或季度首月）的第几天发送；该月没有这一天时在月末发送。"),
    )
    recipients = models.TextField(
        _("收件人"), help_text=_("电子邮箱，多个用逗号、分号或换行分隔，最多20个。")
    )
    start_date = models.DateField(_("开始日期"), default=timezone.localdate)
    end_date = models.DateField(_("停止日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("订阅人"),
        on_delete=models.PROTECT,
        related_name="ledger_subscriptions",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = LedgerSubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("台账定期报送")
        verbose_name_plural = _("台账定期报送")
        ordering = ["-id"]
        indexes = [
            # The daily run reads the subscriptions not yet stopped.
            models.Index(fields=["end_date", "start_date"], name="ledger_sub_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(day__gte=1) & Q(day__lte=31), name="ledger_sub_day_in_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region.name} {self.get_period_rule_display()}"

    @property
    def recipient_list(self) -> list[str]:
        return [address for address in self.recipients.split(", ") if address]


class LedgerDeliveryQuerySet(ScopedQuerySet):
    scope_path_field = "subscription__region__path"


class LedgerDelivery(models.Model):
    """One sending of a subscription's ledger for one period: the log of what was sent when and
    to whom. UNIQUE (subscription, period) makes a rerun or a retry reuse the row, and a row
    already `sent` is never sent again (the state is claimed with a conditional UPDATE)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    subscription = models.ForeignKey(
        LedgerSubscription,
        verbose_name=_("定期报送"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    period = models.CharField(_("期间"), max_length=20)
    period_start = models.DateField(_("期间开始"))
    period_end = models.DateField(_("期间结束"))
    scheduled_on = models.DateField(_("应发送日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    claimed_at = models.DateTimeField(_("开始发送时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    recipients = models.TextField(_("收件人"), blank=True)
    message_id = models.CharField(_("邮件标识"), max_length=255, blank=True)
    rows = models.PositiveIntegerField(_("台账行数"), default=0)
    attachment_name = models.CharField(_("附件名"), max_length=255, blank=True)
    attachment_size = models.PositiveIntegerField(_("附件大小（字节）"), default=0)
    # A ledger over LEDGER_MAIL_MAX_BYTES is kept here and the mail carries a link instead.
    file = models.FileField(_("台账文件"), upload_to="ledger-mail/%Y/%m/", blank=True)
    link = models.CharField(_("下载链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = LedgerDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("台账报送记录")
        verbose_name_plural = _("台账报送记录")
        ordering = ["-scheduled_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period"], name="ledger_delivery_once_per_period"
            ),
        ]
        indexes = [
            # The daily run retries failed and stuck deliveries.
            models.Index(fields=["status", "scheduled_on"], name="ledger_delivery_retry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} {self.period} {self.get_status_display()}"
