"""Households and their members, yearly incomes, one-household-one-plan and its measures,
household–helper pairings (assign, correct, hand over on a date, end, reassign all of a
departing helper's households at once) and the households without a helper in force
(coverage, 全覆盖). Writes go through households/services.py, the functions the pages call:
the same keepers (core.keepers: township staff in their township, reviewers may correct; for
pairings also a unit's coordinator for the unit's own helpers in the villages the unit is
paired with), scope (404), rules and messages.

The "households" and "household-pairings" endpoints replace the read-only ones of
api/views/households.py and serve the same reads (serializers, filters, ordering, masking).
Visits stay there. See api/urls.py KEPT_MODULES."""

from __future__ import annotations

import contextlib
import datetime

import django_filters
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api import filters
from api.base import ApiViewMixin, EndSerializer, KeptViewSet, saving
from api.serializers import households as read
from api.serializers import kept_households as s
from api.views import households as read_views
from core.idcard import normalise_id_number
from core.kept import kept_require
from households import services
from households.models import (
    Household,
    HouseholdPairing,
    IncomeRecord,
    Measure,
    MeasureStatus,
    Member,
    Plan,
)

TAG = _("贫困户与走访")
RULE = _(
    "与网页表单调用同一服务：乡镇（街道）工作人员维护本乡镇的贫困户、家庭成员、收入、一户一策和"
    "帮扶措施，审核人员可以更正（其他角色 403）；不在管辖范围内的对象按不存在处理（404）。"
)
PAIRING_RULE = _(
    "与网页调用同一服务：乡镇（街道）工作人员和审核人员在管辖范围内维护结对；帮扶单位联络人只能"
    "调整本单位帮扶责任人与本单位结对村的户的结对（其他 403）。同一帮扶责任人与同一户不能同时有"
    "两条生效的结对（409，错误信息指明已有的结对）；解除或交接后，相关走访按当天的结对重新核定。"
)


def _summaries(noun, *, end=None, delete=True):
    out = {
        "list": _("%(noun)s列表") % {"noun": noun},
        "retrieve": _("%(noun)s详情") % {"noun": noun},
        "create": _("新增%(noun)s") % {"noun": noun},
        "partial_update": _("修改%(noun)s") % {"noun": noun},
    }
    if delete:
        out["destroy"] = _("删除%(noun)s（未被其他记录引用时）") % {"noun": noun}
    if end:
        out["end"] = end
    return out


def _descriptions(rule):
    return {name: rule for name in ("create", "partial_update", "destroy", "end")}


class _Writes:
    """write_serializer_classes from two attributes (the create and the update body), and the
    keeper's role asked before the body is read: a role that keeps nothing of this kind learns
    403, not which ids in its body it may not see."""

    create_serializer = None
    update_serializer = None
    keeper_kind = ""

    @property
    def write_serializer_classes(self):
        return {"create": self.create_serializer, "partial_update": self.update_serializer}

    def parse(self, request, *, partial: bool = False) -> dict:
        kept_require(request.user, self.keeper_kind)
        return super().parse(request, partial=partial)  # type: ignore[misc]


# --- households ------------------------------------------------------------------------------
class HouseholdViewSet(_Writes, KeptViewSet):
    """贫困户，含家庭成员、在结对期内的帮扶责任人、一户一策及措施、最近走访日期和今年走访次数。
    身份证号一律脱敏；按完整号码查找用 id_number 筛选。乡镇工作人员登记和修改本乡镇的户；
    已有走访、结对或一户一策的户不能删除，请标记脱贫（end：状态改为已脱贫，脱贫年度为该日期的年份）。"""

    keeper_kind = "household"
    model = Household
    serializer_class = read.HouseholdSerializer
    create_serializer = s.HouseholdWriteSerializer
    update_serializer = s.HouseholdUpdateSerializer
    write_serializer_class = s.HouseholdWriteSerializer
    filterset_class = filters.ApiHouseholdFilter
    ordering_fields = ["head_name", "path", "size", "id"]
    ordering = ["path", "head_name", "id"]
    instance_kw = "household"
    services = {
        "record": services.household_record,
        "update": services.household_update,
        "end": services.household_end,
        "delete": services.household_delete,
    }
    schema_tag = TAG
    summaries = {
        **_summaries(_("贫困户"), end=_("标记脱贫（退出）")),
        "list": _("贫困户列表"),
        "retrieve": _("贫困户详情"),
    }
    descriptions = _descriptions(RULE)
    optimise = read_views.HouseholdViewSet.optimise

    def is_duplicate(self, data, instance=None):
        number = normalise_id_number(data.get("head_id_number") or "")
        rows = Household.objects.filter(head_id_number=number)
        if instance is not None:
            rows = rows.exclude(pk=instance.pk)
        return bool(number) and rows.exists()

    @extend_schema(request=EndSerializer, summary=_("标记脱贫（退出）"))
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request, pk=None):
        return self.end_record(request, pk)


