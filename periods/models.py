"""Reporting periods (报送期间): each township reports its month (a quarter or a year where its
county chose so) upward, the county approves or returns it, and an approved period is locked.
A period also locks by itself a number of days after it ends (periods.rules)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.scope import ScopedQuerySet


class Granularity(models.TextChoices):
    MONTH = "month", _("月")
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年度")


class PeriodState(models.TextChoices):
    OPEN = "open", _("未报送")
    SUBMITTED = "submitted", _("已报送")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已审核通过")
    REOPENED = "reopened", _("已重新开放")


class PeriodSettingQuerySet(ScopedQuerySet):
    scope_path_field = "county__path"


class PeriodSetting(models.Model):
    """A county's choice of reporting period and of the days after a period's end when it
    locks by itself (empty: PERIOD_LOCK_DAYS). Kept by reviewers (core.keepers)."""

    county = models.OneToOneField(
        "villages.Region",
        verbose_name=_("县区"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"level": "county"},
    )
    granularity = models.CharField(
        _("报送周期"), max_length=10, choices=Granularity.choices, default=Granularity.MONTH
    )
    lock_days = models.PositiveSmallIntegerField(
        _("期末后自动锁定天数"),
        null=True,
        blank=True,
        help_text=_("期间结束后第几天起自动锁定；不填则使用系统默认值。"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = PeriodSettingQuerySet.as_manager()

    class Meta:
        verbose_name = _("报送设置")
        verbose_name_plural = _("报送设置")

    def __str__(self) -> str:
        return str(self.county)


class ReportingPeriodQuerySet(ScopedQuerySet):
    scope_path_field = "path"


class ReportingPeriod(models.Model):
    """One township's period: its state, who submitted and who approved it. A period without
    a row has not been submitted."""

    township = models.ForeignKey(
        "villages.Region",
        verbose_name=_("乡镇"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"level": "township"},
    )
    path = models.CharField(_("区划路径"), max_length=255, editable=False)
    label = models.CharField(_("期间"), max_length=10, help_text=_("如 2026-10、2026-Q4、2026"))
    granularity = models.CharField(_("报送周期"), max_length=10, choices=Granularity.choices)
    start = models.DateField(_("期初"))
    end = models.DateField(_("期末"))
    state = models.CharField(
        _("状态"), max_length=12, choices=PeriodState.choices, default=PeriodState.OPEN
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审核通过时间"), null=True, blank=True)
    # A period locked by expiry and reopened by a reviewer stays open through this day.
    reopened_until = models.DateField(_("重新开放至"), null=True, blank=True)
    # What the township submitted (counts per kind of record), as it was at submission.
    contents = models.JSONField(_("报送内容"), default=dict, blank=True)

    objects = ReportingPeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("报送期间")
        verbose_name_plural = _("报送期间")
        ordering = ["-start", "path"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "start"], name="reporting_period_once_per_township"
            ),
        ]
        indexes = [
            # The status page: a county's townships × periods (path prefix, start range).
            models.Index(
                fields=["path", "start"],
                name="period_status_page_idx",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
            # The reviewers' queue and its reminder: submitted periods.
            models.Index(fields=["state", "start"], name="period_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.township} {self.label}"

    def save(self, *args, **kwargs):
        self.path = self.township.path
        super().save(*args, **kwargs)


class PeriodAction(models.TextChoices):
    SUBMIT = "submit", _("报送")
    APPROVE = "approve", _("审核通过")
    RETURN = "return", _("退回")
    REOPEN = "reopen", _("重新开放")


class PeriodEventQuerySet(ScopedQuerySet):
    scope_path_field = "period__path"


class PeriodEvent(models.Model):
    """The history of a period: each submission, approval, return and reopening, with reason."""

    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("报送期间"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=10, choices=PeriodAction.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    objects = PeriodEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("报送记录")
        verbose_name_plural = _("报送记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.period} {self.get_action_display()}"
