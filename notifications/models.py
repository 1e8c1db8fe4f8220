from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    WEEKLY_VISIT = "weekly_visit", _("本周未走访")
    YEARLY_PACE = "yearly_pace", _("全年走访进度落后")
    FIELD_DAYS = "field_days", _("本月在岗天数不足")
    UNIT_ACTIVITIES = "unit_activities", _("单位年度活动落后")
    VILLAGE_INCOME = "village_income", _("村集体经济收入未达标")
    TERM_ENDING = "term_ending", _("驻村任期即将届满")
    RECTIFICATION_OVERDUE = "rectification_overdue", _("整改事项逾期")
    PARTY_DAY = "party_day", _("固定党日提醒")
    CLUE_UNDECIDED = "clue_undecided", _("风险线索临近办结时限")
    APPLICATION_UNACCEPTED = "application_unaccepted", _("农户申报逾期未受理")
    NOTICE_ENDING = "notice_ending", _("公示即将结束")
    TOWNSHIP_REVIEW = "township_review", _("待乡镇审核")
    MONITORED_UNVISITED = "monitored_unvisited", _("监测户本月未走访")
    PERIOD_OVERDUE = "period_overdue", _("期间逾期未报送")
    SUBMISSIONS_WAITING = "submissions_waiting", _("报送待审核")
    DIGEST = "digest", _("每日提醒汇总")
    EXPORT_READY = "export_ready", _("导出完成")
    OTHER = "other", _("其他")


class Notification(models.Model):
    """A reminder in the product. The unique key makes every job safe to rerun: the same thing,
    for the same person and period, is stored once whatever retries or manual runs happen."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类型"), max_length=30, choices=NotificationKind.choices)
    subject_key = models.CharField(_("事项标识"), max_length=100, help_text=_("如 household:123"))
    period = models.CharField(_("周期"), max_length=12, help_text=_("如 2026-W38、2026-11-21"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    # A reminder made by the daily job is folded into that day's digest for its recipient: the
    # bell and the list show the digest (one message a day), the digest page lists its items.
    digest = models.ForeignKey(
        "self",
        verbose_name=_("所属每日汇总"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="items",
    )

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        ordering = ["-created_at"]
        indexes = [
            # The bell's unread count on every page.
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            # Folding the day's new reminders into digests: WHERE digest_id IS NULL AND kind IN …
            models.Index(
                fields=["kind", "created_at"],
                name="notification_unfolded_idx",
                condition=models.Q(digest__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject_key", "period"],
                name="notification_once_per_thing_period",
            ),
        ]

    def __str__(self) -> str:
        return self.title
