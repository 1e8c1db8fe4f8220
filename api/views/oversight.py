"""Indicator definitions and results, spot-check draws and items, rectification items (with
their status changes), the user's notifications and export jobs."""

from __future__ import annotations

from django.db.models import BooleanField, Case, Count, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from api import filters
from api.base import ScopedReadOnlyViewSet, saving
from api.parsers import SafeJSONParser
from api.serializers import oversight as s
from assessments.models import Indicator, IndicatorResult
from inspections import services as inspection_services
from inspections.models import RectificationItem, RectificationStatus, SpotCheckDraw, SpotCheckItem
from ledgers.models import ExportJob
from notifications import services as notification_services
from notifications.models import Notification


class IndicatorViewSet(ScopedReadOnlyViewSet):
    """考核指标定义（对象、口径、周期、达标值、依据）。所有登录用户可读。"""

    model = Indicator
    serializer_class = s.IndicatorSerializer
    filterset_class = filters.IndicatorFilter
    ordering_fields = ["code", "id"]
    ordering = ["code"]
    schema_tag = _("考核")
    summaries = {"list": _("考核指标列表"), "retrieve": _("考核指标详情")}

    def scoped(self):
        # The catalogue is the same for everyone (thresholds are data, not personal).
        return Indicator.objects.all()


class IndicatorResultViewSet(ScopedReadOnlyViewSet):
    """指标计算结果：每个对象每个考核期的实际值、达标值、是否达标与差距。可按指标代码和是否达标筛选。"""

    model = IndicatorResult
    serializer_class = s.IndicatorResultSerializer
    filterset_class = filters.IndicatorResultFilter
    ordering_fields = ["period", "value", "shortfall", "id"]
    ordering = ["indicator_id", "path", "subject_label", "id"]
    schema_tag = _("考核")
    summaries = {"list": _("指标结果列表"), "retrieve": _("指标结果详情")}

    def optimise(self, queryset):
        return queryset.select_related("indicator")


class SpotCheckDrawViewSet(ScopedReadOnlyViewSet):
    """季度抽查（不发通知、不打招呼）：只有审核人员可见其区划内的抽查，其他角色列表为空、详情为 404。"""

    model = SpotCheckDraw
    serializer_class = s.SpotCheckDrawSerializer
    filterset_class = filters.SpotCheckDrawFilter
    ordering_fields = ["quarter", "drawn_at", "id"]
    ordering = ["-quarter", "id"]
    schema_tag = _("督查整改")
    summaries = {"list": _("季度抽查列表"), "retrieve": _("季度抽查详情")}

    def scoped(self):
        user = self.request.user
        if not user.is_reviewer:
            return SpotCheckDraw.objects.none()
        return SpotCheckDraw.objects.visible_to(user)

    def optimise(self, queryset):
        return queryset.select_related("region").annotate(item_count=Count("items"))


class SpotCheckItemViewSet(ScopedReadOnlyViewSet):
    """抽中的村和户，以及督查日期。与抽查一样只对审核人员可见。"""

    model = SpotCheckItem
    serializer_class = s.SpotCheckItemSerializer
    filterset_class = filters.SpotCheckItemFilter
    ordering_fields = ["id"]
    ordering = ["draw_id", "township_id", "village_id", "id"]
    schema_tag = _("督查整改")
    summaries = {"list": _("抽查对象列表"), "retrieve": _("抽查对象详情")}

    def scoped(self):
        user = self.request.user
        if not user.is_reviewer:
            return SpotCheckItem.objects.none()
        draws = SpotCheckDraw.objects.visible_to(user).values("pk")
        return SpotCheckItem.objects.filter(draw__in=draws)

    def optimise(self, queryset):
        return queryset.select_related("draw", "village", "household", "township", "inspection")


