"""Endpoints of the people and their posts (see api/urls.py KEPT_MODULES): cadres (replacing
the read-only list: same fields, masking, filters and ordering) and work teams (likewise), terms
with `recall`, `replace` and `assess`, work-team members, yearly grades, working funds, the
three-person liaison, reserve cadres and talents. Every write calls the service the page form
calls (cadres/services.py): the keeper's role (403), scope (404) and the rules (400 with field
messages) are the same."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from api import filters as api_filters
from api.base import EndSerializer, KeptViewSet, saving
from api.filters import ApiFilterSetMixin, IdFilter
from api.serializers import kept_cadres as s
from cadres import filters as page_filters
from cadres import services
from cadres.models import (
    Cadre,
    Liaison,
    ReserveCadre,
    TalentAssignment,
    Term,
    WorkingFund,
    WorkTeam,
    WorkTeamMember,
    YearlyGrade,
)

TAG = _("干部")
VILLAGE_TAG = _("村级组织与人才")
RULES = _(
    "与网页表单调用同一服务：对象须在您的管辖范围内（否则按不存在处理）；"
    "角色不维护此类记录时返回 403。"
)
ENDED = _("已被其他记录引用的不能删除（返回 400 并说明），请改为结束。")


def _summaries(noun, *, end=None, delete=True) -> dict:
    summaries = {
        "list": _("%(noun)s列表") % {"noun": noun},
        "retrieve": _("%(noun)s详情") % {"noun": noun},
        "create": _("新增%(noun)s") % {"noun": noun},
        "partial_update": _("修改%(noun)s") % {"noun": noun},
    }
    if delete:
        summaries["destroy"] = _("删除%(noun)s") % {"noun": noun}
    if end:
        summaries["end"] = end
    return summaries


def _descriptions(extra="") -> dict:
    text = f"{RULES}{extra}"
    return {"create": text, "partial_update": text, "destroy": f"{RULES}{ENDED}"}


class KeptCadresViewSet(KeptViewSet):
    """The shared parts: the write serializers by action."""

    create_serializer = None
    update_serializer = None

    @property
    def write_serializer_classes(self):
        return {"create": self.create_serializer, "partial_update": self.update_serializer}


# --- cadres ------------------------------------------------------------------------------------
class ApiCadreFilter(api_filters.CadreFilter):
    active = django_filters.BooleanFilter(label=_("今天在岗"), method="filter_active")

    class Meta(api_filters.CadreFilter.Meta):
        fields = [*api_filters.CadreFilter.Meta.fields, "active"]

    filter_active = page_filters.CadreFilter.filter_active


class CadreViewSet(KeptCadresViewSet):
    """干部：驻村干部、第一书记、帮扶责任人、包联领导、下派人才。不含身份证号。组织部门维护全部；
    帮扶单位联络人维护本单位的帮扶责任人；驻村干部只能修改本人的手机号和电子邮箱。"""

    model = Cadre
    serializer_class = s.KeptCadreSerializer
    create_serializer = s.CadreWriteSerializer
    update_serializer = s.CadreUpdateSerializer
    filterset_class = ApiCadreFilter
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]
    instance_kw = "cadre"
    services = {
        "record": services.cadre_record,
        "update": services.cadre_update,
        "end": services.cadre_end,
        "delete": services.cadre_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("干部"), end=_("干部离任（填写离任日期）"))
    descriptions = {
        **_descriptions(_("同一身份证号只能登记一次。")),
        "partial_update": _(
            "组织部门可修改全部字段；帮扶单位联络人只能修改本单位帮扶责任人；"
            "驻村干部只能修改本人的 phone 和 email，其他字段返回 400，他人的记录返回 404。"
        ),
    }

    def optimise(self, queryset):
        return queryset.select_related("unit", "home_region")

    @extend_schema(request=EndSerializer, summary=_("干部离任（填写离任日期）"))
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request, pk=None):
        return self.end_record(request, pk)


# --- work teams --------------------------------------------------------------------------------
class WorkTeamViewSet(KeptCadresViewSet):
    """驻村工作队及其成员和所驻村。成员的增减见 work-team-members。"""

    model = WorkTeam
    serializer_class = s.KeptWorkTeamSerializer
    create_serializer = s.WorkTeamWriteSerializer
    update_serializer = s.WorkTeamUpdateSerializer
    filterset_class = api_filters.WorkTeamFilter
    ordering_fields = ["name", "start_date", "id"]
    ordering = ["name", "id"]
    instance_kw = "work_team"
    services = {
        "record": services.work_team_record,
        "update": services.work_team_update,
        "end": services.work_team_end,
        "delete": services.work_team_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("驻村工作队"), end=_("工作队期满撤离（填写结束日期）"))
    descriptions = _descriptions(_("同一干部同一时间只能在一个工作队。"))

    def optimise(self, queryset):
        return queryset.select_related("dispatching_unit").prefetch_related(
            Prefetch("members", queryset=WorkTeamMember.objects.select_related("cadre", "team")),
            "villages",
        )

    @extend_schema(request=EndSerializer, summary=_("工作队期满撤离（填写结束日期）"))
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request, pk=None):
        return self.end_record(request, pk)


class ApiWorkTeamMemberFilter(api_filters.ApiFilterSet):
    team = IdFilter("team_id", _("工作队编号"))
    cadre = IdFilter("cadre_id", _("干部编号"))
    in_force_on = api_filters.InForceFilter(label=_("在该日期在队"))

    class Meta:
        model = WorkTeamMember
        fields = ["team", "cadre", "in_force_on"]


class WorkTeamMemberViewSet(KeptCadresViewSet):
    """工作队成员：入队、离队（end）。同一干部同一时间只能在一个工作队，每队同一时间一名队长。"""

    model = WorkTeamMember
    serializer_class = s.WorkTeamMemberRowSerializer
    create_serializer = s.WorkTeamMemberWriteSerializer
    update_serializer = s.WorkTeamMemberUpdateSerializer
    filterset_class = ApiWorkTeamMemberFilter
    ordering_fields = ["id", "start_date"]
    ordering = ["id"]
    instance_kw = "member"
    services = {
        "record": services.work_team_member_record,
        "update": services.work_team_member_update,
        "end": services.work_team_member_end,
        "delete": services.work_team_member_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("工作队成员"), end=_("成员离队（填写离队日期）"))
    descriptions = _descriptions(_("同一干部同一时间只能在一个工作队。"))

    def optimise(self, queryset):
        return queryset.select_related("team", "cadre")

    @extend_schema(request=EndSerializer, summary=_("成员离队（填写离队日期）"))
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request, pk=None):
        return self.end_record(request, pk)


# --- terms -------------------------------------------------------------------------------------
class ApiTermFilter(ApiFilterSetMixin, page_filters.TermFilter):
    region = api_filters.RegionSubtreeFilter(path_field="village__path")
    cadre = IdFilter("cadre_id", _("干部编号"))
    in_force_on = api_filters.InForceFilter(label=_("在该日期在任"))

    class Meta(page_filters.TermFilter.Meta):
        fields = [*page_filters.TermFilter.Meta.fields, "region", "cadre", "in_force_on"]


class TermViewSet(KeptCadresViewSet):
    """驻村任期（驻村干部、第一书记）。召回（recall）须填写日期和原因，任期于当日结束；替换
    （replace）由记录的审核人员审批：原任期于接替前一天结束，新任期当日开始，两者关联。"""

    model = Term
    serializer_class = s.TermSerializer
    create_serializer = s.TermWriteSerializer
    update_serializer = s.TermUpdateSerializer
    filterset_class = ApiTermFilter
    ordering_fields = ["start_date", "end_date", "id"]
    ordering = ["-start_date", "-id"]
    instance_kw = "term"
    services = {
        "record": services.term_record,
        "update": services.term_update,
        "delete": services.term_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("驻村任期"))
    descriptions = _descriptions(
        _("任期结束日期不能早于开始日期；同一干部同一时间只能有一个同一身份的任期。")
    )

    def optimise(self, queryset):
        return queryset.select_related(
            "cadre", "village", "dispatching_unit", "approved_by", "replaced_by"
        )

    def _act(self, request, serializer_class, call, status=200):
        term = self.get_object()
        serializer = serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        obj = saving(lambda: call(user=request.user, term=term, **data))
        return Response(self.get_serializer(self.reread(obj)).data, status=status)

    @extend_schema(request=s.RecallSerializer, summary=_("召回（任期于召回当日结束）"))
    @action(detail=True, methods=["post"], url_path="recall")
    def recall(self, request, pk=None):
        return self._act(request, s.RecallSerializer, services.term_recall)

    @extend_schema(
        request=s.ReplaceSerializer,
        responses={201: s.TermSerializer},
        summary=_("替换干部（返回新任期）"),
    )
    @action(detail=True, methods=["post"], url_path="replace")
    def replace(self, request, pk=None):
        return self._act(request, s.ReplaceSerializer, services.term_replace, status=201)

    @extend_schema(request=s.AssessSerializer, summary=_("登记期满考核"))
    @action(detail=True, methods=["post"], url_path="assess")
    def assess(self, request, pk=None):
        return self._act(request, s.AssessSerializer, services.term_assess)


# --- yearly grades and working funds -------------------------------------------------------------
class ApiYearlyGradeFilter(ApiFilterSetMixin, page_filters.YearlyGradeFilter):
    cadre = IdFilter("cadre_id", _("干部编号"))

    class Meta(page_filters.YearlyGradeFilter.Meta):
        fields = [*page_filters.YearlyGradeFilter.Meta.fields, "cadre"]


class YearlyGradeViewSet(KeptCadresViewSet):
    """干部年度考核等次（优秀、称职、基本称职、不称职），每人每年一条，重复登记返回 409。"""

    model = YearlyGrade
    serializer_class = s.YearlyGradeSerializer
    create_serializer = s.YearlyGradeWriteSerializer
    update_serializer = s.YearlyGradeUpdateSerializer
    filterset_class = ApiYearlyGradeFilter
    ordering_fields = ["year", "id"]
    ordering = ["-year", "id"]
    instance_kw = "yearly_grade"
    services = {
        "record": services.yearly_grade_record,
        "update": services.yearly_grade_update,
        "delete": services.yearly_grade_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("年度考核"))
    descriptions = _descriptions(_("每人每年一条。"))

    def optimise(self, queryset):
        return queryset.select_related("cadre")

    def is_duplicate(self, data, instance=None):
        cadre_id = data["cadre"].pk if "cadre" in data else getattr(instance, "cadre_id", None)
        year = data.get("year", getattr(instance, "year", None))
        rows = YearlyGrade.objects.filter(cadre_id=cadre_id, year=year)
        if instance is not None:
            rows = rows.exclude(pk=instance.pk)
        return rows.exists()


class ApiWorkingFundFilter(ApiFilterSetMixin, page_filters.WorkingFundFilter):
    cadre = IdFilter("cadre_id", _("干部编号"))

    class Meta(page_filters.WorkingFundFilter.Meta):
        fields = [*page_filters.WorkingFundFilter.Meta.fields, "cadre"]


class WorkingFundViewSet(KeptCadresViewSet):
    """第一书记工作经费，按年度登记（每年可有多笔）。"""

    model = WorkingFund
    serializer_class = s.WorkingFundSerializer
    create_serializer = s.WorkingFundWriteSerializer
    update_serializer = s.WorkingFundUpdateSerializer
    filterset_class = ApiWorkingFundFilter
    ordering_fields = ["year", "granted_on", "id"]
    ordering = ["-year", "id"]
    instance_kw = "fund"
    services = {
        "record": services.working_fund_record,
        "update": services.working_fund_update,
        "delete": services.working_fund_delete,
    }
    schema_tag = TAG
    summaries = _summaries(_("工作经费"))
    descriptions = _descriptions()

    def optimise(self, queryset):
        return queryset.select_related("cadre")


# --- the three-person liaison, reserve cadres, talents -------------------------------------------
class ApiLiaisonFilter(ApiFilterSetMixin, page_filters.LiaisonFilter):
    region = api_filters.RegionSubtreeFilter(path_field="village__path")

    class Meta(page_filters.LiaisonFilter.Meta):
        fields = [*page_filters.LiaisonFilter.Meta.fields, "region"]


class LiaisonViewSet(KeptCadresViewSet):
    """三人联络：每个结对村的村联络人、派驻干部联络人、企业归集负责人，每种一名（重复返回 409）。
    由乡镇工作人员维护。"""

    model = Liaison
    serializer_class = s.LiaisonSerializer
    create_serializer = s.LiaisonWriteSerializer
    update_serializer = s.LiaisonUpdateSerializer
    filterset_class = ApiLiaisonFilter
    ordering_fields = ["id", "role"]
    ordering = ["village_id", "role", "id"]
    instance_kw = "liaison"
    services = {
        "record": services.liaison_record,
        "update": services.liaison_update,
        "delete": services.liaison_delete,
    }
    schema_tag = VILLAGE_TAG
    summaries = _summaries(_("三人联络"))
    descriptions = _descriptions(_("每村每种联络人一名。"))

    def optimise(self, queryset):
        return queryset.select_related("village", "cadre", "unit")

    def is_duplicate(self, data, instance=None):
        if instance is not None or "village" not in data:
            return False
        return Liaison.objects.filter(village=data["village"], role=data.get("role")).exists()


class ApiReserveCadreFilter(ApiFilterSetMixin, page_filters.ReserveCadreFilter):
    region = api_filters.RegionSubtreeFilter(path_field="village__path")

    class Meta(page_filters.ReserveCadreFilter.Meta):
        fields = [*page_filters.ReserveCadreFilter.Meta.fields, "region"]


class ReserveCadreViewSet(KeptCadresViewSet):
    """村级后备干部（一人一档），由乡镇工作人员维护；退出后备用 end（档案保留）。"""

    model = ReserveCadre
    serializer_class = s.ReserveCadreSerializer
    create_serializer = s.ReserveCadreWriteSerializer
    update_serializer = s.ReserveCadreUpdateSerializer
    filterset_class = ApiReserveCadreFilter
    ordering_fields = ["name", "added_on", "id"]
    ordering = ["village_id", "name", "id"]
    instance_kw = "reserve"
    services = {
        "record": services.reserve_cadre_record,
        "update": services.reserve_cadre_update,
        "end": services.reserve_cadre_end,
        "delete": services.reserve_cadre_delete,
    }
    schema_tag = VILLAGE_TAG
    summaries = _summaries(_("后备干部"), end=_("退出后备（填写退出日期）"))
    descriptions = _descriptions()

    def optimise(self, queryset):
        return queryset.select_related("village")

    @extend_schema(request=EndSerializer, summary=_("退出后备（填写退出日期）"))
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request, pk=None):
        return self.end_record(request, pk)


class ApiTalentFilter(ApiFilterSetMixin, page_filters.TalentFilter):
    region = api_filters.RegionSubtreeFilter(path_field="village__path")
    cadre = IdFilter("cadre_id", _("人才（干部）编号"))

    class Meta(page_filters.TalentFilter.Meta):
        fields = [*page_filters.TalentFilter.Meta.fields, "region", "cadre"]


class TalentAssignmentViewSet(KeptCadresViewSet):
    """下派专业人才及其挂钩的村，由乡镇工作人员维护；可同时登记新人才（name、phone、unit）。"""

    model = TalentAssignment
    serializer_class = s.TalentAssignmentSerializer
    create_serializer = s.TalentAssignmentWriteSerializer
    update_serializer = s.TalentAssignmentUpdateSerializer
    filterset_class = ApiTalentFilter
    ordering_fields = ["start_date", "id"]
    ordering = ["-start_date", "-id"]
    instance_kw = "talent"
    services = {
        "record": services.talent_assignment_record,
        "update": services.talent_assignment_update,
        "end": services.talent_assignment_end,
        "delete": services.talent_assignment_delete,
    }
    schema_tag = VILLAGE_TAG
    summaries = _summaries(_("下派人才"), end=_("结束挂钩（填写结束日期）"))
    descriptions = _descriptions()

    def optimise(self, queryset):
        return queryset.select_related("cadre", "village")

    @extend_schema(request=EndSerializer, summary=_("结束挂钩（填写结束日期）"))
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request, pk=None):
        return self.end_record(request, pk)


ROUTES: list = [
    ("cadres", CadreViewSet, "cadre"),
    ("work-teams", WorkTeamViewSet, "work-team"),
    ("work-team-members", WorkTeamMemberViewSet, "work-team-member"),
    ("terms", TermViewSet, "term"),
    ("yearly-grades", YearlyGradeViewSet, "yearly-grade"),
    ("working-funds", WorkingFundViewSet, "working-fund"),
    ("liaisons", LiaisonViewSet, "liaison"),
    ("reserve-cadres", ReserveCadreViewSet, "reserve-cadre"),
    ("talent-assignments", TalentAssignmentViewSet, "talent-assignment"),
]
