"""Uploads of kept records' workbooks (SheetImport): the check (a dry run), the import on
confirmation, the marked-up error copy and the template. The pages (ledgers/views.py) and the
API (api/views/kept_villages.py) call these; the framework is ledgers/sheets/base.py."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import SecurityEvent
from accounts.services import security_event_record
from core.keepers import may_keep, require_keeper
from ledgers.models import SheetImport
from ledgers.sheets.base import (
    SheetRefused,
    SheetResult,
    SheetSpec,
    error_copy,
    run_sheet,
    sheet_for,
    sheets,
    template_workbook,
)

if TYPE_CHECKING:
    from accounts.models import User


def sheet_spec(kind: str) -> SheetSpec:
    """The kind's spec; an unknown kind is 'not found'."""
    spec = sheet_for(kind)
    if spec is None:
        raise Http404
    return spec


def sheets_for(user: User) -> list[SheetSpec]:
    """The kinds the user may import (their role keeps the records)."""
    return [spec for spec in sheets() if may_keep(user, spec.keeper_kind)]


def sheet_imports_for(*, user: User, kind: str | None = None, limit: int = 20) -> QuerySet:
    """The user's own recent imports (of one kind, or all)."""
    imports = SheetImport.objects.filter(user=user)
    if kind is not None:
        imports = imports.filter(kind=kind)
    return imports.defer("errors", "changes")[:limit]


def _store(record: SheetImport, result: SheetResult) -> None:
    record.total_rows = result.total_rows
    record.errors = [error.as_dict() for error in result.errors]
    record.changes = result.changes
    record.created_count = result.created
    record.updated_count = result.updated
    record.unchanged_count = result.unchanged
    record.sheet = result.sheet
    record.header_row = result.header_row


def sheet_import_check(
    *,
    user: User,
    kind: str,
    upload: File,
    dry_run: bool = True,
    request: HttpRequest | None = None,
) -> SheetImport:
    """Check an uploaded workbook (the import, rolled back) and record every error or what
    importing will change; the file is kept so the user can confirm without uploading again.
    `dry_run=False` imports at once when every row is right."""
    spec = sheet_spec(kind)
    require_keeper(user, spec.keeper_kind)
    name = Path(upload.name or "import.xlsx").name[:255]
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    record = SheetImport(kind=spec.kind, user=user, original_name=name, sha256=digest.hexdigest())
    upload.seek(0)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            result = run_sheet(spec, upload, size=upload.size or 0, user=user, dry_run=True)
    except SheetRefused as refused:
        record.status = SheetImport.Status.INVALID
        record.refusal = refused.message
        record.save()
        return record
    _store(record, result)
    record.status = SheetImport.Status.CHECKED if result.ok else SheetImport.Status.INVALID
    upload.seek(0)
    record.file.save("import.xlsx", File(upload), save=False)
    record.save()
    if not dry_run and record.status == SheetImport.Status.CHECKED:
        return sheet_import_apply(user=user, import_id=record.pk, request=request)
    return record


def sheet_import_for(*, user: User, import_id: int, kind: str | None = None) -> SheetImport:
    """Only the user who uploaded it (or an administrator) sees an import; others: not found."""
    record = SheetImport.objects.filter(pk=import_id).first()
    if record is None or not (record.user_id == user.id or user.is_admin):
        raise Http404
    if kind is not None and record.kind != kind:
        raise Http404
    return record


def sheet_import_apply(
    *, user: User, import_id: int, request: HttpRequest | None = None
) -> SheetImport:
    """Import a checked workbook: run again inside one transaction (the records may have changed
    since the check) and written only if every row is still right. Logged in the security log."""
    with transaction.atomic():
        record = sheet_import_for(user=user, import_id=import_id)
        record = SheetImport.objects.select_for_update().get(pk=record.pk)
        if record.status != SheetImport.Status.CHECKED:
            return record  # imported already (a second click) or never valid
        spec = sheet_spec(record.kind)
        require_keeper(user, spec.keeper_kind)
        if not record.file:
            record.status = SheetImport.Status.INVALID
            record.refusal = _("上传的文件已过期删除，请重新上传。")
            record.save(update_fields=["status", "refusal"])
            return record
        try:
            with record.file.open("rb") as handle, translation.override(settings.LANGUAGE_CODE):
                result = run_sheet(spec, handle, size=record.file.size, user=user, dry_run=False)
        except SheetRefused as refused:
            record.status = SheetImport.Status.INVALID
            record.refusal = refused.message
            record.save(update_fields=["status", "refusal"])
            return record
        _store(record, result)
        if result.imported:
            record.status = SheetImport.Status.IMPORTED
            record.imported_at = timezone.now()
        else:
            record.status = SheetImport.Status.INVALID
        record.save()
    if record.status == SheetImport.Status.IMPORTED:
        security_event_record(
            kind=SecurityEvent.Kind.IMPORT,
            request=request,
            user=user,
            rows=record.created_count + record.updated_count,
            detail={
                "sheet_import": record.pk,
                "kind": record.kind,
                "file": record.original_name,
                "sha256": record.sha256,
                "created": record.created_count,
                "updated": record.updated_count,
                "unchanged": record.unchanged_count,
            },
        )
    return record


def sheet_error_copy(*, record: SheetImport) -> bytes:
    """The user's workbook with an error column, for an import that has row errors."""
    if not record.file or not record.errors:
        raise Http404
    with record.file.open("rb") as handle, translation.override(settings.LANGUAGE_CODE):
        return error_copy(
            handle, sheet=record.sheet, header_row=record.header_row, errors=record.errors
        )


def sheet_template(*, kind: str) -> ContentFile:
    spec = sheet_spec(kind)
    with translation.override(settings.LANGUAGE_CODE):
        content = template_workbook(spec)
        return ContentFile(content, name=_("%(title)s导入模板.xlsx") % {"title": spec.title})
