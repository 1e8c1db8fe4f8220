"""Household and visit pages: the household list and page, logging a visit (the most used
action: one step, phone-first, no JavaScript needed), a visit's page with its history,
editing within the window, the reviewer's queue, and photos served only inside the scope."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from PIL import Image, ImageOps

from accounts.services import full_id_reveal
from core.entry_views import PAGE_SIZE, query_without_page
from core.history import change_history
from core.idcard import mask_id_number
from core.permissions import can_edit_entry, edit_window_closes
from households.forms import ReviewForm, VisitEditForm, VisitForm, add_service_errors
from households.models import PHOTO_SUFFIXES, CreditStatus, Household, VisitPhoto
from households.selectors import (
    household_base,
    household_search_results,
    visit_detail,
    visits_for_review,
)
from households.services import visit_delete, visit_record, visit_review, visit_update


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
    page = Paginator(visits_for_review(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "households/review_list.html",
        {"page_obj": page, "review_form": ReviewForm(), "query": query_without_page(request)},
    )


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
