"""Endpoints of monitoring against relapse (see api/urls.py KEPT_MODULES): every record and
every step has a resource or an action, written through monitoring/services.py (the services the
pages call: the role of each step, 403; scope, 404; the order of the steps, the notice minimums
and the conditions of a risk removal, 400 with the reason), read through monitoring/selectors.py
(a clue's days and whether it is late, the next step, a removal's checks)."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api import filters as api_filters
from api.base import ApiViewMixin, KeptViewSet, saving
from api.parsers import SafeJSONParser
from api.serializers import kept_monitoring as s
from monitoring import selectors, services
from monitoring.filters import CaseFilter, ClueFilter, NoticeFilter, RangeFilter
from monitoring.models import (
    HouseholdFinance,
    HouseholdReview,
    MonitoringCase,
    MonitoringMeasure,
    MonitoringRange,
    MonitoringStep,
    PublicNotice,
    RiskClue,
    RiskRemoval,
)

TAG = _("防止返贫监测")
SCOPE_RULE = _(
    "与网页调用同一服务：对象须在您的管辖范围内（否则为 404）；角色不办理该环节的为 403；"
    "不符合规则的为 400，错误信息写明原因。"
)


# --- filters (the pages' FilterSets with the API's strict parameters) -------------------------
class ApiClueFilter(api_filters.ApiFilterSetMixin, ClueFilter):
    region = api_filters.RegionSubtreeFilter(path_field="path")
    household = api_filters.IdFilter("household", _("户编号"))

    class Meta(ClueFilter.Meta):
        fields = [*ClueFilter.Meta.fields, "region", "household"]


class ApiCaseFilter(api_filters.ApiFilterSetMixin, CaseFilter):
    region = api_filters.RegionSubtreeFilter(path_field="path")
    household = api_filters.IdFilter("household", _("户编号"))

    class Meta(CaseFilter.Meta):
        fields = [*CaseFilter.Meta.fields, "region", "household"]


class ApiNoticeFilter(api_filters.ApiFilterSetMixin, NoticeFilter):
    region = api_filters.RegionSubtreeFilter(path_field="path")
    village = api_filters.IdFilter("village", _("村编号"))

    class Meta(NoticeFilter.Meta):
        fields = [*NoticeFilter.Meta.fields, "region", "village"]


class ApiRangeFilter(api_filters.ApiFilterSetMixin, RangeFilter):
    region = api_filters.IdFilter("region", _("区划编号"))


class ApiStepFilter(api_filters.ApiFilterSet):
    case = api_filters.IdFilter("case", _("监测对象编号"))
    removal = api_filters.IdFilter("removal", _("风险消除编号"))
    procedure = django_filters.ChoiceFilter(
        label=_("程序"), choices=MonitoringStep._meta.get_field("procedure").choices
    )

    class Meta:
        model = MonitoringStep
        fields = ["case", "removal", "procedure"]


class ApiRemovalFilter(api_filters.ApiFilterSet):
    case = api_filters.IdFilter("case", _("监测对象编号"))
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=RiskRemoval._meta.get_field("status").choices
    )

    class Meta:
        model = RiskRemoval
        fields = ["case", "status"]


class ApiMeasureFilter(api_filters.ApiFilterSet):
    case = api_filters.IdFilter("case", _("监测对象编号"))
    kind = django_filters.ChoiceFilter(
        label=_("措施类别"), choices=MonitoringMeasure._meta.get_field("kind").choices
    )
    status = django_filters.ChoiceFilter(
        label=_("落实情况"), choices=MonitoringMeasure._meta.get_field("status").choices
    )

    class Meta:
        model = MonitoringMeasure
        fields = ["case", "kind", "status"]


class ApiFinanceFilter(api_filters.ApiFilterSet):
    household = api_filters.IdFilter("household", _("户编号"))
    year = api_filters.YearFilter("year", _("年度"))

    class Meta:
        model = HouseholdFinance
        fields = ["household", "year"]


class ApiReviewFilter(api_filters.ApiFilterSet):
    village = api_filters.IdFilter("village", _("村编号"))
    household = api_filters.IdFilter("household", _("户编号"))
    year = api_filters.YearFilter("year", _("年度"))
    outcome = django_filters.ChoiceFilter(
        label=_("评议结果"), choices=HouseholdReview._meta.get_field("outcome").choices
    )

    class Meta:
        model = HouseholdReview
        fields = ["village", "household", "year", "outcome"]


def _summaries(noun, **extra):
    return {
        "list": _("%(noun)s列表") % {"noun": noun},
        "retrieve": _("%(noun)s详情") % {"noun": noun},
        "create": _("新增%(noun)s") % {"noun": noun},
        "partial_update": _("修改%(noun)s") % {"noun": noun},
        "destroy": _("删除%(noun)s") % {"noun": noun},
        **extra,
    }


class MonitoringViewSet(KeptViewSet):
    schema_tag = TAG
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    create_serializer = None
    update_serializer = None
    keeper_kind = ""  # monitoring.services' rule for a new record: a 403 before the body

    def create(self, request, *args, **kwargs):
        services.require_monitor(request.user, self.keeper_kind)
        return super().create(request, *args, **kwargs)

    @property
    def write_serializer_classes(self):
        return {"create": self.create_serializer, "partial_update": self.update_serializer}

    def out(self, obj, status=200):
        return Response(self.get_serializer(self.reread(obj)).data, status=status)

    def body(self, serializer_class) -> dict:
        body = serializer_class(data=self.request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)


# --- the monitoring range ---------------------------------------------------------------------
class MonitoringRangeViewSet(MonitoringViewSet):
    """监测范围：各年度农村居民人均纯收入标准（元/人·年），由省设定，市、县另行设定的以下级为准。
    列表含您所在区划以上设定的（适用于您的户）；只有本区划及下级的可由审核人员修改。"""

    model = MonitoringRange
    serializer_class = s.MonitoringRangeSerializer
    create_serializer = s.MonitoringRangeWriteSerializer
    update_serializer = s.MonitoringRangeUpdateSerializer
    filterset_class = ApiRangeFilter
    ordering_fields = ["year", "id"]
    ordering = ["-year", "id"]
    keeper_kind = "monitoring_range"
    instance_kw = "monitoring_range"
    services = {
        "record": services.range_record,
        "update": services.range_update,
        "delete": services.range_delete,
    }
    summaries = _summaries(_("监测范围"))
    descriptions = {"create": SCOPE_RULE, "partial_update": SCOPE_RULE, "destroy": SCOPE_RULE}

    def scoped(self):
        return selectors.ranges_applying_to(self.request.user)

    def optimise(self, queryset):
        return queryset.select_related("region")

    def is_duplicate(self, data, instance=None):
        if instance is not None:
            return False
        return MonitoringRange.objects.filter(region=data["region"], year=data["year"]).exists()


# --- risk clues ---------------------------------------------------------------------------------
class RiskClueViewSet(MonitoringViewSet):
    """风险线索：农户自主申报、基层干部排查、部门筛查预警。农户申报须在 2 天内受理，每条线索须在
    接报后 15 天内办结（县里可另行设定）；deadline 和 acceptance_deadline 给出天数和是否超期。"""

    model = RiskClue
    serializer_class = s.RiskClueSerializer
    create_serializer = s.RiskClueWriteSerializer
    update_serializer = s.RiskClueUpdateSerializer
    filterset_class = ApiClueFilter
    ordering_fields = ["received_on", "decided_on", "id"]
    ordering = ["-received_on", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    keeper_kind = "risk_clue"
    instance_kw = "clue"
    services = {"record": services.clue_record, "update": services.clue_update}
    summaries = _summaries(
        _("风险线索"),
        accept=_("受理农户申报"),
        decide=_("直接办结风险线索（不予识别或已是监测对象）"),
        screening=_("乡镇排查名单"),
        raise_clues=_("为排查名单中选中的户登记风险线索"),
    )
    descriptions = {
        "create": _("乡镇工作人员为本乡镇、驻村干部为所驻村的户登记。") + SCOPE_RULE,
        "partial_update": _("只能修改尚未启动识别、尚未办结的线索。") + SCOPE_RULE,
        "accept": SCOPE_RULE,
        "decide": _("已启动识别的线索由监测对象的县级审定或“不予识别”办结。") + SCOPE_RULE,
    }

    def optimise(self, queryset):
        return queryset.select_related("household", "village", "township", "received_by")

    @extend_schema(request=s.ClueAcceptSerializer, responses=s.RiskClueSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        clue = self.get_object()
        data = self.body(s.ClueAcceptSerializer)
        return self.out(saving(lambda: services.clue_accept(user=request.user, clue=clue, **data)))

    @extend_schema(request=s.ClueDecideSerializer, responses=s.RiskClueSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        clue = self.get_object()
        data = self.body(s.ClueDecideSerializer)
        return self.out(saving(lambda: services.clue_decide(user=request.user, clue=clue, **data)))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "township",
                {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
                required=True,
                description=_("乡镇区划编号（须在您的管辖范围内）。"),
            )
        ],
        responses=s.MonitoringScreeningRowSerializer(many=True),
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def screening(self, request):
        """最近一年人均纯收入在监测范围内、高于监测范围不足 1.5 倍，或较上年下降 30% 以上的户
        （倍数和降幅县里可另行设定）；can_raise 为 false 的户已有进行中的监测或未办结的线索。"""
        query = s.MonitoringScreeningQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        township = (
            selectors.screening_townships(request.user)
            .filter(pk=query.validated_data["township"])
            .first()
        )
        if township is None:
            raise NotFound()
        rows, _unset = selectors.screening_rows(user=request.user, township=township)
        return Response(s.MonitoringScreeningRowSerializer(rows, many=True).data)

    @extend_schema(request=s.ClueRaiseSerializer, responses={201: s.ClueRaiseResultSerializer})
    @action(detail=False, methods=["post"], url_path="raise")
    def raise_clues(self, request):
        services.require_monitor(request.user, "risk_clue")
        data = self.body(s.ClueRaiseSerializer)
        result = saving(lambda: services.clues_raise(user=request.user, **data))
        created = self.get_queryset().filter(pk__in=[c.pk for c in result.created])
        return Response(
            {
                "created": s.RiskClueSerializer(
                    created, many=True, context=self.get_serializer_context()
                ).data,
                "skipped": [h.pk for h in result.skipped],
            },
            status=201,
        )


# --- cases and their steps ----------------------------------------------------------------
STEP_RULES = _(
    "登记程序的下一环节：环节不按顺序的为 400，并写明缺少的环节；入户核实须上传签字材料"
    "（multipart/form-data，字段 document），民主评议和公示须选本村公示（识别公示不少于5天），"
    "公示结束后才能进行乡镇环节；县级审定只由县级审核人员进行。"
)


class MonitoringCaseViewSet(MonitoringViewSet):
    """监测对象（一户的一次监测）：识别程序为入户核实（承诺授权）→ 县级数据比对 → 村民主评议和
    公示 → 乡镇初审 → 县级审定，任一环节可“不予识别”并写明原因；风险消除后可再次识别。"""

    model = MonitoringCase
    serializer_class = s.MonitoringCaseSerializer
    create_serializer = s.MonitoringCaseOpenSerializer
    update_serializer = s.MonitoringCaseUpdateSerializer
    filterset_class = ApiCaseFilter
    parser_classes = [SafeJSONParser, FormParser, MultiPartParser]
    ordering_fields = ["received_on", "decided_on", "id"]
    ordering = ["-received_on", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    keeper_kind = "monitoring_case"
    instance_kw = "case"
    services = {"record": services.case_open, "update": services.case_update}
    summaries = _summaries(
        _("监测对象"),
        create=_("由风险线索启动识别程序"),
        steps=_("登记识别程序的下一环节"),
        not_identified=_("不予识别（写明原因）"),
        removal_checks=_("风险消除条件核验"),
    )
    descriptions = {
        "create": _("农户申报尚未受理的，启动识别即视为当天受理。") + SCOPE_RULE,
        "partial_update": _("县级审定后不能修改类别。") + SCOPE_RULE,
        "steps": STEP_RULES,
        "not_identified": _("在当前环节终止识别：乡镇初审前由乡镇，县级审定时由县级审核人员办理。")
        + SCOPE_RULE,
    }

    def optimise(self, queryset):
        return queryset.select_related("household", "village", "township").prefetch_related(
            Prefetch(
                "steps",
                queryset=MonitoringStep.objects.select_related("recorded_by").order_by(
                    "done_on", "id"
                ),
            ),
            Prefetch(
                "removals",
                queryset=RiskRemoval.objects.filter(status="in_progress").prefetch_related("steps"),
            ),
        )

    @extend_schema(
        request={
            "multipart/form-data": s.MonitoringStepWriteSerializer,
            "application/json": s.MonitoringStepWriteSerializer,
        },
        responses={201: s.MonitoringStepSerializer},
    )
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None):
        case = self.get_object()
        data = self.body(s.MonitoringStepWriteSerializer)
        step = saving(lambda: services.case_step_record(user=request.user, case=case, **data))
        return Response(
            s.MonitoringStepSerializer(step, context=self.get_serializer_context()).data,
            status=201,
        )

    @extend_schema(request=s.MonitoringStopSerializer, responses=s.MonitoringCaseSerializer)
    @action(detail=True, methods=["post"], url_path="not-identified")
    def not_identified(self, request, pk=None):
        case = self.get_object()
        data = self.body(s.MonitoringStopSerializer)
        return self.out(
            saving(lambda: services.case_not_identify(user=request.user, case=case, **data))
        )

    @extend_schema(responses=s.RiskRemovalCheckSerializer(many=True), filters=False)
    @action(
        detail=True,
        methods=["get"],
        url_path="removal-checks",
        pagination_class=None,
        filter_backends=[],
    )
    def removal_checks(self, request, pk=None):
        """风险消除的各项条件及不满足的原因：无劳动能力、上年度收入未高于监测范围或核算距审定
        不足6个月、大额刚性支出未解决、“两不愁三保障”和饮水安全未保障时不能消除。"""
        case = self.get_object()
        return Response([check.as_dict() for check in selectors.removal_checks(case)])


class MonitoringStepViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """识别和风险消除程序的各环节：日期、经办人员、登记人、签字材料和公示。登记新环节请用
    monitoring-cases/{id}/steps/ 或 risk-removals/{id}/steps/。"""

    model = MonitoringStep
    serializer_class = s.MonitoringStepSerializer
    filterset_class = ApiStepFilter
    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "delete", "head", "options"]
    ordering_fields = ["done_on", "id"]
    ordering = ["done_on", "id"]
    schema_tag = TAG
    summaries = {
        "list": _("监测程序环节列表"),
        "retrieve": _("监测程序环节详情"),
        "destroy": _("撤回进行中程序的最后一个环节"),
        "document": _("下载环节的签字材料"),
    }
    descriptions = {"destroy": _("县级审定不能撤回。") + SCOPE_RULE}

    def optimise(self, queryset):
        return queryset.select_related("recorded_by")

    def destroy(self, request, *args, **kwargs):
        step = self.get_object()
        saving(lambda: services.step_withdraw(user=request.user, step=step))
        return Response(status=204)

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description=_("签字材料文件（照片或 PDF）")
            )
        },
        filters=False,
    )
    @action(detail=True, methods=["get"])
    def document(self, request, pk=None):
        """签字材料的文件（与环节同样按管辖范围：范围外为 404）。"""
        step = self.get_object()
        if not step.document:
            raise Http404
        try:
            handle = step.document.open("rb")
        except (FileNotFoundError, OSError) as exc:
            raise Http404 from exc
        response = FileResponse(
            handle,
            content_type="application/octet-stream",
            as_attachment=True,
            filename=step.document.name.rsplit("/", 1)[-1],
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- risk removal -------------------------------------------------------------------------------
class RiskRemovalViewSet(MonitoringViewSet):
    """风险消除（稳定消除、自然消除）：条件不满足的申请被拒绝并写明每一项原因，无劳动能力的户
    暂不能消除；程序为入户核实（两人以上，签字材料）→ 村民主评议和公示（不少于7天）→ 乡镇核查 →
    县级审定，审定时再次核验条件，通过后监测对象的状态改为风险已消除。"""

    model = RiskRemoval
    serializer_class = s.RiskRemovalSerializer
    create_serializer = s.RiskRemovalWriteSerializer
    update_serializer = None
    filterset_class = ApiRemovalFilter
    parser_classes = [SafeJSONParser, FormParser, MultiPartParser]
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["proposed_on", "id"]
    ordering = ["-proposed_on", "-id"]
    keeper_kind = "risk_removal"
    instance_kw = "removal"
    services = {"record": services.removal_propose}
    summaries = _summaries(
        _("风险消除"),
        create=_("申请风险消除（条件核验）"),
        steps=_("登记风险消除程序的下一环节"),
        stop=_("终止风险消除（未通过，继续监测）"),
    )
    descriptions = {"create": SCOPE_RULE, "steps": STEP_RULES, "stop": SCOPE_RULE}

    @property
    def write_serializer_classes(self):
        return {"create": self.create_serializer}

    def optimise(self, queryset):
        return queryset.prefetch_related(
            Prefetch(
                "steps",
                queryset=MonitoringStep.objects.select_related("recorded_by").order_by(
                    "done_on", "id"
                ),
            )
        )

    @extend_schema(
        request={
            "multipart/form-data": s.MonitoringStepWriteSerializer,
            "application/json": s.MonitoringStepWriteSerializer,
        },
        responses={201: s.MonitoringStepSerializer},
    )
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None):
        removal = self.get_object()
        data = self.body(s.MonitoringStepWriteSerializer)
        step = saving(
            lambda: services.removal_step_record(user=request.user, removal=removal, **data)
        )
        return Response(
            s.MonitoringStepSerializer(step, context=self.get_serializer_context()).data,
            status=201,
        )

    @extend_schema(request=s.MonitoringStopSerializer, responses=s.RiskRemovalSerializer)
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        removal = self.get_object()
        data = self.body(s.MonitoringStopSerializer)
        return self.out(
            saving(lambda: services.removal_stop(user=request.user, removal=removal, **data))
        )


# --- measures, income and expenses ------------------------------------------------------------
class MonitoringMeasureViewSet(MonitoringViewSet):
    """监测帮扶措施：有劳动能力的户以产业、就业、技能培训、小额信贷等开发式帮扶为主，无劳动能力
    的户落实低保、特困供养、医疗救助、临时救助等兜底保障；县级审定前开始的标为先帮后认。"""

    model = MonitoringMeasure
    serializer_class = s.MonitoringMeasureSerializer
    create_serializer = s.MonitoringMeasureWriteSerializer
    update_serializer = s.MonitoringMeasureUpdateSerializer
    filterset_class = ApiMeasureFilter
    ordering_fields = ["start_date", "id"]
    ordering = ["start_date", "id"]
    keeper_kind = "monitoring_measure"
    instance_kw = "measure"
    services = {
        "record": services.measure_record,
        "update": services.measure_update,
        "delete": services.measure_delete,
    }
    summaries = _summaries(_("监测帮扶措施"))
    descriptions = {"create": SCOPE_RULE, "partial_update": SCOPE_RULE, "destroy": SCOPE_RULE}


class HouseholdFinanceViewSet(MonitoringViewSet):
    """户的年度收支：年人均纯收入（与当年监测范围比较）和医疗、教育等大额刚性支出；风险消除须有
    县级审定 6 个月后核算的收入。"""

    model = HouseholdFinance
    serializer_class = s.HouseholdFinanceSerializer
    create_serializer = s.HouseholdFinanceWriteSerializer
    update_serializer = s.HouseholdFinanceUpdateSerializer
    filterset_class = ApiFinanceFilter
    ordering_fields = ["year", "id"]
    ordering = ["-year", "id"]
    keeper_kind = "monitoring_finance"
    instance_kw = "finance"
    services = {
        "record": services.finance_record,
        "update": services.finance_update,
        "delete": services.finance_delete,
    }
    summaries = _summaries(_("年度收支"))
    descriptions = {
        "create": _("同一户同一年度只有一条，重复登记返回 409。") + SCOPE_RULE,
        "partial_update": SCOPE_RULE,
        "destroy": SCOPE_RULE,
    }

    def optimise(self, queryset):
        return queryset.select_related("household")

    def is_duplicate(self, data, instance=None):
        if instance is not None:
            return False
        return HouseholdFinance.objects.filter(
            household=data["household"], year=data["year"]
        ).exists()


# --- the yearly review of the original registered households ---------------------------------
class HouseholdReviewViewSet(MonitoringViewSet):
    """建档立卡户年度评议：每户每年一条（稳定脱贫、存在返贫风险、不再需要帮扶），由该户所在乡镇的
    工作人员或县级审核人员评议；评为存在返贫风险的，为该户登记一条排查线索（已是监测对象或已有
    未办结线索的不重复登记，followup 写明）。"""

    model = HouseholdReview
    serializer_class = s.HouseholdReviewSerializer
    create_serializer = s.HouseholdReviewWriteSerializer
    update_serializer = s.HouseholdReviewUpdateSerializer
    filterset_class = ApiReviewFilter
    ordering_fields = ["year", "id"]
    ordering = ["-year", "id"]
    keeper_kind = "monitoring_case"
    instance_kw = "review"
    services = {"record": services.review_record, "update": services.review_update}
    summaries = _summaries(_("建档立卡户年度评议"))
    descriptions = {
        "create": _("只评议建档立卡户；年度不能晚于今年；同一户同一年度再次评议即修改原记录。")
        + SCOPE_RULE,
        "partial_update": SCOPE_RULE,
    }

    def optimise(self, queryset):
        return queryset.select_related("household", "village", "decided_by")


# --- public notices -------------------------------------------------------------------------
class PublicNoticeViewSet(MonitoringViewSet):
    """村级公示：识别公示不少于5天、风险消除公示不少于7天（含首尾两天）；列入的户由民主评议环节
    加入。打印页在网页 /monitoring/notices/{id}/print/，不显示身份证号、电话、银行账号和健康状况。"""

    model = PublicNotice
    serializer_class = s.PublicNoticeSerializer
    create_serializer = s.PublicNoticeWriteSerializer
    update_serializer = s.PublicNoticeUpdateSerializer
    filterset_class = ApiNoticeFilter
    ordering_fields = ["start_date", "end_date", "id"]
    ordering = ["-start_date", "-id"]
    keeper_kind = "public_notice"
    instance_kw = "notice"
    services = {
        "record": services.notice_record,
        "update": services.notice_update,
        "delete": services.notice_delete,
    }
    summaries = _summaries(_("公示"), households=_("把民主评议通过的户列入公示"))
    descriptions = {
        "create": SCOPE_RULE,
        "partial_update": _("已有户进入公示后环节的，不能改动公示日期。") + SCOPE_RULE,
        "destroy": _("已列入户的公示不能删除。") + SCOPE_RULE,
        "households": _("逐户登记“村民主评议和公示”环节，全部成功或全部不登记。") + SCOPE_RULE,
    }

    def optimise(self, queryset):
        return queryset.select_related("village", "township").prefetch_related("steps")

    @extend_schema(request=s.PublicNoticeCasesSerializer, responses=s.PublicNoticeSerializer)
    @action(detail=True, methods=["post"])
    def households(self, request, pk=None):
        notice = self.get_object()
        data = self.body(s.PublicNoticeCasesSerializer)
        saving(lambda: services.notice_add_cases(user=request.user, notice=notice, **data))
        return self.out(notice)


ROUTES = [
    ("monitoring-ranges", MonitoringRangeViewSet, "monitoring-range"),
    ("risk-clues", RiskClueViewSet, "risk-clue"),
    ("monitoring-cases", MonitoringCaseViewSet, "monitoring-case"),
    ("monitoring-steps", MonitoringStepViewSet, "monitoring-step"),
    ("risk-removals", RiskRemovalViewSet, "risk-removal"),
    ("monitoring-measures", MonitoringMeasureViewSet, "monitoring-measure"),
    ("household-finances", HouseholdFinanceViewSet, "household-finance"),
    ("public-notices", PublicNoticeViewSet, "public-notice"),
    ("household-reviews", HouseholdReviewViewSet, "household-review"),
]
