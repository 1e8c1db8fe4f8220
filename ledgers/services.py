"""Writes of the ledgers app: exporting ledgers (at once or as a background job), purging old
files, and importing household rosters. Views, tasks and management commands call these."""

from __future__ import annotations

import datetime
import hashlib
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.http import Http404, HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role, SecurityEvent, User
from accounts.services import security_event_record
from config.db_router import reads_from_replica
from core.scope import scope_of
from ledgers import importers
from ledgers.exporters import Exporter, exporter_for
from ledgers.models import ExportJob, RosterImport, SheetImport
from ledgers.periods import LedgerPeriod, parse_period
from villages.models import Region

logger = logging.getLogger(__name__)

EXPORT_ROLES = {Role.REVIEWER, Role.TOWNSHIP_STAFF}
# A background job writes its progress every this many rows (one UPDATE each).
PROGRESS_EVERY = 2000
IMPORT_ROLES = {Role.REVIEWER, Role.TOWNSHIP_STAFF}
# A job claimed this many times (its worker lost each time) is failed instead of run again.
EXPORT_MAX_ATTEMPTS = 3


def export_stale_seconds() -> int:
    """A running job without progress for this long has lost its worker (EXPORT_STALE_SECONDS,
    default 120 s; a chunk of PROGRESS_EVERY rows takes about a second on the province's data)."""
    return int(settings.EXPORT_STALE_SECONDS)


def export_pending_seconds() -> int:
    """A job still waiting for a worker after this long is failed (EXPORT_PENDING_SECONDS,
    default 15 minutes)."""
    return int(settings.EXPORT_PENDING_SECONDS)


class _Superseded(Exception):
    """The job was failed or taken over by another task while this one was writing it."""


# --- who may do what ----------------------------------------------------------------------------
def user_can_export(user: User) -> bool:
    """Reviewers send ledgers upward; township staff may export their township's (with masked
    ID numbers); administrators anything. Cadres and coordinators have no region to export."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_admin or (user.role in EXPORT_ROLES and user.region_id is not None)


def user_can_import(user: User) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_admin or (user.role in IMPORT_ROLES and user.region_id is not None)


def region_check(*, user: User, region: Region) -> None:
    """A region outside the user's scope is answered as 'not found'."""
    if not scope_of(user).covers(region):
        raise Http404


# --- exporting ----------------------------------------------------------------------------------
def ledger_exporter(
    *, user: User | None, kind: str, region: Region, period: LedgerPeriod, mask_ids: bool = False
) -> Exporter:
    if user is not None:
        if not user_can_export(user):
            raise PermissionDenied
        region_check(user=user, region=region)
    return exporter_for(kind, user=user, region=region, period=period, mask_ids=mask_ids)


def _log_export(
    *,
    exporter: Exporter,
    rows: int,
    request: HttpRequest | None = None,
    job: ExportJob | None = None,
) -> None:
    user = exporter.user
    security_event_record(
        kind=SecurityEvent.Kind.EXPORT,
        request=request,
        user=user,
        username="" if user is not None else "manage.py",
        region_code=exporter.region.code,
        rows=rows,
        detail={
            "ledger": exporter.kind,
            "region": exporter.region.code,
            "region_name": exporter.region_label,
            "period": exporter.period.key,
            "masked_ids": exporter.mask_ids,
            "job": job.pk if job else None,
        },
    )


