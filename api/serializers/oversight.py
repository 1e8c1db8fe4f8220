"""Indicator definitions and results, spot-check draws and items, rectification items,
notifications and export jobs."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.base import StrictSerializer
from assessments.models import Indicator, IndicatorResult
from inspections.models import RectificationItem, SpotCheckDraw, SpotCheckItem
from ledgers.models import ExportJob
from notifications.models import Notification


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = [
            "id",
            "code",
            "name",
            "subject_kind",
            "metric",
            "period_kind",
            "comparison",
            "threshold",
            "unit_label",
            "source",
            "description",
            "active",
        ]


class IndicatorResultSerializer(serializers.ModelSerializer):
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    indicator_name = serializers.CharField(source="indicator.name", read_only=True)

    class Meta:
        model = IndicatorResult
        fields = [
            "id",
            "indicator",
            "indicator_code",
            "indicator_name",
            "period",
            "period_start",
            "period_end",
            "subject_kind",
            "subject_id",
            "subject_label",
            "path",
            "township",
            "village",
            "household",
            "unit",
            "helper",
            "pairing",
            "value",
            "threshold",
            "met",
            "shortfall",
            "computed_at",
        ]


class SpotCheckDrawSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)
    region_code = serializers.CharField(source="region.code", read_only=True)
    item_count = serializers.IntegerField(read_only=True, help_text=_("抽中的村和户数。"))

    class Meta:
        model = SpotCheckDraw
        fields = [
            "id",
            "region",
            "region_code",
            "region_name",
            "quarter",
            "share",
            "households_per_village",
            "exclude_previous",
            "seed",
            "drawn_by",
            "drawn_at",
            "voided",
            "voided_at",
            "void_reason",
            "item_count",
        ]


class SpotCheckItemSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    household_name = serializers.CharField(
        source="household.head_name", read_only=True, allow_null=True, default=None
    )
    township_name = serializers.CharField(source="township.name", read_only=True)
    quarter = serializers.CharField(source="draw.quarter", read_only=True)
    inspected_on = serializers.SerializerMethodField(help_text=_("督查日期；未督查时为 null。"))

    class Meta:
        model = SpotCheckItem
        fields = [
            "id",
            "draw",
            "quarter",
            "township",
            "township_name",
            "village",
            "village_name",
            "household",
            "household_name",
            "inspected_on",
        ]

    def get_inspected_on(self, obj) -> str | None:
        inspection = getattr(obj, "inspection", None)
        try:
            return inspection.inspected_on.isoformat() if inspection else None
        except AttributeError:
            return None


class RectificationItemSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    household_name = serializers.CharField(
        source="household.head_name", read_only=True, allow_null=True, default=None
    )
    responsible_unit_name = serializers.CharField(
        source="responsible_unit.name", read_only=True, allow_null=True, default=None
    )
    responsible_person_name = serializers.CharField(
        source="responsible_person.display_name", read_only=True, allow_null=True, default=None
    )
    overdue = serializers.BooleanField(read_only=True, help_text=_("是否已过整改时限仍未销号。"))

    class Meta:
        model = RectificationItem
        fields = [
            "id",
            "inspection",
            "village",
            "village_name",
            "household",
            "household_name",
            "problem",
            "task",
            "responsible_unit",
            "responsible_unit_name",
            "responsible_person",
            "responsible_person_name",
            "deadline",
            "status",
            "overdue",
            "submitted_at",
            "closed_on",
            "closed_by",
            "created_by",
            "created_at",
        ]


class RectificationNoteSerializer(StrictSerializer):
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text=_("整改情况或意见。")
    )


class EvidenceSerializer(StrictSerializer):
    file = serializers.FileField(
        allow_empty_file=False, help_text=_("佐证材料：JPG、PNG、WEBP 图片或 PDF。")
    )
    note = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text=_("说明。")
    )


class ReopenSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=300, help_text=_("退回原因（必填）。"))


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("本次标记为已读的条数。"))


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "subject_key",
            "period",
            "title",
            "body",
            "link",
            "digest",
            "created_at",
            "read_at",
        ]


class ExportJobSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)
    progress = serializers.IntegerField(read_only=True, help_text=_("进度（0–100）。"))
    has_file = serializers.SerializerMethodField(help_text=_("文件是否已生成。"))

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "user",
            "kind",
            "region",
            "region_name",
            "period",
            "status",
            "total_rows",
            "done_rows",
            "progress",
            "has_file",
            "error",
            "created_at",
            "finished_at",
            "expires_at",
        ]

    def get_has_file(self, obj) -> bool:
        return bool(obj.file)