class _HouseholdChildFilter(filters.ApiFilterSet):
    region = filters.RegionSubtreeFilter(path_field="household__path")
    village = filters.IdFilter("household__village_id", _("村编号"))
    household = filters.IdFilter("household_id", _("贫困户编号"))


class MemberFilter(_HouseholdChildFilter):
    class Meta:
        model = Member
        fields = ["region", "village", "household"]


class MemberViewSet(_Writes, KeptViewSet):
    """家庭成员。身份证号写入时填完整号码，读出时一律脱敏。"""

    keeper_kind = "member"
    model = Member
    serializer_class = s.KeptMemberSerializer
    create_serializer = s.MemberWriteSerializer
    update_serializer = s.MemberUpdateSerializer
    write_serializer_class = s.MemberWriteSerializer
    filterset_class = MemberFilter
    ordering_fields = ["household", "id"]
    ordering = ["household", "id"]
    instance_kw = "member"
    services = {
        "record": services.member_record,
        "update": services.member_update,
        "delete": services.member_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("家庭成员"))
    descriptions = _descriptions(RULE)

    def is_duplicate(self, data, instance=None):
        number = normalise_id_number(data.get("id_number") or "")
        rows = Member.objects.filter(id_number=number)
        if instance is not None:
            rows = rows.exclude(pk=instance.pk)
        return bool(number) and rows.exists()


class IncomeFilter(_HouseholdChildFilter):
    year = django_filters.NumberFilter(label=_("年度"), min_value=2000, max_value=2100)

    class Meta:
        model = IncomeRecord
        fields = ["region", "village", "household", "year"]


class IncomeViewSet(_Writes, KeptViewSet):
    """贫困户的年人均纯收入，每户每年一条（同一年重复登记为 409）。"""

    keeper_kind = "income"
    model = IncomeRecord
    serializer_class = s.IncomeSerializer
    create_serializer = s.IncomeWriteSerializer
    update_serializer = s.IncomeUpdateSerializer
    write_serializer_class = s.IncomeWriteSerializer
    filterset_class = IncomeFilter
    ordering_fields = ["year", "id"]
    ordering = ["-year", "id"]
    instance_kw = "income"
    services = {
        "record": services.income_record,
        "update": services.income_update,
        "delete": services.income_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("收入记录"))
    descriptions = _descriptions(RULE)

    def optimise(self, queryset):
        return queryset.select_related("household")

    def is_duplicate(self, data, instance=None):
        household_id = data["household"].pk if "household" in data else instance.household_id
        year = data.get("year", getattr(instance, "year", None))
        rows = IncomeRecord.objects.filter(household_id=household_id, year=year)
        if instance is not None:
            rows = rows.exclude(pk=instance.pk)
        return rows.exists()


# --- one household, one plan (一户一策) --------------------------------------------------------
class PlanFilter(_HouseholdChildFilter):
    class Meta:
        model = Plan
        fields = ["region", "village", "household"]


