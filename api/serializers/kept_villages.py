"""Writes of the region tree and villages (kept by reviewers), and the Excel imports of kept
records (ledgers/sheets/): what they read back and what their bodies take."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.base import StrictSerializer
from api.serializers import reference
from api.serializers.fields import ScopedPrimaryKeyRelatedField
from api.serializers.reference import RegionSerializer
from ledgers.models import SheetImport
from ledgers.sheets.services import sheet_spec
from villages.models import Region

# --- regions ---------------------------------------------------------------------------------
# The region as /api/v1/regions/ has always served it (the schema's component "Region").
KeptRegionSerializer = RegionSerializer

CODE_HELP = _(
    "区划代码：统计用12位代码（如 510105001001；县、乡镇可在后面补0），或省2位、市4位、县6位、"
    "乡镇9位的短代码。层级和上级由代码确定。"
)


class RegionWriteSerializer(StrictSerializer):
    code = serializers.CharField(max_length=15, help_text=CODE_HELP)
    name = serializers.CharField(max_length=100, help_text=_("名称。"))
    parent = ScopedPrimaryKeyRelatedField(
        queryset=Region.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("上级区划编号（可省略；填写时须与代码确定的上级一致）。"),
    )
    is_poverty_county = serializers.BooleanField(required=False, help_text=_("贫困县。"))
    planned_delist_year = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=2000,
        max_value=2100,
        help_text=_("计划摘帽年度。"),
    )
    delisted_year = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=2000,
        max_value=2100,
        help_text=_("实际摘帽年度。"),
    )


class RegionUpdateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100, required=False, help_text=_("名称。"))
    is_poverty_county = serializers.BooleanField(required=False, help_text=_("贫困县。"))
    planned_delist_year = serializers.IntegerField(
        required=False, allow_null=True, min_value=2000, max_value=2100
    )
    delisted_year = serializers.IntegerField(
        required=False, allow_null=True, min_value=2000, max_value=2100
    )


# --- villages --------------------------------------------------------------------------------
class VillageSerializer(reference.VillageSerializer):
    """The village as /api/v1/villages/ served it, with its end (撤销) if it was merged. Named
    like the one it replaces, so the schema's component stays "Village"."""

    class Meta(reference.VillageSerializer.Meta):
        fields = [*reference.VillageSerializer.Meta.fields, "ended_on", "end_reason"]


KeptVillageSerializer = VillageSerializer


class VillageFieldsSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100, required=False, help_text=_("村名。"))
    is_poor_village = serializers.BooleanField(required=False, help_text=_("建档立卡贫困村。"))
    is_difficult_village = serializers.BooleanField(required=False, help_text=_("困难村。"))
    planned_exit_year = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=2000,
        max_value=2100,
        help_text=_("计划退出年度。"),
    )
    exit_year = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=2000,
        max_value=2100,
        help_text=_("实际退出年度。"),
    )
    branch_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text=_("村党组织名称。")
    )
    branch_secretary = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text=_("村党组织书记。")
    )
    venue_area_m2 = serializers.DecimalField(
        max_digits=8,
        decimal_places=1,
        min_value=0,
        required=False,
        allow_null=True,
        help_text=_("活动阵地面积（㎡）。"),
    )
    leading_industries = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text=_("主导产业。")
    )
    infrastructure_notes = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text=_("基础设施和公益事业项目。")
    )
    population = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=10**7, help_text=_("户籍人口。")
    )
    latitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        required=False,
        allow_null=True,
        help_text=_("纬度。"),
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
        allow_null=True,
        help_text=_("经度。"),
    )


class VillageWriteSerializer(VillageFieldsSerializer):
    code = serializers.CharField(
        max_length=15,
        help_text=_("村的12位统计用区划代码（前9位是所属乡镇，须在您的管辖范围内）。"),
    )
    name = serializers.CharField(max_length=100, help_text=_("村名。"))


class VillageUpdateSerializer(VillageFieldsSerializer):
    pass


# --- imports ---------------------------------------------------------------------------------
class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("Excel 行号。"))
    column = serializers.CharField(help_text=_("列名。"))
    letter = serializers.CharField(help_text=_("列号（A、B、C…）。"))
    value = serializers.CharField(help_text=_("单元格中的值（如用户在 Excel 中所见）。"))
    message = serializers.CharField(help_text=_("错误说明。"))


class ImportChangeSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("Excel 行号。"))
    action = serializers.ChoiceField(
        choices=[("create", _("新增")), ("update", _("更新"))], help_text=_("新增或更新。")
    )
    name = serializers.CharField(help_text=_("记录的简称。"))
    fields = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("变化的字段：[字段名, 原值, 新值]。"),
    )


class SheetImportSerializer(serializers.ModelSerializer):
    kind_title = serializers.SerializerMethodField(help_text=_("导入的数据类型（中文）。"))
    status = serializers.CharField(
        read_only=True,
        help_text=_(
            "invalid（有错误或文件无法读取，未导入）、checked（已检查，待确认导入）、"
            "imported（已导入）。"
        ),
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    created = serializers.IntegerField(source="created_count", read_only=True)
    updated = serializers.IntegerField(source="updated_count", read_only=True)
    unchanged = serializers.IntegerField(source="unchanged_count", read_only=True)
    errors = ImportErrorSerializer(
        many=True, read_only=True, help_text=_("全部错误（有错误时没有导入任何数据）。")
    )
    changes = ImportChangeSerializer(
        many=True, read_only=True, help_text=_("将要（或已经）新增和更新的记录。")
    )

    class Meta:
        model = SheetImport
        fields = [
            "id",
            "kind",
            "kind_title",
            "status",
            "status_label",
            "original_name",
            "sha256",
            "total_rows",
            "created",
            "updated",
            "unchanged",
            "sheet",
            "header_row",
            "refusal",
            "errors",
            "changes",
            "created_at",
            "imported_at",
        ]
        read_only_fields = fields

    def get_kind_title(self, obj) -> str:
        try:
            return str(sheet_spec(obj.kind).title)
        except Http404:  # a kind whose module was removed
            return obj.kind


class SheetUploadSerializer(StrictSerializer):
    file = serializers.FileField(help_text=_("Excel 工作簿（.xlsx），可先下载网页上的模板。"))
    dry_run = serializers.BooleanField(
        required=False,
        default=True,
        help_text=_("true（默认）：只检查，不导入；false：检查无误则立即导入。"),
    )
