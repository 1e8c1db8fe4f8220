"""Regions (one tree from province down to village group), villages and their yearly figures."""

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.scope import ScopedQuerySet

division_code_validator = RegexValidator(r"^\d{2,15}$", _("区划代码应为2至15位数字。"))


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    PREFECTURE = "prefecture", _("市/州")
    COUNTY = "county", _("县/区")
    TOWNSHIP = "township", _("乡/镇/街道")
    VILLAGE = "village", _("村")
    GROUP = "group", _("村民小组")


LEVEL_ORDER = [c.value for c in RegionLevel]


class RegionQuerySet(ScopedQuerySet):
    scope_path_field = "path"

    def subtree(self, region: "Region"):
        """The region and everything under it (a user's scope is one such subtree)."""
        return self.filter(path__startswith=region.path)

    def of_level(self, level: str):
        return self.filter(level=level)


class Region(models.Model):
    """A node of the administrative tree. `path` holds the codes of every ancestor and itself,
    separated by '/', so a whole subtree is one indexed prefix query."""

    code = models.CharField(
        _("区划代码"), max_length=15, unique=True, validators=[division_code_validator]
    )
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=12, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("路径"), max_length=255, editable=False, db_index=False)
    # Counties assisted under designated assistance (001) are delisted (摘帽) on a schedule;
    # the bundled rule caps a unit's grade when its county misses it.
    is_poverty_county = models.BooleanField(_("贫困县"), default=False)
    planned_delist_year = models.PositiveSmallIntegerField(_("计划摘帽年度"), null=True, blank=True)
    delisted_year = models.PositiveSmallIntegerField(_("实际摘帽年度"), null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [
            # Subtree queries: path LIKE '51/5101/%' for every scoped list and roll-up.
            models.Index(
                fields=["path"], name="region_path_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["level", "parent"], name="region_level_parent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(level="province"),
                name="region_province_has_no_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent_id else "") + self.code + "/"
        super().save(*args, **kwargs)

    def ancestors(self) -> list["Region"]:
        """From the root down to and including this node, in one query."""
        codes = [c for c in self.path.split("/") if c]
        by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    def ancestor_of_level(self, level: str) -> "Region | None":
        for region in self.ancestors():
            if region.level == level:
                return region
        return None

    @property
    def full_name(self) -> str:
        return "".join(r.name for r in self.ancestors() if r.level != RegionLevel.PROVINCE)


class VillageQuerySet(ScopedQuerySet):
    scope_path_field = "path"
    scope_village_field = "id"


class Village(models.Model):
    """An administrative village (行政村). Its place in the tree is `region`; the township and
    county are kept on the row (set on save) because every list and roll-up groups by them."""

    region = models.OneToOneField(
        Region,
        verbose_name=_("区划"),
        on_delete=models.PROTECT,
        related_name="village",
        limit_choices_to={"level": RegionLevel.VILLAGE},
    )
    name = models.CharField(_("村名"), max_length=100)
    township = models.ForeignKey(
        Region, verbose_name=_("乡镇"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    county = models.ForeignKey(
        Region, verbose_name=_("县区"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    path = models.CharField(_("区划路径"), max_length=255, editable=False)
    is_poor_village = models.BooleanField(_("建档立卡贫困村"), default=False)
    is_difficult_village = models.BooleanField(_("困难村"), default=False)
    planned_exit_year = models.PositiveSmallIntegerField(_("计划退出年度"), null=True, blank=True)
    exit_year = models.PositiveSmallIntegerField(_("实际退出年度"), null=True, blank=True)
    branch_name = models.CharField(_("村党组织名称"), max_length=100, blank=True)
    branch_secretary = models.CharField(_("村党组织书记"), max_length=50, blank=True)
    venue_area_m2 = models.DecimalField(
        _("活动阵地面积（㎡）"),
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    leading_industries = models.CharField(_("主导产业"), max_length=200, blank=True)
    infrastructure_notes = models.TextField(_("基础设施和公益事业项目"), blank=True)
    population = models.PositiveIntegerField(_("户籍人口"), null=True, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    # A village merged or abolished (撤并) is ended, not deleted: households, visits and
    # pairings keep referring to it.
    ended_on = models.DateField(_("撤销日期"), null=True, blank=True)
    end_reason = models.CharField(_("撤销原因"), max_length=500, blank=True)

    objects = VillageQuerySet.as_manager()

    class Meta:
        verbose_name = _("村")
        verbose_name_plural = _("村")
        ordering = ["path"]
        indexes = [
            models.Index(
                fields=["path"], name="village_path_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["township", "name"], name="village_township_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(exit_year__isnull=True) | Q(exit_year__gte=2000),
                name="village_exit_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.sync_region_columns()
        super().save(*args, **kwargs)

    def sync_region_columns(self) -> None:
        ancestors = {r.level: r for r in self.region.ancestors()}
        self.township = ancestors[RegionLevel.TOWNSHIP]
        self.county = ancestors[RegionLevel.COUNTY]
        self.path = self.region.path
        if not self.name:
            self.name = self.region.name

    @property
    def exited_on_schedule(self) -> bool | None:
        if not self.planned_exit_year:
            return None
        return self.exit_year is not None and self.exit_year <= self.planned_exit_year


class VillageIncomeQuerySet(ScopedQuerySet):
    scope_path_field = "village__path"
    scope_village_field = "village_id"


class VillageIncome(models.Model):
    """A village's collective economic income (村集体经济收入) for one year; 002 sets the line at
    20,000 yuan for registered poor villages."""

    village = models.ForeignKey(
        Village, verbose_name=_("村"), on_delete=models.CASCADE, related_name="incomes"
    )
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000)])
    amount = models.DecimalField(
        _("集体经济收入（元）"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    sources = models.CharField(_("收入来源"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("填报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("填报时间"), auto_now=True)

    objects = VillageIncomeQuerySet.as_manager()

    class Meta:
        verbose_name = _("村集体经济收入")
        verbose_name_plural = _("村集体经济收入")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="village_income_one_per_year"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="village_income_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.year}"
