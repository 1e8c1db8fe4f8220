"""Helping units, their Party organisations, organisation pairings (结对共建, 1+1+1+N, 定点帮扶),
projects and funds, and the activities units and villages hold: trainings, meetings, Party days
and study trips."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.scope import InForceQuerySet, ScopedQuerySet


def validate_credit_code(value: str) -> None:
    """Unified social credit code (统一社会信用代码, GB 32100) with its check character."""
    from stdnum.cn import uscc

    try:
        uscc.validate(value)
    except Exception as exc:
        raise ValidationError(
            _("统一社会信用代码无效：%(value)s"), params={"value": value}
        ) from exc


class UnitKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    ORGAN = "organ", _("机关")
    DEPARTMENT = "department", _("县直部门")
    UNIVERSITY = "university", _("高校")
    HOSPITAL = "hospital", _("医院")
    FINANCIAL = "financial", _("金融机构")
    OTHER = "other", _("其他")


class UnitQuerySet(ScopedQuerySet):
    scope_path_field = "region__path"
    scope_unit_field = "id"
    # A unit is also visible where it leads or takes part in a pairing in scope (extra_unit), and
    # to a cadre whose (dispatching) unit it is; `cadres` is to-many, hence distinct.
    scope_cadre_field = "cadres__id"
    scope_extra = "unit"
    scope_distinct = True


class Unit(models.Model):
    """A helping unit (帮扶单位 / 派出单位): enterprise, organ, university, hospital, bank…"""

    name = models.CharField(_("单位名称"), max_length=200, unique=True)
    kind = models.CharField(_("单位类型"), max_length=20, choices=UnitKind.choices)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    region = models.ForeignKey(
        "villages.Region",
        verbose_name=_("所在区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    principal_leader = models.CharField(_("主要负责人"), max_length=50, blank=True)
    deputy_in_charge = models.CharField(_("分管负责人"), max_length=50, blank=True)
    coordinator_name = models.CharField(_("企业归集负责人/联络人"), max_length=50, blank=True)
    coordinator_phone = models.CharField(_("联络人电话"), max_length=20, blank=True)
    # A unit that records refer to is never deleted: it is ended (撤销) on a day and keeps them.
    end_date = models.DateField(_("撤销日期"), null=True, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("帮扶单位")
        verbose_name_plural = _("帮扶单位")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="unit_credit_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", _("党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    LEADING_GROUP = "leading_group", _("党组")


class PartyOrganisationQuerySet(ScopedQuerySet):
    scope_path_field = "village__path"
    scope_village_field = "village_id"

    scope_via = ("unit",)  # a unit's organisations are visible where the unit is


class PartyOrganisation(models.Model):
    """A Party organisation: a unit's committee, general branch or branch, or a village's
    Party branch (村党支部, with `village` set and no unit). Organisations form a tree."""

    name = models.CharField(_("党组织名称"), max_length=200)
    kind = models.CharField(_("组织类型"), max_length=20, choices=OrgKind.choices)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="organisations",
    )
    village = models.ForeignKey(
        "villages.Village",
        verbose_name=_("所属村"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="organisations",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    secretary = models.CharField(_("书记"), max_length=50, blank=True)
    member_count = models.PositiveIntegerField(_("党员人数"), null=True, blank=True)
    # Ended (撤销) rather than deleted once pairings, donations or cadres refer to it.
    end_date = models.DateField(_("撤销日期"), null=True, blank=True)

    objects = PartyOrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(village__isnull=False),
                name="organisation_belongs_to_unit_or_village",
            ),
            # The natural key of the units' organisation import: a name within its unit.
            models.UniqueConstraint(
                fields=["unit", "name"],
                condition=Q(unit__isnull=False),
                name="organisation_name_once_per_unit",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PairingKind(models.TextChoices):
    ORG_PAIRING = "org_pairing", _("结对共建")
    ONE_PLUS = "one_plus", _("1+1+1+N 党建扶贫")
    DESIGNATED = "designated", _("定点帮扶")


class PairingQuerySet(InForceQuerySet):
    scope_path_field = "path"
    scope_village_field = "village_id"
    scope_unit_field = "lead_unit_id"

    def for_unit(self, unit_id: int):
        """Pairings a unit leads or takes part in."""
        return self.filter(
            Q(lead_unit_id=unit_id) | Q(participants__organisation__unit_id=unit_id)
        ).distinct()


class Pairing(models.Model):
    """An organisation pairing. In the 1+1+1+N model (000) one lead Party committee, with
    participating committees or branches (PairingParticipant), pairs with one township or
    village Party organisation, runs one special action and N projects (Project)."""

    kind = models.CharField(_("结对类型"), max_length=20, choices=PairingKind.choices)
    name = models.CharField(_("名称"), max_length=200)
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="led_pairings"
    )
    lead_organisation = models.ForeignKey(
        PartyOrganisation,
        verbose_name=_("牵头党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_pairings",
    )
    region = models.ForeignKey(
        "villages.Region",
        verbose_name=_("结对区划"),
        on_delete=models.PROTECT,
        related_name="pairings",
        help_text=_("结对的村、乡镇或县（定点帮扶）。"),
    )
    village = models.ForeignKey(
        "villages.Village",
        verbose_name=_("结对村"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pairings",
    )
    village_organisation = models.ForeignKey(
        PartyOrganisation,
        verbose_name=_("结对村党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="paired_as_village",
    )
    path = models.CharField(_("区划路径"), max_length=255, editable=False)
    special_action = models.CharField(_("党建专项行动"), max_length=200, blank=True)
    three_year_plan = models.TextField(_("三年规划"), blank=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)

    objects = PairingQuerySet.as_manager()

    class Meta:
        verbose_name = _("结对共建")
        verbose_name_plural = _("结对共建")
        ordering = ["-start_date", "name"]
        indexes = [
            models.Index(
                fields=["path"], name="pairing_path_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["village", "start_date"], name="pairing_village_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="pairing_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.village_id and not self.region_id:
            self.region_id = self.village.region_id
        self.path = self.region.path
        super().save(*args, **kwargs)


class PairingParticipant(models.Model):
    pairing = models.ForeignKey(
        Pairing, verbose_name=_("结对"), on_delete=models.CASCADE, related_name="participants"
    )
    organisation = models.ForeignKey(
        PartyOrganisation,
        verbose_name=_("参与党组织"),
        on_delete=models.PROTECT,
        related_name="participations",
    )

    class Meta:
        verbose_name = _("参与党组织")
        verbose_name_plural = _("参与党组织")
        constraints = [
            models.UniqueConstraint(
                fields=["pairing", "organisation"], name="pairing_participant_once"
            ),
        ]

    def __str__(self) -> str:
        return str(self.organisation)

    def get_additional_data(self) -> dict:
        """Logged with each change (django-auditlog), so the pairing's page shows its
        participants' history, removals included."""
        return {"pairing_id": self.pairing_id}


