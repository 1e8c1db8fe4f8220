"""Household and visit pages: logging a visit (the most used action: one step, phone-first, no
JavaScript needed), a visit's page with its history, editing within the window, the reviewer's
queue, and photos served only inside the scope (the household list and page are home/'s).

And the pages through which township staff (and a unit's coordinator, for pairings) keep the
households: registering and correcting a household, its members and yearly incomes, its
one-household-one-plan and measures; household–helper pairings (assign, correct, hand over on
a date, end), handing all of a departing helper's households over at once, and the households
without a helper in force (全覆盖)."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from PIL import Image, ImageOps

from accounts.services import full_id_reveal
from cadres.models import Cadre
from core.entry_views import PAGE_SIZE, query_without_page
from core.history import change_history
from core.idcard import mask_id_number, mask_phone
from core.keepers import may_keep
from core.kept import kept_require
from core.kept_views import EndForm, KeptPages, register_kept
from core.permissions import can_edit_entry, edit_window_closes
from households.filters import CoverageFilter, ReviewFilter
from households.forms import (
    BulkReviewForm,
    HandoverForm,
    HouseholdForm,
    IncomeForm,
    MeasureForm,
    MemberForm,
    PairingEditForm,
    PairingEndForm,
    PairingForm,
    PlanForm,
    ReassignForm,
    ReviewForm,
    VisitEditForm,
    VisitForm,
    add_service_errors,
)
from households.models import (
    PHOTO_SUFFIXES,
    CreditStatus,
    Household,
    HouseholdPairing,
    Plan,
    VisitPhoto,
)
from households.selectors import (
    coverage_by_village,
    helpers_matching,
    household_base,
    household_for_page,
    household_search_results,
    income_detail,
    measure_detail,
    member_detail,
    pairing_detail,
    pairing_list,
    pairing_visit_counts,
    plan_measures,
    plan_of,
    uncovered_households,
    visit_detail,
    visits_for_review,
)
from households.services import (
    helper_pairings_in_force,
    household_delete,
    household_end,
    household_pairing_delete,
    household_pairing_end,
    household_pairing_handover,
    household_pairing_record,
    household_pairing_update,
    household_pairings_reassign,
    household_record,
    household_update,
    income_delete,
    income_record,
    income_update,
    measure_delete,
    measure_record,
    measure_update,
    member_delete,
    member_record,
    member_update,
    pairing_keeper,
    pairing_keeper_require,
    pairing_label,
    plan_delete,
    plan_record,
    plan_update,
    visit_delete,
    visit_record,
    visit_review,
    visit_update,
    visits_review,
)


def _household_from(request):
    """The household the visit form is for: ?household=<id> (or the posted hidden field),
    inside the user's scope or 404."""
    raw = request.POST.get("household") or request.GET.get("household") or ""
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    return get_object_or_404(household_base(request.user), pk=int(raw))


