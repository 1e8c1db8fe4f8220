"""Poor households (建档立卡户), their members, incomes and one-household-one-plan, the helpers
they are paired with, and the visits those helpers make."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from core.idcard import validate_id_number
from core.scope import InForceQuerySet, ScopedQuerySet


class PovertyCause(models.TextChoices):
    ILLNESS = "illness", _("因病")
    DISABILITY = "disability", _("因残")
    SCHOOLING = "schooling", _("因学")
    DISASTER = "disaster", _("因灾")
    LACK_LAND = "lack_land", _("缺土地")
    LACK_WATER = "lack_water", _("缺水")
    LACK_SKILLS = "lack_skills", _("缺技术")
    LACK_LABOUR = "lack_labour", _("缺劳力")
    LACK_CAPITAL = "lack_capital", _("缺资金")
    POOR_TRANSPORT = "poor_transport", _("交通条件落后")
    LACK_DRIVE = "lack_drive", _("自身发展动力不足")


class AssistanceTrack(models.TextChoices):
    EMPLOYMENT = "employment", _("就业转移")
    INDUSTRY = "industry", _("产业帮扶")
    SAFETY_NET = "safety_net", _("社会救助兜底")


class PovertyStatus(models.TextChoices):
    POOR = "poor", _("未脱贫")
    EXITED = "exited", _("已脱贫")
    MONITORED = "monitored", _("监测户")
    LOW_INCOME = "low_income", _("低收入困难户")
    # Never registered poor (建档立卡): recorded so it can be monitored (边缘易致贫户,
    # 突发严重困难户, DOMAIN.md "After 2020"). Not on the register: no cause, track or years,
    # and the indicators of registered households do not count it.
    ORDINARY = "ordinary", _("一般农户")


# The statuses of households on the register (建档立卡户), whatever became of them.
REGISTERED_STATUSES = (
    PovertyStatus.POOR,
    PovertyStatus.EXITED,
    PovertyStatus.MONITORED,
    PovertyStatus.LOW_INCOME,
)


class HouseholdQuerySet(ScopedQuerySet):
    scope_path_field = "path"
    scope_village_field = "village_id"
    scope_household_field = "id"

    def not_merged(self):
        """Households still on the register: one merged into another (households/merge.py) is
        closed and points to the one kept; lists, pickers, findings and the indicators leave it
        out."""
        return self.filter(merged_into__isnull=True)


class Household(models.Model):
    village = models.ForeignKey(
        "villages.Village",
        verbose_name=_("村"),
        on_delete=models.PROTECT,
        related_name="households",
    )
    # Kept equal to the village's columns by save(): scoped lists filter on the path prefix and
    # roll-ups group by township without joining villages (PERFORMANCE.md: ~1 ms against ~25 ms).
    township = models.ForeignKey(
        "villages.Region",
        verbose_name=_("乡镇"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    path = models.CharField(_("区划路径"), max_length=255, editable=False)
    group_name = models.CharField(_("村民小组"), max_length=50, blank=True)
    head_name = models.CharField(_("户主姓名"), max_length=50)
    name_initials = models.CharField(
        _("姓名拼音首字母"),
        max_length=20,
        editable=False,
        db_index=True,
        help_text=_("用于按拼音首字母查找，如“zs”找到“张三”。"),
    )
    head_id_number = models.CharField(
        _("户主身份证号"), max_length=18, unique=True, validators=[validate_id_number]
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    size = models.PositiveSmallIntegerField(_("家庭人口数"), validators=[MinValueValidator(1)])
    # Required of registered households (Household.clean); an ordinary household has none.
    cause = models.CharField(
        _("主要致贫原因"), max_length=20, choices=PovertyCause.choices, blank=True
    )
    track = models.CharField(
        _("帮扶类型"), max_length=20, choices=AssistanceTrack.choices, blank=True
    )
    key_difficulty = models.BooleanField(_("重点困难户"), default=False)
    status = models.CharField(
        _("贫困状态"), max_length=20, choices=PovertyStatus.choices, default=PovertyStatus.POOR
    )
    registered_year = models.PositiveSmallIntegerField(_("识别年度"), null=True, blank=True)
    exit_year = models.PositiveSmallIntegerField(
        _("脱贫年度"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2013), MaxValueValidator(2035)],
    )
    # 两不愁三保障 and safe drinking water (003): True when assured.
    food_clothing_ok = models.BooleanField(_("不愁吃不愁穿"), default=True)
    education_ok = models.BooleanField(_("义务教育有保障"), default=True)
    medical_ok = models.BooleanField(_("基本医疗有保障"), default=True)
    housing_ok = models.BooleanField(_("住房安全有保障"), default=True)
    water_ok = models.BooleanField(_("饮水安全有保障"), default=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    # A household registered twice (一人多户) is merged into the one kept
    # (households/merge.py): the other is closed on that day, never deleted, and points here.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("已合并至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_households",
        editable=False,
    )
    closed_on = models.DateField(_("注销日期"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("贫困户")
        verbose_name_plural = _("贫困户")
        ordering = ["path", "head_name"]
        indexes = [
            # Every scoped household list: WHERE path LIKE '<township path>%'.
            models.Index(
                fields=["path", "head_name"],
                name="household_path_idx",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
            # Roll-ups per township and the dashboards' drill-down.
            models.Index(fields=["township", "status"], name="household_township_status_idx"),
            # Duplicate households (households/duplicates.py): the same head name and birth
            # date (from the ID number) in two villages, among households not merged away.
            models.Index(
                F("head_name"),
                Substr("head_id_number", 7, 8),
                name="household_dup_name_birth_idx",
                condition=Q(merged_into__isnull=True),
            ),
            # … and one phone for the heads of two households.
            models.Index(
                fields=["phone"],
                name="household_dup_phone_idx",
                condition=Q(merged_into__isnull=True) & ~Q(phone=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(size__gte=1), name="household_size_at_least_one"),
            models.CheckConstraint(
                condition=Q(exit_year__isnull=True) | Q(exit_year__gte=2013, exit_year__lte=2035),
                name="household_exit_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return self.head_name

    def save(self, *args, **kwargs):
        self.fill_derived()
        super().save(*args, **kwargs)

    def fill_derived(self) -> None:
        """The columns kept from the village and the name (township, path, pinyin initials),
        also before a service validates the row."""
        # pypinyin loads its dictionaries on import (0.4 s here): only saving a household needs
        # them, not every process that loads the models.
        from pypinyin import Style, lazy_pinyin

        self.township_id = self.village.township_id
        self.path = self.village.path
        self.name_initials = "".join(lazy_pinyin(self.head_name, style=Style.FIRST_LETTER)).lower()[
            :20
        ]

    @property
    def is_registered(self) -> bool:
        """On the register (建档立卡户): every status but 一般农户."""
        return self.status != PovertyStatus.ORDINARY

    def clean(self) -> None:
        """A registered household has its cause and track; an ordinary household (never
        registered poor) has neither, nor a registration or exit year."""
        super().clean()
        errors: dict[str, list[str]] = {}
        if self.is_registered:
            if not self.cause:
                errors["cause"] = [_("建档立卡户请选择主要致贫原因。")]
            if not self.track:
                errors["track"] = [_("建档立卡户请选择帮扶类型。")]
        else:
            if self.registered_year is not None:
                errors["registered_year"] = [_("一般农户未建档立卡，不填识别年度。")]
            if self.exit_year is not None:
                errors["exit_year"] = [_("一般农户未建档立卡，不填脱贫年度。")]
        if errors:
            raise ValidationError(errors)

    @property
    def assurances_met(self) -> bool:
        return all(
            [
                self.food_clothing_ok,
                self.education_ok,
                self.medical_ok,
                self.housing_ok,
                self.water_ok,
            ]
        )


class HouseholdChildQuerySet(ScopedQuerySet):
    scope_path_field = "household__path"
    scope_village_field = "household__village_id"
    scope_household_field = "household_id"


class Member(models.Model):
    class Relation(models.TextChoices):
        HEAD = "head", _("户主")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        PARENT = "parent", _("父母")
        GRANDCHILD = "grandchild", _("孙辈")
        OTHER = "other", _("其他")

    household = models.ForeignKey(
        Household, verbose_name=_("户"), on_delete=models.CASCADE, related_name="members"
    )
    name = models.CharField(_("姓名"), max_length=50)
    relation = models.CharField(_("与户主关系"), max_length=20, choices=Relation.choices)
    # Once per household in the database; a number already registered in another open
    # household is refused by the member service (households/duplicates.py), and one found in
    # two households (old rosters, imports) is listed for the county reviewers to merge.
    id_number = models.CharField(
        _("身份证号"),
        max_length=18,
        null=True,
        blank=True,
        validators=[validate_id_number],
    )
    birth_year = models.PositiveSmallIntegerField(_("出生年份"), null=True, blank=True)
    health = models.CharField(_("健康状况"), max_length=50, blank=True)
    education = models.CharField(_("文化程度"), max_length=50, blank=True)
    works_away = models.BooleanField(_("外出务工"), default=False)

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        ordering = ["household", "id"]
        indexes = [
            # Duplicate households: one ID number among the members of two households, and
            # the entry check "is this number registered in another household".
            models.Index(
                fields=["id_number"],
                name="member_dup_id_idx",
                condition=Q(id_number__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "id_number"], name="member_id_once_per_household"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class IncomeRecord(models.Model):
    household = models.ForeignKey(
        Household, verbose_name=_("户"), on_delete=models.CASCADE, related_name="incomes"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    per_capita_net_income = models.DecimalField(
        _("年人均纯收入（元）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("收入记录")
        verbose_name_plural = _("收入记录")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "year"], name="household_income_one_per_year"
            ),
            models.CheckConstraint(
                condition=Q(per_capita_net_income__gte=0), name="household_income_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.year}"


class Plan(models.Model):
    """One household, one plan (一户一策, 004): the measures agreed for the household."""

    household = models.OneToOneField(
        Household, verbose_name=_("户"), on_delete=models.CASCADE, related_name="plan"
    )
    summary = models.TextField(_("帮扶思路"), blank=True)
    drawn_up_on = models.DateField(_("制定日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("制定人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("一户一策")
        verbose_name_plural = _("一户一策")

    def __str__(self) -> str:
        return f"{self.household} 一户一策"


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("未开始")
    IN_PROGRESS = "in_progress", _("推进中")
    DONE = "done", _("已完成")


class MeasureQuerySet(ScopedQuerySet):
    scope_path_field = "plan__household__path"
    scope_village_field = "plan__household__village_id"
    scope_household_field = "plan__household_id"


class Measure(models.Model):
    plan = models.ForeignKey(
        Plan, verbose_name=_("一户一策"), on_delete=models.CASCADE, related_name="measures"
    )
    content = models.CharField(_("帮扶措施"), max_length=300)
    owner = models.ForeignKey(
        "cadres.Cadre",
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="measures",
    )
    deadline = models.DateField(_("完成时限"))
    status = models.CharField(
        _("进度"), max_length=20, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED
    )
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    objects = MeasureQuerySet.as_manager()

    class Meta:
        verbose_name = _("帮扶措施")
        verbose_name_plural = _("帮扶措施")
        ordering = ["deadline"]

    def __str__(self) -> str:
        return self.content


class HouseholdPairingQuerySet(InForceQuerySet):
    scope_path_field = "household__path"
    scope_village_field = "household__village_id"
    scope_household_field = "household_id"


class HouseholdPairing(models.Model):
    """A responsible helper (帮扶责任人) paired with a household from start to end date. Which
    helper was responsible on a day is a query over these rows, never a flag."""

    household = models.ForeignKey(
        Household,
        verbose_name=_("户"),
        on_delete=models.CASCADE,
        related_name="pairings",
        db_index=False,
    )
    helper = models.ForeignKey(
        "cadres.Cadre",
        verbose_name=_("帮扶责任人"),
        on_delete=models.PROTECT,
        related_name="household_pairings",
        db_index=False,
    )
    unit = models.ForeignKey(
        "pairing.Unit",
        verbose_name=_("帮扶单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="household_pairings",
    )
    start_date = models.DateField(_("结对日期"))
    end_date = models.DateField(_("解除日期"), null=True, blank=True)

    objects = HouseholdPairingQuerySet.as_manager()

    class Meta:
        verbose_name = _("结对帮扶")
        verbose_name_plural = _("结对帮扶")
        ordering = ["-start_date"]
        indexes = [
            # "Helpers in force for these households on a day" (household pages, evaluation).
            models.Index(fields=["household", "start_date"], name="hh_pairing_household_idx"),
            # "Households this helper is responsible for" (a cadre's home page, reminders).
            models.Index(fields=["helper", "start_date"], name="hh_pairing_helper_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="hh_pairing_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["household", "helper", "start_date"], name="hh_pairing_once_per_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.helper} → {self.household}"


class VisitKind(models.TextChoices):
    HOME = "home", _("入户走访")
    PHONE = "phone", _("电话联系")
    ORG_GROUP = "org_group", _("结对党组织代表集体走访")
    VILLAGE_WORK = "village_work", _("到村工作调研")


class CreditStatus(models.TextChoices):
    CREDITED = "credited", _("计入考核")
    REVIEW = "review", _("待审核")
    REJECTED = "rejected", _("审核不予计入")
    NOT_COUNTED = "not_counted", _("不计入考核")


class PairingRule(models.TextChoices):
    """Why the pairing rule kept a household visit out of the count (blank: it did not). The
    visit service sets it when the visit is written and again when a pairing changes."""

    BEFORE_START = "before_start", _("早于结对开始")
    AFTER_END = "after_end", _("结对已解除")
    NOT_PAIRED = "not_paired", _("未与该户结对")
    DUPLICATE = "duplicate", _("当天已有一次计入")


class VisitQuerySet(ScopedQuerySet):
    scope_path_field = "path"
    scope_village_field = "village_id"
    scope_household_field = "household_id"
    scope_township_field = "township_id"  # visit(township, visited_on) is indexed, path is not

    def counted(self):
        """The one definition of a visit that counts (计入考核). Whether it counts is decided
        by the visit service when the visit is written (a household visit counts only when its
        helper had a pairing with the household in force that day, stored with the visit) and
        decided again when a pairing changes or a reviewer rules on a held visit; every reader
        (the engine, pages, filters, reminders, API, ledgers) asks here."""
        return self.filter(self.counted_condition())

    @staticmethod
    def counted_condition(prefix: str = "") -> Q:
        """`counted()` as a condition, for a count among other counts (`Count(filter=...)`) or
        across a relation (`prefix="visits__"`)."""
        return Q(**{f"{prefix}credit_status": CreditStatus.CREDITED})


class Visit(models.Model):
    """A visit (走访) to a household, or to a village when `household` is empty. Whether it
    counts toward the indicators is `credit_status`, decided by the visit service (see
    households/services.py) and, for visits held for review, by a reviewer."""

    household = models.ForeignKey(
        Household,
        verbose_name=_("走访户"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="visits",
        db_index=False,
    )
    village = models.ForeignKey(
        "villages.Village",
        verbose_name=_("村"),
        on_delete=models.PROTECT,
        related_name="visits",
        db_index=False,
    )
    township = models.ForeignKey(
        "villages.Region",
        verbose_name=_("乡镇"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        editable=False,
    )
    path = models.CharField(_("区划路径"), max_length=255, editable=False)
    helper = models.ForeignKey(
        "cadres.Cadre",
        verbose_name=_("走访人"),
        on_delete=models.PROTECT,
        related_name="visits",
        db_index=False,
    )
    household_pairing = models.ForeignKey(
        HouseholdPairing,
        verbose_name=_("所属结对"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
        editable=False,
    )
    org_pairing = models.ForeignKey(
        "pairing.Pairing",
        verbose_name=_("结对党组织"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    kind = models.CharField(
        _("走访方式"), max_length=20, choices=VisitKind.choices, default=VisitKind.HOME
    )
    visited_on = models.DateField(_("走访日期"))
    learned = models.TextField(_("了解情况与帮扶内容"))
    problems = models.TextField(_("发现的问题"), blank=True)
    measure = models.ForeignKey(
        Measure,
        verbose_name=_("推进的帮扶措施"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    credit_status = models.CharField(
        _("考核计入"), max_length=20, choices=CreditStatus.choices, default=CreditStatus.CREDITED
    )
    credit_reason = models.CharField(_("不计入或待审核原因"), max_length=300, blank=True)
    pairing_rule = models.CharField(
        _("结对核验"), max_length=20, choices=PairingRule.choices, blank=True, editable=False
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    # A form or API client sends one token per submission; a second POST with the same token
    # returns the first visit instead of creating another (double taps on a slow phone).
    submission_token = models.UUIDField(
        _("提交标识"), null=True, blank=True, unique=True, editable=False
    )
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

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-id"]
        indexes = [
            # The index that matters most (PERFORMANCE.md): visits of a household in a period,
            # "not visited for N days", yearly counts per household.
            models.Index(fields=["household", "visited_on"], name="visit_household_date_idx"),
            # Visits per helper per week or month (weekly indicator, reminders, cadre pages).
            models.Index(fields=["helper", "visited_on"], name="visit_helper_date_idx"),
            # Visits per month in a township (dashboard trend, visit ledger by region).
            models.Index(fields=["township", "visited_on"], name="visit_township_date_idx"),
            models.Index(fields=["village", "visited_on"], name="visit_village_date_idx"),
            # The reviewers' queue and their home page's held count: the few visits held for
            # review (0.4 % of 1.6 M in the province data), by region path. Without it the
            # queue scanned every visit of the region (about 0.9 s for one township).
            models.Index(
                fields=["path", "visited_on"],
                name="visit_review_path_idx",
                condition=Q(credit_status="review"),
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
        ]
        constraints = [
            # At most one credited visit per helper, household and day (the rule), held
            # by the database so two racing submissions cannot both count.
            models.UniqueConstraint(
                fields=["helper", "household", "visited_on"],
                condition=Q(credit_status="credited") & Q(household__isnull=False),
                name="visit_one_credited_per_helper_household_day",
            ),
        ]

    def __str__(self) -> str:
        target = self.household or self.village
        return f"{self.visited_on} {self.helper} → {target}"

    def save(self, *args, **kwargs):
        if self.household_id and not self.village_id:
            self.village_id = self.household.village_id
        self.township_id = self.village.township_id
        self.path = self.village.path
        super().save(*args, **kwargs)

    @property
    def is_credited(self) -> bool:
        return self.credit_status == CreditStatus.CREDITED


# The only extensions a stored photo may have: the visit service re-encodes every photo and
# names it from its content (households/services.py photo_check), never from the uploader's name.
PHOTO_SUFFIXES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def visit_photo_path(instance: "VisitPhoto", filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in PHOTO_SUFFIXES:
        suffix = "jpg"
    return f"visits/{instance.visit.visited_on:%Y/%m}/{uuid.uuid4().hex}.{suffix}"


class VisitPhotoQuerySet(ScopedQuerySet):
    scope_path_field = "visit__path"
    scope_village_field = "visit__village_id"
    scope_household_field = "visit__household_id"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(
        Visit, verbose_name=_("走访"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(_("照片"), upload_to=visit_photo_path)
    taken_at = models.DateTimeField(_("拍摄时间（EXIF）"), null=True, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    objects = VisitPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访照片")
        verbose_name_plural = _("走访照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name


class HouseholdMergeQuerySet(ScopedQuerySet):
    scope_path_field = "kept__path"
    scope_village_field = "kept__village_id"
    scope_household_field = "kept_id"


class HouseholdMerge(models.Model):
    """One household merged into another by a county reviewer (households/merge.py): which
    records moved (ids per model), which stayed with the closed household (a clash with the
    kept household's own), and a fingerprint of every moved record, so that the merge can be
    undone exactly while nothing has changed since."""

    kept = models.ForeignKey(
        Household, verbose_name=_("保留户"), on_delete=models.PROTECT, related_name="+"
    )
    other = models.ForeignKey(
        Household, verbose_name=_("并入户"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("合并理由"), max_length=300)
    moved = models.JSONField(_("移入的记录"), default=dict)
    stayed = models.JSONField(_("留在并入户的记录"), default=dict)
    fingerprints = models.JSONField(_("记录指纹"), default=dict)
    relations = models.JSONField(_("成员原关系"), default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("合并人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("合并时间"), auto_now_add=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    objects = HouseholdMergeQuerySet.as_manager()

    class Meta:
        verbose_name = _("合并记录")
        verbose_name_plural = _("合并记录")
        ordering = ["-merged_at", "-id"]
        constraints = [
            # A household is merged away at most once at a time.
            models.UniqueConstraint(
                fields=["other"], condition=Q(undone_at__isnull=True), name="merge_other_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.other} → {self.kept}"