class PairingYearPlan(models.Model):
    """The yearly work plan (年度工作计划, 004) under a pairing's three-year plan."""

    pairing = models.ForeignKey(
        Pairing, verbose_name=_("结对"), on_delete=models.CASCADE, related_name="year_plans"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    content = models.TextField(_("计划内容"))

    class Meta:
        verbose_name = _("年度工作计划")
        verbose_name_plural = _("年度工作计划")
        constraints = [
            models.UniqueConstraint(fields=["pairing", "year"], name="pairing_year_plan_once"),
        ]

    def __str__(self) -> str:
        return f"{self.pairing} {self.year}"

    def get_additional_data(self) -> dict:
        return {"pairing_id": self.pairing_id}


class ProjectKind(models.TextChoices):
    INDUSTRY = "industry", _("产业发展")
    INFRASTRUCTURE = "infrastructure", _("基础设施")
    PUBLIC_WELFARE = "public_welfare", _("公益事业")
    EDUCATION = "education", _("教育帮扶")
    HEALTH = "health", _("健康帮扶")
    EMPLOYMENT = "employment", _("就业帮扶")
    CONSUMPTION = "consumption", _("消费帮扶")
    OTHER = "other", _("其他")


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("计划")
    IN_PROGRESS = "in_progress", _("实施中")
    DONE = "done", _("已完成")


class VillageScopedQuerySet(ScopedQuerySet):
    scope_path_field = "village__path"
    scope_village_field = "village_id"
    scope_unit_field = "unit_id"


class Project(models.Model):
    """An assistance project (帮扶项目) with its direct and coordinated funds (001)."""

    pairing = models.ForeignKey(
        Pairing,
        verbose_name=_("结对"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("帮扶单位"), on_delete=models.PROTECT, related_name="projects"
    )
    village = models.ForeignKey(
        "villages.Village", verbose_name=_("村"), on_delete=models.PROTECT, related_name="projects"
    )
    name = models.CharField(_("项目名称"), max_length=200)
    kind = models.CharField(_("项目类型"), max_length=20, choices=ProjectKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    direct_funds = models.DecimalField(
        _("直接投入资金（元）"),
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    coordinated_funds = models.DecimalField(
        _("协调引进资金（元）"),
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED
    )
    description = models.TextField(_("内容"), blank=True)

    objects = VillageScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("帮扶项目")
        verbose_name_plural = _("帮扶项目")
        ordering = ["-year", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(direct_funds__gte=0) & Q(coordinated_funds__gte=0),
                name="project_funds_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Donation(models.Model):
    """Voluntary donations by Party members (自愿捐款, 000)."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="donations"
    )
    organisation = models.ForeignKey(
        PartyOrganisation,
        verbose_name=_("党组织"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="donations",
    )
    village = models.ForeignKey(
        "villages.Village",
        verbose_name=_("受赠村"),
        on_delete=models.PROTECT,
        related_name="donations",
    )
    donor = models.CharField(_("捐款人"), max_length=100)
    amount = models.DecimalField(
        _("金额（元）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    donated_on = models.DateField(_("捐款日期"))

    objects = VillageScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("党员捐款")
        verbose_name_plural = _("党员捐款")
        ordering = ["-donated_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="donation_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.donor} {self.amount}"


class EntryBase(models.Model):
    """Fields every entered record shares: who entered it and when (for the edit window)."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        abstract = True


class TrainingKind(models.TextChoices):
    NIGHT_SCHOOL = "night_school", _("农民夜校")
    TWO_COMMITTEES = "two_committees", _("村两委培训")
    TECHNICIAN = "technician", _("技术人员培训")
    ENTREPRENEUR = "entrepreneur", _("致富带头人培训")
    ROTATION = "rotation", _("村干部年度轮训")
    OTHER = "other", _("其他培训")


class Training(EntryBase):
    kind = models.CharField(_("培训类型"), max_length=20, choices=TrainingKind.choices)
    title = models.CharField(_("主题"), max_length=200)
    held_on = models.DateField(_("日期"))
    village = models.ForeignKey(
        "villages.Village", verbose_name=_("村"), on_delete=models.PROTECT, related_name="trainings"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("组织单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trainings",
    )
    audience = models.CharField(_("培训对象"), max_length=200, blank=True)
    lecturer = models.CharField(_("授课人"), max_length=100, blank=True)
    attendance = models.PositiveIntegerField(_("参训人数"), default=0)
    village_cadres_trained = models.PositiveIntegerField(
        _("其中村干部人数"), default=0, help_text=_("村干部年度轮训指标按此计数。")
    )
    content = models.TextField(_("内容"), blank=True)

    objects = VillageScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("培训")
        verbose_name_plural = _("培训")
        ordering = ["-held_on"]
        indexes = [
            models.Index(fields=["unit", "kind", "held_on"], name="training_unit_kind_date_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(village_cadres_trained__lte=F("attendance")),
                name="training_cadres_within_attendance",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MeetingKind(models.TextChoices):
    JOINT = "joint", _("联席会议")
    SPECIAL = "special", _("专题会议")
    RESEARCH = "research", _("调研督导")
    THREE_MEETINGS = "three_meetings", _("三会一课")
    THEME_PARTY_DAY = "theme_party_day", _("主题党日")
    OTHER = "other", _("其他")


class LeaderLevel(models.TextChoices):
    PRINCIPAL = "principal", _("主要负责人")
    DEPUTY = "deputy", _("分管负责人")
    OTHER = "other", _("其他人员")


class Meeting(EntryBase):
    """Joint and special meetings (001), leaders' research visits (调研) and organisational life
    in the village (三会一课). A research visit names the level of the leader who went."""

    kind = models.CharField(_("会议类型"), max_length=20, choices=MeetingKind.choices)
    title = models.CharField(_("主题"), max_length=200)
    held_on = models.DateField(_("日期"))
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("召开单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meetings",
    )
    pairing = models.ForeignKey(
        Pairing,
        verbose_name=_("结对"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meetings",
    )
    village = models.ForeignKey(
        "villages.Village", verbose_name=_("村"), on_delete=models.PROTECT, related_name="meetings"
    )
    leader_level = models.CharField(
        _("带队领导"), max_length=20, choices=LeaderLevel.choices, default=LeaderLevel.OTHER
    )
    attendance = models.PositiveIntegerField(_("参会人数"), default=0)
    minutes = models.TextField(_("会议纪要"), blank=True)

    objects = VillageScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("会议与调研")
        verbose_name_plural = _("会议与调研")
        ordering = ["-held_on"]
        indexes = [
            models.Index(fields=["unit", "kind", "held_on"], name="meeting_unit_kind_date_idx")
        ]

    def __str__(self) -> str:
        return self.title


class PartyDayQuerySet(VillageScopedQuerySet):
    """A Party day belongs to a village branch and names no unit: a coordinator sees those of
    the villages their unit is paired with (scope_village_field), not by a unit column."""

    scope_unit_field = None


class PartyDay(EntryBase):
    """A fixed Party day (固定党日) of a village branch: the first Friday of each month (003)."""

    village = models.ForeignKey(
        "villages.Village",
        verbose_name=_("村"),
        on_delete=models.PROTECT,
        related_name="party_days",
    )
    held_on = models.DateField(_("日期"))
    theme = models.CharField(_("主题"), max_length=200)
    attendance = models.PositiveIntegerField(_("参加党员人数"), default=0)
    content = models.TextField(_("内容"), blank=True)

    objects = PartyDayQuerySet.as_manager()

    class Meta:
        verbose_name = _("固定党日")
        verbose_name_plural = _("固定党日")
        ordering = ["-held_on"]
        constraints = [
            models.UniqueConstraint(fields=["village", "held_on"], name="party_day_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.held_on}"

    @property
    def on_first_friday(self) -> bool:
        return self.held_on.weekday() == 4 and self.held_on.day <= 7


class StudyTrip(EntryBase):
    """A study trip for village cadres and leaders (外出学习考察, 001)."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="study_trips"
    )
    village = models.ForeignKey(
        "villages.Village",
        verbose_name=_("村"),
        on_delete=models.PROTECT,
        related_name="study_trips",
    )
    started_on = models.DateField(_("出发日期"))
    days = models.PositiveSmallIntegerField(_("天数"), default=1, validators=[MinValueValidator(1)])
    destination = models.CharField(_("考察地点"), max_length=200)
    participants = models.PositiveIntegerField(_("参加人数"), default=0)
    content = models.TextField(_("考察内容"), blank=True)

    objects = VillageScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("外出学习考察")
        verbose_name_plural = _("外出学习考察")
        ordering = ["-started_on"]

    def __str__(self) -> str:
        return self.destination