@login_required
def visit_create_view(request):
    """Step 1 (without a household): search by name, pinyin initials or ID digits; the results
    link back here with ?household=<id>. Step 2: the form, saved in one POST."""
    if not request.user.can_enter_work:
        raise PermissionDenied(_("您的角色不能填报走访记录。"))
    household = _household_from(request)
    q = (request.GET.get("q") or "").strip()
    if household is None and request.method != "POST":
        results = household_search_results(user=request.user, q=q)
        for result in results:
            result.masked_id = mask_id_number(result.head_id_number)
        return render(
            request,
            "households/visit_pick.html",
            {"q": q, "results": results, "searched": bool(q)},
        )
    if request.method == "POST" and household is None:
        messages.error(request, _("请先查找并选择走访的贫困户。"))
        return redirect("households:visit_create")
    if request.method == "POST":
        form = VisitForm(request.POST, request.FILES, user=request.user, household=household)
        if form.is_valid():
            try:
                visit = visit_record(user=request.user, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if visit.is_credited:
                    messages.success(request, _("走访记录已保存，计入考核。"))
                else:
                    messages.warning(
                        request,
                        _("走访记录已保存，%(status)s：%(reason)s")
                        % {
                            "status": visit.get_credit_status_display(),
                            "reason": visit.credit_reason,
                        },
                    )
                target = reverse("households:detail", args=[visit.household_id])
                return redirect(f"{target}#visit-{visit.pk}")
        # Every refusal is on the page: a token error is moved to the top with a fresh token.
        form.replace_refused_token()
    else:
        form = VisitForm(user=request.user, household=household)
    return render(
        request,
        "households/visit_form.html",
        {
            "form": form,
            "household": household,
            "photos_lost": request.method == "POST" and bool(request.FILES) and form.errors,
            # photo-shrink.js refuses a photo over the server's limit before it is uploaded
            "upload_max_bytes": settings.UPLOAD_MAX_BYTES,
        },
    )


def _visit_context(request, visit) -> dict:
    return {
        "v": visit,
        "can_edit": can_edit_entry(request.user, visit),
        "window_closes": edit_window_closes(visit.created_at) if visit.created_at else None,
        "can_review": request.user.is_reviewer
        and visit.credit_status
        in (CreditStatus.REVIEW, CreditStatus.REJECTED, CreditStatus.CREDITED),
        "history": change_history(visit),
        "review_form": ReviewForm(),
    }


@login_required
def visit_detail_view(request, pk: int):
    visit = visit_detail(user=request.user, pk=pk)
    return render(request, "households/visit_detail.html", _visit_context(request, visit))


@login_required
def visit_edit_view(request, pk: int):
    visit = visit_detail(user=request.user, pk=pk)
    if not can_edit_entry(request.user, visit):
        raise PermissionDenied(_("已超过修改期限，只有审核人员可以修改此记录。"))
    if request.method == "POST":
        form = VisitEditForm(request.POST, user=request.user, visit=visit)
        if form.is_valid():
            try:
                visit_update(user=request.user, visit=visit, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("修改已保存。"))
                return redirect("households:visit_detail", pk=visit.pk)
    else:
        form = VisitEditForm(user=request.user, visit=visit)
    return render(request, "households/visit_edit.html", {"form": form, "v": visit})


@login_required
def visit_delete_view(request, pk: int):
    visit = visit_detail(user=request.user, pk=pk)
    if not can_edit_entry(request.user, visit):
        raise PermissionDenied(_("已超过删除期限，只有审核人员可以删除此记录。"))
    if request.method == "POST":
        household_id = visit.household_id
        visit_delete(user=request.user, visit=visit)
        messages.success(request, _("走访记录已删除。"))
        if household_id:
            return redirect("households:detail", pk=household_id)
        return redirect("households:list")
    return render(request, "households/visit_confirm_delete.html", {"v": visit})


@login_required
def review_list_view(request):
    if not request.user.is_reviewer:
        raise PermissionDenied(_("只有审核人员可以审核走访记录。"))
    return _review_page(request, BulkReviewForm(user=request.user))


def _review_page(request, bulk_form, status: int = 200):
    # A refused bulk decision shows the queue as it was filtered (the form carries the query).
    posted = request.method == "POST"
    params = QueryDict(request.POST.get("query", "")) if posted else request.GET
    filtered = ReviewFilter(
        params or None, queryset=visits_for_review(user=request.user), request=request
    )
    queryset = filtered.qs if filtered.is_valid() else filtered.queryset
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "households/review_list.html",
        {
            "page_obj": page,
            "filter": filtered,
            "bulk_form": bulk_form,
            "review_form": ReviewForm(),
            "query": params.urlencode() if posted else query_without_page(request),
            "filtered": bool(params.get("village") or params.get("reason")),
            "picked": set(getattr(bulk_form, "cleaned_data", {}).get("visits") or []),
        },
        status=status,
    )


@login_required
def visits_review_view(request):
    """The review queue's bulk decision: the ticked visits accepted, or refused with one reason.
    (A GET here — a filter or page link of a refused decision's page — is the queue itself.)"""
    if not request.user.is_reviewer:
        raise PermissionDenied(_("只有审核人员可以审核走访记录。"))
    if request.method != "POST":
        query = request.GET.urlencode()
        return redirect(reverse("households:review_list") + (f"?{query}" if query else ""))
    form = BulkReviewForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            count = visits_review(
                user=request.user,
                visit_ids=form.cleaned_data["visits"],
                accept=form.cleaned_data["decision"] == "accept",
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("已审核 %(n)d 条走访：%(result)s。")
                % {
                    "n": count,
                    "result": _("计入考核")
                    if form.cleaned_data["decision"] == "accept"
                    else _("不予计入"),
                },
            )
            back = request.POST.get("query") or ""
            return redirect(reverse("households:review_list") + (f"?{back}" if back else ""))
    return _review_page(request, form, status=400)


