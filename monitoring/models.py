"""Monitoring against relapse (防止返贫动态监测和帮扶, DOMAIN.md "After 2020").

A household's way through it: a risk clue (风险线索) is received by one of three channels; an
application must be accepted by the township, and every clue decided within a deadline
(monitoring/selectors.py says how many days and whether a clue is late). A monitoring case
(监测对象) is one episode of one household: opened from a clue, it runs the identification steps
in order (home check with the household's signed authorisation → county data comparison →
village appraisal and public notice → township review → county decision), or stops as "not
identified" with the reason at any step. A decided case gets measures by its labour capacity
and the household's yearly income and expenses are recorded; a risk removal (风险消除) runs a
mirror procedure and, when the county decides it, closes the case. The household keeps every
case: it can be identified again later.

The writes are monitoring/services.py; every reader starts from `visible_to(user)`."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.scope import InForceQuerySet, ScopedQuerySet


# --- the vocabulary -----------------------------------------------------------------------------
class Category(models.TextChoices):
    UNSTABLE = "unstable", _("脱贫不稳定户")
    MARGINAL = "marginal", _("边缘易致贫户")
    SUDDEN = "sudden", _("突发严重困难户")


class RiskType(models.TextChoices):
    ILLNESS = "illness", _("因病")
    DISABILITY = "disability", _("因残")
    SCHOOLING = "schooling", _("因学")
    DISASTER = "disaster", _("因灾")
    ACCIDENT = "accident", _("因意外事故")
    INDUSTRY_FAILURE = "industry_failure", _("因产业项目失败")
    UNSTABLE_WORK = "unstable_work", _("因务工就业不稳")
    LACK_LABOUR = "lack_labour", _("缺劳力")
    HOUSING_WATER = "housing_water", _("住房或饮水安全问题")
    OTHER = "other", _("其他")


class LabourCapacity(models.TextChoices):
    CAPABLE = "capable", _("有劳动能力")
    WEAK = "weak", _("弱劳动能力或半劳动能力")
    NONE = "none", _("无劳动能力")


class ClueChannel(models.TextChoices):
    APPLICATION = "application", _("农户自主申报")
    SCREENING = "screening", _("基层干部排查")
    DEPARTMENT = "department", _("部门筛查预警")


class Department(models.TextChoices):
    MEDICAL_INSURANCE = "medical_insurance", _("医保部门")
    EDUCATION = "education", _("教育部门")
    CIVIL_AFFAIRS = "civil_affairs", _("民政部门")
    HOUSING = "housing", _("住房城乡建设部门")
    DISABLED = "disabled", _("残联")
    EMERGENCY = "emergency", _("应急管理部门")
    HUMAN_RESOURCES = "human_resources", _("人力资源社会保障部门")
    AGRICULTURE = "agriculture", _("农业农村部门")
    OTHER = "other", _("其他部门")


class ClueOutcome(models.TextChoices):
    IDENTIFIED = "identified", _("识别为监测对象")
    NOT_IDENTIFIED = "not_identified", _("不予识别")
    ALREADY_MONITORED = "already_monitored", _("已是监测对象")


class CaseStatus(models.TextChoices):
    IDENTIFYING = "identifying", _("识别中")
    MONITORED = "monitored", _("监测帮扶中")
    NOT_IDENTIFIED = "not_identified", _("不予识别")
    REMOVED = "removed", _("风险已消除")


# A household has at most one case in these statuses (a database rule, below).
OPEN_CASE_STATUSES = (CaseStatus.IDENTIFYING, CaseStatus.MONITORED)


class Procedure(models.TextChoices):
    IDENTIFICATION = "identification", _("识别")
    REMOVAL = "removal", _("风险消除")


class StepKind(models.TextChoices):
    HOME_CHECK = "home_check", _("入户核实")
    DATA_COMPARISON = "data_comparison", _("县级数据比对")
    APPRAISAL = "appraisal", _("村民主评议和公示")
    TOWNSHIP_REVIEW = "township_review", _("乡镇审核")
    COUNTY_DECISION = "county_decision", _("县级审定")


# The steps of each procedure, in their order (monitoring/services.py refuses one out of order).
PROCEDURE_STEPS: dict[str, tuple[str, ...]] = {
    Procedure.IDENTIFICATION: (
        StepKind.HOME_CHECK,
        StepKind.DATA_COMPARISON,
        StepKind.APPRAISAL,
        StepKind.TOWNSHIP_REVIEW,
        StepKind.COUNTY_DECISION,
    ),
    Procedure.REMOVAL: (
        StepKind.HOME_CHECK,
        StepKind.APPRAISAL,
        StepKind.TOWNSHIP_REVIEW,
        StepKind.COUNTY_DECISION,
    ),
}

# The names the steps go by in each procedure (DOMAIN.md: 入户核实（承诺授权）… 乡镇初审 … 县级审定;
# the removal's home check is by at least two people, its township step a check).
STEP_LABELS: dict[tuple[str, str], str] = {
    (Procedure.IDENTIFICATION, StepKind.HOME_CHECK): _("入户核实（承诺授权）"),
    (Procedure.IDENTIFICATION, StepKind.DATA_COMPARISON): _("县级数据比对"),
    (Procedure.IDENTIFICATION, StepKind.APPRAISAL): _("村民主评议和公示"),
    (Procedure.IDENTIFICATION, StepKind.TOWNSHIP_REVIEW): _("乡镇初审"),
    (Procedure.IDENTIFICATION, StepKind.COUNTY_DECISION): _("县级审定"),
    (Procedure.REMOVAL, StepKind.HOME_CHECK): _("入户核实（两人以上）"),
    (Procedure.REMOVAL, StepKind.APPRAISAL): _("村民主评议和公示"),
    (Procedure.REMOVAL, StepKind.TOWNSHIP_REVIEW): _("乡镇核查"),
    (Procedure.REMOVAL, StepKind.COUNTY_DECISION): _("县级审定"),
}


def step_label(procedure: str, kind: str) -> str:
    return str(STEP_LABELS.get((procedure, kind), StepKind(kind).label))


class MeasureKind(models.TextChoices):
    # Development measures (开发式帮扶), for households that can work.
    INDUSTRY = "industry", _("产业帮扶")
    EMPLOYMENT = "employment", _("就业帮扶")
    SKILLS = "skills", _("技能培训")
    SMALL_LOAN = "small_loan", _("小额信贷")
    # The safety net (兜底保障), for those who cannot.
    MINIMUM_LIVING = "minimum_living", _("低保")
    EXTREME_POVERTY = "extreme_poverty", _("特困供养")
    MEDICAL_AID = "medical_aid", _("医疗救助")
    TEMPORARY_ASSISTANCE = "temporary_assistance", _("临时救助")


DEVELOPMENT_MEASURES = frozenset(
    {MeasureKind.INDUSTRY, MeasureKind.EMPLOYMENT, MeasureKind.SKILLS, MeasureKind.SMALL_LOAN}
)
SAFETY_NET_MEASURES = frozenset(
    {
        MeasureKind.MINIMUM_LIVING,
        MeasureKind.EXTREME_POVERTY,
        MeasureKind.MEDICAL_AID,
        MeasureKind.TEMPORARY_ASSISTANCE,
    }
)


class MeasureStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("实施中")
    DONE = "done", _("已完成")
    STOPPED = "stopped", _("已停止")


class RigidExpenseState(models.TextChoices):
    NONE = "none", _("无大额刚性支出")
    SOLVED = "solved", _("已解决")
    UNSOLVED = "unsolved", _("尚未解决")


class RemovalKind(models.TextChoices):
    STABLE = "stable", _("稳定消除")
    NATURAL = "natural", _("自然消除")


class RemovalStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("进行中")
    REMOVED = "removed", _("已消除")
    STOPPED = "stopped", _("未通过")


# --- the monitoring range ---------------------------------------------------------------------
class MonitoringRangeQuerySet(ScopedQuerySet):
    """Kept (written) within the keeper's subtree: `visible_to`. Read more widely: a range set
    for a province applies to every household under it, so `applying_to(user)` adds the ranges
    of the regions above the user's own (monitoring/selectors.py)."""

    scope_path_field = "region__path"


