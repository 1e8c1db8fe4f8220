"""Ledger exports through the API: the user's export jobs (list, detail: api/views/oversight.py),
starting one, and downloading its file. Starting goes through the export page's service
(ledgers.services.export_start): the same scope, the same 脱敏 rule (masked unless a role that
may see full ID numbers says otherwise and gives a reason, kept in the security log)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base import StrictSerializer
from api.serializers import oversight as s
from api.views.oversight import ExportJobViewSet as ExportJobReadViewSet
from ledgers import services as ledger_services
from ledgers.models import ExportJob, LedgerKind
from ledgers.periods import PeriodError, parse_period
from villages.models import Region

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportJobCreateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=LedgerKind.choices, help_text=_("台账种类。"))
    region = serializers.CharField(max_length=15, help_text=_("区划代码（本人范围内）。"))
    period = serializers.CharField(
        max_length=10, help_text=_("期间：年度 2026、季度 2026-Q3 或月份 2026-09。")
    )
    mask_ids = serializers.BooleanField(
        default=True,
        help_text=_("身份证号脱敏（默认是）。只有可查看完整号码的角色可以设为否，并须填写理由。"),
    )
    full_id_reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("导出完整身份证号的理由（不脱敏时必填，记入安全日志）。"),
    )

    def validate_period(self, value: str):
        try:
            return parse_period(value)
        except PeriodError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class ExportJobViewSet(ExportJobReadViewSet):
    """台账导出任务：申请导出（后台生成）、查看进度、下载文件。"""

    summaries = {
        **ExportJobReadViewSet.summaries,
        "create": _("申请导出台账"),
        "download": _("下载导出的台账"),
    }

    @extend_schema(
        request=ExportJobCreateSerializer,
        responses={201: OpenApiResponse(s.ExportJobSerializer, description=_("新建的导出任务"))},
    )
    def create(self, request, *args, **kwargs):
        if not ledger_services.user_can_export(request.user):
            raise PermissionDenied(_("您的角色不能导出台账。"))
        body = ExportJobCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        region = Region.objects.filter(code=data["region"]).first()
        if region is None:
            raise Http404
        started = ledger_services.export_start(
            user=request.user,
            kind=data["kind"],
            region=region,
            period=data["period"],
            mask_ids=data["mask_ids"],
            full_id_reason=data["full_id_reason"],
            request=request._request,
            background=True,
        )
        job = ExportJob.objects.select_related("region").get(pk=started.job.pk)
        return Response(s.ExportJobSerializer(job).data, status=201)

    @extend_schema(
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description=_("Excel 台账文件")),
            409: OpenApiResponse(description=_("台账尚未生成完成")),
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        job = ledger_services.export_job_for_download(user=request.user, job_id=int(pk))
        if job.status != ExportJob.Status.DONE or not job.file:
            return Response(
                {"status": job.status, "detail": str(_("台账尚未生成完成或已过期。"))}, status=409
            )
        ledger_services.export_download_log(job=job, request=request._request)
        filename = f"{LedgerKind(job.kind).label}_{job.region.name}_{job.period}.xlsx"
        return FileResponse(
            job.file.open("rb"), as_attachment=True, filename=filename, content_type=XLSX
        )