@login_required
@require_POST
def visit_review_view(request, pk: int):
    visit = visit_detail(user=request.user, pk=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择审核结论。"))
    else:
        try:
            visit_review(
                user=request.user,
                visit=visit,
                accept=form.cleaned_data["decision"] == "accept",
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("已审核：%(who)s %(day)s 的走访%(result)s。")
                % {
                    "who": visit.household or visit.village,
                    "day": visit.visited_on.isoformat(),
                    "result": _("计入考核") if visit.is_credited else _("不予计入"),
                },
            )
    target = request.POST.get("next") or ""
    if target == "review":
        return redirect("households:review_list")
    return redirect("households:visit_detail", pk=visit.pk)


THUMB_SIZE = (360, 360)


@login_required
def photo_view(request, pk: int, size: str = "full"):
    """A visit photo, only inside the user's scope (uploads are never served publicly). The
    thumbnail (360 px, EXIF orientation applied) is made once and kept beside the photo.
    The type is the one of the stored content (photos are re-encoded and named from their
    content, thumbnails are JPEG), never guessed from an uploader's name: a file with any other
    name (an old upload the migration could not re-encode) is only offered as a download."""
    photo = get_object_or_404(VisitPhoto.objects.visible_to(request.user), pk=pk)
    name = photo.image.name
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if size == "thumb":
        thumb_name = f"thumbs/{name}.jpg"
        if not default_storage.exists(thumb_name):
            _make_thumbnail(photo, thumb_name)
        name, suffix = thumb_name, "jpg"
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    content_type = PHOTO_SUFFIXES.get(suffix)
    if content_type is None:
        response = FileResponse(
            handle,
            content_type="application/octet-stream",
            as_attachment=True,
            filename=f"photo-{photo.pk}.bin",
        )
    else:
        response = FileResponse(
            handle, content_type=content_type, filename=f"photo-{photo.pk}.{suffix}"
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response


def _make_thumbnail(photo: VisitPhoto, thumb_name: str) -> None:

    try:
        with default_storage.open(photo.image.name, "rb") as source, Image.open(source) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail(THUMB_SIZE)
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG", quality=80)
    except (FileNotFoundError, OSError, Image.DecompressionBombError) as exc:
        raise Http404 from exc
    default_storage.save(thumb_name, ContentFile(buffer.getvalue()))


# --- the full ID number, for a role that may see it (every reveal is in the security log) -----
def _household_url(pk: int) -> str:
    for name, args in (("households:detail", [pk]), ("households:list", [])):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return reverse("home")


@never_cache
@login_required
@require_POST
def reveal_id(request, pk: int):
    """A POST (never a link a browser could prefetch or keep in history) that shows the full ID
    and phone numbers of one household in the user's scope, and logs that it did."""
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("village__region"), pk=pk
    )
    numbers = full_id_reveal(user=request.user, household=household, request=request)
    return render(
        request,
        "accounts/reveal_id.html",
        {"household": household, "numbers": numbers, "back_url": _household_url(household.pk)},
    )


# === the kept records: households, members, incomes, plans, pairings ========================
# Who may write is the services' (core.keepers through core.kept, and pairing_keeper for
# household pairings); the pages ask the same rules only to show or hide their buttons, and
# answer a GET of a form the user may not use with 403, an object outside scope with 404.
def _require(user, kind: str) -> None:
    kept_require(user, kind)


def _form_page(
    request,
    *,
    form,
    heading: str,
    cancel_url: str,
    household=None,
    obj=None,
    submit_label: str = "",
    intro: str = "",
    status: int = 200,
):
    return render(
        request,
        "households/kept_form.html",
        {
            "form": form,
            "heading": heading,
            "cancel_url": cancel_url,
            "household": household,
            "history": change_history(obj) if obj is not None and obj.pk else None,
            "submit_label": submit_label or _("保存"),
            "intro": intro,
        },
        status=status,
    )


def _saved(request, form, call, message: str):
    """Call the service with the form's data; on a refusal put it next to the fields."""
    try:
        obj = call()
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    messages.success(request, message)
    return obj


def _delete_page(request, *, title: str, what: str, call, cancel_url: str, done_url: str, hint=""):
    refusal = None
    if request.method == "POST":
        try:
            call()
        except ValidationError as exc:
            refusal = " ".join(exc.messages)
        else:
            messages.success(request, _("%(what)s已删除。") % {"what": what})
            return redirect(done_url)
    return render(
        request,
        "households/kept_delete.html",
        {"title": title, "what": what, "refusal": refusal, "cancel_url": cancel_url, "hint": hint},
        status=400 if refusal else 200,
    )


def _household_detail_url(household) -> str:
    return reverse("households:detail", args=[household.pk])


# --- households -----------------------------------------------------------------------------
@login_required
def household_create_view(request):
    _require(request.user, "household")
    if request.method == "POST":
        form = HouseholdForm(request.POST, user=request.user)
        if form.is_valid():
            household = _saved(
                request,
                form,
                lambda: household_record(user=request.user, **form.service_kwargs()),
                _("贫困户已登记。"),
            )
            if household is not None:
                return redirect(_household_detail_url(household))
    else:
        form = HouseholdForm(user=request.user, initial=_initial_village(request))
    return _form_page(
        request,
        form=form,
        heading=_("登记贫困户"),
        cancel_url=reverse("households:list"),
    )


def _initial_village(request) -> dict:
    raw = request.GET.get("village") or ""
    return {"village": int(raw)} if raw.isdigit() else {}


@login_required
def household_edit_view(request, pk: int):
    household = household_for_page(user=request.user, pk=pk)
    _require(request.user, "household")
    if request.method == "POST":
        form = HouseholdForm(request.POST, user=request.user, instance=household)
        if form.is_valid():
            saved = _saved(
                request,
                form,
                lambda: household_update(
                    user=request.user, household=household, **form.service_kwargs()
                ),
                _("修改已保存。"),
            )
            if saved is not None:
                return redirect(_household_detail_url(household))
        household.refresh_from_db()
    else:
        form = HouseholdForm(user=request.user, instance=household)
    return _form_page(
        request,
        form=form,
        heading=_("修改贫困户信息：%(name)s") % {"name": household.head_name},
        cancel_url=_household_detail_url(household),
        household=household,
    )


@login_required
def household_exit_view(request, pk: int):
    household = household_for_page(user=request.user, pk=pk)
    _require(request.user, "household")
    if request.method == "POST":
        form = EndForm(request.POST)
        form.fields["day"].label = _("脱贫日期")
        if form.is_valid():
            saved = _saved(
                request,
                form,
                lambda: household_end(
                    user=request.user, household=household, day=form.cleaned_data["day"]
                ),
                _("已标记为已脱贫。"),
            )
            if saved is not None:
                return redirect(_household_detail_url(household))
            _move_to_day(form)
    else:
        form = EndForm()
        form.fields["day"].label = _("脱贫日期")
    return _form_page(
        request,
        form=form,
        heading=_("标记脱贫（退出）：%(name)s") % {"name": household.head_name},
        cancel_url=_household_detail_url(household),
        household=household,
        submit_label=_("标记已脱贫"),
        intro=_("已脱贫的户保留在名册上，帮扶责任人、走访记录和一户一策都保留（脱贫不脱帮扶）。"),
    )


def _move_to_day(form) -> None:
    """A service's date error under its own field name belongs next to the one date field."""
    for name in list(form.errors):
        if name not in form.fields and name != "__all__":
            for message in form.errors.pop(name):
                form.add_error("day", message)


@login_required
def household_delete_view(request, pk: int):
    household = household_for_page(user=request.user, pk=pk)
    _require(request.user, "household")
    return _delete_page(
        request,
        title=_("删除贫困户：%(name)s") % {"name": household.head_name},
        what=_("贫困户"),
        call=lambda: household_delete(user=request.user, household=household),
        cancel_url=_household_detail_url(household),
        done_url=reverse("households:list"),
        hint=_(
            "只有误录、尚无走访、结对和一户一策的户可以删除（家庭成员和收入记录一并删除）；其他户请标记为已脱贫。"
        ),
    )


# --- members and incomes ----------------------------------------------------------------------
@login_required
def member_create_view(request, pk: int):
    household = household_for_page(user=request.user, pk=pk)
    _require(request.user, "member")
    form = MemberForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = _saved(
            request,
            form,
            lambda: member_record(user=request.user, household=household, **form.service_kwargs()),
            _("家庭成员已添加。"),
        )
        if saved is not None:
            return redirect(_household_detail_url(household) + "#members")
    return _form_page(
        request,
        form=form,
        heading=_("添加家庭成员：%(name)s户") % {"name": household.head_name},
        cancel_url=_household_detail_url(household),
        household=household,
    )


@login_required
def member_edit_view(request, pk: int):
    member = member_detail(user=request.user, pk=pk)
    _require(request.user, "member")
    household = member.household
    if request.method == "POST":
        form = MemberForm(request.POST, user=request.user, instance=member)
        if form.is_valid():
            saved = _saved(
                request,
                form,
                lambda: member_update(user=request.user, member=member, **form.service_kwargs()),
                _("修改已保存。"),
            )
            if saved is not None:
                return redirect(_household_detail_url(household) + "#members")
        member.refresh_from_db()
    else:
        form = MemberForm(user=request.user, instance=member)
    return _form_page(
        request,
        form=form,
        heading=_("修改家庭成员：%(name)s") % {"name": member.name},
        cancel_url=_household_detail_url(household),
        household=household,
        obj=member,
    )


@login_required
def member_delete_view(request, pk: int):
    member = member_detail(user=request.user, pk=pk)
    _require(request.user, "member")
    back = _household_detail_url(member.household) + "#members"
    return _delete_page(
        request,
        title=_("删除家庭成员：%(name)s") % {"name": member.name},
        what=_("家庭成员"),
        call=lambda: member_delete(user=request.user, member=member),
        cancel_url=back,
        done_url=back,
    )


@login_required
def income_create_view(request, pk: int):
    household = household_for_page(user=request.user, pk=pk)
    _require(request.user, "income")
    form = IncomeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = _saved(
            request,
            form,
            lambda: income_record(user=request.user, household=household, **form.service_kwargs()),
            _("收入记录已保存。"),
        )
        if saved is not None:
            return redirect(_household_detail_url(household) + "#incomes")
    return _form_page(
        request,
        form=form,
        heading=_("填报年人均纯收入：%(name)s户") % {"name": household.head_name},
        cancel_url=_household_detail_url(household),
        household=household,
    )


@login_required
def income_edit_view(request, pk: int):
    income = income_detail(user=request.user, pk=pk)
    _require(request.user, "income")
    household = income.household
    if request.method == "POST":
        form = IncomeForm(request.POST, user=request.user, instance=income)
        if form.is_valid():
            saved = _saved(
                request,
                form,
                lambda: income_update(user=request.user, income=income, **form.service_kwargs()),
                _("修改已保存。"),
            )
            if saved is not None:
                return redirect(_household_detail_url(household) + "#incomes")
        income.refresh_from_db()
    else:
        form = IncomeForm(user=request.user, instance=income)
    return _form_page(
        request,
        form=form,
        heading=_("修改 %(year)d 年收入：%(name)s户")
        % {"year": income.year, "name": household.head_name},
        cancel_url=_household_detail_url(household),
        household=household,
        obj=income,
    )


@login_required
def income_delete_view(request, pk: int):
    income = income_detail(user=request.user, pk=pk)
    _require(request.user, "income")
    back = _household_detail_url(income.household) + "#incomes"
    return _delete_page(
        request,
        title=_("删除 %(year)d 年收入记录") % {"year": income.year},
        what=_("收入记录"),
        call=lambda: income_delete(user=request.user, income=income),
        cancel_url=back,
        done_url=back,
    )


# --- one household, one plan ------------------------------------------------------------------
def _plan_url(household) -> str:
    return reverse("households:plan", args=[household.pk])


@login_required
def plan_view(request, pk: int):
    household = household_for_page(user=request.user, pk=pk)
    plan = plan_of(household)
    user = request.user
    return render(
        request,
        "households/plan.html",
        {
            "h": household,
            "plan": plan,
            "measures": plan_measures(plan),
            "keeps_plan": may_keep(user, "plan"),
            "keeps_measures": may_keep(user, "measure"),
            "history": change_history(plan) if plan is not None else None,
            "today": timezone.localdate(),
        },
    )


@login_required
def plan_create_view(request, pk: int):
    household = household_for_page(user=request.user, pk=pk)
    _require(request.user, "plan")
    form = PlanForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = _saved(
            request,
            form,
            lambda: plan_record(user=request.user, household=household, **form.service_kwargs()),
            _("一户一策已制定，请添加帮扶措施。"),
        )
        if saved is not None:
            return redirect(_plan_url(household))
    return _form_page(
        request,
        form=form,
        heading=_("制定一户一策：%(name)s户") % {"name": household.head_name},
        cancel_url=_plan_url(household),
        household=household,
    )


def _plan_or_404(household) -> Plan:
    plan = plan_of(household)
    if plan is None:
        raise Http404
    return plan


@login_required
def plan_edit_view(request, pk: int):
    household = household_for_page(user=request.user, pk=pk)
    plan = _plan_or_404(household)
    _require(request.user, "plan")
    if request.method == "POST":
        form = PlanForm(request.POST, user=request.user, instance=plan)
        if form.is_valid():
            saved = _saved(
                request,
                form,
                lambda: plan_update(user=request.user, plan=plan, **form.service_kwargs()),
                _("修改已保存。"),
            )
            if saved is not None:
                return redirect(_plan_url(household))
        plan.refresh_from_db()
    else:
        form = PlanForm(user=request.user, instance=plan)
    return _form_page(
        request,
        form=form,
        heading=_("修改一户一策：%(name)s户") % {"name": household.head_name},
        cancel_url=_plan_url(household),
        household=household,
    )


@login_required
def plan_delete_view(request, pk: int):
    household = household_for_page(user=request.user, pk=pk)
    plan = _plan_or_404(household)
    _require(request.user, "plan")
    return _delete_page(
        request,
        title=_("删除一户一策：%(name)s户") % {"name": household.head_name},
        what=_("一户一策"),
        call=lambda: plan_delete(user=request.user, plan=plan),
        cancel_url=_plan_url(household),
        done_url=_plan_url(household),
        hint=_("已有帮扶措施的一户一策不能删除。"),
    )


@login_required
def measure_create_view(request, pk: int):
    household = household_for_page(user=request.user, pk=pk)
    plan = _plan_or_404(household)
    _require(request.user, "measure")
    form = MeasureForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = _saved(
            request,
            form,
            lambda: measure_record(user=request.user, plan=plan, **form.service_kwargs()),
            _("帮扶措施已添加。"),
        )
        if saved is not None:
            return redirect(_plan_url(household))
    return _form_page(
        request,
        form=form,
        heading=_("添加帮扶措施：%(name)s户") % {"name": household.head_name},
        cancel_url=_plan_url(household),
        household=household,
    )


@login_required
def measure_edit_view(request, pk: int):
    measure = measure_detail(user=request.user, pk=pk)
    _require(request.user, "measure")
    household = measure.plan.household
    if request.method == "POST":
        form = MeasureForm(request.POST, user=request.user, instance=measure)
        if form.is_valid():
            saved = _saved(
                request,
                form,
                lambda: measure_update(user=request.user, measure=measure, **form.service_kwargs()),
                _("修改已保存。"),
            )
            if saved is not None:
                return redirect(_plan_url(household))
        measure.refresh_from_db()
    else:
        form = MeasureForm(user=request.user, instance=measure)
    return _form_page(
        request,
        form=form,
        heading=_("修改帮扶措施：%(name)s户") % {"name": household.head_name},
        cancel_url=_plan_url(household),
        household=household,
        obj=measure,
    )


@login_required
def measure_delete_view(request, pk: int):
    measure = measure_detail(user=request.user, pk=pk)
    _require(request.user, "measure")
    back = _plan_url(measure.plan.household)
    return _delete_page(
        request,
        title=_("删除帮扶措施：%(content)s") % {"content": measure.content},
        what=_("帮扶措施"),
        call=lambda: measure_delete(user=request.user, measure=measure),
        cancel_url=back,
        done_url=back,
    )


# --- household pairings (结对帮扶) ---------------------------------------------------------------
def _pairing_state(pairing, today) -> tuple[str, str]:
    if pairing.start_date > today:
        return "warn", _("未开始")
    if pairing.end_date is not None and pairing.end_date < today:
        return "", _("已解除")
    return "ok", _("结对中")


@login_required
def pairing_list_view(request):
    user = request.user
    filterset, rows = pairing_list(user=user, params=request.GET, request=request)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    keeper = pairing_keeper(user)
    today = timezone.localdate()
    pairings = list(page.object_list)
    for pairing in pairings:
        pairing.state_class, pairing.state_label = _pairing_state(pairing, today)
        pairing.changeable = keeper.allows_pairing(pairing)
        pairing.in_force_today = pairing.start_date <= today and (
            pairing.end_date is None or pairing.end_date >= today
        )
    return render(
        request,
        "households/pairing_list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "pairings": pairings,
            "query": query_without_page(request),
            "keeps": keeper.keeps,
        },
    )