class MonitoringRange(models.Model):
    """The monitoring range (监测范围) of a region for a year: a per-capita yearly income line in
    yuan. A province sets it every year; a lower region that sets its own overrides it for its
    subtree (the deepest region's figure applies: monitoring.selectors.range_for)."""

    region = models.ForeignKey(
        "villages.Region",
        verbose_name=_("区划"),
        on_delete=models.PROTECT,
        related_name="monitoring_ranges",
    )
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2020), MaxValueValidator(2100)]
    )
    amount = models.DecimalField(
        _("监测范围（元/人·年）"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(1)],
        help_text=_("年人均纯收入，单位元。"),
    )
    basis = models.CharField(_("文件依据"), max_length=200, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设定人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("设定时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = MonitoringRangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("监测范围")
        verbose_name_plural = _("监测范围")
        ordering = ["-year", "region__path"]
        constraints = [
            # Also the index of range_for: WHERE region_id IN (the path's regions) AND year = …
            models.UniqueConstraint(fields=["region", "year"], name="monitoring_range_one_a_year"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="monitoring_range_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year}"


# --- risk clues -------------------------------------------------------------------------------
class HouseholdPlaceQuerySet(ScopedQuerySet):
    """Rows that carry their household's village, township and path (kept by save())."""

    scope_path_field = "path"
    scope_village_field = "village_id"
    scope_household_field = "household_id"


class HouseholdPlace(models.Model):
    """The household's place, copied on save: scoped lists filter on the path prefix and group
    by township without joining households and villages (PERFORMANCE.md)."""

    village = models.ForeignKey(
        "villages.Village",
        verbose_name=_("村"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    township = models.ForeignKey(
        "villages.Region",
        verbose_name=_("乡镇"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    path = models.CharField(_("区划路径"), max_length=255, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.fill_place()
        super().save(*args, **kwargs)

    def fill_place(self) -> None:
        """Copy the household's place (each subclass declares `household`); also before a
        service validates the row."""
        household = self.household
        self.village_id = household.village_id
        self.township_id = household.township_id
        self.path = household.path


class RiskClue(HouseholdPlace):
    """A risk clue (风险线索): a household's own application, a cadre's screening or a
    department's warning, from the day it was received to its decision."""

    household = models.ForeignKey(
        "households.Household",
        verbose_name=_("户"),
        on_delete=models.PROTECT,
        related_name="risk_clues",
        db_index=False,
    )
    member = models.ForeignKey(
        "households.Member",
        verbose_name=_("涉及的家庭成员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("部门预警指向的成员（按身份证号匹配）。"),
    )
    channel = models.CharField(_("线索来源"), max_length=20, choices=ClueChannel.choices)
    department = models.CharField(
        _("预警部门"), max_length=30, choices=Department.choices, blank=True
    )
    risk = models.CharField(_("风险情况"), max_length=300)
    received_on = models.DateField(_("接报日期"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接报人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Days from receiving to accepting and to deciding, stored when each happens (by the rule of
    # monitoring.selectors.days_between): the clue ledger's "days taken", and lists of late
    # clues that compare integers instead of date arithmetic.
    acceptance_days = models.PositiveSmallIntegerField(
        _("受理用时（天）"), null=True, blank=True, editable=False
    )
    decided_on = models.DateField(_("办结日期"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办结人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_days = models.PositiveSmallIntegerField(
        _("办结用时（天）"), null=True, blank=True, editable=False
    )
    outcome = models.CharField(
        _("办结结果"), max_length=20, choices=ClueOutcome.choices, blank=True
    )
    decision_reason = models.CharField(_("办结说明"), max_length=500, blank=True)
    case = models.ForeignKey(
        "monitoring.MonitoringCase",
        verbose_name=_("监测对象"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clues",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = HouseholdPlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("风险线索")
        verbose_name_plural = _("风险线索")
        ordering = ["-received_on", "-id"]
        indexes = [
            # The clue list of a township or county: path LIKE '<scope>%', newest first.
            models.Index(
                fields=["path", "received_on"],
                name="clue_path_received_idx",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
            # The clues of one household (its page, "has an undecided clue" on the screening).
            models.Index(fields=["household", "received_on"], name="clue_household_idx"),
            # Undecided clues by age: the late list, the day-10 reminder, the indicator.
            models.Index(
                fields=["township", "received_on"],
                name="clue_undecided_idx",
                condition=Q(decided_on__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(channel="department") | ~Q(department=""),
                name="clue_department_named",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | ~Q(outcome=""),
                name="clue_decided_has_outcome",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=F("received_on")),
                name="clue_decided_after_received",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.received_on}"

    @property
    def is_application(self) -> bool:
        return self.channel == ClueChannel.APPLICATION

    @property
    def is_decided(self) -> bool:
        return self.decided_on is not None

    @property
    def awaits_acceptance(self) -> bool:
        return self.is_application and self.accepted_on is None and not self.is_decided


# --- monitoring cases ---------------------------------------------------------------------------
class MonitoringCase(HouseholdPlace):
    """One episode of monitoring of one household (监测对象), from the clue that opened it to the
    county's decision (or "not identified"), and on to the risk's removal. A household may have
    several cases over the years; at most one is open at a time."""

    household = models.ForeignKey(
        "households.Household",
        verbose_name=_("户"),
        on_delete=models.PROTECT,
        related_name="monitoring_cases",
        db_index=False,
    )
    category = models.CharField(_("监测对象类别"), max_length=20, choices=Category.choices)
    risk_types = models.JSONField(_("风险类型"), default=list)
    labour_capacity = models.CharField(_("劳动能力"), max_length=20, choices=LabourCapacity.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.IDENTIFYING
    )
    # The day the clue that opened the case was received: the identification's 15 days run
    # from it (monitoring.selectors.case_deadline).
    received_on = models.DateField(_("线索接报日期"))
    opened_on = models.DateField(_("启动识别日期"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("启动人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_on = models.DateField(_("县级审定日期"), null=True, blank=True)
    # Days from the clue to the county's decision or to "not identified", stored when either
    # happens (monitoring.selectors.days_between): lists of late identifications compare it.
    identification_days = models.PositiveSmallIntegerField(
        _("识别用时（天）"), null=True, blank=True, editable=False
    )
    closed_on = models.DateField(_("结束日期"), null=True, blank=True)
    closed_at_step = models.CharField(
        _("终止环节"), max_length=20, choices=StepKind.choices, blank=True
    )
    close_reason = models.CharField(_("不予识别原因"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = HouseholdPlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("监测对象")
        verbose_name_plural = _("监测对象")
        ordering = ["-received_on", "-id"]
        indexes = [
            # The case list of a township or county by status (reviewers see every case).
            models.Index(
                fields=["path", "status"],
                name="case_path_status_idx",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
            # A household's cases (its history; "has an open case").
            models.Index(fields=["household", "status"], name="case_household_status_idx"),
            models.Index(fields=["township", "status"], name="case_township_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(status__in=["identifying", "monitored"]),
                name="case_one_open_per_household",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=F("received_on")),
                name="case_decided_after_received",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.get_category_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE_STATUSES

    def risk_type_labels(self) -> list[str]:
        labels = dict(RiskType.choices)
        return [str(labels.get(code, code)) for code in self.risk_types or []]


class CaseChildQuerySet(ScopedQuerySet):
    scope_path_field = "case__path"
    scope_village_field = "case__village_id"
    scope_household_field = "case__household_id"


class RiskRemoval(models.Model):
    """A risk removal (风险消除) of a monitored case: proposed when its conditions hold
    (monitoring.selectors.removal_checks), then the mirror procedure; the county's decision
    closes the case (the household keeps its history)."""

    case = models.ForeignKey(
        MonitoringCase,
        verbose_name=_("监测对象"),
        on_delete=models.CASCADE,
        related_name="removals",
    )
    kind = models.CharField(_("消除方式"), max_length=20, choices=RemovalKind.choices)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=RemovalStatus.choices,
        default=RemovalStatus.IN_PROGRESS,
    )
    proposed_on = models.DateField(_("提出日期"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The conditions as they were checked when it was proposed (label, met, detail).
    checks = models.JSONField(_("消除条件核验"), default=list, editable=False)
    decided_on = models.DateField(_("县级审定日期"), null=True, blank=True)
    stopped_on = models.DateField(_("终止日期"), null=True, blank=True)
    stopped_at_step = models.CharField(
        _("终止环节"), max_length=20, choices=StepKind.choices, blank=True
    )
    stop_reason = models.CharField(_("未通过原因"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("风险消除")
        verbose_name_plural = _("风险消除")
        ordering = ["-proposed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status="in_progress"),
                name="removal_one_in_progress_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()}"


# --- public notices -----------------------------------------------------------------------------
class PublicNoticeQuerySet(ScopedQuerySet):
    scope_path_field = "path"
    scope_village_field = "village_id"


class PublicNotice(models.Model):
    """A public notice (公示) in one village: the households of its appraisal steps, from the
    start to the end day. Printed from monitoring:notice_print (never an ID number, a phone, a
    bank account or a health detail)."""

    village = models.ForeignKey(
        "villages.Village",
        verbose_name=_("村"),
        on_delete=models.PROTECT,
        related_name="public_notices",
    )
    township = models.ForeignKey(
        "villages.Region",
        verbose_name=_("乡镇"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    path = models.CharField(_("区划路径"), max_length=255, editable=False)
    purpose = models.CharField(_("公示事项"), max_length=20, choices=Procedure.choices)
    start_date = models.DateField(_("公示开始日期"))
    end_date = models.DateField(_("公示结束日期"))
    objections = models.TextField(_("公示期间异议及处理情况"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = PublicNoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(
                fields=["path", "start_date"],
                name="notice_path_start_idx",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
            # The notices of a village (the appraisal step's choice, "a notice ending" reminder).
            models.Index(fields=["village", "end_date"], name="notice_village_end_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="notice_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.title} {self.start_date}"

    def save(self, *args, **kwargs):
        self.township_id = self.village.township_id
        self.path = self.village.path
        super().save(*args, **kwargs)

    @property
    def title(self) -> str:
        if self.purpose == Procedure.REMOVAL:
            return str(_("防止返贫监测对象风险消除公示"))
        return str(_("防止返贫监测对象识别公示"))


# --- the steps --------------------------------------------------------------------------------
def step_document_path(instance: MonitoringStep, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"monitoring/{instance.done_on:%Y/%m}/{uuid.uuid4().hex}.{suffix}"


class MonitoringStep(models.Model):
    """One step of a case's identification, or of one of its risk removals: the day, who
    recorded it, who did it, and the signed document where one is signed."""

    case = models.ForeignKey(
        MonitoringCase, verbose_name=_("监测对象"), on_delete=models.CASCADE, related_name="steps"
    )
    removal = models.ForeignKey(
        RiskRemoval,
        verbose_name=_("风险消除"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="steps",
    )
    procedure = models.CharField(_("程序"), max_length=20, choices=Procedure.choices)
    kind = models.CharField(_("环节"), max_length=20, choices=StepKind.choices)
    done_on = models.DateField(_("日期"))
    checkers = models.CharField(
        _("经办人员"), max_length=200, blank=True, help_text=_("多人用顿号分隔。")
    )
    document = models.FileField(_("签字材料"), upload_to=step_document_path, blank=True)
    notice = models.ForeignKey(
        PublicNotice,
        verbose_name=_("公示"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="steps",
    )
    note = models.TextField(_("情况和意见"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("监测程序环节")
        verbose_name_plural = _("监测程序环节")
        ordering = ["done_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(procedure="identification"),
                name="step_once_per_identification",
            ),
            models.UniqueConstraint(
                fields=["removal", "kind"],
                condition=Q(removal__isnull=False),
                name="step_once_per_removal",
            ),
            models.CheckConstraint(
                condition=(Q(procedure="removal") & Q(removal__isnull=False))
                | (Q(procedure="identification") & Q(removal__isnull=True)),
                name="step_removal_iff_removal_procedure",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.label}"

    @property
    def label(self) -> str:
        return step_label(self.procedure, self.kind)


# --- measures, income and expenses ------------------------------------------------------------
class MeasureQuerySet(InForceQuerySet):
    scope_path_field = "case__path"
    scope_village_field = "case__village_id"
    scope_household_field = "case__household_id"


class MonitoringMeasure(models.Model):
    """A measure of help for a monitored household, chosen by its risks and labour capacity.
    `before_decision` (先帮后认) is kept by the services: help that started before the county's
    decision (or before any decision yet)."""

    case = models.ForeignKey(
        MonitoringCase,
        verbose_name=_("监测对象"),
        on_delete=models.CASCADE,
        related_name="measures",
    )
    kind = models.CharField(_("措施类别"), max_length=30, choices=MeasureKind.choices)
    content = models.CharField(_("措施内容"), max_length=300)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    responsible = models.CharField(_("责任人"), max_length=50)
    status = models.CharField(
        _("落实情况"),
        max_length=20,
        choices=MeasureStatus.choices,
        default=MeasureStatus.IN_PROGRESS,
    )
    before_decision = models.BooleanField(_("先帮后认"), default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = MeasureQuerySet.as_manager()

    class Meta:
        verbose_name = _("监测帮扶措施")
        verbose_name_plural = _("监测帮扶措施")
        ordering = ["start_date", "id"]
        indexes = [
            # "Measures in force for these cases on a day" (the case page, the indicator).
            models.Index(fields=["case", "start_date"], name="monitoring_measure_case_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="monitoring_measure_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.content}"

    @property
    def is_development(self) -> bool:
        return self.kind in DEVELOPMENT_MEASURES


class FinanceQuerySet(ScopedQuerySet):
    scope_path_field = "household__path"
    scope_village_field = "household__village_id"
    scope_household_field = "household_id"


class HouseholdFinance(models.Model):
    """A household's income and expenses for one year (收支): the per-capita net income against
    the year's range, and the large rigid expenses (medical, schooling) that drove the risk.
    `assessed_on` is when the figures were assessed: a risk removal needs one assessed at least
    six months after the county's decision."""

    household = models.ForeignKey(
        "households.Household",
        verbose_name=_("户"),
        on_delete=models.CASCADE,
        related_name="finances",
    )
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2015), MaxValueValidator(2100)]
    )
    per_capita_net_income = models.DecimalField(
        _("年人均纯收入（元）"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    medical_expense = models.DecimalField(
        _("医疗支出（元）"),
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    schooling_expense = models.DecimalField(
        _("教育支出（元）"),
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    other_rigid_expense = models.DecimalField(
        _("其他刚性支出（元）"),
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    rigid_state = models.CharField(
        _("大额刚性支出情况"), max_length=20, choices=RigidExpenseState.choices
    )
    assessed_on = models.DateField(_("核算日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = FinanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("收支情况")
        verbose_name_plural = _("收支情况")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "year"], name="household_finance_one_per_year"
            ),
            models.CheckConstraint(
                condition=Q(per_capita_net_income__gte=0)
                & Q(medical_expense__gte=0)
                & Q(schooling_expense__gte=0)
                & Q(other_rigid_expense__gte=0),
                name="household_finance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.year}"

    @property
    def rigid_total(self):
        return self.medical_expense + self.schooling_expense + self.other_rigid_expense


# --- the yearly review of the original registered households (2026 on) ------------------------
class ReviewOutcome(models.TextChoices):
    STABLE = "stable", _("稳定脱贫")
    AT_RISK = "at_risk", _("存在返贫风险")
    NO_LONGER_NEEDED = "no_longer_needed", _("不再需要帮扶")


class ReviewFollowup(models.TextChoices):
    """What an "at risk" review led to: a risk clue raised by it, or none because the household
    already had an open case or an undecided clue."""

    CLUE_RAISED = "clue_raised", _("已登记风险线索")
    OPEN_CASE = "open_case", _("已是监测对象，未重复登记线索")
    OPEN_CLUE = "open_clue", _("已有未办结的线索，未重复登记")


class HouseholdReview(HouseholdPlace):
    """The yearly review (年度评议) of an original registered household (建档立卡户): stable,
    at risk (a risk clue for the township, then a monitoring case) or no longer needing
    assistance; one per household and year, with who decided and when."""

    household = models.ForeignKey(
        "households.Household",
        verbose_name=_("户"),
        on_delete=models.PROTECT,
        related_name="yearly_reviews",
        db_index=False,
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    outcome = models.CharField(_("评议结果"), max_length=20, choices=ReviewOutcome.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评议人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_on = models.DateField(_("评议日期"))
    clue = models.ForeignKey(
        RiskClue,
        verbose_name=_("登记的风险线索"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    followup = models.CharField(
        _("后续"), max_length=20, choices=ReviewFollowup.choices, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = HouseholdPlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("年度评议")
        verbose_name_plural = _("年度评议")
        ordering = ["-year", "household_id"]
        indexes = [
            # The review list of a village for a year: WHERE village_id = … AND year = ….
            models.Index(fields=["village", "year"], name="review_village_year_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="review_one_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.year} {self.get_outcome_display()}"
