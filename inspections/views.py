"""Pages for spot-check draws (reviewers only: anyone else gets 404, the sample is not shown to
the units being checked), inspections, and the rectification ledger (everyone, in scope)."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.services import client_ip
from inspections import selectors, services
from inspections.filters import RectificationFilter
from inspections.forms import (
    CloseForm,
    DrawForm,
    EvidenceForm,
    InspectionForm,
    NoteForm,
    RectificationForm,
    ReopenForm,
    VoidForm,
)
from inspections.models import (
    Inspection,
    RectificationEvidence,
    RectificationItem,
    RectificationStatus,
    SpotCheckDraw,
    SpotCheckItem,
)
from villages.models import Village


def _require_reviewer(user) -> None:
    if not user.is_reviewer:
        raise Http404


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _client_ip(request) -> str | None:
    # Behind nginx REMOTE_ADDR is the proxy; the security log wants the client (issue 8).
    return client_ip(request)


# --- draws -----------------------------------------------------------------------------------
@login_required
def draw_list(request):
    _require_reviewer(request.user)
    form = DrawForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            draw = services.spot_check_draw(
                region=data["region"],
                quarter=data["quarter"],
                drawn_by=request.user,
                share=data["share"],
                households_per_village=data["households_per_village"],
                exclude_previous=data["exclude_previous"],
                seed=data["seed"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("已抽取 %(region)s %(quarter)s 的督查对象，随机种子 %(seed)d 已记录。")
                % {"region": draw.region.name, "quarter": draw.quarter, "seed": draw.seed},
            )
            return redirect("inspections:draw_detail", pk=draw.pk)
    page = Paginator(selectors.draw_list(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "inspections/draw_list.html", {"form": form, "page": page})


def _draw_for(user, pk: int) -> SpotCheckDraw:
    _require_reviewer(user)
    return get_object_or_404(
        SpotCheckDraw.objects.visible_to(user).select_related("region", "drawn_by", "voided_by"),
        pk=pk,
    )


def _draw_context(draw: SpotCheckDraw, **extra) -> dict:
    items = list(selectors.draw_items(draw))
    townships: dict[int, dict] = {}
    for item in items:
        group = townships.setdefault(
            item.township_id,
            {"township": item.township, "villages": 0, "households": 0, "inspected": 0},
        )
        group["households" if item.household_id else "villages"] += 1
        group["inspected"] += 1 if getattr(item, "inspection", None) else 0
    totals = dict(
        # Every village of the draw's region (the draw itself was scoped): the share's denominator.
        Village.objects.filter(path__startswith=draw.region.path)
        .values("township_id")
        .annotate(n=Count("*"))
        .values_list("township_id", "n")
        .order_by()
    )
    for township_id, group in townships.items():
        group["total"] = totals.get(township_id, 0)
    return {
        "draw": draw,
        "items": items,
        "townships": sorted(townships.values(), key=lambda g: g["township"].code),
        "village_total": sum(totals.values()),
        "village_drawn": sum(1 for i in items if not i.household_id),
        "void_form": extra.pop("void_form", VoidForm()),
        **extra,
    }


@login_required
def draw_detail(request, pk: int):
    draw = _draw_for(request.user, pk)
    return render(request, "inspections/draw_detail.html", _draw_context(draw))


@login_required
@require_POST
def draw_recheck(request, pk: int):
    draw = _draw_for(request.user, pk)
    result = services.spot_check_recheck(draw=draw, user=request.user)
    return render(request, "inspections/draw_detail.html", _draw_context(draw, recheck=result))


@login_required
@require_POST
def draw_void(request, pk: int):
    draw = _draw_for(request.user, pk)
    form = VoidForm(request.POST)
    if form.is_valid():
        try:
            services.spot_check_void(
                draw=draw,
                user=request.user,
                reason=form.cleaned_data["reason"],
                ip_address=_client_ip(request),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("抽查已作废，可重新抽取本季度。"))
            return redirect("inspections:draw_detail", pk=draw.pk)
    return render(
        request, "inspections/draw_detail.html", _draw_context(draw, void_form=form), status=400
    )


# --- inspections -----------------------------------------------------------------------------
@login_required
def inspection_record(request, item_pk: int):
    _require_reviewer(request.user)
    item = get_object_or_404(
        SpotCheckItem.objects.filter(draw__in=SpotCheckDraw.objects.visible_to(request.user))
        .select_related("draw", "draw__region", "village", "household", "township")
        .prefetch_related("inspection__rectifications"),
        pk=item_pk,
    )
    inspection = getattr(item, "inspection", None)
    initial = {}
    if inspection is not None:
        initial = {
            "inspected_on": inspection.inspected_on,
            "findings": inspection.findings,
            "no_problem": inspection.no_problem,
        }
    form = InspectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            inspection = services.inspection_record(
                item=item, inspector=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("督查结果已保存。"))
            if inspection.findings:
                return redirect("inspections:rectification_create", inspection_pk=inspection.pk)
            return redirect("inspections:draw_detail", pk=item.draw_id)
    return render(
        request,
        "inspections/inspection_form.html",
        {"item": item, "form": form, "inspection": inspection},
    )


@login_required
def rectification_create(request, inspection_pk: int):
    _require_reviewer(request.user)
    inspection = get_object_or_404(
        Inspection.objects.filter(
            item__draw__in=SpotCheckDraw.objects.visible_to(request.user)
        ).select_related("item", "item__draw", "item__village", "item__household"),
        pk=inspection_pk,
    )
    village = inspection.item.village
    form = RectificationForm(
        request.POST or None,
        village=village,
        initial={"problem": inspection.findings} if request.method == "GET" else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            item = services.rectification_create(
                created_by=request.user, village=village, inspection=inspection, **form.cleaned_data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("整改事项已登记，责任人可在“整改事项”中查看。"))
            if "another" in request.POST:
                return redirect("inspections:rectification_create", inspection_pk=inspection.pk)
            return redirect("inspections:rectification_detail", pk=item.pk)
    return render(
        request,
        "inspections/rectification_form.html",
        {
            "form": form,
            "inspection": inspection,
            "existing": inspection.rectifications.select_related("responsible_unit"),
        },
    )


# --- rectification ---------------------------------------------------------------------------
@login_required
def rectification_list(request):
    filters = RectificationFilter(
        request.GET or None, queryset=RectificationItem.objects.none(), request=request
    )
    qs = selectors.rectification_list(request.user, filters=filters if filters.is_bound else None)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "inspections/rectification_list.html",
        {
            "filters": filters,
            "page": page,
            "today": timezone.localdate(),
            "query": query.urlencode(),
        },
    )


def _item_for(user, pk: int) -> RectificationItem:
    return get_object_or_404(
        services.rectification_visible(user).select_related(
            "village",
            "village__township",
            "household",
            "responsible_unit",
            "responsible_person",
            "closed_by",
            "created_by",
            "inspection",
            "inspection__item__draw",
        ),
        pk=pk,
    )


def _item_context(request, item: RectificationItem, **forms) -> dict:
    user = request.user
    responsible_side = services.rectification_responsible_side(user, item)
    is_open = item.status in (RectificationStatus.OPEN, RectificationStatus.REOPENED)
    return {
        "item": item,
        "today": timezone.localdate(),
        "evidence": item.evidence.select_related("uploaded_by").order_by("uploaded_at"),
        "log": item.log.select_related("user"),
        "can_upload": (responsible_side or user.is_reviewer)
        and item.status != RectificationStatus.CLOSED,
        "can_submit": responsible_side and is_open,
        "can_close": user.is_reviewer
        and item.status == RectificationStatus.SUBMITTED
        and item.responsible_person_id != user.id,
        "own_item": item.responsible_person_id == user.id,
        "can_reopen": user.is_reviewer
        and item.status in (RectificationStatus.SUBMITTED, RectificationStatus.CLOSED),
        "evidence_form": forms.get("evidence_form", EvidenceForm()),
        "submit_form": forms.get("submit_form", NoteForm()),
        "close_form": forms.get("close_form", CloseForm()),
        "reopen_form": forms.get("reopen_form", ReopenForm()),
    }


@login_required
def rectification_detail(request, pk: int):
    item = _item_for(request.user, pk)
    return render(request, "inspections/rectification_detail.html", _item_context(request, item))


ACTIONS = {
    "evidence": ("evidence_form", EvidenceForm),
    "submit": ("submit_form", NoteForm),
    "close": ("close_form", CloseForm),
    "reopen": ("reopen_form", ReopenForm),
}


@login_required
@require_POST
def rectification_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    item = _item_for(request.user, pk)
    form_name, form_class = ACTIONS[action]
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "evidence":
                services.rectification_evidence_add(
                    item=item, user=request.user, upload=data["file"], note=data["note"]
                )
                done = _("佐证材料已上传。")
            elif action == "submit":
                services.rectification_submit(item=item, user=request.user, note=data["note"])
                done = _("已提交销号，等待审核人员销号。")
            elif action == "close":
                services.rectification_close(
                    item=item, user=request.user, closed_on=data["closed_on"], note=data["note"]
                )
                done = _("已销号。")
            else:
                services.rectification_reopen(item=item, user=request.user, reason=data["reason"])
                done = _("已退回重新整改。")
        except ValidationError as exc:
            _add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("您没有权限进行此操作。"))
        else:
            messages.success(request, done)
            return redirect("inspections:rectification_detail", pk=item.pk)
    return render(
        request,
        "inspections/rectification_detail.html",
        _item_context(request, item, **{form_name: form}),
        status=400,
    )


@login_required
def evidence_download(request, pk: int):
    """Evidence is served through here (not from MEDIA_URL), so scope applies to files too."""
    evidence = get_object_or_404(
        RectificationEvidence.objects.filter(item__in=services.rectification_visible(request.user)),
        pk=pk,
    )
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    # The type is the one of the content: the service names every file from its content
    # (inspections/services.py _evidence_kind). Images are shown inline, a PDF (or any older
    # file with another name) is only offered as a download.
    name = evidence.file.name.rsplit("/", 1)[-1]
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    content_type = EVIDENCE_TYPES.get(suffix, "application/octet-stream")
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = evidence_disposition(
        evidence, suffix if suffix in EVIDENCE_TYPES else "bin", inline=suffix in EVIDENCE_INLINE
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def evidence_disposition(evidence, suffix: str, *, inline: bool) -> str:
    """The download under the uploader's own (sanitised) file name, RFC 5987/6266: an ASCII
    fallback for old clients and `filename*=UTF-8''…` for the real name. The extension is the
    stored content's."""
    name = evidence.display_name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    quoted = quote(f"{stem}.{suffix}", safe="")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"evidence-{evidence.pk}.{suffix}\"; filename*=UTF-8''{quoted}"


EVIDENCE_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
}
EVIDENCE_INLINE = {"jpg", "png", "webp"}


@login_required
def overdue_overview(request):
    _require_reviewer(request.user)
    rows = selectors.overdue_overview(request.user)
    return render(
        request,
        "inspections/overdue.html",
        {
            "rows": rows,
            "today": timezone.localdate(),
            "list_url": reverse("inspections:rectification_list"),
            "total_overdue": sum(r.overdue for r in rows),
            "total_open": sum(r.open_items for r in rows),
        },
    )