def _keeper_or_403(user, pairing) -> None:
    pairing_keeper_require(user, helper=pairing.helper, household=pairing.household)


@login_required
def pairing_detail_view(request, pk: int):
    pairing = pairing_detail(user=request.user, pk=pk)
    today = timezone.localdate()
    pairing.state_class, pairing.state_label = _pairing_state(pairing, today)
    visits = pairing_visit_counts([pairing]).get(pairing.pk, (0, 0))
    return render(
        request,
        "households/pairing_detail.html",
        {
            "p": pairing,
            "changeable": pairing_keeper(request.user).allows_pairing(pairing),
            "visits": visits[0],
            "visits_counted": visits[1],
            "history": change_history(pairing),
            "masked_phone": mask_phone(pairing.helper.phone) if pairing.helper.phone else "",
        },
    )


@login_required
def pairing_create_view(request):
    user = request.user
    kept_require(user, "household_pairing")
    raw = request.POST.get("household") or request.GET.get("household") or ""
    if not raw:
        q = (request.GET.get("q") or "").strip()
        results = household_search_results(user=user, q=q)
        for result in results:
            result.masked_id = mask_id_number(result.head_id_number)
        return render(
            request,
            "households/pairing_pick.html",
            {"q": q, "results": results, "searched": bool(q)},
        )
    if not raw.isdigit():
        raise Http404
    household = household_for_page(user=user, pk=int(raw))
    pairing_keeper_require(user, household=household)
    form = PairingForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        saved = _saved(
            request,
            form,
            lambda: household_pairing_record(
                user=user, household=household, **form.service_kwargs()
            ),
            _("结对已登记。"),
        )
        if saved is not None:
            return redirect(_household_detail_url(household) + "#pairings")
    return render(
        request,
        "households/pairing_form.html",
        {
            "form": form,
            "household": household,
            "heading": _("结对帮扶责任人：%(name)s户") % {"name": household.head_name},
            "cancel_url": _household_detail_url(household),
            "submit_label": _("保存结对"),
            "hidden_household": household.pk,
        },
    )


