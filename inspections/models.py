"""Quarterly spot-check draws (每季度抽查不低于50%, 003), the inspections they become, and the
rectification items the findings turn into (问题、任务、责任清单，销号管理, 004)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.scope import ScopedQuerySet


class DrawQuerySet(ScopedQuerySet):
    scope_path_field = "region__path"


class SpotCheckDraw(models.Model):
    region = models.ForeignKey(
        "villages.Region",
        verbose_name=_("抽查区划"),
        on_delete=models.PROTECT,
        related_name="spot_check_draws",
    )
    quarter = models.CharField(_("季度"), max_length=7, help_text=_("如 2026Q4"))
    share = models.DecimalField(_("抽查比例"), max_digits=4, decimal_places=3, default=0.5)
    households_per_village = models.PositiveSmallIntegerField(_("每村抽查户数"), default=0)
    exclude_previous = models.BooleanField(_("排除上季度已抽村"), default=False)
    seed = models.BigIntegerField(_("随机种子"))
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("抽取人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    drawn_at = models.DateTimeField(_("抽取时间"), auto_now_add=True)
    voided = models.BooleanField(_("已作废"), default=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作废人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    void_reason = models.CharField(_("作废原因"), max_length=300, blank=True)

    objects = DrawQuerySet.as_manager()

    class Meta:
        verbose_name = _("季度抽查")
        verbose_name_plural = _("季度抽查")
        ordering = ["-quarter", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "quarter"],
                condition=Q(voided=False),
                name="spot_check_one_live_draw_per_quarter",
            ),
            models.CheckConstraint(
                condition=Q(share__gt=0) & Q(share__lte=1), name="spot_check_share_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.quarter}"


class ItemQuerySet(ScopedQuerySet):
    scope_path_field = "village__path"


class SpotCheckItem(models.Model):
    """One drawn village, or one drawn household within a drawn village."""

    draw = models.ForeignKey(
        SpotCheckDraw, verbose_name=_("抽查"), on_delete=models.CASCADE, related_name="items"
    )
    village = models.ForeignKey(
        "villages.Village", verbose_name=_("村"), on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "households.Household",
        verbose_name=_("户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    township = models.ForeignKey(
        "villages.Region", verbose_name=_("乡镇"), on_delete=models.PROTECT, related_name="+"
    )

    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("抽查对象")
        verbose_name_plural = _("抽查对象")
        ordering = ["draw", "township", "village", "household"]
        constraints = [
            models.UniqueConstraint(
                fields=["draw", "village"],
                condition=Q(household__isnull=True),
                name="spot_check_village_once",
            ),
            models.UniqueConstraint(
                fields=["draw", "household"],
                condition=Q(household__isnull=False),
                name="spot_check_household_once",
            ),
        ]

    def __str__(self) -> str:
        return str(self.household or self.village)


class InspectionQuerySet(ScopedQuerySet):
    scope_path_field = "item__village__path"


class Inspection(models.Model):
    """An unannounced inspection of a drawn item (不发通知、不打招呼、不听汇报、不陪同接待)."""

    item = models.OneToOneField(
        SpotCheckItem,
        verbose_name=_("抽查对象"),
        on_delete=models.CASCADE,
        related_name="inspection",
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("督查人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    inspected_on = models.DateField(_("督查日期"))
    findings = models.TextField(_("督查发现"), blank=True)
    no_problem = models.BooleanField(_("未发现问题"), default=False)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("督查记录")
        verbose_name_plural = _("督查记录")
        ordering = ["-inspected_on"]

    def __str__(self) -> str:
        return f"{self.item} {self.inspected_on}"


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    SUBMITTED = "submitted", _("已提交销号")
    CLOSED = "closed", _("已销号")
    REOPENED = "reopened", _("重新整改")


class RectificationQuerySet(ScopedQuerySet):
    scope_path_field = "village__path"
    scope_village_field = "village_id"
    scope_unit_field = "responsible_unit_id"

    def overdue(self, on):
        return self.exclude(status=RectificationStatus.CLOSED).filter(deadline__lt=on)


class RectificationItem(models.Model):
    """A line of the problem, task and responsibility lists; closed item by item (销号)."""

    inspection = models.ForeignKey(
        Inspection,
        verbose_name=_("来源督查"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
    )
    village = models.ForeignKey(
        "villages.Village",
        verbose_name=_("村"),
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    household = models.ForeignKey(
        "households.Household",
        verbose_name=_("户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
    )
    problem = models.TextField(_("问题"))
    task = models.TextField(_("整改任务"))
    responsible_unit = models.ForeignKey(
        "pairing.Unit",
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
    )
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
    )
    deadline = models.DateField(_("整改时限"))
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=RectificationStatus.choices,
        default=RectificationStatus.OPEN,
    )
    submitted_at = models.DateTimeField(_("提交销号时间"), null=True, blank=True)
    closed_on = models.DateField(_("销号日期"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销号人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = RectificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("整改事项")
        verbose_name_plural = _("整改事项")
        ordering = ["deadline"]
        indexes = [models.Index(fields=["status", "deadline"], name="rectification_overdue_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed")
                | (Q(closed_on__isnull=False) & Q(closed_by__isnull=False)),
                name="rectification_closed_has_closer",
            ),
            # The second person rule: whoever closes an item is not the one responsible for it.
            models.CheckConstraint(
                condition=Q(closed_by__isnull=True)
                | Q(responsible_person__isnull=True)
                | ~Q(closed_by=models.F("responsible_person")),
                name="rectification_closed_by_second_person",
            ),
        ]

    def __str__(self) -> str:
        return self.problem[:40]


def evidence_path(instance, filename: str) -> str:
    import uuid

    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"evidence/{instance.item_id}/{uuid.uuid4().hex}.{suffix}"


class RectificationEvidence(models.Model):
    item = models.ForeignKey(
        RectificationItem,
        verbose_name=_("整改事项"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    file = models.FileField(_("佐证材料"), upload_to=evidence_path)
    # The file is stored re-encoded under a name chosen from its content; the page and the
    # download show the name the uploader's file had (sanitised, services.evidence_name).
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("整改佐证")
        verbose_name_plural = _("整改佐证")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name a person recognises: the uploaded file's, else the stored file's own."""
        if self.original_name:
            return self.original_name
        stored = self.file.name.rsplit("/", 1)[-1]
        suffix = stored.rsplit(".", 1)[-1].lower() if "." in stored else "bin"
        return _("佐证材料%(n)s.%(suffix)s") % {"n": self.pk or "", "suffix": suffix}


class RectificationLog(models.Model):
    """Every step of an item's way to closing (登记、提交销号、销号、退回重新整改), with who and
    why: the item page shows it and the closing rule can be audited afterwards."""

    class Action(models.TextChoices):
        CREATED = "created", _("登记")
        EVIDENCE = "evidence", _("上传佐证")
        SUBMITTED = "submitted", _("提交销号")
        CLOSED = "closed", _("销号")
        REOPENED = "reopened", _("退回重新整改")

    item = models.ForeignKey(
        RectificationItem,
        verbose_name=_("整改事项"),
        on_delete=models.CASCADE,
        related_name="log",
    )
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("整改记录")
        verbose_name_plural = _("整改记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.get_action_display()}"
