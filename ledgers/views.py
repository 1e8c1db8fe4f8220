"""Pages of the ledgers app: the reviewer's export page, the background job's progress and
download, the roster import (upload, dry run, confirm), and the imports of kept records
(数据导入: /ledgers/imports/, one kind per module of ledgers/sheets/). Thin: parse, call a
service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.keepers import require_keeper
from ledgers import selectors, services
from ledgers.forms import ExportForm, ImportForm, SheetImportForm
from ledgers.models import ExportJob, LedgerKind, RosterImport, SheetImport
from ledgers.sheets import services as sheet_services
from villages.models import Region

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_ERRORS = 1000  # errors listed on the page; the downloaded copy has all of them
PAGE_CHANGES = 500


def _require_export(user) -> None:
    if not services.user_can_export(user):
        raise PermissionDenied


def _require_import(user) -> None:
    if not services.user_can_import(user):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def export(request):
    """The reviewer's export page: pick ledger, region and period. Small ledgers download at
    once; larger ones (over EXPORT_SYNC_MAX_ROWS rows) become a background job."""
    _require_export(request.user)
    form = ExportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region = get_object_or_404(Region, code=data["region"])
        started = services.export_start(
            user=request.user,
            kind=data["kind"],
            region=region,
            period=data["period"],
            mask_ids=data["mask_ids"],
            full_id_reason=data["full_id_reason"],
            request=request,
        )
        if started.file is not None:
            # FileResponse closes the file once sent (the file is deleted on close).
            return FileResponse(
                started.file,
                as_attachment=True,
                filename=started.exporter.filename,
                content_type=XLSX,
            )
        # The job was queued on commit (at once here); a broker that is down has failed it.
        return redirect("ledgers:job", job_id=started.job.pk)
    return render(
        request,
        "ledgers/export.html",
        {
            "form": form,
            "jobs": selectors.export_jobs_for(user=request.user),
            "sync_max_rows": settings.EXPORT_SYNC_MAX_ROWS,
            "keep_days": settings.EXPORT_KEEP_DAYS,
            "can_import": services.user_can_import(request.user),
        },
    )


def _job_page(request, job: ExportJob, status: int = 200):
    running = job.status in (ExportJob.Status.PENDING, ExportJob.Status.RUNNING)
    can_retry = job.user_id == request.user.id and job.status in (
        ExportJob.Status.FAILED,
        ExportJob.Status.EXPIRED,
    )
    return render(
        request,
        "ledgers/job.html",
        {"job": job, "running": running, "can_retry": can_retry},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def job(request, job_id: int):
    """A background job's page; POST (重新导出, the owner only) makes a new job with the same
    ledger, region, period and masking."""
    if request.method == "POST":
        _require_export(request.user)
        new = services.export_job_retry(user=request.user, job_id=job_id, request=request)
        return redirect("ledgers:job", job_id=new.pk)
    job = services.export_job_for_owner(user=request.user, job_id=job_id)
    return _job_page(request, job)


@login_required
@require_GET
def job_status(request, job_id: int):
    """Polled by static/js/ledgers.js to move the progress bar (and to learn that the job's
    worker has stopped: the page then reloads and shows why, with a retry button)."""
    job = services.export_job_for_owner(user=request.user, job_id=job_id)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "error": job.error,
            "progress": job.progress,
            "done_rows": job.done_rows,
            "total_rows": job.total_rows,
            "download_url": reverse("ledgers:job_download", args=[job.pk])
            if job.status == ExportJob.Status.DONE
            else None,
        }
    )


@login_required
@require_GET
def job_download(request, job_id: int):
    job = services.export_job_for_download(user=request.user, job_id=job_id)
    if job.status == ExportJob.Status.EXPIRED:
        return _job_page(request, job, status=410)
    if job.status != ExportJob.Status.DONE or not job.file:
        return redirect("ledgers:job", job_id=job.pk)
    services.export_download_log(job=job, request=request)
    filename = f"{LedgerKind(job.kind).label}_{job.region.name}_{job.period}.xlsx"
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=filename, content_type=XLSX
    )


# --- roster import ------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request):
    """Upload a household roster; it is checked first (dry run) and imported only on confirm."""
    _require_import(request.user)
    if request.method == "POST":
        # Refuse an oversized upload before reading its body.
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > settings.IMPORT_MAX_BYTES + 64 * 1024:
            messages.error(
                request,
                _("文件过大，上限为 %(mb).1f MB；请拆分后分批导入。")
                % {"mb": settings.IMPORT_MAX_BYTES / 1024 / 1024},
            )
            return redirect("ledgers:import")
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            roster = services.roster_import_check(
                user=request.user,
                upload=form.cleaned_data["file"],
                income_year=int(form.cleaned_data["income_year"]),
            )
            return redirect("ledgers:import_detail", roster_id=roster.pk)
    else:
        form = ImportForm()
    return render(
        request,
        "ledgers/import.html",
        {
            "form": form,
            "imports": selectors.roster_imports_for(user=request.user),
            "max_mb": settings.IMPORT_MAX_BYTES / 1024 / 1024,
            "max_rows": settings.IMPORT_MAX_ROWS,
            "can_export": services.user_can_export(request.user),
        },
    )


@login_required
@require_GET
def roster_template(request):
    _require_import(request.user)
    template = services.roster_template()
    response = HttpResponse(template.read(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, template.name)
    return response


@login_required
@require_GET
def roster_detail(request, roster_id: int):
    roster = services.roster_import_for(user=request.user, roster_id=roster_id)
    return render(
        request,
        "ledgers/import_detail.html",
        {
            "roster": roster,
            "errors": roster.errors[:PAGE_ERRORS],
            "more_errors": max(0, len(roster.errors) - PAGE_ERRORS),
            "changes": roster.changes[:PAGE_CHANGES],
            "more_changes": max(0, len(roster.changes) - PAGE_CHANGES),
            "can_apply": roster.status == RosterImport.Status.CHECKED
            and (roster.created_count or roster.updated_count),
        },
    )


@login_required
@require_POST
def roster_apply(request, roster_id: int):
    _require_import(request.user)
    roster = services.roster_import_apply(user=request.user, roster_id=roster_id, request=request)
    if roster.status == RosterImport.Status.IMPORTED:
        messages.success(
            request,
            _("导入完成：新增 %(c)d 户，更新 %(u)d 户，未变化 %(n)d 户。")
            % {"c": roster.created_count, "u": roster.updated_count, "n": roster.unchanged_count},
        )
    elif roster.status == RosterImport.Status.INVALID:
        messages.error(request, _("名册未导入：请查看下面列出的问题。"))
    return redirect("ledgers:import_detail", roster_id=roster.pk)


@login_required
@require_GET
def roster_errors(request, roster_id: int):
    roster = services.roster_import_for(user=request.user, roster_id=roster_id)
    content = services.roster_error_copy(roster=roster)
    stem = roster.original_name.rsplit(".", 1)[0]
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}_错误说明.xlsx")
    return response


# --- imports of kept records (ledgers/sheets/) ---------------------------------------------------
def _upload_too_big(request) -> bool:
    """An oversized upload is refused before its body is read."""
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > settings.IMPORT_MAX_BYTES + 64 * 1024:
        messages.error(
            request,
            _("文件过大，上限为 %(mb).1f MB；请拆分后分批导入。")
            % {"mb": settings.IMPORT_MAX_BYTES / 1024 / 1024},
        )
        return True
    return False


@login_required
@require_GET
def imports(request):
    """数据导入: every kind of record the user's role keeps and may import from Excel (and the
    household roster), with the user's recent imports."""
    kinds = sheet_services.sheets_for(request.user)
    can_roster = services.user_can_import(request.user)
    if not kinds and not can_roster:
        raise PermissionDenied(_("您的角色没有可以导入的数据。"))
    titles = {spec.kind: spec.title for spec in kinds}
    recent = [
        {"record": record, "title": titles.get(record.kind, record.kind)}
        for record in sheet_services.sheet_imports_for(user=request.user)
    ]
    return render(
        request,
        "ledgers/imports.html",
        {"kinds": kinds, "can_roster": can_roster, "recent": recent},
    )