def _pairing_page(request, pairing, *, form, heading, submit_label, intro=""):
    return render(
        request,
        "households/pairing_form.html",
        {
            "form": form,
            "household": pairing.household,
            "pairing": pairing,
            "heading": heading,
            "cancel_url": reverse("households:pairing_detail", args=[pairing.pk]),
            "submit_label": submit_label,
            "intro": intro,
        },
    )


@login_required
def pairing_edit_view(request, pk: int):
    pairing = pairing_detail(user=request.user, pk=pk)
    _keeper_or_403(request.user, pairing)
    form = PairingEditForm(request.POST or None, user=request.user, pairing=pairing)
    if request.method == "POST" and form.is_valid():
        saved = _saved(
            request,
            form,
            lambda: household_pairing_update(
                user=request.user, pairing=pairing, **form.service_kwargs()
            ),
            _("修改已保存，相关走访已重新核定。"),
        )
        if saved is not None:
            return redirect("households:pairing_detail", pk=pairing.pk)
        pairing.refresh_from_db()
    return _pairing_page(
        request,
        pairing,
        form=form,
        heading=_("更正结对日期"),
        submit_label=_("保存"),
        intro=_("只用于更正录错的日期；更换帮扶责任人请用“交接”。"),
    )


@login_required
def pairing_end_view(request, pk: int):
    pairing = pairing_detail(user=request.user, pk=pk)
    _keeper_or_403(request.user, pairing)
    form = PairingEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = _saved(
            request,
            form,
            lambda: household_pairing_end(
                user=request.user, pairing=pairing, day=form.cleaned_data["day"]
            ),
            _("结对已解除。"),
        )
        if saved is not None:
            return redirect("households:pairing_detail", pk=pairing.pk)
        _move_to_day(form)
        pairing.refresh_from_db()
    return _pairing_page(
        request, pairing, form=form, heading=_("解除结对"), submit_label=_("解除结对")
    )


