"""The indicator catalogue as data, per-county threshold overrides, computed results and the
yearly unit assessment that the bundled rule (三捆绑, 001) caps."""

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from cadres.models import Grade  # the same four grades as a cadre's yearly assessment (001)
from core.scope import ScopedQuerySet


class SubjectKind(models.TextChoices):
    HOUSEHOLD = "household", _("贫困户")
    HOUSEHOLD_HELPER = "household_helper", _("贫困户×帮扶责任人")
    PAIRING = "pairing", _("结对党组织")
    UNIT = "unit", _("帮扶单位")
    LEAD_UNIT = "lead_unit", _("牵头单位")
    VILLAGE = "village", _("村")
    TOWNSHIP_LEADER = "township_leader", _("包村乡镇领导")
    COUNTY_LEADER = "county_leader", _("包乡县级领导")
    DEPARTMENT = "department", _("包村县直部门")
    TALENT = "talent", _("下派人才")
    FIRST_SECRETARY = "first_secretary", _("第一书记")
    VILLAGE_BRANCH = "village_branch", _("村党支部")
    REGION = "region", _("督查区划")


class PeriodKind(models.TextChoices):
    WEEK = "week", _("周")
    MONTH = "month", _("月")
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年度")
    SNAPSHOT = "snapshot", _("时点")


class Comparison(models.TextChoices):
    GTE = "gte", _("不少于")
    LTE = "lte", _("不多于")


