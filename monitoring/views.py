"""The monitoring pages (phone-width, Chinese): the index, risk clues with their deadlines, the
cases with their steps in order and the next step's form, measures, income and expenses, risk
removal with its checks, the township's screening list, public notices (and their printable
page) and the monitoring range. Each view parses, calls one service or selector, renders;
who may do what is monitoring.services (403), which records is `visible_to` (404)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.entry_views import PAGE_SIZE, query_without_page
from core.forms import add_service_errors
from core.history import change_history
from core.idcard import mask_id_number
from households.models import Household
from households.selectors import household_base, household_search_results
from monitoring import selectors, services
from monitoring.filters import CaseFilter, ClueFilter, NoticeFilter, RangeFilter
from monitoring.forms import (
    CaseFieldsForm,
    CaseOpenForm,
    ClueAcceptForm,
    ClueDecideForm,
    ClueForm,
    FinanceForm,
    MeasureForm,
    NoticeAddCasesForm,
    NoticeEditForm,
    NoticeForm,
    RangeForm,
    RemovalForm,
    ReviewForm,
    ScreeningRaiseForm,
    StepForm,
    StopForm,
)
from monitoring.models import (
    CaseStatus,
    HouseholdFinance,
    MonitoringCase,
    MonitoringMeasure,
    MonitoringRange,
    MonitoringStep,
    Procedure,
    PublicNotice,
    RemovalStatus,
    RiskClue,
    RiskRemoval,
    StepKind,
)

# --- shared helpers ---------------------------------------------------------------------------


def _filtered(filterset_class, request, queryset):
    filtered = filterset_class(request.GET or None, queryset=queryset, request=request)
    if filtered.is_bound and filtered.is_valid():
        return filtered.form, filtered.qs
    return filtered.form, queryset


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _form_page(request, form, *, heading, cancel_url, status=200, intro="", submit=""):
    return render(
        request,
        "monitoring/form.html",
        {
            "form": form,
            "heading": heading,
            "cancel_url": cancel_url,
            "intro": intro,
            "submit_label": submit,
        },
        status=status,
    )


def _require(allowed: bool, kind: str) -> None:
    """A page of work the role does not do is a 403 (the service would refuse it too)."""
    if not allowed:
        raise PermissionDenied(services.refusal_message(kind))


@login_required
def index(request):
    user = request.user
    return render(
        request,
        "monitoring/index.html",
        {
            "counts": selectors.index_counts(user),
            "may_record_clue": services.may_record_clue(user),
            "decide_days": selectors.clue_decide_days(),
            "accept_days": selectors.application_accept_days(),
        },
    )


# --- clues ---------------------------------------------------------------------------------
@dataclass
class ClueRow:
    clue: RiskClue
    state: tuple[str, str]
    deadline: selectors.Deadline
    acceptance: selectors.Deadline | None


@login_required
def clue_list(request):
    today = timezone.localdate()
    filter_form, queryset = _filtered(ClueFilter, request, selectors.clue_list(request.user))
    page = _page(request, queryset.order_by("-received_on", "-id"))
    rows = [
        ClueRow(
            clue=clue,
            state=selectors.clue_state(clue),
            deadline=selectors.clue_deadline(clue, today),
            acceptance=selectors.acceptance_deadline(clue, today),
        )
        for clue in page.object_list
    ]
    return render(
        request,
        "monitoring/clue_list.html",
        {
            "page_obj": page,
            "rows": rows,
            "filter_form": filter_form,
            "query": query_without_page(request),
            "may_record_clue": services.may_record_clue(request.user),
            "decide_days": selectors.clue_decide_days(),
        },
    )


def _household_from(request) -> Household | None:
    raw = request.POST.get("household") or request.GET.get("household") or ""
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    return get_object_or_404(household_base(request.user), pk=int(raw))


@login_required
def clue_create(request):
    """Step 1: find the household (name, pinyin initials or the ID's last digits); step 2:
    the clue. A stationed cadre finds the households of their villages, staff their township's."""
    _require(services.may_record_clue(request.user), "risk_clue")
    household = _household_from(request)
    if household is None:
        q = (request.GET.get("q") or "").strip()
        results = household_search_results(user=request.user, q=q)
        for result in results:
            result.masked_id = mask_id_number(result.head_id_number)
        return render(
            request,
            "monitoring/clue_pick.html",
            {"q": q, "results": results, "searched": bool(q)},
        )
    if request.method == "POST":
        form = ClueForm(request.POST, user=request.user, household=household)
        if form.is_valid():
            try:
                clue = services.clue_record(user=request.user, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("风险线索已登记。"))
                return redirect("monitoring:clue_detail", clue.pk)
    else:
        form = ClueForm(user=request.user, household=household)
    return render(
        request,
        "monitoring/clue_form.html",
        {
            "form": form,
            "household": household,
            "masked_id": mask_id_number(household.head_id_number),
        },
        status=400 if form.errors else 200,
    )


def _clue_context(request, clue: RiskClue, **bound) -> dict:
    user = request.user
    today = timezone.localdate()
    undecided = not clue.is_decided
    open_case = selectors.open_case_of(clue.household) if undecided and not clue.case_id else None
    context = {
        "clue": clue,
        "state": selectors.clue_state(clue),
        "deadline": selectors.clue_deadline(clue, today),
        "acceptance": selectors.acceptance_deadline(clue, today),
        "masked_id": mask_id_number(clue.household.head_id_number),
        "open_case": open_case,
        "history": change_history(clue),
        "accept_form": None,
        "decide_form": None,
        "open_form": None,
        "may_edit": undecided and not clue.case_id and services.may_decide_clue(user),
    }
    if clue.awaits_acceptance and services.may_accept_clue(user):
        context["accept_form"] = bound.get("accept_form") or ClueAcceptForm()
    if undecided and not clue.case_id and services.may_decide_clue(user):
        context["decide_form"] = bound.get("decide_form") or ClueDecideForm(
            initial={"outcome": "already_monitored" if open_case else "not_identified"}
        )
    if undecided and not clue.case_id and open_case is None and services.may_open_case(user):
        context["open_form"] = bound.get("open_form") or CaseOpenForm()
    return context


def _clue(request, pk: int) -> RiskClue:
    return get_object_or_404(selectors.clue_detail(request.user), pk=pk)


@login_required
def clue_detail(request, pk: int):
    clue = _clue(request, pk)
    return render(request, "monitoring/clue_detail.html", _clue_context(request, clue))


def _clue_action(request, pk, form_class, form_name, call, done_message):
    clue = _clue(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            result = call(clue, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done_message)
            if isinstance(result, MonitoringCase):
                return redirect("monitoring:case_detail", result.pk)
            return redirect("monitoring:clue_detail", clue.pk)
    clue.refresh_from_db()
    return render(
        request,
        "monitoring/clue_detail.html",
        _clue_context(request, clue, **{form_name: form}),
        status=400,
    )


@login_required
@require_POST
def clue_accept(request, pk: int):
    _require(services.may_accept_clue(request.user), "clue_acceptance")
    return _clue_action(
        request,
        pk,
        ClueAcceptForm,
        "accept_form",
        lambda clue, data: services.clue_accept(user=request.user, clue=clue, day=data["day"]),
        _("申报已受理。"),
    )


@login_required
@require_POST
def clue_decide(request, pk: int):
    _require(services.may_decide_clue(request.user), "clue_decision")
    return _clue_action(
        request,
        pk,
        ClueDecideForm,
        "decide_form",
        lambda clue, data: services.clue_decide(user=request.user, clue=clue, **data),
        _("线索已办结。"),
    )


@login_required
@require_POST
def clue_open_case(request, pk: int):
    _require(services.may_open_case(request.user), "monitoring_case")
    return _clue_action(
        request,
        pk,
        CaseOpenForm,
        "open_form",
        lambda clue, data: services.case_open(user=request.user, clue=clue, **data),
        _("已启动识别程序。"),
    )


@login_required
def clue_edit(request, pk: int):
    clue = _clue(request, pk)
    _require(services.may_decide_clue(request.user), "clue_decision")
    if request.method == "POST":
        form = ClueForm(request.POST, user=request.user, household=clue.household, instance=clue)
        if form.is_valid():
            data = form.service_kwargs()
            data.pop("household")
            try:
                services.clue_update(user=request.user, clue=clue, **data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("修改已保存。"))
                return redirect("monitoring:clue_detail", clue.pk)
        clue.refresh_from_db()
    else:
        form = ClueForm(user=request.user, household=clue.household, instance=clue)
    return _form_page(
        request,
        form,
        heading=_("修改风险线索：%(name)s") % {"name": clue.household.head_name},
        cancel_url=reverse("monitoring:clue_detail", args=[clue.pk]),
        status=400 if form.errors else 200,
    )


# --- cases ---------------------------------------------------------------------------------
@login_required
def case_list(request):
    today = timezone.localdate()
    filter_form, queryset = _filtered(CaseFilter, request, selectors.case_list(request.user))
    page = _page(request, queryset.order_by("-received_on", "-id"))
    rows = [(case, selectors.case_stage(case, today)) for case in page.object_list]
    return render(
        request,
        "monitoring/case_list.html",
        {
            "page_obj": page,
            "rows": rows,
            "filter_form": filter_form,
            "query": query_without_page(request),
            "decide_days": selectors.clue_decide_days(),
        },
    )


def _case(request, pk: int) -> MonitoringCase:
    return get_object_or_404(selectors.case_detail(request.user), pk=pk)


def _procedure_forms(user, procedure, kind, village, bound_step, bound_stop):
    step_form = stop_form = None
    if kind is not None and services.may_run_step(user, kind):
        step_form = bound_step or StepForm(
            procedure=procedure, kind=kind, village=village, user=user
        )
    if kind is not None and services.may_stop_at(user, kind):
        stop_form = bound_stop or StopForm()
    return step_form, stop_form


def _withdrawable(user, steps: list[MonitoringStep], running: bool) -> int | None:
    if not running or not steps:
        return None
    last = steps[-1]
    if last.kind == StepKind.COUNTY_DECISION or not services.may_run_step(user, last.kind):
        return None
    return last.pk


def _appraisal_link(user, procedure: str, case: MonitoringCase, step_form) -> str:
    """Where to create the village's notice when the next step is the appraisal."""
    if step_form is None or step_form.step_kind != StepKind.APPRAISAL:
        return ""
    if not services.may_keep_notices(user):
        return ""
    return reverse("monitoring:notice_create") + f"?purpose={procedure}&village={case.village_id}"


def _case_context(request, case: MonitoringCase, **bound) -> dict:
    user = request.user
    today = timezone.localdate()
    steps = selectors.identification_steps(case)
    identifying = case.status == CaseStatus.IDENTIFYING
    next_kind = selectors.case_next_step(case)
    step_form, stop_form = _procedure_forms(
        user,
        Procedure.IDENTIFICATION,
        next_kind,
        case.village,
        bound.get("step_form"),
        bound.get("stop_form"),
    )
    removal = selectors.removal_in_progress(case)
    removal_context = None
    if removal is not None:
        removal_done = selectors.removal_steps(removal)
        removal_next = selectors.next_step(Procedure.REMOVAL, {s.kind for s in removal_done})
        removal_step_form, removal_stop_form = _procedure_forms(
            user,
            Procedure.REMOVAL,
            removal_next,
            case.village,
            bound.get("removal_step_form"),
            bound.get("removal_stop_form"),
        )
        removal_context = {
            "removal": removal,
            "lines": selectors.step_lines(Procedure.REMOVAL, removal_done, running=True),
            "next_label": selectors.step_label(Procedure.REMOVAL, removal_next)
            if removal_next
            else "",
            "step_form": removal_step_form,
            "stop_form": removal_stop_form,
            "withdraw": _withdrawable(user, removal_done, True),
            "appraisal_link": _appraisal_link(user, Procedure.REMOVAL, case, removal_step_form),
        }
    checks = (
        selectors.removal_checks(case)
        if case.status == CaseStatus.MONITORED and removal is None
        else []
    )
    finances = list(
        HouseholdFinance.objects.visible_to(user).filter(household=case.household).order_by("-year")
    )
    ranges = selectors.ranges_by_year(case.household.path)
    measures = list(case.measures.all())
    return {
        "case": case,
        "masked_id": mask_id_number(case.household.head_id_number),
        "deadline": selectors.case_deadline(case, today),
        "stage": selectors.case_stage(case, today),
        "lines": selectors.step_lines(Procedure.IDENTIFICATION, steps, running=identifying),
        "next_label": selectors.step_label(Procedure.IDENTIFICATION, next_kind)
        if next_kind
        else "",
        "step_form": step_form,
        "stop_form": stop_form,
        "withdraw": _withdrawable(user, steps, identifying),
        "appraisal_link": _appraisal_link(user, Procedure.IDENTIFICATION, case, step_form),
        "removal": removal_context,
        "past_removals": [r for r in case.removals.all() if r.status != RemovalStatus.IN_PROGRESS],
        "checks": checks,
        "removal_form": (
            bound.get("removal_form") or RemovalForm()
            if checks and services.may_propose_removal(user)
            else None
        ),
        "measures": measures,
        "measures_in_force": [
            m
            for m in measures
            if m.start_date <= today and (m.end_date is None or m.end_date >= today)
        ],
        "development_missing": case.is_open
        and case.labour_capacity != "none"
        and not any(m.is_development for m in measures),
        "finances": [(f, ranges.get(f.year)) for f in finances],
        "may_keep_measures": case.is_open and services.may_keep_measures(user),
        "may_keep_finances": services.may_keep_finances(user),
        "may_edit": case.is_open and services.may_open_case(user),
        "other_cases": MonitoringCase.objects.visible_to(user)
        .filter(household=case.household)
        .exclude(pk=case.pk)
        .order_by("-received_on"),
        "history": change_history(case),
    }


@login_required
def case_detail(request, pk: int):
    case = _case(request, pk)
    return render(request, "monitoring/case_detail.html", _case_context(request, case))


def _case_again(request, case: MonitoringCase, **bound):
    case = _case(request, case.pk)
    return render(
        request, "monitoring/case_detail.html", _case_context(request, case, **bound), status=400
    )


@login_required
@require_POST
def case_step(request, pk: int):
    case = _case(request, pk)
    kind = selectors.case_next_step(case)
    if kind is None:
        raise Http404
    services.require_monitor(request.user, services.STEP_RULES[kind])
    form = StepForm(
        request.POST,
        request.FILES or None,
        procedure=Procedure.IDENTIFICATION,
        kind=kind,
        village=case.village,
        user=request.user,
    )
    if form.is_valid():
        try:
            step = services.case_step_record(user=request.user, case=case, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("“%(step)s”已登记。") % {"step": step.label})
            return redirect("monitoring:case_detail", case.pk)
    return _case_again(request, case, step_form=form)


@login_required
@require_POST
def case_not_identified(request, pk: int):
    case = _case(request, pk)
    form = StopForm(request.POST)
    if form.is_valid():
        try:
            services.case_not_identify(user=request.user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已按“不予识别”办结。"))
            return redirect("monitoring:case_detail", case.pk)
    return _case_again(request, case, stop_form=form)


@login_required
def case_edit(request, pk: int):
    case = _case(request, pk)
    _require(services.may_open_case(request.user), "monitoring_case")
    if request.method == "POST":
        form = CaseFieldsForm(request.POST)
        if form.is_valid():
            try:
                services.case_update(user=request.user, case=case, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("修改已保存。"))
                return redirect("monitoring:case_detail", case.pk)
    else:
        form = CaseFieldsForm(
            initial={
                "category": case.category,
                "risk_types": case.risk_types,
                "labour_capacity": case.labour_capacity,
            }
        )
    return _form_page(
        request,
        form,
        heading=_("修改监测对象：%(name)s") % {"name": case.household.head_name},
        cancel_url=reverse("monitoring:case_detail", args=[case.pk]),
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def step_withdraw(request, pk: int):
    step = get_object_or_404(MonitoringStep.objects.visible_to(request.user), pk=pk)
    try:
        services.step_withdraw(user=request.user, step=step)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("“%(step)s”已撤回。") % {"step": step.label})
    return redirect("monitoring:case_detail", step.case_id)


DOCUMENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
}


@login_required
def step_document(request, pk: int):
    """A step's signed document, served only inside the scope (never from MEDIA_URL)."""
    step = get_object_or_404(MonitoringStep.objects.visible_to(request.user), pk=pk)
    if not step.document:
        raise Http404
    try:
        handle = step.document.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    suffix = step.document.name.rsplit(".", 1)[-1].lower()
    content_type = DOCUMENT_TYPES.get(suffix, "application/octet-stream")
    response = FileResponse(
        handle,
        content_type=content_type,
        filename=f"step-{step.pk}.{suffix if suffix in DOCUMENT_TYPES else 'bin'}",
        as_attachment=not content_type.startswith("image/"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- measures, income and expenses --------------------------------------------------------------
@login_required
def measure_create(request, pk: int):
    case = _case(request, pk)
    _require(services.may_keep_measures(request.user), "monitoring_measure")
    if request.method == "POST":
        form = MeasureForm(request.POST, user=request.user, case=case)
        if form.is_valid():
            try:
                services.measure_record(user=request.user, case=case, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("帮扶措施已保存。"))
                return redirect(reverse("monitoring:case_detail", args=[case.pk]) + "#measures")
    else:
        form = MeasureForm(user=request.user, case=case)
    return _form_page(
        request,
        form,
        heading=_("新增帮扶措施：%(name)s（%(labour)s）")
        % {"name": case.household.head_name, "labour": case.get_labour_capacity_display()},
        cancel_url=reverse("monitoring:case_detail", args=[case.pk]),
        status=400 if form.errors else 200,
    )


@login_required
def measure_edit(request, pk: int):
    measure = get_object_or_404(
        MonitoringMeasure.objects.visible_to(request.user).select_related("case__household"), pk=pk
    )
    _require(services.may_keep_measures(request.user), "monitoring_measure")
    back = reverse("monitoring:case_detail", args=[measure.case_id]) + "#measures"
    if request.method == "POST" and request.POST.get("delete"):
        services.measure_delete(user=request.user, measure=measure)
        messages.success(request, _("帮扶措施已删除。"))
        return redirect(back)
    if request.method == "POST":
        form = MeasureForm(request.POST, user=request.user, instance=measure, case=measure.case)
        if form.is_valid():
            try:
                services.measure_update(user=request.user, measure=measure, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("修改已保存。"))
                return redirect(back)
        measure.refresh_from_db()
    else:
        form = MeasureForm(user=request.user, instance=measure, case=measure.case)
    return render(
        request,
        "monitoring/form.html",
        {
            "form": form,
            "heading": _("修改帮扶措施：%(name)s") % {"name": measure.case.household.head_name},
            "cancel_url": back,
            "delete_label": _("删除这项措施"),
        },
        status=400 if form.errors else 200,
    )


@login_required
def finance_create(request, pk: int):
    case = _case(request, pk)
    _require(services.may_keep_finances(request.user), "monitoring_finance")
    back = reverse("monitoring:case_detail", args=[case.pk]) + "#finances"
    if request.method == "POST":
        form = FinanceForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.finance_record(
                    user=request.user, household=case.household, **form.service_kwargs()
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("收支情况已保存。"))
                return redirect(back)
    else:
        form = FinanceForm(user=request.user)
    return _form_page(
        request,
        form,
        heading=_("登记收支情况：%(name)s") % {"name": case.household.head_name},
        cancel_url=back,
        status=400 if form.errors else 200,
    )


@login_required
def finance_edit(request, pk: int):
    finance = get_object_or_404(
        HouseholdFinance.objects.visible_to(request.user).select_related("household"), pk=pk
    )
    _require(services.may_keep_finances(request.user), "monitoring_finance")
    case = (
        MonitoringCase.objects.visible_to(request.user)
        .filter(household=finance.household)
        .order_by("-id")
        .first()
    )
    back = (
        reverse("monitoring:case_detail", args=[case.pk]) + "#finances"
        if case
        else reverse("monitoring:case_list")
    )
    if request.method == "POST" and request.POST.get("delete"):
        services.finance_delete(user=request.user, finance=finance)
        messages.success(request, _("收支情况已删除。"))
        return redirect(back)
    if request.method == "POST":
        form = FinanceForm(request.POST, user=request.user, instance=finance)
        if form.is_valid():
            try:
                services.finance_update(user=request.user, finance=finance, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("修改已保存。"))
                return redirect(back)
        finance.refresh_from_db()
    else:
        form = FinanceForm(user=request.user, instance=finance)
    return render(
        request,
        "monitoring/form.html",
        {
            "form": form,
            "heading": _("修改%(year)s年收支情况：%(name)s")
            % {"year": finance.year, "name": finance.household.head_name},
            "cancel_url": back,
            "delete_label": _("删除这条记录"),
        },
        status=400 if form.errors else 200,
    )


# --- risk removal -------------------------------------------------------------------------------
@login_required
@require_POST
def removal_propose(request, pk: int):
    case = _case(request, pk)
    _require(services.may_propose_removal(request.user), "risk_removal")
    form = RemovalForm(request.POST)
    if form.is_valid():
        try:
            services.removal_propose(user=request.user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已启动风险消除程序。"))
            return redirect(reverse("monitoring:case_detail", args=[case.pk]) + "#removal")
    return _case_again(request, case, removal_form=form)


def _removal(request, pk: int) -> RiskRemoval:
    return get_object_or_404(
        RiskRemoval.objects.visible_to(request.user).select_related("case"), pk=pk
    )


@login_required
@require_POST
def removal_step(request, pk: int):
    removal = _removal(request, pk)
    if removal.status != RemovalStatus.IN_PROGRESS:
        raise Http404
    kind = selectors.next_step(Procedure.REMOVAL, {s.kind for s in removal.steps.all()})
    if kind is None:
        raise Http404
    services.require_monitor(request.user, services.STEP_RULES[kind])
    form = StepForm(
        request.POST,
        request.FILES or None,
        procedure=Procedure.REMOVAL,
        kind=kind,
        village=removal.case.village,
        user=request.user,
    )
    if form.is_valid():
        try:
            step = services.removal_step_record(
                user=request.user, removal=removal, **form.service_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("“%(step)s”已登记。") % {"step": step.label})
            return redirect(reverse("monitoring:case_detail", args=[removal.case_id]) + "#removal")
    return _case_again(request, removal.case, removal_step_form=form)


@login_required
@require_POST
def removal_stop(request, pk: int):
    removal = _removal(request, pk)
    form = StopForm(request.POST)
    if form.is_valid():
        try:
            services.removal_stop(user=request.user, removal=removal, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("风险消除程序已终止，该户继续监测。"))
            return redirect(reverse("monitoring:case_detail", args=[removal.case_id]) + "#removal")
    return _case_again(request, removal.case, removal_stop_form=form)


# --- screening ----------------------------------------------------------------------------------
@login_required
def screening(request):
    """A township's screening list (households whose latest income lies within the range, close
    above it, or fell sharply), from which clues are raised for the chosen households at once."""
    user = request.user
    townships = list(selectors.screening_townships(user))
    if not townships:
        raise Http404
    raw = request.POST.get("township") or request.GET.get("township") or ""
    township = next((t for t in townships if str(t.pk) == raw), None)
    if raw and township is None:
        raise Http404
    township = township or townships[0]
    rows, unset_years = selectors.screening_rows(user=user, township=township)
    form = None
    status = 200
    if services.may_record_clue(user):
        if request.method == "POST":
            form = ScreeningRaiseForm(request.POST, rows=rows)
            if form.is_valid():
                try:
                    result = services.clues_raise(
                        user=user,
                        households=form.chosen(),
                        risk=form.cleaned_data["risk"],
                        received_on=form.cleaned_data["received_on"],
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(
                        request,
                        _("已登记风险线索 %(count)d 条。") % {"count": len(result.created)},
                    )
                    if result.skipped:
                        messages.warning(
                            request,
                            _("%(names)s 已有进行中的监测或未办结的线索，未重复登记。")
                            % {"names": "、".join(h.head_name for h in result.skipped)},
                        )
                    return redirect(
                        reverse("monitoring:clue_list") + f"?township={township.pk}&state=open"
                    )
            status = 400
        else:
            form = ScreeningRaiseForm(rows=rows)
    elif request.method == "POST":
        services.require_monitor(user, "risk_clue")
    page = _page(request, rows)
    return render(
        request,
        "monitoring/screening.html",
        {
            "townships": townships,
            "township": township,
            "page_obj": page,
            "rows": page.object_list,
            "unset_years": unset_years,
            "form": form,
            "margin": selectors.screening_margin().normalize(),
            "drop": int(selectors.screening_drop_share() * 100),
            "query": f"township={township.pk}",
        },
        status=status,
    )


# --- the yearly review of the original registered households ---------------------------------
def _review_year(raw: str) -> int:
    this_year = timezone.localdate().year
    try:
        year = int(raw)
    except (TypeError, ValueError):
        return this_year
    return year if services.REVIEW_FIRST_YEAR <= year <= this_year else this_year


@login_required
def review_list(request):
    """A village's registered households (建档立卡户) with their review of the year (稳定脱贫,
    存在返贫风险, 不再需要帮扶) or 未评议, and a form per household for those who review."""
    user = request.user
    data = request.POST if request.method == "POST" else request.GET
    villages = list(selectors.review_villages(user).select_related("township"))
    raw = data.get("village") or ""
    village = next((v for v in villages if str(v.pk) == raw), None)
    if raw and village is None:
        raise Http404
    year = _review_year(data.get("year") or "")
    may_write = services.may_review(user)
    bound = None
    status = 200
    if request.method == "POST":
        _require(may_write, "monitoring_case")
        if village is None:
            raise Http404
        bound = ReviewForm(request.POST)
        if bound.is_valid():
            household = get_object_or_404(
                Household.objects.visible_to(user).filter(village=village),
                pk=bound.cleaned_data["household"],
            )
            try:
                review = services.review_record(
                    user=user,
                    household=household,
                    year=year,
                    outcome=bound.cleaned_data["outcome"],
                    note=bound.cleaned_data["note"],
                    day=bound.cleaned_data["day"],
                )
            except ValidationError as exc:
                add_service_errors(bound, exc)
            else:
                messages.success(
                    request,
                    _("已登记 %(name)s %(year)d 年度评议：%(outcome)s。")
                    % {
                        "name": household.head_name,
                        "year": year,
                        "outcome": review.get_outcome_display(),
                    },
                )
                if review.followup:
                    messages.info(request, review.get_followup_display())
                return redirect(
                    reverse("monitoring:review_list") + f"?village={village.pk}&year={year}"
                )
        status = 400
    listing = selectors.review_list(user, village, year) if village is not None else None
    rows = []
    if listing is not None:
        for row in listing.rows:
            form = None
            if may_write:
                if bound is not None and str(bound.data.get("household")) == str(row.household.pk):
                    form = bound
                else:
                    initial = {"household": row.household.pk}
                    if row.review is not None:
                        initial.update(outcome=row.review.outcome, note=row.review.note)
                    form = ReviewForm(initial=initial, auto_id=f"r{row.household.pk}_%s")
            rows.append((row, form))
    this_year = timezone.localdate().year
    return render(
        request,
        "monitoring/review_list.html",
        {
            "villages": villages,
            "village": village,
            "year": year,
            "years": list(range(this_year, services.REVIEW_FIRST_YEAR - 1, -1)),
            "listing": listing,
            "rows": rows,
            "may_write": may_write,
        },
        status=status,
    )


# --- public notices ---------------------------------------------------------------------------
@login_required
def notice_list(request):
    filter_form, queryset = _filtered(NoticeFilter, request, selectors.notice_list(request.user))
    page = _page(request, queryset.order_by("-start_date", "-id"))
    today = timezone.localdate()
    rows = [(n, selectors.notice_is_running(n, today)) for n in page.object_list]
    return render(
        request,
        "monitoring/notice_list.html",
        {
            "page_obj": page,
            "rows": rows,
            "filter_form": filter_form,
            "query": query_without_page(request),
            "may_keep_notices": services.may_keep_notices(request.user),
        },
    )


@login_required
def notice_create(request):
    _require(services.may_keep_notices(request.user), "public_notice")
    if request.method == "POST":
        form = NoticeForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                notice = services.notice_record(user=request.user, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("公示已登记，请把民主评议通过的户列入公示。"))
                return redirect("monitoring:notice_detail", notice.pk)
    else:
        initial = {}
        for name in ("village", "purpose"):
            if request.GET.get(name):
                initial[name] = request.GET[name]
        form = NoticeForm(user=request.user, initial=initial)
    return _form_page(
        request,
        form,
        heading=_("新建公示"),
        cancel_url=reverse("monitoring:notice_list"),
        status=400 if form.errors else 200,
    )


def _notice(request, pk: int) -> PublicNotice:
    return get_object_or_404(
        PublicNotice.objects.visible_to(request.user).select_related("village", "township"), pk=pk
    )


def _notice_context(request, notice: PublicNotice, add_form=None) -> dict:
    user = request.user
    if add_form is None and services.may_run_step(user, StepKind.APPRAISAL):
        candidates = selectors.cases_at_appraisal(user, notice)
        add_form = NoticeAddCasesForm(cases=candidates) if candidates else None
    return {
        "notice": notice,
        "rows": selectors.notice_rows(notice),
        "days": selectors.notice_days(notice.start_date, notice.end_date),
        "minimum": selectors.notice_minimum_days(notice.purpose),
        "running": selectors.notice_is_running(notice),
        "add_form": add_form,
        "may_keep": services.may_keep_notices(user),
        "history": change_history(notice),
    }


@login_required
def notice_detail(request, pk: int):
    notice = _notice(request, pk)
    return render(request, "monitoring/notice_detail.html", _notice_context(request, notice))


@login_required
@require_POST
def notice_add_cases(request, pk: int):
    notice = _notice(request, pk)
    _require(services.may_run_step(request.user, StepKind.APPRAISAL), "village_appraisal")
    form = NoticeAddCasesForm(
        request.POST, cases=selectors.cases_at_appraisal(request.user, notice)
    )
    if form.is_valid():
        try:
            steps = services.notice_add_cases(
                user=request.user,
                notice=notice,
                cases=form.chosen(),
                appraised_on=form.cleaned_data["appraised_on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已列入公示 %(count)d 户。") % {"count": len(steps)})
            return redirect("monitoring:notice_detail", notice.pk)
    return render(
        request,
        "monitoring/notice_detail.html",
        _notice_context(request, notice, add_form=form),
        status=400,
    )


@login_required
def notice_edit(request, pk: int):
    notice = _notice(request, pk)
    _require(services.may_keep_notices(request.user), "public_notice")
    back = reverse("monitoring:notice_detail", args=[notice.pk])
    if request.method == "POST" and request.POST.get("delete"):
        try:
            services.notice_delete(user=request.user, notice=notice)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(back)
        messages.success(request, _("公示已删除。"))
        return redirect("monitoring:notice_list")
    if request.method == "POST":
        form = NoticeEditForm(request.POST, user=request.user, instance=notice)
        if form.is_valid():
            try:
                services.notice_update(user=request.user, notice=notice, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("修改已保存。"))
                return redirect(back)
        notice.refresh_from_db()
    else:
        form = NoticeEditForm(user=request.user, instance=notice)
    return render(
        request,
        "monitoring/form.html",
        {
            "form": form,
            "heading": _("修改公示：%(village)s") % {"village": notice.village.name},
            "cancel_url": back,
            "delete_label": _("删除这次公示"),
        },
        status=400 if form.errors else 200,
    )


@login_required
def notice_print(request, pk: int):
    """The printable notice (A4): the households' heads, village group and category, with the
    notice's start and end. No ID number, phone, bank account or health detail is read here."""
    notice = _notice(request, pk)
    return render(
        request,
        "monitoring/notice_print.html",
        {
            "notice": notice,
            "rows": selectors.notice_rows(notice),
            "days": selectors.notice_days(notice.start_date, notice.end_date),
        },
    )


# --- the monitoring range -----------------------------------------------------------------------
@login_required
def range_list(request):
    user = request.user
    filter_form, queryset = _filtered(
        RangeFilter, request, selectors.ranges_applying_to(user).select_related("region", "set_by")
    )
    page = _page(request, queryset.order_by("-year", "region__path"))
    kept = set(MonitoringRange.objects.visible_to(user).values_list("pk", flat=True))
    return render(
        request,
        "monitoring/range_list.html",
        {
            "page_obj": page,
            "rows": [(r, r.pk in kept) for r in page.object_list],
            "filter_form": filter_form,
            "query": query_without_page(request),
            "may_keep": services.may_keep_range(user),
        },
    )


@login_required
def range_create(request):
    _require(services.may_keep_range(request.user), "monitoring_range")
    if request.method == "POST":
        form = RangeForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.range_record(user=request.user, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("监测范围已保存。"))
                return redirect("monitoring:range_list")
    else:
        form = RangeForm(user=request.user)
    return _form_page(
        request,
        form,
        heading=_("设定监测范围"),
        cancel_url=reverse("monitoring:range_list"),
        intro=_("监测范围是年人均纯收入标准（元），由省设定，市、县另行设定的以下级为准。"),
        status=400 if form.errors else 200,
    )


@login_required
def range_edit(request, pk: int):
    monitoring_range = get_object_or_404(
        selectors.ranges_applying_to(request.user).select_related("region"), pk=pk
    )
    _require(services.may_keep_range(request.user), "monitoring_range")
    if not MonitoringRange.objects.visible_to(request.user).filter(pk=pk).exists():
        raise PermissionDenied(_("上级设定的监测范围只能由上级修改。"))
    back = reverse("monitoring:range_list")
    if request.method == "POST" and request.POST.get("delete"):
        services.range_delete(user=request.user, monitoring_range=monitoring_range)
        messages.success(request, _("监测范围已删除。"))
        return redirect(back)
    if request.method == "POST":
        form = RangeForm(request.POST, user=request.user, instance=monitoring_range)
        if form.is_valid():
            try:
                services.range_update(
                    user=request.user, monitoring_range=monitoring_range, **form.service_kwargs()
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("修改已保存。"))
                return redirect(back)
        monitoring_range.refresh_from_db()
    else:
        form = RangeForm(user=request.user, instance=monitoring_range)
    return render(
        request,
        "monitoring/form.html",
        {
            "form": form,
            "heading": _("修改%(region)s%(year)s年监测范围")
            % {"region": monitoring_range.region.name, "year": monitoring_range.year},
            "cancel_url": back,
            "delete_label": _("删除"),
        },
        status=400 if form.errors else 200,
    )