@login_required
def pairing_handover_view(request, pk: int):
    pairing = pairing_detail(user=request.user, pk=pk)
    _keeper_or_403(request.user, pairing)
    form = HandoverForm(request.POST or None, user=request.user, exclude_helper=pairing.helper_id)
    if request.method == "POST" and form.is_valid():
        result = _saved(
            request,
            form,
            lambda: household_pairing_handover(
                user=request.user,
                pairing=pairing,
                helper=form.cleaned_data["helper"],
                day=form.cleaned_data["day"],
            ),
            _("交接完成：原结对已于交接日期前一天解除，新的结对已从交接日期开始。"),
        )
        if result is not None:
            return redirect(_household_detail_url(pairing.household) + "#pairings")
        pairing.refresh_from_db()
    return _pairing_page(
        request,
        pairing,
        form=form,
        heading=_("交接给其他帮扶责任人"),
        submit_label=_("确认交接"),
    )


@login_required
def pairing_delete_view(request, pk: int):
    pairing = pairing_detail(user=request.user, pk=pk)
    _keeper_or_403(request.user, pairing)
    return _delete_page(
        request,
        title=_("删除结对：%(pairing)s") % {"pairing": pairing_label(pairing)},
        what=_("结对"),
        call=lambda: household_pairing_delete(user=request.user, pairing=pairing),
        cancel_url=reverse("households:pairing_detail", args=[pairing.pk]),
        done_url=_household_detail_url(pairing.household) + "#pairings",
        hint=_("只用于删除误录的结对；已有走访记入该结对的，只能解除。"),
    )


