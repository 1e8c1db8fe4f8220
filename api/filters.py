"""FilterSets of the API lists that no page list shares yet. The household and visit lists reuse
the pages' FilterSets (home/filters.py, households/filters.py) and only add what a program
needs on top: the region subtree by code, and finding a household by its full ID number.

Every FilterSet here runs on a queryset that already starts from `visible_to(user)`; a filter
naming something outside the user's scope therefore narrows to nothing, it never widens."""

from __future__ import annotations

import copy
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.drainage import set_override

from assessments.models import Indicator, IndicatorResult, PeriodKind, SubjectKind
from cadres.models import Cadre, CadreKind, FieldDay, WorkTeam
from core.idcard import normalise_id_number
from home.filters import HouseholdFilter
from households.filters import VisitFilter
from households.models import HouseholdPairing
from inspections.models import (
    RectificationItem,
    RectificationStatus,
    SpotCheckDraw,
    SpotCheckItem,
)
from ledgers.models import ExportJob, LedgerKind
from notifications.models import Notification, NotificationKind
from pairing.models import (
    Meeting,
    MeetingKind,
    OrgKind,
    Pairing,
    PairingKind,
    PartyDay,
    PartyOrganisation,
    StudyTrip,
    Training,
    TrainingKind,
    Unit,
    UnitKind,
)
from villages.models import Region, RegionLevel, Village, VillageIncome, division_code_validator

MAX_ID = 2**63 - 1

# The schema of a region code: the regex of division_code_validator (Python's \d, as the
# validator reads it), so what the schema allows the filter takes and nothing else.
REGION_CODE_SCHEMA = {"type": "string", "pattern": division_code_validator.regex.pattern}


# --- query-string fields that mean what the schema says ----------------------------------------
# The OpenAPI schema is generated from these filters; each one refuses (400) exactly what its
# declared schema forbids and takes everything it allows (tests/api/test_schemathesis.py checks
# both ways). A FilterSet of the API gets them from ApiFilterSetMixin.
INTEGER = re.compile(r"^-?(0|[1-9][0-9]*)$")


class StrictIntegerField(forms.IntegerField):
    """An integer written as one: no "1.5", "1e3", "+1", "01" or " 1 " (Django's IntegerField
    takes "1.0" and spaces)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not INTEGER.match(str(value)):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(str(value))


class StrictBooleanField(forms.Field):
    """`true` or `false` (also `1`/`0`, `True`/`False`); anything else is a 400, not ignored."""

    TRUE = {"true", "True", "1"}
    FALSE = {"false", "False", "0"}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if value in self.TRUE:
            return True
        if value in self.FALSE:
            return False
        raise ValidationError(_("应为 true 或 false。"), code="invalid")


def declare(filter_, schema: dict):
    """The filter's parameter schema in the OpenAPI document (drf-spectacular reads it)."""
    set_override(filter_, "field", schema)
    return filter_


def integer_schema(minimum: int | None, maximum: int | None) -> dict:
    schema: dict = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = int(minimum)
    if maximum is not None:
        schema["maximum"] = int(maximum)
    return schema


def _api_filter(name: str, filter_):
    """A filter of a page's FilterSet as the API takes it (a copy; the page keeps its own)."""
    if isinstance(filter_, django_filters.ModelChoiceFilter):
        # An id, not a choice among the scoped rows: one outside the scope lists nothing (the
        # queryset is scoped already) instead of a 400 the schema cannot foretell.
        return _api_filter(name, IdFilter(filter_.field_name, filter_.label, method=filter_.method))
    filter_ = copy.deepcopy(filter_)
    if isinstance(filter_, django_filters.NumberFilter):
        filter_.field_class = StrictIntegerField
        filter_.extra.setdefault("min_value", 1)
        filter_.extra.setdefault("max_value", MAX_ID)
        minimum, maximum = filter_.extra["min_value"], filter_.extra["max_value"]
        return declare(filter_, integer_schema(minimum, maximum))
    if isinstance(filter_, django_filters.BooleanFilter):
        filter_.field_class = StrictBooleanField
        filter_.extra.pop("widget", None)  # the pages' yes/no select maps unknown values to None
        return declare(filter_, {"type": "boolean"})
    if isinstance(filter_, django_filters.CharFilter):
        # Read as sent: " 12" is no region code (a stripped copy would pass the pattern).
        filter_.extra["strip"] = False
        # A text with a NUL character is refused (Django's rule for every form field).
        schema: dict = {"type": "string", "pattern": r"^[^\x00]*$"}
        if division_code_validator in filter_.extra.get("validators", []):  # (a copy: ==)
            schema = dict(REGION_CODE_SCHEMA)
        if filter_.extra.get("max_length"):
            schema["maxLength"] = filter_.extra["max_length"]
        return declare(filter_, schema)
    return filter_


