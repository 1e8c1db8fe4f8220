"""Households, household pairings (the pairing ledger) and visits. Visit writes go through
households/services.py, the same functions the visit form calls."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api import filters
from api.base import ApiViewMixin, ScopedReadOnlyViewSet, saving
from api.exceptions import Conflict, from_django_validation_error
from api.parsers import SafeJSONParser
from api.permissions import EntersWork, IsReviewer
from api.serializers import households as s
from cadres.models import Cadre
from households import services
from households.models import (
    Household,
    HouseholdPairing,
    Measure,
    Visit,
    VisitPhoto,
)
from villages.models import Village


class HouseholdViewSet(ScopedReadOnlyViewSet):
    """贫困户，含家庭成员、在结对期内的帮扶责任人、一户一策及措施、最近走访日期和今年走访次数。
    身份证号一律脱敏；按完整号码查找用 id_number 筛选。"""

    model = Household
    serializer_class = s.HouseholdSerializer
    filterset_class = filters.ApiHouseholdFilter
    ordering_fields = ["head_name", "path", "size", "id"]
    ordering = ["path", "head_name", "id"]
    schema_tag = _("贫困户与走访")
    summaries = {"list": _("贫困户列表"), "retrieve": _("贫困户详情")}

    def optimise(self, queryset):
        today = timezone.localdate()
        visits = Visit.objects.counted().filter(household_id=OuterRef("pk"))
        last = visits.order_by("-visited_on").values("visited_on")[:1]
        this_year = (
            visits.filter(visited_on__year=today.year)
            .order_by()
            .values("household_id")
            .annotate(n=Count("*"))
            .values("n")
        )
        return (
            queryset.select_related("village", "plan")
            .prefetch_related(
                "members",
                Prefetch(
                    "pairings",
                    queryset=HouseholdPairing.objects.in_force(today)
                    .select_related("helper", "unit")
                    .order_by("start_date", "id"),
                    to_attr="helpers_in_force",
                ),
                Prefetch("plan__measures", queryset=Measure.objects.select_related("owner")),
            )
            .annotate(
                last_visited_on=Subquery(last),
                visits_this_year=Coalesce(
                    Subquery(this_year, output_field=IntegerField()), Value(0)
                ),
            )
        )


class HouseholdPairingViewSet(ScopedReadOnlyViewSet):
    """结对帮扶台账：每户与其帮扶责任人的结对（起止日期）。"""

    model = HouseholdPairing
    serializer_class = s.HouseholdPairingSerializer
    filterset_class = filters.HouseholdPairingFilter
    ordering_fields = ["start_date", "id"]
    ordering = ["-start_date", "id"]
    schema_tag = _("贫困户与走访")
    summaries = {"list": _("结对帮扶列表"), "retrieve": _("结对帮扶详情")}

    def optimise(self, queryset):
        return queryset.select_related("household", "helper", "unit")


VISIT_RULES = _(
    "与网页走访表单调用同一服务（households.services.visit_record），规则完全一致："
    "走访日期不能晚于今天、不能早于 2000 年；同一帮扶责任人同一天对同一户只有一次计入考核，"
    "再次提交会保存为“不计入考核”（credit_status=not_counted），不是错误；"
    "走访人在走访当天与该户没有生效的结对（早于结对开始、结对已解除或从未结对）时不计入，"
    "原因见 credit_reason；结对关系日后调整时，受影响的走访会重新核定；照片拍摄时间与走访日期相差超过1天、"
    "或定位距村超过规定距离时进入待审核。"
    "带 submission_token 重试时返回第一次创建的记录（200，而不是 201），不会重复创建；"
    "该 token 已被其他用户使用时返回 409。"
    "上传照片请用 multipart/form-data，字段名 photos（可多个）。"
)


class VisitViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """走访记录：入户走访、电话联系、结对党组织代表集体走访、到村工作调研。"""

    model = Visit
    serializer_class = s.VisitSerializer
    filterset_class = filters.ApiVisitFilter
    parser_classes = [SafeJSONParser, MultiPartParser]
    permission_classes = [IsAuthenticated, EntersWork]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    ordering_fields = ["visited_on", "created_at", "id"]
    ordering = ["-visited_on", "-id"]
    schema_tag = _("贫困户与走访")
    summaries = {
        "list": _("走访记录列表"),
        "retrieve": _("走访记录详情"),
        "create": _("填报走访（可上传照片）"),
        "partial_update": _("修改走访（填报后 7 天内，审核人员不限）"),
        "destroy": _("删除走访（填报后 7 天内，审核人员不限）"),
        "review": _("审核待审核的走访"),
        "review_bulk": _("批量审核待审核的走访（全部成功或全部不审核）"),
        "photo": _("下载走访照片"),
    }
    descriptions = {"create": VISIT_RULES}

    def optimise(self, queryset):
        # Prefetched, not joined: with joins PostgreSQL misjudged the path filter (80 rows
        # expected, 51,000 found) and joined every visit of a county before sorting (650 ms).
        return queryset.prefetch_related(
            Prefetch("household", queryset=Household.objects.only("id", "head_name")),
            Prefetch("village", queryset=Village.objects.only("id", "name")),
            Prefetch("helper", queryset=Cadre.objects.only("id", "name")),
            "photos",
        )

    def get_permissions(self):
        if self.action in ("review", "review_bulk"):
            return [IsAuthenticated(), IsReviewer()]
        return super().get_permissions()

    def _out(self, visit, status):
        fresh = self.get_queryset().filter(pk=visit.pk).first() or visit
        return Response(
            s.VisitSerializer(fresh, context=self.get_serializer_context()).data, status
        )

    @extend_schema(
        request={
            "application/json": s.VisitWriteSerializer,
            "multipart/form-data": s.VisitWriteSerializer,
        },
        responses={
            201: OpenApiResponse(s.VisitSerializer, description=_("新建的走访记录")),
            200: OpenApiResponse(
                s.VisitSerializer,
                description=_("同一 submission_token 的重复提交：返回第一次创建的记录，未新建"),
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        body = s.VisitWriteSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        token = data.get("submission_token")
        replay = bool(token) and Visit.objects.filter(submission_token=token).exists()
        try:
            visit = saving(lambda: services.visit_record(user=request.user, **data))
        except DjangoValidationError as exc:
            if "submission_token" in getattr(exc, "error_dict", {}):
                raise Conflict(from_django_validation_error(exc).detail) from exc
            raise
        return self._out(visit, 200 if replay else 201)

    @extend_schema(request=s.VisitUpdateSerializer, responses=s.VisitSerializer)
    def partial_update(self, request, *args, **kwargs):
        visit = self.get_object()
        body = s.VisitUpdateSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        visit = saving(lambda: services.visit_update(user=request.user, visit=visit, **data))
        return self._out(visit, 200)

    def destroy(self, request, *args, **kwargs):
        visit = self.get_object()
        saving(lambda: services.visit_delete(user=request.user, visit=visit))
        return Response(status=204)

    @extend_schema(request=s.VisitReviewSerializer, responses=s.VisitSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """审核人员对待审核的走访作出决定：accept=true 计入考核，false 不予计入。"""
        visit = self.get_object()
        body = s.VisitReviewSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        visit = saving(
            lambda: services.visit_review(
                user=request.user, visit=visit, accept=data["accept"], note=data.get("note", "")
            )
        )
        return self._out(visit, 200)

    @extend_schema(
        operation_id="visits_review_bulk",
        request=s.VisitBulkReviewSerializer,
        responses=s.VisitBulkReviewResultSerializer,
        filters=False,
    )
    @action(detail=False, methods=["post"], url_path="review")
    def review_bulk(self, request):
        """审核人员一次审核多条走访，使用同一结论和同一审核意见（不予计入须填写意见）：
        逐条调用与单条审核相同的规则，在一个事务中全部成功或全部不审核。"""
        body = s.VisitBulkReviewSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        count = saving(
            lambda: services.visits_review(
                user=request.user,
                visit_ids=data["visits"],
                accept=data["accept"],
                note=data.get("note", ""),
            )
        )
        return Response({"reviewed": count}, 200)

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description=_("照片文件")
            )
        },
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path=r"photos/(?P<photo_id>[0-9]{1,18})")
    def photo(self, request, pk=None, photo_id=None):
        """一张走访照片的文件（与走访记录同样按管辖范围：范围外为 404）。"""
        visit = self.get_object()
        photo = VisitPhoto.objects.filter(visit=visit, pk=photo_id).first()
        if photo is None or not photo.image:
            raise Http404
        try:
            handle = photo.image.open("rb")
        except (FileNotFoundError, OSError) as exc:
            raise Http404 from exc
        return FileResponse(handle, filename=photo.image.name.rsplit("/", 1)[-1])