# --- reassigning a departing helper's households ---------------------------------------------
class _DryRun(Exception):
    pass


def _reassign_args(request, form, pairings, helpers) -> dict:
    by_id = {h.pk: h for h in helpers}
    choices = {}
    for pairing in pairings:
        raw = request.POST.get(f"to_{pairing.pk}") or ""
        if raw.isdigit() and int(raw) in by_id:
            choices[pairing.pk] = by_id[int(raw)]
        elif raw:
            raise Http404
    return {
        "to_helper": form.cleaned_data.get("to_helper"),
        "day": form.cleaned_data["day"],
        "choices": choices,
    }


@login_required
def pairing_reassign_view(request):
    """调整离任帮扶责任人: choose the helper → their households in force → the new helper(s) and
    the date → check → confirm → what changed. One service does it, all or nothing."""
    user = request.user
    kept_require(user, "household_pairing")
    raw = request.POST.get("helper") or request.GET.get("helper") or ""
    today = timezone.localdate()
    if not raw:
        q = (request.GET.get("q") or "").strip()
        return render(
            request,
            "households/reassign_pick.html",
            {"q": q, "rows": helpers_matching(user=user, q=q, on=today), "searched": bool(q)},
        )
    if not raw.isdigit():
        raise Http404
    departing = get_object_or_404(Cadre.objects.visible_to(user).select_related("unit"), pk=raw)
    pairing_keeper_require(user, helper=departing)
    form = ReassignForm(request.POST or None, user=user, departing=departing)
    day = today
    if form.is_bound and form.is_valid():
        day = form.cleaned_data["day"]
    elif not form.is_bound and request.GET.get("day"):
        day_field = form.fields["day"]
        try:
            day = day_field.clean(request.GET["day"])
            form.initial["day"] = day
        except ValidationError:
            day = today
    pairings = list(helper_pairings_in_force(user=user, helper=departing, day=day))
    helpers = list(form.fields["to_helper"].queryset)
    step = "choose"
    if request.method == "POST" and form.is_valid():
        arguments = _reassign_args(request, form, pairings, helpers)
        action = request.POST.get("action")
        try:
            if action == "confirm":
                done = household_pairings_reassign(user=user, helper=departing, **arguments)
                return render(
                    request,
                    "households/reassign_done.html",
                    {"departing": departing, "done": done, "day": arguments["day"]},
                )
            with transaction.atomic():
                household_pairings_reassign(user=user, helper=departing, **arguments)
                raise _DryRun
        except _DryRun:
            step = "confirm"
        except ValidationError as exc:
            add_service_errors(form, exc)
        for pairing in pairings:
            chosen = arguments["choices"].get(pairing.pk) or arguments["to_helper"]
            pairing.chosen = chosen
            pairing.chosen_id = chosen.pk if chosen else None
    return render(
        request,
        "households/reassign.html",
        {
            "departing": departing,
            "form": form,
            "pairings": pairings,
            "helpers": helpers,
            "day": day,
            "step": step,
            "previous_day": day - datetime.timedelta(days=1),
        },
    )


