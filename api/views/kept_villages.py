"""The region tree and villages, kept by reviewers within their subtree (villages/services.py),
and the Excel imports of kept records (ledgers/sheets/). The regions and villages endpoints
serve the same reads as before (api/views/reference.py: fields, filters, ordering) plus the
writes. See api/urls.py KEPT_MODULES."""

from __future__ import annotations

import re

import django_filters
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api import filters
from api.base import ApiViewMixin, EndSerializer, KeptViewSet
from api.exceptions import PayloadTooLarge
from api.serializers import kept_villages as s
from ledgers.models import SheetImport
from ledgers.sheets import services as sheet_services
from ledgers.sheets.base import sheets
from villages import services as village_services
from villages.models import Region, Village, VillageIncome

TAG = gettext_lazy("区划与村")
IMPORT_TAG = gettext_lazy("数据导入")
RULE = gettext_lazy(
    "与网页表单调用同一服务：只有审核人员（及系统管理员）可以维护其管辖区划以下的区划和村"
    "（其他角色 403）；不在管辖范围内的对象按不存在处理（404）；您所在的区划由上级维护。"
)


class RegionViewSet(KeptViewSet):
    """行政区划：省、市、县、乡镇、村、村民小组。只列出您管辖区划及其下级。审核人员可在其下
    新增（层级和上级由区划代码确定）、改名、删除误建的区划。"""

    model = Region
    serializer_class = s.KeptRegionSerializer
    filterset_class = filters.RegionFilter
    ordering_fields = ["code", "name", "level"]
    ordering = ["code"]
    instance_kw = "region"
    services = {
        "record": village_services.region_record,
        "update": village_services.region_update,
        "delete": village_services.region_delete,
    }
    schema_tag = TAG
    summaries = {
        "list": gettext_lazy("行政区划列表"),
        "retrieve": gettext_lazy("行政区划详情"),
        "create": gettext_lazy("新增行政区划"),
        "partial_update": gettext_lazy("修改行政区划"),
        "destroy": gettext_lazy("删除行政区划"),
    }
    descriptions = {
        "create": format_lazy(
            "{} {}", RULE, gettext_lazy("村级代码（12位）同时建立村的档案；代码已存在返回 409。")
        ),
        "partial_update": RULE,
        "destroy": format_lazy(
            "{} {}", RULE, gettext_lazy("有下级区划、村或其他记录引用的区划不能删除（400）。")
        ),
    }

    @property
    def write_serializer_classes(self):
        return {"create": s.RegionWriteSerializer, "partial_update": s.RegionUpdateSerializer}

    def optimise(self, queryset):
        return queryset.select_related("parent")

    def is_duplicate(self, data, instance=None):
        if instance is not None or "code" not in data:
            return False
        try:
            code = village_services.division_code(data["code"])
        except ValidationError:
            return False
        return Region.objects.filter(code=code).exists()


class KeptVillageFilter(filters.VillageFilter):
    ended = django_filters.BooleanFilter(
        label=gettext_lazy("已撤销"), method="filter_ended", help_text=gettext_lazy("已撤销。")
    )

    class Meta(filters.VillageFilter.Meta):
        fields = [*filters.VillageFilter.Meta.fields, "ended"]

    def filter_ended(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(ended_on__isnull=not value)


class VillageViewSet(KeptViewSet):
    """行政村及其基本情况，含按年度的村集体经济收入（incomes）。审核人员可新增村（连同其区划）、
    修改村的情况；已有贫困户、结对等记录引用的村不能删除，只能撤销（填写撤销日期）。"""

    model = Village
    serializer_class = s.KeptVillageSerializer
    filterset_class = KeptVillageFilter
    ordering_fields = ["path", "name", "id"]
    ordering = ["path", "id"]
    instance_kw = "village"
    end_takes_reason = True
    services = {
        "record": village_services.village_record,
        "update": village_services.village_update,
        "end": village_services.village_end,
        "delete": village_services.village_delete,
    }
    schema_tag = TAG
    summaries = {
        "list": gettext_lazy("村列表（含集体经济收入）"),
        "retrieve": gettext_lazy("村详情"),
        "create": gettext_lazy("新增村"),
        "partial_update": gettext_lazy("修改村"),
        "destroy": gettext_lazy("删除村（无记录引用时）"),
        "end": gettext_lazy("撤销村（撤并）"),
    }
    descriptions = {"create": RULE, "partial_update": RULE, "destroy": RULE, "end": RULE}

    @property
    def write_serializer_classes(self):
        return {"create": s.VillageWriteSerializer, "partial_update": s.VillageUpdateSerializer}

    def optimise(self, queryset):
        return queryset.select_related("region", "township", "county").prefetch_related(
            Prefetch("incomes", queryset=VillageIncome.objects.order_by("-year"))
        )

    def is_duplicate(self, data, instance=None):
        if instance is not None or "code" not in data:
            return False
        try:
            code = village_services.division_code(data["code"])
        except ValidationError:
            return False
        return Region.objects.filter(code=code).exists()

    @extend_schema(request=EndSerializer, summary=gettext_lazy("撤销村（撤并）"))
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request, pk=None):
        return self.end_record(request, pk)