def allows_empty(filter_) -> bool:
    """Whether `?name=` (an empty value) is what the filter's schema allows: only for a text
    whose pattern matches the empty text. A number, a date, a boolean, a choice or a region code
    given empty is refused (400) rather than read as "no filter"."""
    if not isinstance(filter_, django_filters.CharFilter):
        return False
    schema = getattr(filter_, "_spectacular_annotation", {}).get("field") or {}
    return re.search(schema.get("pattern", ""), "") is not None


class ApiFilterSetMixin:
    """Every filter of an API list as the schema declares it (see _api_filter)."""

    @classmethod
    def get_filters(cls):
        filters = super().get_filters()  # type: ignore[misc]
        return type(filters)((name, _api_filter(name, f)) for name, f in filters.items())

    def is_valid(self) -> bool:
        valid = super().is_valid()  # type: ignore[misc]
        empty = [
            name
            for name, filter_ in self.filters.items()  # type: ignore[attr-defined]
            if self.data.get(name) == "" and not allows_empty(filter_)  # type: ignore[attr-defined]
        ]
        for name in empty:
            if name not in self.form.errors:  # type: ignore[attr-defined]
                message = _("不能为空；不按此条件筛选时请省略该参数。")
                self.form.add_error(name, message)  # type: ignore[attr-defined]
        return valid and not empty


class ApiFilterSet(ApiFilterSetMixin, django_filters.FilterSet):
    pass


class RegionSubtreeFilter(django_filters.CharFilter):
    """`?region=<区划代码>`: rows anywhere under that region (the region itself included)."""

    def __init__(self, *, path_field: str = "path", **kwargs):
        kwargs.setdefault("label", _("区划代码（含下级）"))
        kwargs.setdefault("validators", [division_code_validator])
        super().__init__(**kwargs)
        self.path_field = path_field

    def filter(self, qs, value):
        if not value:
            return qs
        path = Region.objects.filter(code=value).values_list("path", flat=True).first()
        if path is None:
            return qs.none()
        return qs.filter(**{f"{self.path_field}__startswith": path})


def IdFilter(field_name: str, label, **kwargs):  # noqa: N802 (reads like a filter class)
    """An id in the query string (an integer from 1), bounded so a huge number is a 400, not a
    database error."""
    return django_filters.NumberFilter(
        field_name=field_name, label=label, min_value=1, max_value=MAX_ID, **kwargs
    )


def YearFilter(field_name: str, label, lookup_expr: str = "exact"):  # noqa: N802
    return django_filters.NumberFilter(
        field_name=field_name,
        label=label,
        lookup_expr=lookup_expr,
        min_value=2000,
        max_value=2100,
    )


def date_range(field_name: str):
    return (
        django_filters.DateFilter(
            field_name=field_name, lookup_expr="gte", label=_("开始日期（含）")
        ),
        django_filters.DateFilter(
            field_name=field_name, lookup_expr="lte", label=_("结束日期（含）")
        ),
    )


# --- regions and villages -------------------------------------------------------------------
class RegionFilter(ApiFilterSet):
    region = RegionSubtreeFilter()
    level = django_filters.ChoiceFilter(label=_("层级"), choices=RegionLevel.choices)
    parent = IdFilter("parent_id", _("上级区划编号"))
    code = django_filters.CharFilter(
        label=_("区划代码"), validators=[division_code_validator], field_name="code"
    )

    class Meta:
        model = Region
        fields = ["region", "level", "parent", "code"]