# --- coverage (全覆盖) -----------------------------------------------------------------------
@login_required
def coverage_view(request):
    user = request.user
    today = timezone.localdate()
    filterset = CoverageFilter(request.GET or None, queryset=household_base(user), request=request)
    village = None
    if filterset.is_bound and filterset.is_valid():
        village = filterset.form.cleaned_data.get("village")
    on = today
    raw = request.GET.get("on")
    if raw:
        try:
            on = datetime.date.fromisoformat(raw)
        except ValueError:
            on = today
    rows = uncovered_households(user, on, village.pk if village else None)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    households = list(page.object_list)
    for household in households:
        household.masked_id = mask_id_number(household.head_id_number)
    villages = coverage_by_village(user, on)
    keeper = pairing_keeper(user)
    for household in households:
        household.pairable = keeper.allows(helper_unit_id=None, village_id=household.village_id)
    return render(
        request,
        "households/coverage.html",
        {
            "filter": filterset,
            "on": on,
            "page_obj": page,
            "households": households,
            "villages": [v for v in villages if v.uncovered] if not village else villages,
            "all_villages": len(villages),
            "total": sum(v.households for v in villages),
            "uncovered_total": sum(v.uncovered for v in villages),
            "query": query_without_page(request),
        },
    )


# --- the structure hub (基础信息维护) ------------------------------------------------------------
@dataclass
class HubLink(KeptPages):
    """A hub entry for pages of this app that are not KeptPages (the household pages are
    home/'s, the pairing pages have their own steps): the hub asks `list_url`, `url("create")`
    and `creates(user)`; `routes` names the URL of each."""

    routes: dict[str, str] = dataclass_field(default_factory=dict)

    def url(self, action: str, *args) -> str:
        return reverse(self.routes[action], args=args)

    def creates(self, user) -> bool:
        return "create" in self.routes and super().creates(user)


def _hub(kind, model, name, label, routes, intro, **extra) -> HubLink:
    return HubLink(
        kind=kind,
        model=model,
        form_class=forms.Form,
        namespace="households",
        name=name,
        label=label,
        record=household_record,
        update=household_update,
        instance_kw=name,
        queryset=lambda user: model.objects.visible_to(user),
        list_columns=[],
        detail_fields=[],
        group=gettext_lazy("贫困户与结对帮扶"),
        intro=intro,
        routes=routes,
        **extra,
    )


HUB = [
    register_kept(
        _hub(
            "household",
            Household,
            "household",
            gettext_lazy("贫困户"),
            {"list": "households:list", "create": "households:create"},
            gettext_lazy("户主、家庭成员、两不愁三保障、饮水安全和年人均纯收入。"),
        )
    ),
    register_kept(
        _hub(
            "household_pairing",
            HouseholdPairing,
            "pairing",
            gettext_lazy("结对帮扶"),
            {"list": "households:pairing_list", "create": "households:pairing_create"},
            gettext_lazy("帮扶责任人与户的结对：新增、交接、解除。"),
        )
    ),
    register_kept(
        _hub(
            "household_pairing",
            HouseholdPairing,
            "reassign",
            gettext_lazy("调整离任帮扶责任人"),
            {"list": "households:pairing_reassign"},
            gettext_lazy("把一位帮扶责任人的全部结对户一次交接给其他帮扶责任人。"),
        )
    ),
    register_kept(
        _hub(
            "household_pairing",
            Household,
            "coverage",
            gettext_lazy("未结对贫困户（全覆盖）"),
            {"list": "households:coverage"},
            gettext_lazy("没有在结对期内的帮扶责任人的户，按村统计。"),
        )
    ),
]