def ledger_write(
    *,
    exporter: Exporter,
    target: Path | IO[bytes],
    request: HttpRequest | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Write the ledger to `target` (a path or binary file) and log the export."""
    with translation.override(settings.LANGUAGE_CODE):
        rows = exporter.write(target, on_progress=on_progress)
    _log_export(exporter=exporter, rows=rows, request=request)
    return rows


# --- the 脱敏 choice and starting an export (the export page and the API) --------------------
def export_masking(*, user: User, mask_ids: bool, full_id_reason: str = "") -> str:
    """The one rule of an export's 脱敏 choice, for the export page and the API: masked is the
    default for everyone; full ID numbers only for roles that may see them (User.can_view_full_id)
    and only with a reason, kept in the security log. Returns the reason ('' when masked)."""
    if mask_ids:
        return ""
    if not user.can_view_full_id:
        raise ValidationError(
            {"mask_ids": _("您的角色只能导出脱敏的台账（身份证号只显示前6位和后4位）。")}
        )
    reason = " ".join((full_id_reason or "").split())
    if not reason:
        raise ValidationError(
            {"full_id_reason": _("导出完整身份证号须填写理由，理由记入安全日志。")}
        )
    return reason


def _log_full_id_export(
    *,
    user: User,
    kind: str,
    region: Region,
    period: LedgerPeriod,
    reason: str,
    request: HttpRequest | None,
    job: ExportJob | None = None,
) -> None:
    security_event_record(
        kind=SecurityEvent.Kind.FULL_ID_VIEW,
        request=request,
        user=user,
        region_code=region.code,
        detail={
            "ledger": kind,
            "region": region.code,
            "region_name": region.name,
            "period": period.key,
            "reason": reason,
            "job": job.pk if job else None,
        },
    )


@dataclass
class ExportStarted:
    """A started export: a small ledger already written to `file` (a temporary file, at its
    start), or a background `job`."""

    exporter: Exporter
    file: IO[bytes] | None = None
    job: ExportJob | None = None


def export_start(
    *,
    user: User,
    kind: str,
    region: Region,
    period: LedgerPeriod,
    mask_ids: bool = True,
    full_id_reason: str = "",
    request: HttpRequest | None = None,
    background: bool = False,
) -> ExportStarted:
    """An export asked for on the page or through the API: the 脱敏 rule (export_masking), scope
    (a region outside it is a 404), then a ledger of up to EXPORT_SYNC_MAX_ROWS rows written at
    once (unless `background`), a larger one queued as a job. Full ID numbers are logged with
    the ledger, region, period and reason."""
    reason = export_masking(user=user, mask_ids=mask_ids, full_id_reason=full_id_reason)
    exporter = ledger_exporter(
        user=user, kind=kind, region=region, period=period, mask_ids=not reason
    )
    rows = exporter.count()
    started = ExportStarted(exporter=exporter)
    if not background and rows <= settings.EXPORT_SYNC_MAX_ROWS:
        started.file = tempfile.TemporaryFile()  # noqa: SIM115 - the caller sends and closes it
        ledger_write(exporter=exporter, target=started.file, request=request)
        started.file.seek(0)
    else:
        started.job = export_job_create(
            user=user,
            kind=kind,
            region=region,
            period=period,
            mask_ids=exporter.mask_ids,
            total_rows=rows,
        )
    if reason:
        _log_full_id_export(
            user=user,
            kind=kind,
            region=region,
            period=period,
            reason=reason,
            request=request,
            job=started.job,
        )
    return started


def export_job_create(
    *,
    user: User,
    kind: str,
    region: Region,
    period: LedgerPeriod,
    mask_ids: bool,
    total_rows: int,
) -> ExportJob:
    """Record a large export and queue it for a worker once the record is committed. When the
    broker cannot be reached the job is marked failed at once (the page says so)."""
    exporter = ledger_exporter(
        user=user, kind=kind, region=region, period=period, mask_ids=mask_ids
    )
    job = ExportJob.objects.create(
        user=user,
        kind=kind,
        region=region,
        period=period.key,
        masked=exporter.mask_ids,
        total_rows=total_rows,
    )
    job_id = job.pk
    transaction.on_commit(lambda: export_job_queue(job_id=job_id))
    return job


def export_job_queue(*, job_id: int) -> bool:
    """Hand a pending job to the workers; False (and the job failed) if the broker is down."""
    # ledgers/tasks.py imports this module to run the export, so the task is looked up here.
    from config.celery import enqueue
    from ledgers.tasks import run_export

    if enqueue(run_export, job_id):
        return True
    ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(
        status=ExportJob.Status.FAILED,
        error=_(
            "后台任务无法启动（任务队列暂时不可用），台账没有生成。请稍后点击“重新导出”；"
            "如仍失败请联系系统管理员。"
        ),
        finished_at=timezone.now(),
    )
    return False


def export_job_retry(*, user: User, job_id: int, request: HttpRequest | None = None) -> ExportJob:
    """A new job with the same ledger, region, period and masking as a failed (or expired) one
    of the same user; anyone else's job is 'not found'. Scope and masking are checked again; a
    job with full ID numbers is logged again with the first request's reason."""
    old = ExportJob.objects.select_related("region").filter(pk=job_id, user=user).first()
    if old is None:
        raise Http404
    if old.status not in (ExportJob.Status.FAILED, ExportJob.Status.EXPIRED):
        return old  # still running or done: nothing to retry
    period = parse_period(old.period)
    exporter = ledger_exporter(
        user=user, kind=old.kind, region=old.region, period=period, mask_ids=old.masked
    )
    new = export_job_create(
        user=user,
        kind=old.kind,
        region=old.region,
        period=period,
        mask_ids=exporter.mask_ids,
        total_rows=exporter.count(),
    )
    if not exporter.mask_ids:
        first = (
            SecurityEvent.objects.filter(kind=SecurityEvent.Kind.FULL_ID_VIEW, detail__job=old.pk)
            .values_list("detail", flat=True)
            .first()
        )
        _log_full_id_export(
            user=user,
            kind=old.kind,
            region=old.region,
            period=period,
            reason=_("重新导出任务 %(job)d：%(reason)s")
            % {"job": old.pk, "reason": (first or {}).get("reason", "")},
            request=request,
            job=new,
        )
    return new


def _claim(job_id: int, now: datetime.datetime) -> int | None:
    """Take a pending job, or a running one whose worker stopped beating (a task redelivered
    after its worker died). Returns this claim's attempt number, None if not claimable."""
    stale_before = now - datetime.timedelta(seconds=export_stale_seconds())
    lost = Q(status=ExportJob.Status.RUNNING) & (
        Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True, created_at__lt=stale_before)
    )
    claimed = (
        ExportJob.objects.filter(pk=job_id, attempts__lt=EXPORT_MAX_ATTEMPTS)
        .filter(Q(status=ExportJob.Status.PENDING) | lost)
        .update(
            status=ExportJob.Status.RUNNING,
            heartbeat_at=now,
            done_rows=0,
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        return None
    attempts: int = ExportJob.objects.values_list("attempts", flat=True).get(pk=job_id)
    return attempts


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Fill one export job. Claimed with a conditional update, so a retried or duplicated task
    does nothing while the job's worker is alive; a job whose worker died (no heartbeat for
    EXPORT_STALE_SECONDS) is taken over and written again from the start. Progress and the
    heartbeat are written every chunk; a worker whose claim was taken over stops."""
    attempt = _claim(job_id, timezone.now())
    if attempt is None:
        export_jobs_fail_stale(job_id=job_id)  # lost too often: fail it rather than leave it
        return None
    mine = ExportJob.objects.filter(pk=job_id, attempts=attempt, status=ExportJob.Status.RUNNING)
    job = ExportJob.objects.select_related("user", "region").get(pk=job_id)
    exporter = exporter_for(
        job.kind,
        user=job.user,
        region=job.region,
        period=parse_period(job.period),
        mask_ids=job.masked,
    )

    def progress(rows: int) -> None:
        # A write that meets a lock is skipped, not fatal (the next chunk beats again).
        try:
            beating = mine.update(done_rows=rows, heartbeat_at=timezone.now())
        except OperationalError:
            logger.warning("export %s: progress not saved (database locked)", job_id)
            return
        if not beating:
            raise _Superseded

    try:
        with tempfile.TemporaryDirectory(prefix="ledger-") as folder:
            path = Path(folder) / "ledger.xlsx"
            # The ledger's rows come from the read replica when there is one (config/db_router.py);
            # the job's progress is written to the primary.
            with (
                reads_from_replica(pin_on_write=False),
                translation.override(settings.LANGUAGE_CODE),
            ):
                rows = exporter.write(path, on_progress=progress, progress_every=PROGRESS_EVERY)
            progress(rows)
            with path.open("rb") as handle:
                job.file.save(exporter.filename, File(handle), save=False)
    except _Superseded:
        logger.warning("export job %s attempt %s was taken over; stopped", job_id, attempt)
        return None
    except Exception:
        logger.exception("export job %s failed", job_id)
        mine.update(
            status=ExportJob.Status.FAILED,
            error=_("生成台账时出错，请稍后重试；如仍失败请联系系统管理员。"),
            finished_at=timezone.now(),
        )
        return ExportJob.objects.get(pk=job_id)
    now = timezone.now()
    expires = now + datetime.timedelta(days=settings.EXPORT_KEEP_DAYS)
    finished = mine.update(
        file=job.file.name,
        status=ExportJob.Status.DONE,
        done_rows=rows,
        total_rows=rows,
        heartbeat_at=now,
        finished_at=now,
        expires_at=expires,
    )
    if not finished:  # failed or taken over while the file was being saved
        job.file.delete(save=False)
        return None
    job.refresh_from_db()
    _log_export(exporter=exporter, rows=rows, job=job)
    return job


def export_jobs_fail_stale(
    *, now: datetime.datetime | None = None, job_id: int | None = None
) -> int:
    """Fail jobs that stopped making progress: running without a heartbeat for
    EXPORT_STALE_SECONDS (their worker died), or still waiting for a worker after
    EXPORT_PENDING_SECONDS. Run when the owner looks at a job and by the nightly purge."""
    now = now or timezone.now()
    jobs = ExportJob.objects.all() if job_id is None else ExportJob.objects.filter(pk=job_id)
    stale_before = now - datetime.timedelta(seconds=export_stale_seconds())
    waited_before = now - datetime.timedelta(seconds=export_pending_seconds())
    lost = jobs.filter(status=ExportJob.Status.RUNNING).filter(
        Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True, created_at__lt=stale_before)
    )
    failed = lost.update(
        status=ExportJob.Status.FAILED,
        error=_(
            "生成中断：处理该台账的后台进程已停止（超过 %(s)d 秒没有进展），文件没有生成。"
            "请点击“重新导出”再试一次；如仍失败请联系系统管理员。"
        )
        % {"s": export_stale_seconds()},
        finished_at=now,
    )
    failed += jobs.filter(status=ExportJob.Status.PENDING, created_at__lt=waited_before).update(
        status=ExportJob.Status.FAILED,
        error=_(
            "后台任务排队超过 %(m)d 分钟仍未开始（后台服务可能没有运行），台账没有生成。"
            "请点击“重新导出”再试一次；如仍失败请联系系统管理员。"
        )
        % {"m": export_pending_seconds() // 60},
        finished_at=now,
    )
    return failed


def export_job_for_owner(*, user: User, job_id: int) -> ExportJob:
    """The job as its owner (or an administrator) polls it: a job that stopped making progress
    is failed first, so the page never shows a dead job as still running."""
    job = export_job_for_download(user=user, job_id=job_id)
    # Judged on the row already read (the page is polled every 1.5 s); written only when stale,
    # by the same conditional update the purge uses.
    if _looks_stale(job, timezone.now()) and export_jobs_fail_stale(job_id=job.pk):
        job.refresh_from_db()
    return job


def _looks_stale(job: ExportJob, now: datetime.datetime) -> bool:
    if job.status == ExportJob.Status.RUNNING:
        beat = job.heartbeat_at or job.created_at
        return beat < now - datetime.timedelta(seconds=export_stale_seconds())
    if job.status == ExportJob.Status.PENDING:
        return job.created_at < now - datetime.timedelta(seconds=export_pending_seconds())
    return False


def export_job_for_download(*, user: User, job_id: int) -> ExportJob:
    """Only the user who asked, or an administrator, may fetch a job (others: not found)."""
    job = ExportJob.objects.select_related("region").filter(pk=job_id).first()
    if job is None or not (job.user_id == user.id or user.is_admin):
        raise Http404
    return job


def export_download_log(*, job: ExportJob, request: HttpRequest) -> None:
    security_event_record(
        kind=SecurityEvent.Kind.DOWNLOAD,
        request=request,
        region_code=job.region.code,
        rows=job.total_rows,
        detail={"ledger": job.kind, "period": job.period, "job": job.pk, "owner": job.user_id},
    )


def ledger_files_purge(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete ledgers past their keeping time, mark jobs a dead worker left behind as failed,
    and delete uploaded rosters and workbooks older than a day (they hold full ID numbers).
    A checked workbook whose file is gone asks for a new upload when confirmed."""
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(status=ExportJob.Status.DONE, expires_at__lt=now):
        if job.file:
            job.file.delete(save=False)
        job.status = ExportJob.Status.EXPIRED
        job.save(update_fields=["file", "status"])
        expired += 1
    stale = export_jobs_fail_stale(now=now)
    uploads = 0
    for roster in RosterImport.objects.filter(
        created_at__lt=now - datetime.timedelta(days=1)
    ).exclude(file=""):
        roster.file.delete(save=False)
        roster.save(update_fields=["file"])
        uploads += 1
    # The workbooks of kept records (ledgers/sheets/) likewise: they may hold ID numbers.
    for upload in SheetImport.objects.filter(
        created_at__lt=now - datetime.timedelta(days=1)
    ).exclude(file=""):
        upload.file.delete(save=False)
        upload.save(update_fields=["file"])
        uploads += 1
    return {"expired": expired, "stale": stale, "uploads": uploads}


# --- importing ----------------------------------------------------------------------------------
def _store_result(roster: RosterImport, check: importers.RosterCheck) -> None:
    roster.total_rows = check.total_rows
    roster.errors = [error.as_dict() for error in check.errors]
    roster.changes = check.changes
    roster.created_count = check.created
    roster.updated_count = check.updated
    roster.unchanged_count = check.unchanged
    roster.sheet = check.parsed.sheet
    roster.header_row = check.parsed.header_row


def roster_import_check(*, user: User, upload: File[bytes], income_year: int) -> RosterImport:
    """The dry run: check an uploaded roster and record what importing would change (or every
    error). The file is kept (until the purge) so the user can confirm without uploading again."""
    if not user_can_import(user):
        raise PermissionDenied
    name = Path(upload.name or "roster.xlsx").name[:255]
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    roster = RosterImport(
        user=user, original_name=name, sha256=digest.hexdigest(), income_year=income_year
    )
    upload.seek(0)
    try:
        importers.check_file(upload, size=upload.size)
        with translation.override(settings.LANGUAGE_CODE):
            parsed = importers.read_roster(upload)
            check = importers.check_roster(parsed, user=user, income_year=income_year)
    except importers.RosterRefused as refused:
        roster.status = RosterImport.Status.INVALID
        roster.refusal = refused.message
        roster.save()
        return roster
    _store_result(roster, check)
    roster.status = RosterImport.Status.CHECKED if check.ok else RosterImport.Status.INVALID
    upload.seek(0)
    roster.file.save("roster.xlsx", File(upload), save=False)
    roster.save()
    return roster


def roster_import_for(*, user: User, roster_id: int) -> RosterImport:
    roster = RosterImport.objects.filter(pk=roster_id).first()
    if roster is None or not (roster.user_id == user.id or user.is_admin):
        raise Http404
    return roster


def roster_import_apply(
    *, user: User, roster_id: int, request: HttpRequest | None = None
) -> RosterImport:
    """Import a checked roster: checked again inside one transaction (the database may have
    changed since the dry run) and written only if every row is still right."""
    with transaction.atomic():
        roster = roster_import_for(user=user, roster_id=roster_id)
        roster = RosterImport.objects.select_for_update().get(pk=roster.pk)
        if roster.status != RosterImport.Status.CHECKED:
            return roster  # imported already (a second click) or never valid
        if not roster.file:
            roster.status = RosterImport.Status.INVALID
            roster.refusal = _("上传的文件已过期删除，请重新上传。")
            roster.save(update_fields=["status", "refusal"])
            return roster
        try:
            with roster.file.open("rb") as handle, translation.override(settings.LANGUAGE_CODE):
                check = importers.import_roster(
                    handle, size=roster.file.size, user=user, income_year=roster.income_year
                )
        except importers.RosterRefused as refused:
            roster.status = RosterImport.Status.INVALID
            roster.refusal = refused.message
            roster.save(update_fields=["status", "refusal"])
            return roster
        _store_result(roster, check)
        if check.ok:
            roster.status = RosterImport.Status.IMPORTED
            roster.imported_at = timezone.now()
        else:
            roster.status = RosterImport.Status.INVALID
        roster.save()
    if roster.status == RosterImport.Status.IMPORTED:
        security_event_record(
            kind=SecurityEvent.Kind.IMPORT,
            request=request,
            user=user,
            rows=roster.created_count + roster.updated_count,
            detail={
                "roster": roster.pk,
                "file": roster.original_name,
                "sha256": roster.sha256,
                "created": roster.created_count,
                "updated": roster.updated_count,
                "unchanged": roster.unchanged_count,
                "income_year": roster.income_year,
            },
        )
    return roster


def roster_error_copy(*, roster: RosterImport) -> bytes:
    """The user's workbook with an error column, for a roster that has row errors."""
    if not roster.file or not roster.errors:
        raise Http404
    with roster.file.open("rb") as handle, translation.override(settings.LANGUAGE_CODE):
        return importers.error_workbook(
            handle, sheet=roster.sheet, header_row=roster.header_row, errors=roster.errors
        )


def roster_template() -> ContentFile:
    with translation.override(settings.LANGUAGE_CODE):
        return ContentFile(importers.template_workbook(), name="贫困户名册模板.xlsx")


def roster_import_path(
    *, path: Path, user: User | None, income_year: int, dry_run: bool
) -> importers.RosterCheck:
    """The command line's import: check (and unless a dry run, import) a roster file. Raises
    importers.RosterRefused for a file that cannot be read as a roster."""
    with path.open("rb") as handle, translation.override(settings.LANGUAGE_CODE):
        check = importers.import_roster(
            handle,
            size=path.stat().st_size,
            user=user,
            income_year=income_year,
            dry_run=dry_run,
        )
    if check.ok and not dry_run:
        security_event_record(
            kind=SecurityEvent.Kind.IMPORT,
            user=user,
            username="" if user is not None else "manage.py",
            rows=check.created + check.updated,
            detail={
                "file": path.name,
                "created": check.created,
                "updated": check.updated,
                "unchanged": check.unchanged,
                "income_year": income_year,
            },
        )
    return check
