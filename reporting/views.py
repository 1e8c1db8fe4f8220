"""The reporting pages: a township's periods and its 报送 page per period; a county's status page
(townships × periods) with approve, return and reopen. Every write goes through
reporting/services.py; the pages only read (reporting/selectors.py) and show refusals."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.forms import add_service_errors
from core.scope import Role
from periods.models import PeriodSetting
from periods.services import period_setting_save
from reporting import services
from reporting.selectors import (
    counties_in_scope,
    period_contents,
    period_history,
    period_indicators,
    period_view,
    recent_periods,
    status_grid,
    township_in_scope,
)
from villages.models import RegionLevel


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("原因"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("请填写原因。")},
    )


@login_required
def index(request):
    """Township staff: their township's periods; reviewers: their county's status page (or
    the counties of their region)."""
    user = request.user
    if user.role == Role.TOWNSHIP_STAFF:
        region = user.region
        if region is None or region.level != RegionLevel.TOWNSHIP:
            raise Http404
        return redirect("reporting:township", township_id=region.pk)
    if not user.is_reviewer:
        raise PermissionDenied(_("您的角色不使用报送。"))
    counties = list(counties_in_scope(user))
    if len(counties) == 1:
        return redirect("reporting:status", county_id=counties[0].pk)
    return render(request, "reporting/counties.html", {"counties": counties})


class SettingForm(forms.ModelForm):
    class Meta:
        model = PeriodSetting
        fields = ["granularity", "lock_days"]


@login_required
def status(request, county_id: int):
    if not request.user.is_reviewer:
        raise PermissionDenied(_("只有审核人员可以查看报送情况。"))
    county = counties_in_scope(request.user).filter(pk=county_id).first()
    if county is None:
        raise Http404
    instance = PeriodSetting.objects.filter(county=county).first()
    form = SettingForm(instance=instance)
    status_code = 200
    if request.method == "POST":
        form = SettingForm(request.POST, instance=instance)
        if form.is_valid():
            try:
                period_setting_save(user=request.user, county=county, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("报送设置已保存。"))
                return redirect("reporting:status", county_id=county.pk)
        status_code = 400
    grid = status_grid(county)
    return render(
        request,
        "reporting/status.html",
        {"grid": grid, "county": county, "form": form, "lock_days": settings.PERIOD_LOCK_DAYS},
        status=status_code,
    )


@login_required
def township(request, township_id: int):
    user = request.user
    if not (user.role == Role.TOWNSHIP_STAFF or user.is_reviewer):
        raise PermissionDenied(_("您的角色不使用报送。"))
    place = township_in_scope(user, township_id)
    current = period_view(place)
    views = [
        period_view(place, label)
        for label, _s, _e in recent_periods(current.rule, current.today, 12)
    ]
    return render(
        request, "reporting/township.html", {"township": place, "views": views, "current": current}
    )


@login_required
def period(request, township_id: int, label: str):
    user = request.user
    if not (user.role == Role.TOWNSHIP_STAFF or user.is_reviewer):
        raise PermissionDenied(_("您的角色不使用报送。"))
    place = township_in_scope(user, township_id)
    view = period_view(place, label)
    return render(
        request,
        "reporting/period.html",
        _period_context(request, view),
    )


def _period_context(request, view, form=None, action=""):
    user = request.user
    stored = view.row.contents.get("lines") if view.row is not None and view.row.contents else None
    return {
        "view": view,
        "township": view.township,
        "lines": period_contents(view.township, view.start, view.end),
        "submitted_lines": stored,
        "indicators": period_indicators(view.township, view.label),
        "history": period_history(view.row),
        "may_submit": (user.role == Role.TOWNSHIP_STAFF or user.is_admin) and view.can_submit,
        "may_review": user.is_reviewer and view.can_review,
        "may_reopen": user.is_reviewer and view.can_reopen,
        "form": form or ReasonForm(),
        "form_action": action,
    }


def _act(request, township_id: int, label: str, action: str):
    user = request.user
    back = reverse("reporting:period", kwargs={"township_id": township_id, "label": label})
    form = None
    try:
        if action == "submit":
            services.period_submit(user=user, township_id=township_id, label=label)
            messages.success(request, _("已报送，等待县级审核。"))
        elif action == "approve":
            services.period_approve(user=user, township_id=township_id, label=label)
            messages.success(request, _("已审核通过，该期间已锁定。"))
        else:
            form = ReasonForm(request.POST)
            if form.is_valid():
                call = services.period_return if action == "return" else services.period_reopen
                call(
                    user=user,
                    township_id=township_id,
                    label=label,
                    reason=form.cleaned_data["reason"],
                )
                messages.success(
                    request, _("已退回乡镇。") if action == "return" else _("已重新开放该期间。")
                )
    except ValidationError as exc:
        if form is not None and hasattr(exc, "error_dict") and "reason" in exc.error_dict:
            form.add_error("reason", exc.error_dict["reason"])
        else:
            messages.error(request, " ".join(exc.messages))
        return _refused(request, user, township_id, label, form, action)
    if form is not None and form.errors:  # the reason's error next to it, the text kept
        return _refused(request, user, township_id, label, form, action)
    return redirect(back)


def _refused(request, user, township_id: int, label: str, form, action: str):
    view = period_view(township_in_scope(user, township_id), label)
    context = _period_context(request, view, form, action)
    return render(request, "reporting/period.html", context, status=400)


@login_required
@require_POST
def submit(request, township_id: int, label: str):
    return _act(request, township_id, label, "submit")


@login_required
@require_POST
def approve(request, township_id: int, label: str):
    return _act(request, township_id, label, "approve")


@login_required
@require_POST
def return_(request, township_id: int, label: str):
    return _act(request, township_id, label, "return")


@login_required
@require_POST
def reopen(request, township_id: int, label: str):
    return _act(request, township_id, label, "reopen")
