"""A region's own indicator thresholds (指标阈值（本地）), read and written through
assessments.services (threshold_record, threshold_update, threshold_clear)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.base import StrictSerializer
from api.serializers.fields import ScopedPrimaryKeyRelatedField
from assessments.forms import threshold_regions
from assessments.models import Indicator, IndicatorOverride
from assessments.services import THRESHOLD_MAX
from villages.models import Region

THRESHOLD_HELP = _(
    "达标值：不能为负；按次、人、天等计数的指标为整数；百分比不超过 100；"
    "按天计的不超过考核周期的天数；“不少于”类指标须大于 0。"
)


class IndicatorOverrideSerializer(serializers.ModelSerializer):
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    indicator_name = serializers.CharField(source="indicator.name", read_only=True)
    unit_label = serializers.CharField(
        source="indicator.unit_label", read_only=True, help_text=_("计量单位。")
    )
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = IndicatorOverride
        fields = [
            "id",
            "indicator",
            "indicator_code",
            "indicator_name",
            "unit_label",
            "region",
            "region_code",
            "region_name",
            "threshold",
            "note",
        ]


def _threshold_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        max_value=THRESHOLD_MAX - 1,
        help_text=THRESHOLD_HELP,
        **kwargs,
    )


class IndicatorOverrideWriteSerializer(StrictSerializer):
    indicator = serializers.PrimaryKeyRelatedField(
        queryset=Indicator.objects.all(), help_text=_("考核指标编号。")
    )
    region = ScopedPrimaryKeyRelatedField(
        queryset=Region.objects.all(),
        scope=threshold_regions,
        help_text=_("适用区划编号（须在您的管辖范围内）；适用于该区划及其全部下级。"),
    )
    threshold = _threshold_field()
    note = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text=_("依据，如文件名称和文号。")
    )


class IndicatorOverrideUpdateSerializer(StrictSerializer):
    threshold = _threshold_field(required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
