"""Pages of the Party-work department: the dashboard, an indicator's drill-down down to the
lagging subjects, the unit ranking, a unit's yearly assessment, a result with the records
behind it, and the button that re-evaluates a period. Thin: parse, call a selector or a
service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from assessments import charts, selectors
from assessments.models import (
    EvaluationRun,
    Indicator,
    IndicatorOverride,
    PeriodKind,
    UnitAssessment,
)
from assessments.periods import period_containing
from assessments.services import evaluation_start
from assessments.tasks import evaluate_period
from config.celery import enqueue
from core.scope import Role, scope_of
from pairing.models import Unit

PAGE_SIZE = 50


def _require_reviewer(user) -> None:
    if not user.is_reviewer:
        raise PermissionDenied(_("只有党组工作部审核人员可以查看考核看板。"))


def _context(request):
    """The period and region every dashboard page is about, from ?period= and ?region=."""
    today = timezone.localdate()
    period, error = selectors.dashboard_period(request.GET.get("period"), today=today)
    region = selectors.dashboard_region(user=request.user, code=request.GET.get("region"))
    return {
        "period": period,
        "period_error": error,
        "period_text": request.GET.get("period") or period.label,
        "region": region,
        "crumbs": selectors.breadcrumbs(user=request.user, region=region),
        "known_periods": selectors.known_periods(),
        "year": period.year if period.kind != PeriodKind.WEEK else period.end.year,
    }


def _query(period, region, **extra) -> str:
    params = {"period": period.label, "region": region.code}
    params.update({k: v for k, v in extra.items() if v not in (None, "")})
    return "?" + urlencode(params)


@login_required
@require_GET
def dashboard(request):
    _require_reviewer(request.user)
    ctx = _context(request)
    period, region, user = ctx["period"], ctx["region"], request.user
    shares = selectors.indicator_shares(user=user, period=period, region=region)
    children = selectors.child_shares(user=user, period=period, region=region)
    ranking, unit_total = selectors.unit_ranking(user=user, period=period, region=region, limit=10)
    trend = selectors.visit_trend(user=user, region=region, year=ctx["year"])
    income = selectors.income_distribution(user=user, year=ctx["year"], region=region)
    for share in shares:
        share.url = reverse("assessments:indicator", args=[share.indicator.code]) + _query(
            period, region
        )
    for child in children:
        child.url = reverse("assessments:dashboard") + _query(period, child.region)
    for row in ranking:
        row.url = reverse("assessments:unit", args=[row.unit_id]) + f"?year={ctx['year']}"
    ctx.update(
        {
            "shares": shares,
            "children": children,
            "ranking": ranking,
            "unit_total": unit_total,
            "units_url": reverse("assessments:units") + _query(period, region),
            "trend": trend,
            "income": income,
            "income_url": reverse("assessments:indicator", args=[selectors.INCOME_CODE])
            + _query(period_containing(PeriodKind.YEAR, period.end), region),
            "last_run": selectors.last_evaluated(period=period),
            "runs": selectors.recent_runs(),
            "share_chart": charts.share_bars(
                title=_("各项指标达标率"),
                labels=[s.indicator.name for s in shares],
                shares=[s.share for s in shares],
            )
            if shares
            else None,
            "trend_chart": charts.visit_trend(
                title=_("%(year)d年每月走访") % {"year": ctx["year"]},
                months=[m["label"] for m in trend],
                credited=[m["credited"] for m in trend],
                held=[m["held"] for m in trend],
            ),
            "income_chart": charts.income_bands(
                title=_("贫困村集体经济收入分布"),
                bands=[b["label"] for b in income["bands"]],
                below=[b["below"] for b in income["bands"]],
                above=[b["met"] for b in income["bands"]],
            )
            if income["total"]
            else None,
        }
    )
    return render(request, "assessments/dashboard.html", ctx)


@login_required
@require_GET
def indicator_detail(request, code: str):
    _require_reviewer(request.user)
    ctx = _context(request)
    period, region, user = ctx["period"], ctx["region"], request.user
    indicator = get_object_or_404(Indicator, code=code)
    unit_id = request.GET.get("unit") or None
    if unit_id is not None and not unit_id.isdigit():
        unit_id = None
    share = next(
        (
            s
            for s in selectors.indicator_shares(user=user, period=period, region=region)
            if s.indicator.id == indicator.id
        ),
        None,
    )
    children = selectors.child_shares(user=user, period=period, region=region, indicator=indicator)
    for child in children:
        child.url = reverse("assessments:indicator", args=[code]) + _query(period, child.region)
        child.share = child.shares.get(indicator.id)
    lagging = selectors.lagging_results(
        user=user, period=period, indicator=indicator, region=region, unit_id=unit_id
    )
    page = Paginator(lagging, PAGE_SIZE).get_page(request.GET.get("page"))
    for result in page.object_list:
        result.url = selectors.subject_url(result)
        result.detail_url = reverse("assessments:result", args=[result.pk])
    # `region` is the dashboard region, already inside the user's scope (dashboard_region).
    overrides = IndicatorOverride.objects.filter(
        indicator=indicator, region__path__startswith=region.path
    ).select_related("region")
    ctx.update(
        {
            "indicator": indicator,
            "share": share,
            "children": children,
            "children_chart": charts.share_bars(
                title=_("下级区划达标率"),
                labels=[c.region.name for c in children],
                shares=[c.share.share if c.share else None for c in children],
            )
            if children
            else None,
            "page": page,
            "unit_id": unit_id,
            "overrides": overrides,
            "page_query": _query(period, region, unit=unit_id),
        }
    )
    return render(request, "assessments/indicator.html", ctx)


@login_required
@require_GET
def unit_list(request):
    _require_reviewer(request.user)
    ctx = _context(request)
    page_number = request.GET.get("page") or "1"
    page_number = int(page_number) if page_number.isdigit() and int(page_number) > 0 else 1
    rows, total = selectors.unit_ranking(
        user=request.user,
        period=ctx["period"],
        region=ctx["region"],
        limit=PAGE_SIZE,
        offset=(page_number - 1) * PAGE_SIZE,
    )
    for i, row in enumerate(rows):
        row.rank = (page_number - 1) * PAGE_SIZE + i + 1
        row.url = reverse("assessments:unit", args=[row.unit_id]) + f"?year={ctx['year']}"
    pages = max(1, -(-total // PAGE_SIZE))
    ctx.update(
        {
            "rows": rows,
            "total": total,
            "page_number": page_number,
            "pages": pages,
            "page_query": _query(ctx["period"], ctx["region"]),
        }
    )
    return render(request, "assessments/units.html", ctx)


def _visible_unit(user, pk: int):

    if user.is_reviewer:
        unit = Unit.objects.visible_to(user).filter(pk=pk).first()
    elif user.role == Role.COORDINATOR:
        # A unit's liaison reads their own unit's assessment, not their partners'.
        unit = Unit.objects.filter(pk=pk, pk__in=scope_of(user).own_unit_ids()).first()
    else:
        raise PermissionDenied(_("您的角色不能查看单位考核。"))
    if unit is None:
        raise Http404(_("单位不存在或不在您的管辖范围内。"))
    return unit


@login_required
@require_GET
def unit_detail(request, pk: int):
    unit = _visible_unit(request.user, pk)
    today = timezone.localdate()
    year_text = request.GET.get("year") or ""
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else today.year
    assessment = UnitAssessment.objects.filter(unit=unit, year=year).first()
    reasons, hidden = (
        selectors.visible_reasons(user=request.user, assessment=assessment)
        if assessment
        else ([], 0)
    )
    per_indicator = selectors.unit_indicator_shares(user=request.user, unit=unit, year=year)
    period_label = str(year)
    for row in per_indicator:
        row["url"] = (
            reverse("assessments:indicator", args=[row["code"]])
            + "?"
            + urlencode({"period": period_label, "unit": unit.pk})
            if request.user.is_reviewer
            else ""
        )
    own = list(selectors.unit_own_results(user=request.user, unit=unit, year=year))
    return render(
        request,
        "assessments/unit.html",
        {
            "unit": unit,
            "year": year,
            "years": list(range(today.year, today.year - 4, -1)),
            "assessment": assessment,
            "reasons": reasons,
            "hidden_reasons": hidden,
            "per_indicator": per_indicator,
            "own_results": own,
        },
    )


@login_required
@require_GET
def result_detail(request, pk: int):
    if not (request.user.is_reviewer or request.user.role == Role.COORDINATOR):
        raise PermissionDenied(_("您的角色不能查看考核结果。"))
    result = selectors.result_for(user=request.user, pk=pk)
    records = selectors.result_records(user=request.user, result=result)
    subject_url = selectors.subject_url(result)
    return render(
        request,
        "assessments/result.html",
        {
            "result": result,
            "records": records,
            "subject_url": subject_url if subject_url != request.path else "",
        },
    )


@login_required
@require_POST
def evaluate(request):
    """Re-evaluate a period for the reviewer's region (or the region they are looking at)."""
    _require_reviewer(request.user)
    period_text = request.POST.get("period", "")
    region = selectors.dashboard_region(user=request.user, code=request.POST.get("region"))
    everything = scope_of(request.user).everything
    region_code = None if (everything and region.parent_id is None) else region.code
    back = (
        reverse("assessments:dashboard")
        + "?"
        + urlencode({"period": period_text, "region": region.code})
    )
    try:
        run = evaluation_start(
            period=period_text, region_code=region_code, requested_by=request.user
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect(back)

    queued: list[bool] = []

    def queue() -> None:
        # Without an atomic block around the view this runs at once, before the message below.
        queued.append(enqueue(evaluate_period, run.period, region_code, run.pk))
        if not queued[-1]:  # the broker is down: the run must not block the next click
            EvaluationRun.objects.filter(pk=run.pk, status=EvaluationRun.Status.RUNNING).update(
                status=EvaluationRun.Status.FAILED, error=_("后台任务无法启动（任务队列不可用）。")
            )

    transaction.on_commit(queue)
    if queued and not queued[-1]:
        messages.error(
            request,
            _(
                "后台任务无法启动（任务队列暂时不可用），考核结果没有重新计算。请稍后再试；"
                "如仍失败请联系系统管理员。"
            ),
        )
        return redirect(back)
    messages.success(
        request,
        _("已开始计算 %(period)s 的考核结果，完成后刷新本页即可看到。") % {"period": run.period},
    )
    return redirect(back)


@require_GET
@cache_control(max_age=86400, public=True)
def chart_css(request):
    """The charts' stylesheet (see charts.py): served from this host, as CSP requires."""
    return HttpResponse(charts.chart_stylesheet(), content_type="text/css; charset=utf-8")
