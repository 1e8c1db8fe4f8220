"""Pages of the Party-work department: the dashboard, an indicator's drill-down down to the
lagging subjects, the unit ranking, a unit's yearly assessment, a result with the records
behind it, the button that re-evaluates a period, and the thresholds in force in a region
(with the regions' own settings the department keeps). Thin: parse, call a selector or a
service, render."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from assessments import charts, selectors
from assessments.chart_cache import cached_chart
from assessments.forms import PeriodForm, ThresholdForm
from assessments.models import (
    EvaluationRun,
    Indicator,
    IndicatorOverride,
    PeriodKind,
    UnitAssessment,
)
from assessments.periods import period_containing
from assessments.services import (
    evaluation_start,
    threshold_clear,
    threshold_set,
    threshold_text,
)
from assessments.tasks import evaluate_period
from config.celery import enqueue
from config.db_router import replica_view
from core.forms import add_service_errors
from core.keepers import may_keep
from core.kept_views import HubLink, register_hub_link
from core.scope import Role, scope_of
from pairing.models import Unit
from villages.models import Region, RegionLevel

PAGE_SIZE = 50


def _require_reviewer(user) -> None:
    if not user.is_reviewer:
        raise PermissionDenied(_("只有党组工作部审核人员可以查看考核看板。"))


def _context(request):
    """The period and region every dashboard page is about, from ?period= and ?region=."""
    today = timezone.localdate()
    # The period picker (assessments.forms.PeriodForm): only periods that exist, none ahead.
    period_form = PeriodForm(request.GET, today=today)
    period, error = period_form.chosen()
    region = selectors.dashboard_region(user=request.user, code=request.GET.get("region"))
    return {
        "period": period,
        "period_error": error,
        "period_form": period_form,
        "region": region,
        "crumbs": selectors.breadcrumbs(user=request.user, region=region),
        "year": period.year if period.kind != PeriodKind.WEEK else period.end.year,
    }


def _query(period, region, **extra) -> str:
    params = {"period": period.label, "region": region.code}
    params.update({k: v for k, v in extra.items() if v not in (None, "")})
    return "?" + urlencode(params)


@login_required
@require_GET
@replica_view
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
            "share_chart": cached_chart(
                charts.share_bars,
                title=_("各项指标达标率"),
                labels=[s.indicator.name for s in shares],
                shares=[s.share for s in shares],
            )
            if shares
            else None,
            "trend_chart": cached_chart(
                charts.visit_trend,
                title=_("%(year)d年每月走访") % {"year": ctx["year"]},
                months=[m["label"] for m in trend],
                credited=[m["credited"] for m in trend],
                held=[m["held"] for m in trend],
            ),
            "income_chart": cached_chart(
                charts.income_bands,
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
@replica_view
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
            "children_chart": cached_chart(
                charts.share_bars,
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
@replica_view
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
@replica_view
def unit_detail(request, pk: int):
    unit = _visible_unit(request.user, pk)
    today = timezone.localdate()
    year_text = request.GET.get("year") or ""
    # No future year (the select offers this year and the three before it).
    year = (
        int(year_text)
        if year_text.isdigit() and 2000 <= int(year_text) <= today.year
        else today.year
    )
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


# --- a region's own thresholds (指标阈值) ---------------------------------------------------------
# Everyone with a scope reads which threshold is in force in their regions and where it comes
# from; the county Party-work department (core/keepers.py kind "threshold") sets and clears a
# region's own thresholds through assessments.services. Not a KeptPages: the page is the
# catalogue seen from one region of the tree, not a list of records.
@dataclass
class InForce:
    """The threshold an indicator has in one region, and where it comes from."""

    indicator: Indicator
    value: Decimal
    active: bool
    source: Region | None = None  # the region whose override applies; None: the catalogue
    here: bool = False  # the override is the region's own
    below: int = 0  # regions under this one (in scope) that set their own
    url: str = ""

    @property
    def value_text(self) -> str:
        return threshold_text(self.value)


def _threshold_reader(user) -> None:
    if scope_of(user).nothing:
        raise PermissionDenied(_("您没有管辖范围，不能查看考核指标阈值。"))


def _threshold_region(request) -> Region:
    """The region the page shows: ?region= if inside the user's scope (404 otherwise), else the
    user's own region, else the first region of their scope (a cadre's or a coordinator's
    township or village)."""
    user = request.user
    visible = scope_of(user).regions().exclude(level=RegionLevel.GROUP)
    code = request.GET.get("region")
    region = None
    if code:
        region = visible.filter(code=code).first()
        if region is None:
            raise Http404(_("区划不存在或不在您的管辖范围内。"))
        return region
    if user.region_id and not scope_of(user).everything:
        region = visible.filter(pk=user.region_id).first()
    if region is None:
        region = visible.order_by("path").first()
    if region is None:
        raise Http404(_("您的管辖范围内还没有区划。"))
    return region


def _threshold_place(user, region: Region) -> dict:
    """The region's visible ancestors (root first, itself last) and the regions right under it,
    to move about the tree (two queries)."""
    codes = [c for c in region.path.split("/") if c]
    visible = scope_of(user).regions()
    rows = {r.code: r for r in visible.filter(code__in=codes)}
    children = list(visible.filter(parent=region).exclude(level=RegionLevel.GROUP).order_by("code"))
    return {"crumbs": [rows[c] for c in codes if c in rows], "children": children}


def _in_force(user, region: Region, indicators: list[Indicator]) -> list[InForce]:
    """Each indicator's threshold in the region (Thresholds, the one resolver) with the region
    it comes from, and how many regions below set their own (three queries)."""
    thresholds = selectors.Thresholds([i.code for i in indicators])
    prefixes = selectors.path_prefixes(region.path)
    sources: dict[int, str] = {}
    for indicator in indicators:
        overrides = thresholds.overrides.get(indicator.code, {})
        deepest = [p for p in prefixes if p in overrides]
        if deepest:
            sources[indicator.pk] = deepest[-1]
    by_path = {r.path: r for r in Region.objects.filter(path__in=set(sources.values()))}
    below = dict(
        IndicatorOverride.objects.filter(
            indicator__in=indicators,
            region__path__startswith=region.path,
            region__in=scope_of(user).regions().values("pk"),
        )
        .exclude(region=region)
        .order_by()
        .values("indicator_id")
        .annotate(n=Count("pk"))
        .values_list("indicator_id", "n")
    )
    rows = []
    for indicator in indicators:
        source = by_path.get(sources.get(indicator.pk, ""))
        rows.append(
            InForce(
                indicator=indicator,
                value=thresholds.resolve(indicator.code, region.path),
                active=indicator.active,
                source=source,
                here=source is not None and source.pk == region.pk,
                below=below.get(indicator.pk, 0),
            )
        )
    return rows


def _recalculation(user, region: Region, kind: str) -> dict:
    """What the page says about when the figures follow, and the dashboard's button to
    recalculate the indicator's current period now (reviewers only, as on the dashboard)."""
    kind = PeriodKind.YEAR if kind == PeriodKind.SNAPSHOT else kind
    period = period_containing(kind, timezone.localdate())
    return {"recalc_period": period, "recalc_region": region, "may_recalc": user.is_reviewer}