class PlanViewSet(_Writes, KeptViewSet):
    """一户一策（每户一份）及其帮扶措施。已有措施的一户一策不能删除。"""

    keeper_kind = "plan"
    model = Plan
    serializer_class = s.KeptPlanSerializer
    create_serializer = s.PlanWriteSerializer
    update_serializer = s.PlanUpdateSerializer
    write_serializer_class = s.PlanWriteSerializer
    filterset_class = PlanFilter
    ordering_fields = ["drawn_up_on", "id"]
    ordering = ["id"]
    instance_kw = "plan"
    services = {
        "record": services.plan_record,
        "update": services.plan_update,
        "delete": services.plan_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("一户一策"))
    descriptions = _descriptions(RULE)

    def optimise(self, queryset):
        return queryset.select_related("household").prefetch_related("measures__owner")

    def is_duplicate(self, data, instance=None):
        household = data.get("household")
        return household is not None and Plan.objects.filter(household=household).exists()


class MeasureFilter(filters.ApiFilterSet):
    region = filters.RegionSubtreeFilter(path_field="plan__household__path")
    household = filters.IdFilter("plan__household_id", _("贫困户编号"))
    plan = filters.IdFilter("plan_id", _("一户一策编号"))
    owner = filters.IdFilter("owner_id", _("责任人编号"))
    status = django_filters.ChoiceFilter(label=_("进度"), choices=MeasureStatus.choices)

    class Meta:
        model = Measure
        fields = ["region", "household", "plan", "owner", "status"]


class MeasureViewSet(_Writes, KeptViewSet):
    """一户一策的帮扶措施：内容、责任人、完成时限、进度。记录走访时可指明推进的措施；被走访
    记录引用的措施不能删除，请修改其进度。"""

    keeper_kind = "measure"
    model = Measure
    serializer_class = s.KeptMeasureSerializer
    create_serializer = s.MeasureWriteSerializer
    update_serializer = s.MeasureUpdateSerializer
    write_serializer_class = s.MeasureWriteSerializer
    filterset_class = MeasureFilter
    ordering_fields = ["deadline", "id"]
    ordering = ["deadline", "id"]
    instance_kw = "measure"
    services = {
        "record": services.measure_record,
        "update": services.measure_update,
        "delete": services.measure_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("帮扶措施"))
    descriptions = _descriptions(RULE)

    def optimise(self, queryset):
        return queryset.select_related("plan", "owner")