class VillageFilter(ApiFilterSet):
    region = RegionSubtreeFilter()
    township = IdFilter("township_id", _("乡镇区划编号"))
    is_poor_village = django_filters.BooleanFilter(label=_("建档立卡贫困村"))
    is_difficult_village = django_filters.BooleanFilter(label=_("困难村"))
    q = django_filters.CharFilter(label=_("村名"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = Village
        fields = ["region", "township", "is_poor_village", "is_difficult_village", "q"]


class VillageIncomeFilter(ApiFilterSet):
    region = RegionSubtreeFilter(path_field="village__path")
    village = IdFilter("village_id", _("村编号"))
    year = YearFilter("year", _("年度"))
    year_from = YearFilter("year", _("起始年度"), "gte")
    year_to = YearFilter("year", _("截止年度"), "lte")

    class Meta:
        model = VillageIncome
        fields = ["region", "village", "year", "year_from", "year_to"]


# --- units, organisations, pairings ----------------------------------------------------------
class UnitFilter(ApiFilterSet):
    region = RegionSubtreeFilter(path_field="region__path")
    kind = django_filters.ChoiceFilter(label=_("单位类型"), choices=UnitKind.choices)
    q = django_filters.CharFilter(label=_("单位名称"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = Unit
        fields = ["region", "kind", "q"]


class PartyOrganisationFilter(ApiFilterSet):
    kind = django_filters.ChoiceFilter(label=_("组织类型"), choices=OrgKind.choices)
    unit = IdFilter("unit_id", _("单位编号"))
    village = IdFilter("village_id", _("村编号"))

    class Meta:
        model = PartyOrganisation
        fields = ["kind", "unit", "village"]


class InForceFilter(django_filters.DateFilter):
    """`?in_force_on=YYYY-MM-DD`: rows whose start/end dates cover that day."""

    def filter(self, qs, value):
        return qs.in_force(value) if value else qs


class PairingFilter(ApiFilterSet):
    region = RegionSubtreeFilter()
    village = IdFilter("village_id", _("村编号"))
    kind = django_filters.ChoiceFilter(label=_("结对类型"), choices=PairingKind.choices)
    lead_unit = IdFilter("lead_unit_id", _("牵头单位编号"))
    in_force_on = InForceFilter(label=_("在该日期处于结对期内"))

    class Meta:
        model = Pairing
        fields = ["region", "village", "kind", "lead_unit", "in_force_on"]


# --- households and visits (the pages' FilterSets, plus region and ID number) -----------------
class ApiHouseholdFilter(ApiFilterSetMixin, HouseholdFilter):
    region = RegionSubtreeFilter()
    id_number = django_filters.CharFilter(
        label=_("户主完整身份证号"),
        method="filter_id_number",
        max_length=30,
        help_text=_("按完整的18位身份证号精确查找（返回内容中的号码仍为脱敏）。"),
    )

    class Meta(HouseholdFilter.Meta):
        fields = [*HouseholdFilter.Meta.fields, "region", "id_number"]

    def filter_id_number(self, queryset, name, value):
        return queryset.filter(head_id_number=normalise_id_number(value)) if value else queryset


class HouseholdPairingFilter(ApiFilterSet):
    region = RegionSubtreeFilter(path_field="household__path")
    village = IdFilter("household__village_id", _("村编号"))
    household = IdFilter("household_id", _("贫困户编号"))
    helper = IdFilter("helper_id", _("帮扶责任人编号"))
    unit = IdFilter("unit_id", _("帮扶单位编号"))
    in_force_on = InForceFilter(label=_("在该日期处于结对期内"))

    class Meta:
        model = HouseholdPairing
        fields = ["region", "village", "household", "helper", "unit", "in_force_on"]


class ApiVisitFilter(ApiFilterSetMixin, VisitFilter):
    region = RegionSubtreeFilter()

    class Meta(VisitFilter.Meta):
        fields = [*VisitFilter.Meta.fields, "region"]


# --- cadres and work teams -------------------------------------------------------------------
class CadreFilter(ApiFilterSet):
    region = RegionSubtreeFilter(path_field="home_region__path")
    kind = django_filters.ChoiceFilter(label=_("身份"), choices=CadreKind.choices)
    unit = IdFilter("unit_id", _("单位编号"))
    q = django_filters.CharFilter(label=_("姓名"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = Cadre
        fields = ["region", "kind", "unit", "q"]


class WorkTeamFilter(ApiFilterSet):
    village = IdFilter("villages", _("所驻村编号"))
    dispatching_unit = IdFilter("dispatching_unit_id", _("派出单位编号"))
    in_force_on = InForceFilter(label=_("在该日期处于进驻期内"))

    class Meta:
        model = WorkTeam
        fields = ["village", "dispatching_unit", "in_force_on"]


class FieldDayFilter(ApiFilterSet):
    region = RegionSubtreeFilter(path_field="region__path")
    cadre = IdFilter("cadre_id", _("干部编号"))
    date_from, date_to = date_range("day")

    class Meta:
        model = FieldDay
        fields = ["region", "cadre", "date_from", "date_to"]


# --- activities ----------------------------------------------------------------------------
def activity_filter(model, kind_choices=None, date_field: str = "held_on", unit: bool = True):
    """The FilterSet of a village activity list: region, village, unit, kind, date range."""
    attrs = {
        "region": RegionSubtreeFilter(path_field="village__path"),
        "village": IdFilter("village_id", _("村编号")),
    }
    attrs["date_from"], attrs["date_to"] = date_range(date_field)
    fields = ["region", "village", "date_from", "date_to"]
    if unit:
        attrs["unit"] = IdFilter("unit_id", _("单位编号"))
        fields.append("unit")
    if kind_choices is not None:
        attrs["kind"] = django_filters.ChoiceFilter(label=_("类型"), choices=kind_choices)
        fields.append("kind")
    attrs["Meta"] = type("Meta", (), {"model": model, "fields": fields})
    return type(f"{model.__name__}Filter", (ApiFilterSet,), attrs)


TrainingFilter = activity_filter(Training, TrainingKind.choices)
MeetingFilter = activity_filter(Meeting, MeetingKind.choices)
PartyDayFilter = activity_filter(PartyDay, unit=False)
StudyTripFilter = activity_filter(StudyTrip, date_field="started_on")


# --- assessments ------------------------------------------------------------------------------
class IndicatorFilter(ApiFilterSet):
    code = django_filters.CharFilter(label=_("指标代码"), field_name="code", max_length=40)
    subject_kind = django_filters.ChoiceFilter(label=_("考核对象"), choices=SubjectKind.choices)
    period_kind = django_filters.ChoiceFilter(label=_("考核周期"), choices=PeriodKind.choices)
    active = django_filters.BooleanFilter(label=_("启用"))

    class Meta:
        model = Indicator
        fields = ["code", "subject_kind", "period_kind", "active"]


class IndicatorResultFilter(ApiFilterSet):
    indicator = django_filters.CharFilter(
        label=_("指标代码"), field_name="indicator__code", max_length=40
    )
    met = django_filters.BooleanFilter(label=_("是否达标"))
    period = django_filters.CharFilter(label=_("考核期，如 2026、2026-Q3"), max_length=10)
    subject_kind = django_filters.ChoiceFilter(label=_("对象类型"), choices=SubjectKind.choices)
    region = RegionSubtreeFilter()
    village = IdFilter("village_id", _("村编号"))
    household = IdFilter("household_id", _("贫困户编号"))
    unit = IdFilter("unit_id", _("单位编号"))
    helper = IdFilter("helper_id", _("帮扶责任人编号"))

    class Meta:
        model = IndicatorResult
        fields = [
            "indicator",
            "met",
            "period",
            "subject_kind",
            "region",
            "village",
            "household",
            "unit",
            "helper",
        ]


# --- spot checks and rectification ------------------------------------------------------------
class SpotCheckDrawFilter(ApiFilterSet):
    region = RegionSubtreeFilter(path_field="region__path")
    quarter = django_filters.CharFilter(label=_("季度，如 2026Q4"), max_length=7)
    voided = django_filters.BooleanFilter(label=_("已作废"))

    class Meta:
        model = SpotCheckDraw
        fields = ["region", "quarter", "voided"]


class SpotCheckItemFilter(ApiFilterSet):
    draw = IdFilter("draw_id", _("抽查编号"))
    region = RegionSubtreeFilter(path_field="village__path")
    village = IdFilter("village_id", _("村编号"))
    households_only = django_filters.BooleanFilter(
        label=_("只看抽中的户"), field_name="household", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = SpotCheckItem
        fields = ["draw", "region", "village", "households_only"]


class RectificationFilter(ApiFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=RectificationStatus.choices)
    region = RegionSubtreeFilter(path_field="village__path")
    village = IdFilter("village_id", _("村编号"))
    responsible_unit = IdFilter("responsible_unit_id", _("责任单位编号"))
    overdue = django_filters.BooleanFilter(label=_("已逾期未销号"), method="filter_overdue")
    date_from, date_to = date_range("deadline")

    class Meta:
        model = RectificationItem
        fields = [
            "status",
            "region",
            "village",
            "responsible_unit",
            "overdue",
            "date_from",
            "date_to",
        ]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = Q(deadline__lt=timezone.localdate()) & ~Q(status=RectificationStatus.CLOSED)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


# --- the user's own notifications and exports -------------------------------------------------
class NotificationFilter(ApiFilterSet):
    unread = django_filters.BooleanFilter(
        label=_("只看未读"), field_name="read_at", lookup_expr="isnull"
    )
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=NotificationKind.choices)
    digest = IdFilter(
        "digest_id", _("每日汇总编号：列出该汇总中的各条提醒（不填只列汇总和单条提醒）")
    )

    class Meta:
        model = Notification
        fields = ["unread", "kind", "digest"]


class ExportJobFilter(ApiFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ExportJob.Status.choices)
    kind = django_filters.ChoiceFilter(label=_("台账"), choices=LedgerKind.choices)

    class Meta:
        model = ExportJob
        fields = ["status", "kind"]