class Indicator(models.Model):
    """One rule of the catalogue (DOMAIN.md). `metric` names the computation the engine runs;
    threshold and period are data an administrator edits."""

    code = models.CharField(_("指标代码"), max_length=40, unique=True)
    name = models.CharField(_("指标名称"), max_length=100)
    subject_kind = models.CharField(_("考核对象"), max_length=20, choices=SubjectKind.choices)
    metric = models.CharField(_("计算口径"), max_length=60)
    period_kind = models.CharField(_("考核周期"), max_length=10, choices=PeriodKind.choices)
    comparison = models.CharField(
        _("比较方式"), max_length=5, choices=Comparison.choices, default=Comparison.GTE
    )
    threshold = models.DecimalField(
        _("达标值"),
        max_digits=14,
        decimal_places=2,
        help_text=_("修改后从下一次计算起生效；已存储的考核结果保留计算时的达标值。"),
    )
    unit_label = models.CharField(_("计量单位"), max_length=20, blank=True)
    source = models.CharField(_("依据"), max_length=200, blank=True)
    description = models.TextField(_("说明"), blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class IndicatorOverride(models.Model):
    """A county's own threshold for its subtree (002 and 003 disagree on reserve cadres)."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="overrides"
    )
    region = models.ForeignKey(
        "villages.Region",
        verbose_name=_("适用区划"),
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("适用于该区划及其全部下级；同一对象有多个设置时，最下一级区划的设置优先。"),
    )
    threshold = models.DecimalField(_("达标值"), max_digits=14, decimal_places=2)
    note = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("指标阈值（本地）")
        verbose_name_plural = _("指标阈值（本地）")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "region"], name="indicator_override_once_per_region"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} @ {self.region}: {self.threshold}"


class IndicatorResultQuerySet(ScopedQuerySet):
    scope_path_field = "path"
    scope_village_field = "village_id"
    scope_household_field = "household_id"
    scope_unit_field = "unit_id"


class IndicatorResult(models.Model):
    """The value of one indicator for one subject in one period. Re-evaluating a period
    replaces its rows; thresholds are copied in, so editing an indicator never rewrites history."""

    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("指标"),
        on_delete=models.CASCADE,
        related_name="results",
        db_index=False,
        db_constraint=False,
    )
    period = models.CharField(
        _("考核期"), max_length=10, help_text=_("如 2026、2026-Q3、2026-09、2026-W38")
    )
    period_start = models.DateField(_("期初"))
    period_end = models.DateField(_("期末"))
    subject_kind = models.CharField(_("对象类型"), max_length=20, choices=SubjectKind.choices)
    subject_id = models.BigIntegerField(_("对象编号"))
    subject_label = models.CharField(_("对象"), max_length=200)
    # Where the subject sits, for scope and for roll-ups by region (empty path: not regional).
    # The foreign keys below are a denormalised snapshot written in bulk (600,000 rows for a
    # province year): no database constraints and no single-column indexes, because checking
    # seven foreign keys and maintaining seven more indexes per row doubled an evaluation's
    # time; Django still applies on_delete, and the next evaluation rewrites the rows.
    path = models.CharField(_("区划路径"), max_length=255, blank=True)
    township = models.ForeignKey(
        "villages.Region",
        verbose_name=_("乡镇"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    village = models.ForeignKey(
        "villages.Village",
        verbose_name=_("村"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    household = models.ForeignKey(
        "households.Household",
        verbose_name=_("户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    unit = models.ForeignKey(
        "pairing.Unit",
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    helper = models.ForeignKey(
        "cadres.Cadre",
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    pairing = models.ForeignKey(
        "pairing.Pairing",
        verbose_name=_("结对"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    value = models.DecimalField(_("实际值"), max_digits=14, decimal_places=2)
    threshold = models.DecimalField(_("达标值"), max_digits=14, decimal_places=2)
    met = models.BooleanField(_("是否达标"))
    shortfall = models.DecimalField(_("差距"), max_digits=14, decimal_places=2, default=0)
    computed_at = models.DateTimeField(_("计算时间"), auto_now_add=True)

    objects = IndicatorResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("指标结果")
        verbose_name_plural = _("指标结果")
        ordering = ["indicator", "path", "subject_label"]
        indexes = [
            # Dashboards: share met per indicator for a period under a region path.
            models.Index(
                fields=["period", "indicator", "path"],
                name="result_period_indicator_idx",
                opclasses=["varchar_pattern_ops", "int8_ops", "varchar_pattern_ops"],
            ),
            # The lagging subjects of an indicator under a region, in region order, and their
            # count: a province's unmet rows only (the full index read 200,000 rows to keep
            # 30,000 and took 0.9 s for one page of HH-VISIT-YEAR).
            models.Index(
                fields=["period", "indicator", "path"],
                name="result_lagging_idx",
                condition=Q(met=False),
                opclasses=["varchar_pattern_ops", "int8_ops", "varchar_pattern_ops"],
            ),
            # The household page's indicator status.
            models.Index(fields=["household", "period"], name="result_household_idx"),
            models.Index(fields=["unit", "period"], name="result_unit_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period", "subject_kind", "subject_id"],
                name="result_once_per_subject_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.period} {self.subject_label}"


class UnitAssessment(models.Model):
    """A unit's yearly assessment: the grade its results earn and the grade it may have after
    the bundled rule; `cap_reasons` lists each reason that capped it."""

    unit = models.ForeignKey(
        "pairing.Unit", verbose_name=_("单位"), on_delete=models.CASCADE, related_name="assessments"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    met_share = models.DecimalField(_("指标达标率"), max_digits=5, decimal_places=4, default=0)
    earned_grade = models.CharField(
        _("按指标应得等次"),
        max_length=20,
        choices=Grade.choices,
    )
    capped = models.BooleanField(_("受三捆绑限制"), default=False)
    cap_reasons = models.JSONField(_("限制原因"), default=list, blank=True)
    final_grade = models.CharField(
        _("最高可评等次"),
        max_length=20,
        choices=Grade.choices,
    )
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("单位年度考核")
        verbose_name_plural = _("单位年度考核")
        ordering = ["-year", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="unit_assessment_once_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year}"


class EvaluationRun(models.Model):
    """One evaluation of a period (who asked, how long it took, how many results)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    period = models.CharField(_("考核期"), max_length=10)
    region = models.ForeignKey(
        "villages.Region",
        verbose_name=_("区划"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    results = models.PositiveIntegerField(_("结果数"), default=0)
    seconds = models.FloatField(_("耗时（秒）"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("考核计算记录")
        verbose_name_plural = _("考核计算记录")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "region"],
                condition=Q(status="running"),
                name="evaluation_one_running_per_period",
            ),
            # The constraint above lets two whole-province runs (region NULL) overlap, because
            # NULLs are distinct in a unique index; this one treats "no region" as one value.
            models.UniqueConstraint(
                "period",
                Coalesce("region", Value(0)),
                condition=Q(status="running"),
                name="evaluation_one_running_any_region",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.get_status_display()}"


class ResultRollupQuerySet(ScopedQuerySet):
    scope_path_field = "path"


class ResultRollup(models.Model):
    """How many subjects of one indicator meet it in one region (and, when `unit` is set, among
    the subjects attributed to that unit), for one period. Rebuilt from IndicatorResult by every
    evaluation, so a dashboard reads a few dozen rows instead of aggregating a province's
    results on each request (PERFORMANCE.md: roll-ups answer in under a millisecond)."""

    period = models.CharField(_("考核期"), max_length=10)
    # Rebuilt in bulk by every evaluation, like IndicatorResult: no database constraints.
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("指标"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    region = models.ForeignKey(
        "villages.Region",
        verbose_name=_("区划"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # The region's parent, so "the children of this region" is one indexed filter.
    parent = models.ForeignKey(
        "villages.Region",
        verbose_name=_("上级区划"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    path = models.CharField(_("区划路径"), max_length=255)
    unit = models.ForeignKey(
        "pairing.Unit",
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    subjects = models.PositiveIntegerField(_("考核对象数"))
    met = models.PositiveIntegerField(_("达标数"))
    value_sum = models.DecimalField(_("实际值合计"), max_digits=18, decimal_places=2, default=0)

    objects = ResultRollupQuerySet.as_manager()

    class Meta:
        verbose_name = _("指标汇总")
        verbose_name_plural = _("指标汇总")
        indexes = [
            # The dashboard's own region and its unit ranking: period + region (+ unit).
            models.Index(fields=["period", "region", "unit"], name="rollup_region_idx"),
            # The drill-down: the children of a region.
            models.Index(fields=["period", "parent"], name="rollup_parent_idx"),
        ]
        # No unique constraints: rollups_rebuild writes each (period, indicator, region, unit)
        # once by construction (it aggregates by that key), and two more indexes to maintain
        # made rebuilding a province's 150,000 rows half as fast again.

    def __str__(self) -> str:
        return f"{self.period} {self.indicator_id} {self.path}"

    @property
    def share(self) -> float:
        return self.met / self.subjects if self.subjects else 0.0


class VisitMonthQuerySet(ScopedQuerySet):
    scope_path_field = "path"


class VisitMonth(models.Model):
    """Visits per township per month, for the dashboard's trend (a province has about two
    million visits a year; the trend reads at most a few thousand of these rows)."""

    township = models.ForeignKey(
        "villages.Region", verbose_name=_("乡镇"), on_delete=models.CASCADE, related_name="+"
    )
    path = models.CharField(_("区划路径"), max_length=255)
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    visits = models.PositiveIntegerField(_("走访记录数"), default=0)
    credited = models.PositiveIntegerField(_("计入考核"), default=0)
    home_credited = models.PositiveIntegerField(_("其中入户走访"), default=0)
    held = models.PositiveIntegerField(_("待审核"), default=0)

    objects = VisitMonthQuerySet.as_manager()

    class Meta:
        verbose_name = _("月度走访汇总")
        verbose_name_plural = _("月度走访汇总")
        ordering = ["month"]
        indexes = [
            models.Index(
                fields=["path", "month"],
                name="visit_month_path_idx",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["township", "month"], name="visit_month_once"),
        ]

    def __str__(self) -> str:
        return f"{self.township_id} {self.month:%Y-%m}"
