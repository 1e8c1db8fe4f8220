"""Endpoints of kept records (see api/urls.py KEPT_MODULES): a region's own indicator
thresholds, written through the same services as the thresholds page."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from api.base import KeptViewSet
from api.filters import ApiFilterSet, RegionSubtreeFilter
from api.serializers import kept_rules as s
from assessments import services
from assessments.models import IndicatorOverride
from core.scope import scope_of


class IndicatorOverrideFilter(ApiFilterSet):
    indicator = django_filters.CharFilter(
        label=_("指标代码"), field_name="indicator__code", max_length=40
    )
    region = RegionSubtreeFilter(path_field="region__path")

    class Meta:
        model = IndicatorOverride
        fields = ["indicator", "region"]


class IndicatorOverrideViewSet(KeptViewSet):
    """本地指标阈值：某区划为本区划及其下级另定的达标值（同一对象有多个设置时，最下一级区划的
    设置优先）。所有有管辖范围的用户可读其范围内区划的设置；县党组工作部审核人员（及系统管理员）
    可在其管辖范围内新增、修改和删除（删除后改按上级设置或指标目录执行）。每次变更记入安全日志和
    修改记录；考核看板的结果在下一次计算后更新。"""

    model = IndicatorOverride
    serializer_class = s.IndicatorOverrideSerializer
    write_serializer_class = s.IndicatorOverrideWriteSerializer
    filterset_class = IndicatorOverrideFilter
    ordering_fields = ["threshold", "id"]
    ordering = ["indicator_id", "region_id", "id"]
    instance_kw = "override"
    services = {
        "record": services.threshold_record,
        "update": services.threshold_update,
        "delete": services.threshold_clear,
    }
    schema_tag = _("考核")
    summaries = {
        "list": _("本地指标阈值列表"),
        "retrieve": _("本地指标阈值详情"),
        "create": _("设置本地指标阈值"),
        "partial_update": _("修改本地指标阈值"),
        "destroy": _("删除本地指标阈值"),
    }

    @property
    def write_serializer_classes(self):
        return {
            "create": s.IndicatorOverrideWriteSerializer,
            "partial_update": s.IndicatorOverrideUpdateSerializer,
        }

    def scoped(self):
        return IndicatorOverride.objects.filter(
            region__in=scope_of(self.request.user).regions().values("pk")
        )

    def optimise(self, queryset):
        return queryset.select_related("indicator", "region")

    def is_duplicate(self, data, instance=None):
        if instance is not None or "indicator" not in data or "region" not in data:
            return False
        return IndicatorOverride.objects.filter(
            indicator=data["indicator"], region=data["region"]
        ).exists()


ROUTES: list = [("indicator-overrides", IndicatorOverrideViewSet, "indicator-override")]
