from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerKind(models.TextChoices):
    PAIRING = "pairing", _("结对帮扶台账")
    VISIT = "visit", _("走访台账")
    VILLAGE = "village", _("村级台账")
    ASSESSMENT = "assessment", _("考核汇总台账")
    RECTIFICATION = "rectification", _("督查整改台账")


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
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    done_rows = models.PositiveIntegerField(_("已写行数"), default=0)
    file = models.FileField(_("文件"), upload_to="exports/%Y/%m/", blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("台账导出")
        verbose_name_plural = _("台账导出")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region} {self.period}"

    @property
    def progress(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.done_rows * 100 / self.total_rows))