@login_required
@require_http_methods(["GET", "POST"])
def sheet_import(request, kind: str):
    """Upload a workbook of one kind; it is checked first (dry run), imported only on confirm."""
    spec = sheet_services.sheet_spec(kind)
    require_keeper(request.user, spec.keeper_kind)
    if request.method == "POST":
        if _upload_too_big(request):
            return redirect("ledgers:sheet_import", kind=spec.kind)
        form = SheetImportForm(request.POST, request.FILES)
        if form.is_valid():
            record = sheet_services.sheet_import_check(
                user=request.user, kind=spec.kind, upload=form.cleaned_data["file"]
            )
            return redirect("ledgers:sheet_detail", kind=spec.kind, import_id=record.pk)
    else:
        form = SheetImportForm()
    return render(
        request,
        "ledgers/sheet_import.html",
        {
            "spec": spec,
            "form": form,
            "imports": sheet_services.sheet_imports_for(user=request.user, kind=spec.kind),
            "max_mb": settings.IMPORT_MAX_BYTES / 1024 / 1024,
            "max_rows": settings.IMPORT_MAX_ROWS,
            "required": [col.name for col in spec.columns if col.required],
            "optional": [col.name for col in spec.columns if not col.required],
        },
    )


@login_required
@require_GET
def sheet_template(request, kind: str):
    spec = sheet_services.sheet_spec(kind)
    require_keeper(request.user, spec.keeper_kind)
    template = sheet_services.sheet_template(kind=spec.kind)
    response = HttpResponse(template.read(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, template.name)
    return response


@login_required
@require_GET
def sheet_detail(request, kind: str, import_id: int):
    spec = sheet_services.sheet_spec(kind)
    record = sheet_services.sheet_import_for(user=request.user, import_id=import_id, kind=kind)
    return render(
        request,
        "ledgers/sheet_detail.html",
        {
            "spec": spec,
            "record": record,
            "errors": record.errors[:PAGE_ERRORS],
            "more_errors": max(0, len(record.errors) - PAGE_ERRORS),
            "changes": record.changes[:PAGE_CHANGES],
            "more_changes": max(0, len(record.changes) - PAGE_CHANGES),
            "can_apply": record.status == SheetImport.Status.CHECKED
            and bool(record.created_count or record.updated_count),
        },
    )


@login_required
@require_POST
def sheet_apply(request, kind: str, import_id: int):
    spec = sheet_services.sheet_spec(kind)
    sheet_services.sheet_import_for(user=request.user, import_id=import_id, kind=kind)
    require_keeper(request.user, spec.keeper_kind)
    record = sheet_services.sheet_import_apply(
        user=request.user, import_id=import_id, request=request
    )
    if record.status == SheetImport.Status.IMPORTED:
        messages.success(
            request,
            _("导入完成：新增 %(c)d 条，更新 %(u)d 条，未变化 %(n)d 条。")
            % {"c": record.created_count, "u": record.updated_count, "n": record.unchanged_count},
        )
    elif record.status == SheetImport.Status.INVALID:
        messages.error(request, _("未导入：请查看下面列出的问题。"))
    return redirect("ledgers:sheet_detail", kind=kind, import_id=record.pk)


@login_required
@require_GET
def sheet_errors(request, kind: str, import_id: int):
    record = sheet_services.sheet_import_for(user=request.user, import_id=import_id, kind=kind)
    content = sheet_services.sheet_error_copy(record=record)
    stem = record.original_name.rsplit(".", 1)[0]
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}_错误说明.xlsx")
    return response
