"""Endpoints of the scheduled ledgers (see api/urls.py KEPT_MODULES): a reviewer's
subscriptions (ledger, region, period, schedule, recipients), written through the same
services as the pages (ledgers/subscriptions.py), and what was sent when (deliveries, with
`resend` for a failed one). Reviewers and administrators only (others 403); outside scope 404."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from api.base import ApiViewMixin, EndSerializer, KeptViewSet, saving
from api.filters import ApiFilterSet, IdFilter, RegionSubtreeFilter
from api.serializers import kept_ledgers as s
from core.keepers import may_keep
from ledgers import subscriptions
from ledgers.models import LedgerDelivery, LedgerSubscription

TAG = _("台账定期报送")
RULES = _(
    "与网页调用同一服务：只有审核人员（及系统管理员）可以读写（其他角色 403）；"
    "区划须在您的管辖范围内，不在范围内的对象按不存在处理（404）。"
)


class KeepsSubscriptions(BasePermission):
    message = _("只有审核人员可以管理台账定期报送。")

    def has_permission(self, request, view) -> bool:
        return may_keep(request.user, subscriptions.KIND)


class SubscriptionFilter(ApiFilterSet):
    region = RegionSubtreeFilter(path_field="region__path")
    kind = django_filters.CharFilter(label=_("台账种类"), max_length=20)
    active = django_filters.BooleanFilter(
        label=_("未停止"), field_name="end_date", lookup_expr="isnull"
    )

    class Meta:
        model = LedgerSubscription
        fields = ["region", "kind", "active"]


class LedgerSubscriptionViewSet(KeptViewSet):
    """台账定期报送：某台账、某区划、某期间（上月、上季度、本年至上月末），每月某日或每季度首月
    某日自动发送到上级邮箱；身份证号一律脱敏；较大的台账发送下载链接。每次发送见
    ledger-deliveries。"""

    model = LedgerSubscription
    permission_classes = [IsAuthenticated, KeepsSubscriptions]
    serializer_class = s.LedgerSubscriptionSerializer
    filterset_class = SubscriptionFilter
    ordering_fields = ["id", "day", "start_date"]
    ordering = ["-id"]
    instance_kw = "subscription"
    services = {
        "record": subscriptions.subscription_record,
        "update": subscriptions.subscription_update,
        "end": subscriptions.subscription_end,
        "delete": subscriptions.subscription_delete,
    }
    schema_tag = TAG
    summaries = {
        "list": _("台账定期报送列表"),
        "retrieve": _("台账定期报送详情"),
        "create": _("新增台账定期报送"),
        "partial_update": _("修改台账定期报送"),
        "destroy": _("删除台账定期报送（从未发送过的）"),
        "end": _("停止台账定期报送（填写停止日期）"),
    }
    descriptions = {"create": RULES, "partial_update": RULES, "destroy": RULES}

    @property
    def write_serializer_classes(self):
        return {
            "create": s.LedgerSubscriptionWriteSerializer,
            "partial_update": s.LedgerSubscriptionUpdateSerializer,
        }

    def optimise(self, queryset):
        return queryset.select_related("region", "created_by")

    @extend_schema(request=EndSerializer, summary=_("停止台账定期报送（填写停止日期）"))
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request, pk=None):
        return self.end_record(request, pk)


class DeliveryFilter(ApiFilterSet):
    subscription = IdFilter("subscription_id", _("定期报送编号"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=LedgerDelivery.Status.choices)

    class Meta:
        model = LedgerDelivery
        fields = ["subscription", "status"]


class LedgerDeliveryViewSet(
    ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """台账报送记录：每个定期报送每期一条（同一期只发送一次）：应发送日期、状态、尝试次数、
    最近错误、发送时间、收件人、邮件标识、附件或下载链接。"""

    model = LedgerDelivery
    permission_classes = [IsAuthenticated, KeepsSubscriptions]
    serializer_class = s.LedgerDeliverySerializer
    filterset_class = DeliveryFilter
    ordering_fields = ["scheduled_on", "id"]
    ordering = ["-scheduled_on", "-id"]
    schema_tag = TAG
    summaries = {
        "list": _("台账报送记录列表"),
        "retrieve": _("台账报送记录详情"),
        "resend": _("立即重新发送（仅发送失败的）"),
    }

    @extend_schema(request=None, responses=s.LedgerDeliverySerializer)
    @action(detail=True, methods=["post"], url_path="resend")
    def resend(self, request, pk=None):
        delivery = self.get_object()
        delivery = saving(
            lambda: subscriptions.delivery_resend(user=request.user, delivery=delivery)
        )
        return Response(self.get_serializer(delivery).data)


ROUTES: list = [
    ("ledger-subscriptions", LedgerSubscriptionViewSet, "ledger-subscription"),
    ("ledger-deliveries", LedgerDeliveryViewSet, "ledger-delivery"),
]