# --- household pairings (结对帮扶) ---------------------------------------------------------------
class HouseholdPairingViewSet(_Writes, KeptViewSet):
    """结对帮扶台账：每户与其帮扶责任人的结对（起止日期）。新增、更正、解除（end）、交接
    （handover：原结对在交接日期前一天解除，新结对从交接日期开始）、离任帮扶责任人的全部户一次
    交接（reassign，全部成功或全部不变）。"""

    keeper_kind = "household_pairing"
    model = HouseholdPairing
    serializer_class = read.HouseholdPairingSerializer
    create_serializer = s.HouseholdPairingWriteSerializer
    update_serializer = s.HouseholdPairingUpdateSerializer
    write_serializer_class = s.HouseholdPairingWriteSerializer
    filterset_class = filters.HouseholdPairingFilter
    ordering_fields = ["start_date", "id"]
    ordering = ["-start_date", "id"]
    instance_kw = "pairing"
    services = {
        "record": services.household_pairing_record,
        "update": services.household_pairing_update,
        "end": services.household_pairing_end,
        "delete": services.household_pairing_delete,
    }
    schema_tag = TAG
    summaries = {
        **_summaries(_("结对帮扶"), end=_("解除结对")),
        "list": _("结对帮扶列表"),
        "retrieve": _("结对帮扶详情"),
        "handover": _("交接给其他帮扶责任人"),
        "reassign": _("离任帮扶责任人的全部户一次交接"),
    }
    descriptions = {
        **_descriptions(PAIRING_RULE),
        "handover": PAIRING_RULE,
        "reassign": PAIRING_RULE,
    }

    def optimise(self, queryset):
        return queryset.select_related("household", "helper", "unit")

    def is_duplicate(self, data, instance=None):
        household = data.get("household") or getattr(instance, "household", None)
        helper = data.get("helper") or getattr(instance, "helper", None)
        start = data.get("start_date") or getattr(instance, "start_date", None)
        end = data.get("end_date", getattr(instance, "end_date", None))
        if household is None or helper is None or start is None:
            return False
        rows = HouseholdPairing.objects.filter(household=household, helper=helper).overlapping(
            start, end or datetime.date.max
        )
        if instance is not None:
            rows = rows.exclude(pk=instance.pk)
        return rows.exists()

    def _pairing_out(self, pairing) -> dict:
        fresh = self.get_queryset().filter(pk=pairing.pk).first() or pairing
        return read.HouseholdPairingSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(request=EndSerializer, summary=_("解除结对"))
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request, pk=None):
        return self.end_record(request, pk)

    @extend_schema(request=s.HandoverWriteSerializer, responses=s.HandoverSerializer)
    @action(detail=True, methods=["post"], url_path="handover")
    def handover(self, request, pk=None):
        """交接：原结对在交接日期前一天解除（保留记录），新结对从交接日期开始；交接日期须晚于
        原结对的结对日期。走访按当天的结对计入各自的帮扶责任人。"""
        pairing = self.get_object()
        kept_require(request.user, "household_pairing")
        body = s.HandoverWriteSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        done = saving(
            lambda: services.household_pairing_handover(user=request.user, pairing=pairing, **data)
        )
        return Response({"old": self._pairing_out(done.old), "new": self._pairing_out(done.new)})

    @extend_schema(request=s.ReassignWriteSerializer, responses=s.ReassignResultSerializer)
    @action(detail=False, methods=["post"], url_path="reassign")
    def reassign(self, request):
        """离任帮扶责任人在交接日期生效的全部结对（您可以调整的），一次交给 to_helper，或按
        choices 逐户交给指定的人；任何一户不符合规则就全部不变，错误信息逐户列出。"""
        kept_require(request.user, "household_pairing")
        body = s.ReassignWriteSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        choices = {item["pairing"]: item["helper"] for item in data.pop("choices", [])}
        done = saving(
            lambda: services.household_pairings_reassign(user=request.user, choices=choices, **data)
        )
        return Response(
            {
                "changed": [
                    {"old": self._pairing_out(change.old), "new": self._pairing_out(change.new)}
                    for change in done
                ]
            }
        )


# --- coverage (全覆盖) -----------------------------------------------------------------------
class CoverageFilter(filters.ApiFilterSet):
    region = filters.RegionSubtreeFilter()
    village = filters.IdFilter("village_id", _("村编号"))
    on = django_filters.DateFilter(
        label=_("日期"), method="filter_on", help_text=_("在这一天没有结对（不填为今天）。")
    )

    class Meta:
        model = Household
        fields = ["region", "village", "on"]

    def filter_on(self, queryset, name, value):
        return queryset  # applied by the view (the list is always "on a day")


class CoverageViewSet(ApiViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """未结对的贫困户（全覆盖）：在某一天（on，不填为今天）没有在结对期内的帮扶责任人的户；
    名册上的户不论贫困状态都算（脱贫不脱帮扶）。只读。"""

    model = Household
    serializer_class = s.CoverageSerializer
    filterset_class = CoverageFilter
    ordering_fields = ["path", "head_name", "id"]
    ordering = ["path", "head_name", "id"]
    schema_tag = TAG
    summaries = {"list": _("未结对贫困户列表")}

    def optimise(self, queryset):
        on = timezone.localdate()
        raw = self.request.query_params.get("on")
        if raw:
            # A bad date is refused by the FilterSet with its message (400).
            with contextlib.suppress(ValueError):
                on = datetime.date.fromisoformat(raw)
        in_force = HouseholdPairing.objects.in_force(on).filter(household_id=OuterRef("pk"))
        return queryset.filter(~Exists(in_force)).select_related("village")


ROUTES = [
    ("households", HouseholdViewSet, "household"),
    ("household-members", MemberViewSet, "household-member"),
    ("household-incomes", IncomeViewSet, "household-income"),
    ("household-plans", PlanViewSet, "household-plan"),
    ("plan-measures", MeasureViewSet, "plan-measure"),
    ("household-pairings", HouseholdPairingViewSet, "household-pairing"),
    ("household-coverage", CoverageViewSet, "household-coverage"),
]