@login_required
@require_GET
def thresholds(request):
    """The catalogue seen from one region: every indicator's threshold in force there, where it
    comes from (the catalogue, the region itself, or a region above), and how many regions
    below set their own."""
    user = request.user
    _threshold_reader(user)
    region = _threshold_region(request)
    indicators = list(Indicator.objects.order_by("code"))
    rows = _in_force(user, region, indicators)
    query = "?" + urlencode({"region": region.code})
    for row in rows:
        row.url = reverse("assessments:threshold", args=[row.indicator.code]) + query
    context = {
        "region": region,
        "rows": rows,
        "keeps": may_keep(user, "threshold"),
        **_threshold_place(user, region),
        **_recalculation(user, region, PeriodKind.YEAR),
    }
    return render(request, "assessments/thresholds.html", context)


@login_required
def threshold_detail(request, code: str):
    """One indicator from one region: the threshold in force and its source, the regions'
    own settings that apply here or below, the form to set one (the keeper), the history."""
    user = request.user
    _threshold_reader(user)
    region = _threshold_region(request)
    indicator = get_object_or_404(Indicator, code=code)
    keeps = may_keep(user, "threshold")
    place = _threshold_place(user, region)
    choices = Region.objects.filter(pk__in=[region.pk, *(c.pk for c in place["children"])])
    choices = choices.order_by("path")
    back = reverse("assessments:threshold", args=[code]) + "?" + urlencode({"region": region.code})
    form = None
    if request.method == "POST":
        if not keeps:
            raise PermissionDenied(_("您的角色不能维护考核指标阈值。"))
        form = ThresholdForm(request.POST, user=user, indicator=indicator, regions=choices)
        if form.is_valid():
            data = form.service_kwargs()
            try:
                override = threshold_set(user=user, indicator=indicator, **data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "%(region)s的“%(indicator)s”阈值已设为 %(value)s%(unit)s。走访进度、"
                        "提醒等即时采用；考核看板的结果在下一次计算后更新。"
                    )
                    % {
                        "region": override.region.name,
                        "indicator": indicator.name,
                        "value": threshold_text(override.threshold),
                        "unit": indicator.unit_label,
                    },
                )
                return redirect(back)
    elif request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    in_force = _in_force(user, region, [indicator])[0]
    visible_ids = scope_of(user).regions().values("pk")
    prefixes = selectors.path_prefixes(region.path)
    settings_here = list(
        IndicatorOverride.objects.filter(indicator=indicator)
        .filter(
            Q(region__path__in=prefixes)
            | Q(region__path__startswith=region.path, region__in=visible_ids)
        )
        .select_related("region")
        .order_by("region__path")
    )
    clearable = set(
        scope_of(user)
        .regions()
        .filter(pk__in=[o.region_id for o in settings_here])
        .values_list("pk", flat=True)
    )
    if form is None and keeps:
        own = next((o for o in settings_here if o.region_id == region.pk), None)
        form = ThresholdForm(
            user=user,
            indicator=indicator,
            regions=choices,
            initial={
                "region": region.pk,
                "threshold": threshold_text(in_force.value),
                "note": own.note if own else "",
            },
        )
    for override in settings_here:
        override.value_text = threshold_text(override.threshold)
        override.applies = region.path.startswith(override.region.path)
        override.in_force_here = (
            in_force.source is not None and override.region_id == in_force.source.pk
        )
        override.clear_url = (
            reverse("assessments:threshold_clear", args=[code, override.pk])
            + "?"
            + urlencode({"region": region.code})
            if keeps and override.region_id in clearable
            else ""
        )
    context = {
        "region": region,
        "indicator": indicator,
        "in_force": in_force,
        "catalogue_text": threshold_text(indicator.threshold),
        "settings": settings_here,
        "form": form,
        "keeps": keeps,
        "history": _threshold_history(user, indicator),
        "list_url": reverse("assessments:thresholds") + "?" + urlencode({"region": region.code}),
        **place,
        **_recalculation(user, region, indicator.period_kind),
    }
    return render(request, "assessments/threshold.html", context)


