import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
