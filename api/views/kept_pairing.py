"""Endpoints of kept records (see api/urls.py KEPT_MODULES): helping units, their Party
organisations, organisation pairings with their participants and yearly plans, the units'
projects and donations (writes through pairing/services.py, the same services as the pages),
and the units' yearly assessments (read only).

"units", "party-organisations" and "pairings" replace the read-only endpoints of
api/views/reference.py: the same rows, fields (plus the end date), filters and ordering."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated

from api import filters
from api.base import EndSerializer, KeptViewSet, ScopedReadOnlyViewSet
from api.serializers import kept_pairing as s
from api.serializers import reference as ref
from assessments.models import UnitAssessment
from core.keepers import KIND_LABELS, may_keep
from core.scope import Role, scope_of
from pairing import services
from pairing.models import (
    Donation,
    Pairing,
    PairingParticipant,
    PairingYearPlan,
    PartyOrganisation,
    Project,
    ProjectStatus,
    Unit,
)

TAG = _("单位与结对")
KEPT_RULE = _(
    "与网页表单调用同一服务：党组工作部审核人员维护其管辖区划内的单位、党组织和结对；"
    "对象须在您的管辖范围内（否则按不存在处理）；被其他记录引用的不能删除，请改为结束（撤销）。"
)
UNIT_RULE = _(
    "与网页表单调用同一服务：帮扶单位联络人维护本单位的记录，审核人员可以更正；"
    "对象须在您的管辖范围内（否则按不存在处理）。"
)


class KeepsKind(BasePermission):
    """A write by a role that does not keep the kind (core.keepers) is refused (403) before the
    body is read: a new record at once, a change once the record is found (an id outside the
    scope stays a 404). The services check the same rule, and scope, again."""

    CHANGES = {"partial_update", "update", "destroy", "end"}

    def _keeps(self, request, view) -> bool:
        self.message = _("您的角色不能维护%(kind)s。") % {"kind": KIND_LABELS[view.keeper_kind]}
        return may_keep(request.user, view.keeper_kind)

    def has_permission(self, request, view):
        if getattr(view, "action", None) == "create":
            return self._keeps(request, view)
        return True

    def has_object_permission(self, request, view, obj):
        if getattr(view, "action", None) in self.CHANGES:
            return self._keeps(request, view)
        return True


class StructureViewSet(KeptViewSet):
    permission_classes = [IsAuthenticated, KeepsKind]
    keeper_kind = ""


def _summaries(noun, *, end=None, delete=True):
    out = {
        "list": _("%(noun)s列表") % {"noun": noun},
        "retrieve": _("%(noun)s详情") % {"noun": noun},
        "create": _("新增%(noun)s") % {"noun": noun},
        "partial_update": _("修改%(noun)s") % {"noun": noun},
    }
    if delete:
        out["destroy"] = _("删除%(noun)s") % {"noun": noun}
    if end:
        out["end"] = end
    return out


def _descriptions(rule):
    return {name: rule for name in ("create", "partial_update", "destroy", "end")}


# --- filters of the new lists ----------------------------------------------------------------
class ParticipantFilter(filters.ApiFilterSet):
    pairing = filters.IdFilter("pairing_id", _("结对编号"))
    organisation = filters.IdFilter("organisation_id", _("党组织编号"))
    unit = filters.IdFilter("organisation__unit_id", _("参与单位编号"))

    class Meta:
        model = PairingParticipant
        fields = ["pairing", "organisation", "unit"]


class YearPlanFilter(filters.ApiFilterSet):
    pairing = filters.IdFilter("pairing_id", _("结对编号"))
    year = filters.YearFilter("year", _("年度"))

    class Meta:
        model = PairingYearPlan
        fields = ["pairing", "year"]


class ProjectFilter(filters.ApiFilterSet):
    region = filters.RegionSubtreeFilter(path_field="village__path")
    village = filters.IdFilter("village_id", _("村编号"))
    unit = filters.IdFilter("unit_id", _("单位编号"))
    pairing = filters.IdFilter("pairing_id", _("结对编号"))
    year = filters.YearFilter("year", _("年度"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ProjectStatus.choices)

    class Meta:
        model = Project
        fields = ["region", "village", "unit", "pairing", "year", "status"]


class DonationFilter(filters.ApiFilterSet):
    region = filters.RegionSubtreeFilter(path_field="village__path")
    village = filters.IdFilter("village_id", _("村编号"))
    unit = filters.IdFilter("unit_id", _("单位编号"))
    date_from, date_to = filters.date_range("donated_on")

    class Meta:
        model = Donation
        fields = ["region", "village", "unit", "date_from", "date_to"]


class UnitAssessmentFilter(filters.ApiFilterSet):
    unit = filters.IdFilter("unit_id", _("单位编号"))
    year = filters.YearFilter("year", _("年度"))

    class Meta:
        model = UnitAssessment
        fields = ["unit", "year"]


# --- units, organisations, pairings (the reference reads, with writes) -----------------------
class UnitViewSet(StructureViewSet):
    """帮扶单位（企业、机关、高校、医院、金融机构等）：您管辖区划内的，或与您管辖的村结对的。
    审核人员新增、修改、撤销其管辖区划内的单位；被引用的单位不能删除，请撤销（end）。"""

    keeper_kind = "unit"
    model = Unit
    serializer_class = s.KeptUnitSerializer
    write_serializer_class = s.UnitWriteSerializer
    filterset_class = filters.UnitFilter
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]
    instance_kw = "unit"
    services = {
        "record": services.unit_record,
        "update": services.unit_update,
        "end": services.unit_end,
        "delete": services.unit_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("帮扶单位"), end=_("撤销帮扶单位"))
    descriptions = _descriptions(KEPT_RULE)

    def is_duplicate(self, data, instance=None):
        name = (data.get("name") or "").strip()
        return (
            bool(name)
            and Unit.objects.filter(name=name).exclude(pk=getattr(instance, "pk", None)).exists()
        )

    @extend_schema(request=EndSerializer, summary=_("撤销帮扶单位"))
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request, pk=None):
        return self.end_record(request, pk)


class PartyOrganisationViewSet(StructureViewSet):
    """党组织：单位的党委、党总支、党支部、党组，以及村党支部。隶属关系为党委 › 党总支 ›
    党支部，上级须属于同一单位（村）。"""

    keeper_kind = "party_organisation"
    model = PartyOrganisation
    serializer_class = s.KeptPartyOrganisationSerializer
    write_serializer_class = s.PartyOrganisationWriteSerializer
    filterset_class = filters.PartyOrganisationFilter
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]
    instance_kw = "organisation"
    services = {
        "record": services.organisation_record,
        "update": services.organisation_update,
        "end": services.organisation_end,
        "delete": services.organisation_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("党组织"), end=_("撤销党组织"))
    descriptions = _descriptions(KEPT_RULE)

    def optimise(self, queryset):
        return queryset.select_related("unit", "village")

    def is_duplicate(self, data, instance=None):
        unit = data["unit"] if "unit" in data else getattr(instance, "unit", None)
        name = (data.get("name", getattr(instance, "name", "")) or "").strip()
        if unit is None or not name:
            return False
        rows = PartyOrganisation.objects.filter(unit=unit, name=name)
        return rows.exclude(pk=getattr(instance, "pk", None)).exists()

    @extend_schema(request=EndSerializer, summary=_("撤销党组织"))
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request, pk=None):
        return self.end_record(request, pk)


class PairingViewSet(StructureViewSet):
    """结对共建、1+1+1+N 党建扶贫与定点帮扶。审核人员维护其管辖区划内的结对；参与单位和
    年度工作计划见 pairing-participants、pairing-year-plans。"""

    keeper_kind = "pairing"
    model = Pairing
    serializer_class = ref.PairingSerializer
    write_serializer_class = s.PairingWriteSerializer
    filterset_class = filters.PairingFilter
    ordering_fields = ["start_date", "name", "id"]
    ordering = ["-start_date", "id"]
    instance_kw = "pairing"
    services = {
        "record": services.pairing_record,
        "update": services.pairing_update,
        "end": services.pairing_end,
        "delete": services.pairing_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("结对"), end=_("结束结对"))
    descriptions = _descriptions(KEPT_RULE)

    def optimise(self, queryset):
        return queryset.select_related("lead_unit", "village").prefetch_related("participants")

    @extend_schema(request=EndSerializer, summary=_("结束结对"))
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request, pk=None):
        return self.end_record(request, pk)


def _pairings_in_scope(user):
    return Pairing.objects.visible_to(user).values("pk")


class PairingParticipantViewSet(StructureViewSet):
    """结对的参与单位（参与党组织）：同一单位在一个结对中只列入一次，牵头单位不再列入。
    添加（POST）和移除（DELETE）；不修改，换人请移除后重新添加。"""

    keeper_kind = "pairing"
    model = PairingParticipant
    serializer_class = s.ParticipantSerializer
    write_serializer_class = s.ParticipantWriteSerializer
    filterset_class = ParticipantFilter
    ordering_fields = ["id"]
    ordering = ["pairing_id", "id"]
    http_method_names = ["get", "post", "delete", "head", "options"]
    instance_kw = "participant"
    services = {"record": services.participant_record, "delete": services.participant_delete}
    schema_tag = TAG
    summaries = {
        "list": _("参与单位列表"),
        "retrieve": _("参与单位详情"),
        "create": _("添加参与单位"),
        "destroy": _("移除参与单位"),
    }
    descriptions = _descriptions(KEPT_RULE)

    def scoped(self):
        return PairingParticipant.objects.filter(pairing__in=_pairings_in_scope(self.request.user))

    def optimise(self, queryset):
        return queryset.select_related("pairing", "organisation__unit")

    def is_duplicate(self, data, instance=None):
        return PairingParticipant.objects.filter(
            pairing=data.get("pairing"), organisation=data.get("organisation")
        ).exists()


class PairingYearPlanViewSet(StructureViewSet):
    """结对的年度工作计划（三年规划下每年一份，年度须在结对期内）。"""

    keeper_kind = "pairing"
    model = PairingYearPlan
    serializer_class = s.YearPlanSerializer
    write_serializer_class = s.YearPlanWriteSerializer
    filterset_class = YearPlanFilter
    ordering_fields = ["year", "id"]
    ordering = ["pairing_id", "year", "id"]
    instance_kw = "year_plan"
    services = {
        "record": services.year_plan_record,
        "update": services.year_plan_update,
        "delete": services.year_plan_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("年度工作计划"))
    descriptions = _descriptions(KEPT_RULE)

    @property
    def write_serializer_classes(self):
        return {
            "create": s.YearPlanWriteSerializer,
            "partial_update": s.YearPlanUpdateSerializer,
        }

    def scoped(self):
        return PairingYearPlan.objects.filter(pairing__in=_pairings_in_scope(self.request.user))

    def optimise(self, queryset):
        return queryset.select_related("pairing")

    def is_duplicate(self, data, instance=None):
        pairing = data.get("pairing") or getattr(instance, "pairing", None)
        year = data.get("year", getattr(instance, "year", None))
        rows = PairingYearPlan.objects.filter(pairing=pairing, year=year)
        return rows.exclude(pk=getattr(instance, "pk", None)).exists()


# --- projects and donations ---------------------------------------------------------------
class ProjectViewSet(StructureViewSet):
    """帮扶项目及其直接投入、协调引进资金（元）。帮扶单位联络人维护本单位的项目。"""

    keeper_kind = "project"
    model = Project
    serializer_class = s.ProjectSerializer
    write_serializer_class = s.ProjectWriteSerializer
    filterset_class = ProjectFilter
    ordering_fields = ["year", "name", "id"]
    ordering = ["-year", "name", "id"]
    instance_kw = "project"
    services = {
        "record": services.project_record,
        "update": services.project_update,
        "delete": services.project_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("帮扶项目"))
    descriptions = _descriptions(UNIT_RULE)

    def optimise(self, queryset):
        return queryset.select_related("unit", "village", "pairing")


class DonationViewSet(StructureViewSet):
    """党员自愿捐款。帮扶单位联络人登记本单位的捐款。"""

    keeper_kind = "donation"
    model = Donation
    serializer_class = s.DonationSerializer
    write_serializer_class = s.DonationWriteSerializer
    filterset_class = DonationFilter
    ordering_fields = ["donated_on", "amount", "id"]
    ordering = ["-donated_on", "-id"]
    instance_kw = "donation"
    services = {
        "record": services.donation_record,
        "update": services.donation_update,
        "delete": services.donation_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("党员捐款"))
    descriptions = _descriptions(UNIT_RULE)

    def optimise(self, queryset):
        return queryset.select_related("unit", "village", "organisation")


# --- the units' yearly assessments ----------------------------------------------------------
class UnitAssessmentViewSet(ScopedReadOnlyViewSet):
    """单位年度考核：指标平均达标率、应得等次、是否受三捆绑限制、最高可评等次及限制原因。
    审核人员看其管辖范围内的单位，帮扶单位联络人看本单位；其他角色列表为空、详情为 404。"""

    model = UnitAssessment
    serializer_class = s.UnitAssessmentSerializer
    filterset_class = UnitAssessmentFilter
    ordering_fields = ["year", "id"]
    ordering = ["-year", "unit_id", "id"]
    schema_tag = _("考核")
    summaries = {"list": _("单位年度考核列表"), "retrieve": _("单位年度考核详情")}

    def scoped(self):
        # The same readers as the unit's assessment page (assessments:unit).
        user = self.request.user
        if user.is_reviewer:
            return UnitAssessment.objects.filter(unit__in=Unit.objects.visible_to(user))
        if user.role == Role.COORDINATOR:
            return UnitAssessment.objects.filter(unit_id__in=scope_of(user).own_unit_ids())
        return UnitAssessment.objects.none()

    def optimise(self, queryset):
        return queryset.select_related("unit")


ROUTES: list = [
    ("units", UnitViewSet, "unit"),
    ("party-organisations", PartyOrganisationViewSet, "party-organisation"),
    ("pairings", PairingViewSet, "pairing"),
    ("pairing-participants", PairingParticipantViewSet, "pairing-participant"),
    ("pairing-year-plans", PairingYearPlanViewSet, "pairing-year-plan"),
    ("projects", ProjectViewSet, "project"),
    ("donations", DonationViewSet, "donation"),
    ("unit-assessments", UnitAssessmentViewSet, "unit-assessment"),
]
