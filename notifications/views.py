from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications import selectors, services
from notifications.models import NotificationKind


@login_required
def notification_list(request):
    unread_only = request.GET.get("show") != "all"
    qs = selectors.notification_list(request.user, unread_only=unread_only)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page": page, "unread_only": unread_only, "digest_kind": NotificationKind.DIGEST},
    )


@login_required
def notification_detail(request, pk: int):
    """Opening a notification reads it (a digest: with its items). Someone else's: 404."""
    notification = selectors.notification_get(request.user, pk)
    if notification is None:
        raise Http404
    if notification.read_at is None:
        services.notification_mark_read(user=request.user, notification=notification)
    groups = selectors.digest_groups(notification)
    return render(
        request, "notifications/detail.html", {"notification": notification, "groups": groups}
    )


def _back(request, default: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


@login_required
@require_POST
def notification_mark_read(request, pk: int):
    notification = selectors.notification_get(request.user, pk)
    if notification is None:
        raise Http404
    services.notification_mark_read(user=request.user, notification=notification)
    return _back(request, "notifications:list")


@login_required
@require_POST
def notification_mark_all_read(request):
    count = services.notification_mark_all_read(user=request.user)
    messages.success(request, _("已将 %(n)d 条提醒标为已读。") % {"n": count})
    return _back(request, "notifications:list")
