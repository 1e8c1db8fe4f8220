"""People who do the work: stationed cadres and first secretaries, helpers (Party members of
helping units), leaders with field-day duties, dispatched talents; work teams and their terms,
yearly grades, working funds, the three-person liaison, reserve cadres and days in the field."""

import datetime
from typing import Self

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.idcard import validate_id_number
from core.scope import InForceQuerySet, ScopedQuerySet


class CadreKind(models.TextChoices):
    STATIONED = "stationed", _("驻村干部")
    FIRST_SECRETARY = "first_secretary", _("第一书记")
    HELPER = "helper", _("帮扶责任人（党员干部）")
    COUNTY_LEADER = "county_leader", _("县级领导")
    TOWNSHIP_LEADER = "township_leader", _("乡镇领导")
    DEPARTMENT = "department", _("县直部门干部")
    TALENT = "talent", _("下派专业人才")


class CadreQuerySet(ScopedQuerySet):
    scope_path_field = "home_region__path"
    scope_unit_field = "unit_id"

    scope_cadre_field = "id"
    # A cadre is also visible where they work: their team's or term's villages and their paired
    # households (UserScope.extra_cadre).
    scope_extra = "cadre"

    def active(self, on: datetime.date) -> Self:
        """In post on that day: no leaving date, or one after it (a cadre who left is kept,
        with everything that refers to them, and is no longer offered for new records)."""
        return self.filter(Q(left_on__isnull=True) | Q(left_on__gt=on))


