"""The scheduled ledgers (台账定期报送): subscriptions, read and written through
ledgers/subscriptions.py, and their deliveries (read-only, with a resend action)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.serializers.activities import WriteSerializer
from api.serializers.fields import ScopedPrimaryKeyRelatedField
from ledgers import subscriptions
from ledgers.models import LedgerDelivery, LedgerSubscription
from ledgers.selectors import regions_for_export
from villages.models import Region

RECIPIENTS_HELP = _("收件人电子邮箱，多个用逗号、分号或换行分隔，最多20个。")


class LedgerSubscriptionSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    recipient_list = serializers.ListField(
        child=serializers.EmailField(), read_only=True, help_text=_("收件人列表。")
    )
    created_by_name = serializers.CharField(source="created_by.__str__", read_only=True)

    class Meta:
        model = LedgerSubscription
        fields = [
            "id",
            "kind",
            "region",
            "region_code",
            "region_name",
            "period_rule",
            "frequency",
            "day",
            "recipients",
            "recipient_list",
            "start_date",
            "end_date",
            "created_by",
            "created_by_name",
            "created_at",
        ]


def _region_field(**kwargs) -> ScopedPrimaryKeyRelatedField:
    return ScopedPrimaryKeyRelatedField(
        queryset=Region.objects.all(),
        scope=lambda user: regions_for_export(user=user),
        help_text=_("区划编号：您管辖范围内的县（区）、乡镇（街道）等，不能是村。"),
        **kwargs,
    )


class LedgerSubscriptionWriteSerializer(WriteSerializer):
    region = _region_field()
    day = serializers.IntegerField(
        min_value=1, max_value=31, help_text=_("发送日（1–31；该月没有这一天时在月末发送）。")
    )
    recipients = serializers.CharField(max_length=5000, help_text=RECIPIENTS_HELP)

    class Meta(WriteSerializer.Meta):
        model = LedgerSubscription
        fields = ["kind", "region", "period_rule", "frequency", "day", "recipients", "start_date"]
        extra_kwargs = {"start_date": {"required": False}}


class LedgerSubscriptionUpdateSerializer(WriteSerializer):
    region = _region_field(required=False)
    day = serializers.IntegerField(min_value=1, max_value=31, required=False)
    recipients = serializers.CharField(max_length=5000, required=False, help_text=RECIPIENTS_HELP)

    class Meta(WriteSerializer.Meta):
        model = LedgerSubscription
        fields = ["kind", "region", "period_rule", "frequency", "day", "recipients", "start_date"]
        extra_kwargs = {
            name: {"required": False} for name in ("kind", "period_rule", "frequency", "start_date")
        }


class LedgerDeliverySerializer(serializers.ModelSerializer):
    period_label = serializers.SerializerMethodField(help_text=_("期间（中文）。"))
    has_file = serializers.SerializerMethodField(help_text=_("大台账的文件是否仍可下载。"))

    class Meta:
        model = LedgerDelivery
        fields = [
            "id",
            "subscription",
            "period",
            "period_label",
            "period_start",
            "period_end",
            "scheduled_on",
            "status",
            "attempts",
            "last_error",
            "sent_at",
            "recipients",
            "message_id",
            "rows",
            "attachment_name",
            "attachment_size",
            "link",
            "has_file",
        ]

    def get_period_label(self, obj) -> str:
        return subscriptions.period_label(obj)

    def get_has_file(self, obj) -> bool:
        return bool(obj.file)