class RectificationViewSet(ScopedReadOnlyViewSet):
    """整改事项（问题、任务、责任清单）。可见范围：管辖范围内的，以及本人负责的。
    状态变更与网页调用同一服务：责任方上传佐证后提交销号，审核人员（非责任人本人）销号或退回。"""

    model = RectificationItem
    serializer_class = s.RectificationItemSerializer
    filterset_class = filters.RectificationFilter
    ordering_fields = ["deadline", "status", "id"]
    ordering = ["deadline", "id"]
    parser_classes = [SafeJSONParser, MultiPartParser]
    schema_tag = _("督查整改")
    summaries = {
        "list": _("整改事项列表"),
        "retrieve": _("整改事项详情"),
        "evidence": _("上传整改佐证"),
        "submit": _("提交销号"),
        "close": _("销号"),
        "reopen": _("退回重新整改"),
    }

    def scoped(self):
        return inspection_services.rectification_visible(self.request.user)

    def optimise(self, queryset):
        today = timezone.localdate()
        return queryset.select_related(
            "village", "household", "responsible_unit", "responsible_person"
        ).annotate(
            overdue=Case(
                When(
                    Q(deadline__lt=today) & ~Q(status=RectificationStatus.CLOSED),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            )
        )

    def _out(self, item):
        return Response(self.get_serializer(self.get_queryset().get(pk=item.pk)).data)

    @extend_schema(
        request={"multipart/form-data": s.EvidenceSerializer},
        responses=s.RectificationItemSerializer,
    )
    @action(detail=True, methods=["post"])
    def evidence(self, request, pk=None):
        """上传一份整改佐证（multipart/form-data：file、note）。只有责任方可以上传。"""
        item = self.get_object()
        body = s.EvidenceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        saving(
            lambda: inspection_services.rectification_evidence_add(
                item=item,
                user=request.user,
                upload=body.validated_data["file"],
                note=body.validated_data.get("note", ""),
            )
        )
        return self._out(item)

    @extend_schema(request=s.RectificationNoteSerializer, responses=s.RectificationItemSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """责任方提交销号（须已上传佐证；整改中或重新整改状态才能提交）。"""
        item = self.get_object()
        note = _note(request)
        item = saving(
            lambda: inspection_services.rectification_submit(
                item=item, user=request.user, note=note
            )
        )
        return self._out(item)

    @extend_schema(request=s.RectificationNoteSerializer, responses=s.RectificationItemSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """审核人员销号（只有已提交销号的事项；责任人不能为自己负责的事项销号）。"""
        item = self.get_object()
        note = _note(request)
        item = saving(
            lambda: inspection_services.rectification_close(item=item, user=request.user, note=note)
        )
        return self._out(item)

    @extend_schema(request=s.ReopenSerializer, responses=s.RectificationItemSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """审核人员退回重新整改（须填写原因 reason）。"""
        item = self.get_object()
        body = s.ReopenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = saving(
            lambda: inspection_services.rectification_reopen(
                item=item, user=request.user, reason=body.validated_data["reason"]
            )
        )
        return self._out(item)


def _note(request) -> str:
    body = s.RectificationNoteSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data.get("note", "")


class NotificationViewSet(ScopedReadOnlyViewSet):
    """本人的提醒（每日汇总及单条提醒）。只能看到发给自己的。"""

    model = Notification
    serializer_class = s.NotificationSerializer
    filterset_class = filters.NotificationFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    schema_tag = _("提醒与导出")
    summaries = {
        "list": _("我的提醒列表"),
        "retrieve": _("提醒详情"),
        "read": _("标记为已读"),
        "read_all": _("全部标记为已读"),
    }

    def scoped(self):
        mine = Notification.objects.filter(recipient=self.request.user)
        if self.action == "list" and "digest" not in self.request.query_params:
            # Like the bell: a day's reminders appear once, as that day's digest.
            mine = mine.filter(digest__isnull=True)
        return mine

    @extend_schema(request=None, responses=s.NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """标记一条提醒为已读（每日汇总连同其中各条）。"""
        notification = self.get_object()
        notification_services.notification_mark_read(user=request.user, notification=notification)
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses=s.MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[])
    def read_all(self, request):
        """把本人全部未读提醒标记为已读，返回标记的条数。"""
        count = notification_services.notification_mark_all_read(user=request.user)
        return Response({"marked": count})


class ExportJobViewSet(ScopedReadOnlyViewSet):
    """台账导出任务及进度：本人的；系统管理员可看全部。"""

    model = ExportJob
    serializer_class = s.ExportJobSerializer
    filterset_class = filters.ExportJobFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    schema_tag = _("提醒与导出")
    summaries = {"list": _("导出任务列表"), "retrieve": _("导出任务详情")}

    def scoped(self):
        user = self.request.user
        if user.is_admin:
            return ExportJob.objects.all()
        return ExportJob.objects.filter(user=user)

    def optimise(self, queryset):
        return queryset.select_related("region")
