"""Reporting periods through the API (issue 16): a period's state and contents, the county's
status, and submit / approve / return / reopen through the same services as the pages
(reporting/services.py): 403 for a role that may not, 404 outside scope, 400 with the message."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from reporting import services
from reporting.selectors import (
    counties_in_scope,
    period_contents,
    period_indicators,
    period_view,
    status_grid,
    township_in_scope,
)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text=gettext_lazy("原因（必填）。"))


class PeriodSerializer(serializers.Serializer):
    township = serializers.IntegerField()
    township_name = serializers.CharField()
    label = serializers.CharField(help_text=gettext_lazy("期间，如 2026-10、2026-Q4、2026。"))
    start = serializers.DateField()
    end = serializers.DateField()
    state = serializers.CharField(
        help_text=gettext_lazy("open、submitted、returned、approved、reopened。")
    )
    status = serializers.CharField(help_text=gettext_lazy("状态（中文）。"))
    overdue = serializers.BooleanField()
    locked = serializers.BooleanField()
    lock_message = serializers.CharField(allow_blank=True)


def _period(view) -> dict:
    return {
        "township": view.township.pk,
        "township_name": view.township.name,
        "label": view.label,
        "start": view.start,
        "end": view.end,
        "state": view.state,
        "status": view.status_label,
        "overdue": view.overdue,
        "locked": view.lock is not None,
        "lock_message": view.lock.message if view.lock else "",
    }


class PeriodDetailSerializer(PeriodSerializer):
    contents = inline_serializer(
        "PeriodContentLine",
        {"label": serializers.CharField(), "count": serializers.IntegerField()},
        many=True,
    )
    indicators = inline_serializer(
        "PeriodIndicatorLine",
        {
            "code": serializers.CharField(),
            "name": serializers.CharField(),
            "subjects": serializers.IntegerField(),
            "met": serializers.IntegerField(),
        },
        many=True,
    )


class PeriodDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PeriodDetailSerializer, summary="报送期间：状态、记录条数与考核指标")
    def get(self, request, township_id: int, label: str):
        view = period_view(township_in_scope(request.user, township_id), label)
        data = _period(view)
        data["contents"] = [
            {"label": line.label, "count": line.count}
            for line in period_contents(view.township, view.start, view.end)
        ]
        data["indicators"] = [
            {"code": i.code, "name": i.name, "subjects": i.subjects, "met": i.met}
            for i in period_indicators(view.township, view.label)
        ]
        return Response(data)


class _Action(APIView):
    permission_classes = [IsAuthenticated]
    action_name = ""

    def _answer(self, request, township_id: int, label: str):
        view = period_view(township_in_scope(request.user, township_id), label)
        return Response(_period(view))


class PeriodSubmitView(_Action):
    @extend_schema(request=None, responses=PeriodSerializer, summary="乡镇报送本期")
    def post(self, request, township_id: int, label: str):
        services.period_submit(user=request.user, township_id=township_id, label=label)
        return self._answer(request, township_id, label)


class PeriodApproveView(_Action):
    @extend_schema(request=None, responses=PeriodSerializer, summary="审核通过并锁定")
    def post(self, request, township_id: int, label: str):
        services.period_approve(user=request.user, township_id=township_id, label=label)
        return self._answer(request, township_id, label)


class PeriodReturnView(_Action):
    @extend_schema(
        request=ReasonSerializer, responses=PeriodSerializer, summary="退回乡镇（须填原因）"
    )
    def post(self, request, township_id: int, label: str):
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.period_return(
            user=request.user,
            township_id=township_id,
            label=label,
            reason=body.validated_data["reason"],
        )
        return self._answer(request, township_id, label)


class PeriodReopenView(_Action):
    @extend_schema(
        request=ReasonSerializer,
        responses=PeriodSerializer,
        summary="重新开放（须填原因，记入安全日志）",
    )
    def post(self, request, township_id: int, label: str):
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.period_reopen(
            user=request.user,
            township_id=township_id,
            label=label,
            reason=body.validated_data["reason"],
        )
        return self._answer(request, township_id, label)


class PeriodStatusView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PeriodSerializer(many=True), summary="县的报送情况（各乡镇近六期）")
    def get(self, request, county_id: int):
        if not request.user.is_reviewer:
            raise PermissionDenied(gettext_lazy("只有审核人员可以查看报送情况。"))
        county = counties_in_scope(request.user).filter(pk=county_id).first()
        if county is None:
            raise Http404
        grid = status_grid(county)
        return Response([_period(cell) for row in grid.rows for cell in row.cells])