@login_required
@require_POST
def threshold_clear_view(request, code: str, pk: int):
    """Remove a region's own threshold (the keeper; the region inside their scope)."""
    user = request.user
    _threshold_reader(user)
    region = _threshold_region(request)
    override = get_object_or_404(
        IndicatorOverride.objects.select_related("indicator", "region"),
        pk=pk,
        indicator__code=code,
        region__in=scope_of(user).regions().values("pk"),
    )
    threshold_clear(user=user, override=override)
    messages.success(
        request,
        _(
            "已清除%(region)s对“%(indicator)s”的阈值设置，改按上级设置或指标目录执行；"
            "考核看板的结果在下一次计算后更新。"
        )
        % {"region": override.region.name, "indicator": override.indicator.name},
    )
    return redirect(
        reverse("assessments:threshold", args=[code]) + "?" + urlencode({"region": region.code})
    )


@dataclass
class ThresholdChange:
    action: str
    actor: str
    at: object
    region: str
    old: str
    new: str
    note: tuple[str, str] | None


HISTORY_LIMIT = 50
HISTORY_ACTIONS = {0: gettext_lazy("设置"), 1: gettext_lazy("修改"), 2: gettext_lazy("清除")}


def _threshold_history(user, indicator: Indicator) -> list[ThresholdChange]:
    """Who set, changed or cleared the indicator's thresholds of regions in the user's scope,
    when, old → new; newest first (three queries, whatever the number of entries). Each entry
    carries the override's fields (assessments/apps.py), so a cleared one still names its
    region."""
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(IndicatorOverride),
        serialized_data__fields__indicator=indicator.pk,
    )
    region_ids = {
        pk
        for pk in entries.order_by()
        .values_list("serialized_data__fields__region", flat=True)
        .distinct()
        if isinstance(pk, int)
    }
    names = dict(scope_of(user).regions().filter(pk__in=region_ids).values_list("pk", "name"))
    if not names:
        return []
    lines = []
    for entry in (
        entries.filter(serialized_data__fields__region__in=list(names))
        .select_related("actor")
        .order_by("-timestamp", "-pk")[:HISTORY_LIMIT]
    ):
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        old, new = (list(changes.get("threshold") or []) + [None, None])[:2]
        note = changes.get("note")
        notes = (
            (_history_text(note[0]), _history_text(note[1]))
            if isinstance(note, list) and len(note) == 2
            else None
        )
        lines.append(
            ThresholdChange(
                action=str(HISTORY_ACTIONS.get(entry.action, HISTORY_ACTIONS[1])),
                actor=entry.actor.display_name if entry.actor else _("系统"),
                at=entry.timestamp,
                region=names[entry.serialized_data["fields"]["region"]],
                old=_history_value(old),
                new=_history_value(new),
                note=notes if notes and notes[0] != notes[1] else None,
            )
        )
    return lines


def _history_value(value) -> str:
    if value in (None, "None", ""):
        return "—"
    try:
        return threshold_text(Decimal(str(value)))
    except ArithmeticError:
        return str(value)


def _history_text(value) -> str:
    return "—" if value in (None, "None", "") else str(value)


# On the structure hub (基础信息维护): the reviewers keep their subtree's thresholds here.
register_hub_link(
    HubLink(
        group=gettext_lazy("考核规则"),
        label=gettext_lazy("考核指标阈值"),
        url_name="assessments:thresholds",
        kind="threshold",
        intro=gettext_lazy("本区划及下级的指标阈值：现行值、来源与修改记录。"),
    )
)