class Cadre(models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    kind = models.CharField(_("身份"), max_length=20, choices=CadreKind.choices)
    gender = models.CharField(
        _("性别"), max_length=2, choices=[("男", _("男")), ("女", _("女"))], blank=True
    )
    id_number = models.CharField(
        _("身份证号"),
        max_length=18,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_id_number],
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    unit = models.ForeignKey(
        "pairing.Unit",
        verbose_name=_("所在（派出）单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cadres",
    )
    party_organisation = models.ForeignKey(
        "pairing.PartyOrganisation",
        verbose_name=_("所在党组织"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cadres",
    )
    position = models.CharField(_("职务"), max_length=100, blank=True)
    is_party_member = models.BooleanField(_("中共党员"), default=True)
    home_region = models.ForeignKey(
        "villages.Region",
        verbose_name=_("工作区划"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cadres",
        help_text=_("乡镇领导填乡镇，县级领导填县，驻村干部填所驻村。"),
    )
    # Ending instead of deleting: visits, pairings and terms keep naming the cadre.
    left_on = models.DateField(
        _("离任日期"),
        null=True,
        blank=True,
        help_text=_("调离、离岗或不再担任帮扶责任人的日期；留空为在岗。"),
    )

    objects = CadreQuerySet.as_manager()

    class Meta:
        verbose_name = _("干部")
        verbose_name_plural = _("干部")
        ordering = ["name"]
        indexes = [models.Index(fields=["unit", "kind"], name="cadre_unit_kind_idx")]

    def __str__(self) -> str:
        return self.name

    def is_active(self, on: datetime.date) -> bool:
        return self.left_on is None or self.left_on > on


class WorkTeamQuerySet(InForceQuerySet):
    scope_path_field = "villages__path"
    scope_village_field = "villages__id"

    scope_distinct = True  # a team serves several villages


class WorkTeam(models.Model):
    """A village work team (驻村工作队). In 004 three cadres serve two villages."""

    name = models.CharField(_("工作队名称"), max_length=100)
    dispatching_unit = models.ForeignKey(
        "pairing.Unit",
        verbose_name=_("派出单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_teams",
    )
    villages = models.ManyToManyField(
        "villages.Village", verbose_name=_("所驻村"), related_name="work_teams"
    )
    start_date = models.DateField(_("进驻日期"))
    end_date = models.DateField(_("期满日期"), null=True, blank=True)

    objects = WorkTeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("驻村工作队")
        verbose_name_plural = _("驻村工作队")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="work_team_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkTeamMemberQuerySet(InForceQuerySet):
    """A membership runs from the member's own dates, or the team's where the member has none,
    and never outside the team's."""

    scope_path_field = "team__villages__path"
    scope_village_field = "team__villages__id"
    scope_distinct = True  # a team serves several villages

    def in_force(self, on: datetime.date) -> Self:
        return self.overlapping(on, on)

    def overlapping(self, start: datetime.date, end: datetime.date) -> Self:
        return self.filter(
            Q(team__start_date__lte=end),
            Q(team__end_date__isnull=True) | Q(team__end_date__gte=start),
            Q(start_date__isnull=True) | Q(start_date__lte=end),
            Q(end_date__isnull=True) | Q(end_date__gte=start),
        )


class WorkTeamMember(models.Model):
    class TeamRole(models.TextChoices):
        LEADER = "leader", _("队长")
        MEMBER = "member", _("队员")

    team = models.ForeignKey(
        WorkTeam, verbose_name=_("工作队"), on_delete=models.CASCADE, related_name="members"
    )
    cadre = models.ForeignKey(
        Cadre, verbose_name=_("干部"), on_delete=models.PROTECT, related_name="team_memberships"
    )
    role = models.CharField(
        _("队内职务"), max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER
    )
    start_date = models.DateField(
        _("入队日期"), null=True, blank=True, help_text=_("留空为工作队进驻日期。")
    )
    end_date = models.DateField(
        _("离队日期"), null=True, blank=True, help_text=_("留空为工作队期满日期。")
    )

    objects = WorkTeamMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("工作队成员")
        verbose_name_plural = _("工作队成员")
        constraints = [
            models.UniqueConstraint(fields=["team", "cadre"], name="work_team_member_once"),
            # One leader who has not left; a leader who left (离队日期) makes room for the next.
            models.UniqueConstraint(
                fields=["team"],
                condition=Q(role="leader", end_date__isnull=True),
                name="work_team_one_open_leader",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="work_team_member_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.cadre}"

    def first_day(self) -> datetime.date:
        return self.start_date or self.team.start_date

    def last_day(self) -> datetime.date | None:
        return self.end_date or self.team.end_date


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    COMPETENT = "competent", _("称职")
    BASIC = "basic", _("基本称职")
    INCOMPETENT = "incompetent", _("不称职")


class TermQuerySet(InForceQuerySet):
    scope_path_field = "village__path"
    scope_village_field = "village_id"

    def in_force(self, on: datetime.date) -> Self:
        return super().in_force(on).filter(Q(recalled_on__isnull=True) | Q(recalled_on__gt=on))

    def overlapping(self, start: datetime.date, end: datetime.date) -> Self:
        """Terms in force on some day of [start, end]: a recalled term's last day is the day
        before its recall."""
        return (
            super()
            .overlapping(start, end)
            .filter(Q(recalled_on__isnull=True) | Q(recalled_on__gt=start))
        )


class Term(models.Model):
    """A stationed cadre's or first secretary's term in a village (002: normally 2 years;
    004: 3 years, no rotation). A recall (召回) ends it early."""

    class TermRole(models.TextChoices):
        STATIONED = "stationed", _("驻村干部")
        FIRST_SECRETARY = "first_secretary", _("第一书记")

    cadre = models.ForeignKey(
        Cadre, verbose_name=_("干部"), on_delete=models.PROTECT, related_name="terms"
    )
    village = models.ForeignKey(
        "villages.Village", verbose_name=_("所驻村"), on_delete=models.PROTECT, related_name="terms"
    )
    role = models.CharField(_("驻村身份"), max_length=20, choices=TermRole.choices)
    dispatching_unit = models.ForeignKey(
        "pairing.Unit",
        verbose_name=_("派出单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="terms",
    )
    start_date = models.DateField(_("任期开始"))
    end_date = models.DateField(_("任期结束"))
    recalled_on = models.DateField(_("召回日期"), null=True, blank=True)
    recall_reason = models.CharField(_("召回原因"), max_length=300, blank=True)
    # A replacement (人员调整): this term's cadre took over from the one of `replaces`, whose
    # term ended the day before; the reviewer who approved it is recorded with it.
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("接替的任期"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    replacement_reason = models.CharField(_("调整原因"), max_length=300, blank=True)
    approved_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The end-of-term assessment (期满考核), the same four grades as the yearly one.
    assessment = models.CharField(
        _("期满考核等次"), max_length=20, choices=Grade.choices, blank=True
    )
    assessment_note = models.CharField(_("期满考核评语"), max_length=300, blank=True)

    objects = TermQuerySet.as_manager()

    class Meta:
        verbose_name = _("驻村任期")
        verbose_name_plural = _("驻村任期")
        ordering = ["-start_date"]
        indexes = [models.Index(fields=["end_date"], name="term_end_date_idx")]  # terms ending soon
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="term_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(recalled_on__isnull=True) | Q(recalled_on__gte=F("start_date")),
                name="term_recall_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} @ {self.village}"


class CadreChildQuerySet(ScopedQuerySet):
    """Visible where the cadre is, and only there."""

    scope_path_field = None
    scope_via = ("cadre",)


class YearlyGrade(models.Model):
    cadre = models.ForeignKey(
        Cadre, verbose_name=_("干部"), on_delete=models.CASCADE, related_name="grades"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    grade = models.CharField(_("年度考核等次"), max_length=20, choices=Grade.choices)

    objects = CadreChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("年度考核")
        verbose_name_plural = _("年度考核")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["cadre", "year"], name="cadre_grade_once_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.cadre} {self.year} {self.get_grade_display()}"


class WorkingFund(models.Model):
    """Working funds granted to a first secretary (002: at least 10,000 yuan a year)."""

    cadre = models.ForeignKey(
        Cadre, verbose_name=_("干部"), on_delete=models.CASCADE, related_name="funds"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    amount = models.DecimalField(
        _("金额（元）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    source = models.CharField(_("经费来源"), max_length=100, blank=True)
    granted_on = models.DateField(_("拨付日期"), null=True, blank=True)

    objects = CadreChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("工作经费")
        verbose_name_plural = _("工作经费")
        ordering = ["-year"]
        indexes = [models.Index(fields=["cadre", "year"], name="working_fund_cadre_year_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="working_fund_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.cadre} {self.year} {self.amount}"


class VillageChildQuerySet(ScopedQuerySet):
    scope_path_field = "village__path"
    scope_village_field = "village_id"


class Liaison(models.Model):
    """The three-person liaison of a paired village (三人联络, 000)."""

    class LiaisonRole(models.TextChoices):
        VILLAGE = "village", _("村联络人")
        CADRE = "cadre", _("派驻干部联络人")
        ENTERPRISE = "enterprise", _("企业归集负责人")

    village = models.ForeignKey(
        "villages.Village", verbose_name=_("村"), on_delete=models.CASCADE, related_name="liaisons"
    )
    role = models.CharField(_("联络角色"), max_length=20, choices=LiaisonRole.choices)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    cadre = models.ForeignKey(
        Cadre,
        verbose_name=_("对应干部"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="liaisons",
    )
    unit = models.ForeignKey(
        "pairing.Unit",
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="liaisons",
    )

    objects = VillageChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("三人联络")
        verbose_name_plural = _("三人联络")
        ordering = ["village", "role"]
        constraints = [
            models.UniqueConstraint(fields=["village", "role"], name="liaison_one_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.get_role_display()} {self.name}"


class ReserveCadre(models.Model):
    """A reserve cadre on file (村级后备力量, 一人一档; 002, 003). Under 35 preferred."""

    village = models.ForeignKey(
        "villages.Village",
        verbose_name=_("村"),
        on_delete=models.CASCADE,
        related_name="reserve_cadres",
    )
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(
        _("性别"), max_length=2, choices=[("男", _("男")), ("女", _("女"))], blank=True
    )
    birth_year = models.PositiveSmallIntegerField(_("出生年份"), null=True, blank=True)
    education = models.CharField(_("文化程度"), max_length=50, blank=True)
    is_party_member = models.BooleanField(_("中共党员"), default=False)
    strengths = models.CharField(_("特长"), max_length=200, blank=True)
    file_notes = models.TextField(_("一人一档记录"), blank=True)
    added_on = models.DateField(_("纳入日期"))
    left_on = models.DateField(_("退出日期"), null=True, blank=True)

    objects = VillageChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("村级后备干部")
        verbose_name_plural = _("村级后备干部")
        ordering = ["village", "name"]

    def __str__(self) -> str:
        return self.name


class TalentQuerySet(InForceQuerySet):
    scope_path_field = "village__path"
    scope_village_field = "village_id"


class TalentAssignment(models.Model):
    """A professional talent dispatched to a village (人才挂钩 002; 人才下派 003)."""

    cadre = models.ForeignKey(
        Cadre, verbose_name=_("人才"), on_delete=models.PROTECT, related_name="talent_assignments"
    )
    village = models.ForeignKey(
        "villages.Village", verbose_name=_("村"), on_delete=models.CASCADE, related_name="talents"
    )
    specialty = models.CharField(_("专业领域"), max_length=100)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)

    objects = TalentQuerySet.as_manager()

    class Meta:
        verbose_name = _("下派人才")
        verbose_name_plural = _("下派人才")
        ordering = ["-start_date"]

    def __str__(self) -> str:
        return f"{self.cadre} @ {self.village}"


class CoverageQuerySet(InForceQuerySet):
    scope_path_field = "region__path"


class Coverage(models.Model):
    """A leader's or department's field duty (包乡 / 包村, 003): a county leader covers a township
    (≥ 4 days a month), a township leader a village (≥ 8 days), a county department a village
    (≥ 1 working visit a month)."""

    class Level(models.TextChoices):
        COUNTY_LEADER = "county_leader", _("县级领导包乡")
        TOWNSHIP_LEADER = "township_leader", _("乡镇领导包村")
        DEPARTMENT = "department", _("县直部门包村")

    level = models.CharField(_("包联类型"), max_length=20, choices=Level.choices)
    cadre = models.ForeignKey(
        Cadre,
        verbose_name=_("领导"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="coverages",
    )
    unit = models.ForeignKey(
        "pairing.Unit",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="coverages",
    )
    region = models.ForeignKey(
        "villages.Region",
        verbose_name=_("包联区划"),
        on_delete=models.PROTECT,
        related_name="coverages",
    )
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)

    objects = CoverageQuerySet.as_manager()

    class Meta:
        verbose_name = _("领导包联")
        verbose_name_plural = _("领导包联")
        constraints = [
            models.CheckConstraint(
                condition=Q(cadre__isnull=False) | Q(unit__isnull=False),
                name="coverage_has_cadre_or_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre or self.unit} → {self.region}"


class FieldDayQuerySet(ScopedQuerySet):
    scope_path_field = "region__path"
    scope_cadre_field = "cadre_id"  # a cadre sees their own days


class FieldDay(models.Model):
    """A day a cadre or leader spent in a village or township (驻村 / 下乡天数)."""

    cadre = models.ForeignKey(
        Cadre,
        verbose_name=_("干部"),
        on_delete=models.CASCADE,
        related_name="field_days",
        db_index=False,
    )
    region = models.ForeignKey(
        "villages.Region",
        verbose_name=_("所在村或乡镇"),
        on_delete=models.PROTECT,
        related_name="field_days",
    )
    day = models.DateField(_("日期"))
    note = models.CharField(_("工作内容"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("填报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)

    objects = FieldDayQuerySet.as_manager()

    class Meta:
        verbose_name = _("在岗天数记录")
        verbose_name_plural = _("在岗天数记录")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["cadre", "day"], name="field_day_once_per_day")
        ]
        # The unique (cadre, day) index also serves "days this month per cadre".

    def __str__(self) -> str:
        return f"{self.cadre} {self.day}"
