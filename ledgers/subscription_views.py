"""Pages of the scheduled ledgers (台账定期报送, /ledgers/subscriptions/): the reviewers' kept
pages (list, create, edit, stop, delete — core/kept_views.py), each subscription's deliveries
(what was sent when, to whom, state, error) with 立即重新发送 for a failed one, and the download
page a large ledger's mail links to. Reviewers and administrators only (others 403); outside
scope 404. Thin: parse, call ledgers/subscriptions.py, render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import DateInput, EntryForm
from core.kept_views import Column, KeptPages, Section, register_kept
from ledgers import selectors
from ledgers import subscriptions as s
from ledgers.forms import LEVEL_INDENT
from ledgers.models import LedgerDelivery, LedgerSubscription

XLSX = s.XLSX


class SubscriptionForm(EntryForm):
    scoped = {"region": lambda user: selectors.regions_for_export(user=user)}

    class Meta:
        model = LedgerSubscription
        fields = ["kind", "region", "period_rule", "frequency", "day", "recipients", "start_date"]
        widgets = {
            "recipients": forms.Textarea(attrs={"rows": 2, "inputmode": "email"}),
            "start_date": DateInput(),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["region"].label_from_instance = lambda region: (
            "　" * LEVEL_INDENT.get(region.level, 0) + region.name
        )
        self.fields["start_date"].required = False
        if not self.instance.pk:
            self.initial.setdefault("day", 1)
            self.initial.setdefault("start_date", timezone.localdate())
            if user.region_id:
                self.initial.setdefault("region", user.region_id)
        self.fields["period_rule"].help_text = _(
            "相对发送日：上月；上季度（发送日所在季度的前一季度）；本年1月至上月末。"
        )

    def clean_recipients(self) -> str:
        # The service's rule (ledgers.subscriptions.parse_recipients), so every error shows at once.
        addresses, errors = s.parse_recipients(self.cleaned_data.get("recipients", ""))
        if errors:
            raise ValidationError(errors)
        return ", ".join(addresses)


def _subscriptions(user):
    return LedgerSubscription.objects.visible_to(user).select_related("region", "created_by")


def _status(subscription: LedgerSubscription) -> str:
    today = timezone.localdate()
    if subscription.end_date is not None and subscription.end_date <= today:
        return _("已停止（%(day)s）") % {"day": subscription.end_date.isoformat()}
    after = max(today, subscription.start_date)
    upcoming = s.next_scheduled(subscription.frequency, subscription.day, after)
    return _("下次发送 %(day)s") % {"day": upcoming.isoformat()}


def _title(subscription: LedgerSubscription) -> str:
    return _("%(ledger)s · %(region)s · %(rule)s") % {
        "ledger": subscription.get_kind_display(),
        "region": subscription.region.name,
        "rule": subscription.get_period_rule_display(),
    }


def _schedule(subscription: LedgerSubscription) -> str:
    return _("%(frequency)s%(day)d日") % {
        "frequency": subscription.get_frequency_display(),
        "day": subscription.day,
    }


def _delivery_sections(request, subscription: LedgerSubscription) -> list[Section]:
    deliveries = subscription.deliveries.order_by("-scheduled_on", "-id")[:60]
    rows = [
        (
            [
                s.period_label(delivery),
                delivery.get_status_display(),
                timezone.localtime(delivery.sent_at).strftime("%Y-%m-%d %H:%M")
                if delivery.sent_at
                else _("应于 %(day)s") % {"day": delivery.scheduled_on.isoformat()},
            ],
            reverse("ledger_mail:delivery_detail", args=[delivery.pk]),
        )
        for delivery in deliveries
    ]
    return [
        Section(
            title=_("发送记录"),
            headers=[_("期间"), _("状态"), _("发送时间")],
            rows=rows,
            empty=_("还没有发送过。每天 07:00 检查，到发送日即发送。"),
        )
    ]


class ReviewerPages(KeptPages):
    """The kept pages, readable by the keepers only (reviewers and administrators): a
    subscription names addresses outside the product, so other roles get 403 even to read."""

    def _require(self, request) -> None:
        if not self.keeps(request.user):
            raise PermissionDenied(_("只有审核人员可以管理台账定期报送。"))

    def list_view(self, request):
        self._require(request)
        return super().list_view(request)

    def detail_view(self, request, pk: int):
        self._require(request)
        return super().detail_view(request, pk)


SUBSCRIPTION_PAGES = register_kept(
    ReviewerPages(
        kind=s.KIND,
        model=LedgerSubscription,
        form_class=SubscriptionForm,
        namespace="ledger_mail",
        name="subscription",
        label=gettext_lazy("台账定期报送"),
        record=s.subscription_record,
        update=s.subscription_update,
        delete=s.subscription_delete,
        end=s.subscription_end,
        end_label=gettext_lazy("停止报送"),
        instance_kw="subscription",
        queryset=_subscriptions,
        list_columns=[
            Column(gettext_lazy("台账 · 区划 · 期间"), _title),
            Column(gettext_lazy("发送时间"), _schedule),
            "recipients",
            Column(gettext_lazy("状态"), _status),
        ],
        detail_fields=[
            "kind",
            "region",
            "period_rule",
            "frequency",
            "day",
            "recipients",
            "start_date",
            "end_date",
            "created_by",
        ],
        title=_title,
        sections=_delivery_sections,
        ordering=["-id"],
        group=gettext_lazy("台账报送"),
        intro=gettext_lazy(
            "按月或按季度把台账自动发送到上级邮箱：身份证号一律脱敏，较大的台账发送下载链接；"
            "每次发送都有记录。"
        ),
    )
)


@login_required
@require_http_methods(["GET", "POST"])
def delivery_detail(request, pk: int):
    """One delivery: what was sent when and to whom, its state and error; POST sends a failed
    one again now."""
    SUBSCRIPTION_PAGES._require(request)
    delivery = get_object_or_404(
        LedgerDelivery.objects.visible_to(request.user).select_related("subscription__region"),
        pk=pk,
    )
    if request.method == "POST":
        try:
            delivery = s.delivery_resend(user=request.user, delivery=delivery)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if delivery.status == LedgerDelivery.Status.SENT:
                messages.success(request, _("已重新发送。"))
            elif delivery.status == LedgerDelivery.Status.FAILED:
                messages.error(request, _("重新发送仍然失败，原因见下方。"))
            else:
                messages.success(request, _("已安排重新发送，稍后刷新查看结果。"))
        return redirect("ledger_mail:delivery_detail", pk=delivery.pk)
    subscription = delivery.subscription
    return render(
        request,
        "ledgers/subscriptions/delivery.html",
        {
            "delivery": delivery,
            "subscription": subscription,
            "title": SUBSCRIPTION_PAGES.title(subscription),
            "period_label": s.period_label(delivery),
            "subscription_url": SUBSCRIPTION_PAGES.url("detail", subscription.pk),
            "list_url": SUBSCRIPTION_PAGES.list_url(),
            "can_resend": delivery.status == LedgerDelivery.Status.FAILED,
        },
    )


@login_required
@require_GET
def delivery_download(request, pk: int):
    """The page a large ledger's mail links to: anyone whose scope covers the region (a city
    reviewer for a county's ledger) downloads it after logging in; logged as a download."""
    delivery = s.delivery_for_download(user=request.user, delivery_id=pk)
    if not delivery.file:
        return render(
            request,
            "ledgers/subscriptions/expired.html",
            {"delivery": delivery, "period_label": s.period_label(delivery)},
            status=410,
        )
    s.delivery_download_log(delivery=delivery, request=request)
    return FileResponse(
        delivery.file.open("rb"),
        as_attachment=True,
        filename=delivery.attachment_name or "ledger.xlsx",
        content_type=XLSX,
    )


app_name = "ledger_mail"

urlpatterns = [
    *SUBSCRIPTION_PAGES.urls("subscriptions"),
    path("subscriptions/deliveries/<int:pk>/", delivery_detail, name="delivery_detail"),
    path(
        "subscriptions/deliveries/<int:pk>/download/",
        delivery_download,
        name="delivery_download",
    ),
]