# --- imports ---------------------------------------------------------------------------------
KIND_PARAMETER = OpenApiParameter(
    "kind",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=gettext_lazy("导入类型，如 regions（区划与村）；见网页“数据导入”。"),
)
ID_PARAMETER = OpenApiParameter(
    "import_id", OpenApiTypes.INT, OpenApiParameter.PATH, description=gettext_lazy("导入编号。")
)
# Only the kinds that exist: any other word under imports/ is the API's JSON 404.
KIND_RE = "(?P<kind>" + "|".join(sorted(re.escape(spec.kind) for spec in sheets())) + ")"


class SheetImportViewSet(
    ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """从 Excel 导入您负责维护的数据（区划与村、单位、干部、结对等）：先上传检查（dry_run，
    默认），结果列出全部错误（行号、列名、单元格的值、说明）或将要新增、更新的记录；再确认
    导入（apply）。只要有一行有误，就不导入任何数据；同一文件再次导入不会产生变化。
    只能看到自己的导入记录。"""

    model = SheetImport
    serializer_class = s.SheetImportSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = None
    filter_backends: list = []
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "head", "options"]
    schema_tag = IMPORT_TAG
    summaries = {
        "list": gettext_lazy("我的导入记录"),
        "retrieve": gettext_lazy("导入记录详情（检查结果）"),
        "check": gettext_lazy("上传表格并检查（或直接导入）"),
        "apply": gettext_lazy("确认导入已检查的表格"),
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SheetImport.objects.none()
        return SheetImport.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        limit = settings.IMPORT_MAX_BYTES + 64 * 1024
        if length > limit:
            raise PayloadTooLarge(
                _("文件过大，上限为 %(mb).1f MB；请拆分后分批导入。")
                % {"mb": settings.IMPORT_MAX_BYTES / 1024 / 1024}
            )

    @extend_schema(
        request={"multipart/form-data": s.SheetUploadSerializer},
        responses={201: s.SheetImportSerializer},
        parameters=[KIND_PARAMETER],
        description=gettext_lazy(
            "multipart 上传 file（.xlsx）。dry_run 默认 true：只检查并保存结果（status 为 "
            "checked 或 invalid），之后用 apply 确认导入；false：检查无误即导入（status 为 "
            "imported）。文件本身无法读取时 status 为 invalid，refusal 说明原因。"
        ),
    )
    @action(detail=False, methods=["post"], url_path=KIND_RE, parser_classes=[MultiPartParser])
    def check(self, request, kind=None):
        spec = sheet_services.sheet_spec(kind)
        serializer = s.SheetUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = sheet_services.sheet_import_check(
            user=request.user,
            kind=spec.kind,
            upload=serializer.validated_data["file"],
            dry_run=serializer.validated_data.get("dry_run", True),
            request=request,
        )
        return Response(self.get_serializer(record).data, status=201)

    @extend_schema(
        request=None,
        responses={200: s.SheetImportSerializer},
        parameters=[KIND_PARAMETER, ID_PARAMETER],
        description=gettext_lazy(
            "导入一份已检查（status 为 checked）的表格：在一个事务中重新检查并写入，"
            "期间数据如有变化导致出错则不导入（status 为 invalid）。已导入的再次调用不会重复导入。"
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path=KIND_RE + r"/(?P<import_id>[0-9]{1,18})/apply",
    )
    def apply(self, request, kind=None, import_id=None):
        sheet_services.sheet_spec(kind)
        sheet_services.sheet_import_for(user=request.user, import_id=int(import_id), kind=kind)
        record = sheet_services.sheet_import_apply(
            user=request.user, import_id=int(import_id), request=request
        )
        return Response(self.get_serializer(record).data)


ROUTES = [
    ("regions", RegionViewSet, "region"),
    ("villages", VillageViewSet, "village"),
    ("imports", SheetImportViewSet, "sheet-import"),
]
