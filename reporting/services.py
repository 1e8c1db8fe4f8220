"""Writes of the reporting workflow (issue 16): a township submits its period (报送), a county
reviewer approves it or returns it with a reason, and may reopen a locked period with a reason
(security log). Approving first evaluates the period for the township: the stored results are
the locked figures (the assessment keeps them, periods.rules.locked_townships)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SecurityEvent
from accounts.services import security_event_record
from assessments.periods import parse_period
from assessments.services import period_evaluate
from core.scope import Role
from periods.models import PeriodAction, PeriodEvent, PeriodState, ReportingPeriod
from reporting.selectors import PeriodView, period_contents, period_view, township_in_scope

if TYPE_CHECKING:
    from accounts.models import User


def _require_staff(user: User) -> None:
    if not (user.is_active and (user.role == Role.TOWNSHIP_STAFF or user.is_admin)):
        raise PermissionDenied(_("只有乡镇（街道）工作人员可以报送本乡镇的期间。"))


def _require_reviewer(user: User) -> None:
    if not (user.is_active and user.is_reviewer):
        raise PermissionDenied(_("只有党组工作部审核人员可以审核报送。"))


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写原因。")]})
    return reason[:500]


def _locked_row(view: PeriodView) -> ReportingPeriod:
    """The period's row, created when missing, locked for this transaction."""
    row, _created = ReportingPeriod.objects.get_or_create(
        township=view.township,
        start=view.start,
        defaults={"label": view.label, "granularity": view.rule.granularity, "end": view.end},
    )
    return ReportingPeriod.objects.select_for_update().get(pk=row.pk)


def period_submit(*, user: User, township_id: int, label: str) -> ReportingPeriod:
    """The township reports its period: what it contains is stored with who and when."""
    _require_staff(user)
    township = township_in_scope(user, township_id)
    view = period_view(township, label)
    if not view.governed:
        raise ValidationError(_("该期间不在报送范围内。"))
    if not view.ended:
        raise ValidationError(_("%(period)s尚未结束，结束后才能报送。") % {"period": view.display})
    with transaction.atomic():
        row = _locked_row(view)
        if row.state not in (PeriodState.OPEN, PeriodState.RETURNED, PeriodState.REOPENED):
            raise ValidationError(
                _("%(period)s当前状态为“%(state)s”，不能再次报送。")
                % {"period": view.display, "state": row.get_state_display()}
            )
        row.state = PeriodState.SUBMITTED
        row.submitted_by = user
        row.submitted_at = timezone.now()
        row.contents = {
            "lines": [
                {"label": line.label, "count": line.count}
                for line in period_contents(township, view.start, view.end)
            ]
        }
        row.save()
        PeriodEvent.objects.create(period=row, action=PeriodAction.SUBMIT, user=user)
    return row


def _reviewed_view(user: User, township_id: int, label: str) -> PeriodView:
    _require_reviewer(user)
    return period_view(township_in_scope(user, township_id), label)


def period_approve(*, user: User, township_id: int, label: str) -> ReportingPeriod:
    """Approve a submitted period: its indicators are evaluated for the township first (the
    figures approved), then it is locked."""
    view = _reviewed_view(user, township_id, label)
    with transaction.atomic():
        row = _locked_row(view)
        if row.state != PeriodState.SUBMITTED:
            raise ValidationError(_("只有已报送的期间可以审核通过。"))
        if view.lock is None:
            # The snapshot: the period's results for the township as they are now. (A period
            # locked by expiry already kept its results from the day it locked.)
            period_evaluate(period=parse_period(view.label), region=view.township)
        row.state = PeriodState.APPROVED
        row.approved_by = user
        row.approved_at = timezone.now()
        row.reopened_until = None
        row.save()
        PeriodEvent.objects.create(period=row, action=PeriodAction.APPROVE, user=user)
    return row


def period_return(*, user: User, township_id: int, label: str, reason: str) -> ReportingPeriod:
    """Return a submitted period to the township with a reason; it corrects and resubmits."""
    view = _reviewed_view(user, township_id, label)
    reason = _reason(reason)
    with transaction.atomic():
        row = _locked_row(view)
        if row.state != PeriodState.SUBMITTED:
            raise ValidationError(_("只有已报送的期间可以退回。"))
        row.state = PeriodState.RETURNED
        row.save()
        PeriodEvent.objects.create(period=row, action=PeriodAction.RETURN, user=user, reason=reason)
    return row


def period_reopen(*, user: User, township_id: int, label: str, reason: str) -> ReportingPeriod:
    """Reopen a locked period (approved, or locked by expiry) with a reason, logged in the
    security log. An expired period stays open for PERIOD_REOPEN_DAYS days (through
    `reopened_until`); the township then corrects and resubmits."""
    view = _reviewed_view(user, township_id, label)
    reason = _reason(reason)
    if view.lock is None:
        raise ValidationError(_("该期间未锁定，无需重新开放。"))
    with transaction.atomic():
        row = _locked_row(view)
        row.state = PeriodState.REOPENED
        row.reopened_until = timezone.localdate() + datetime.timedelta(
            days=settings.PERIOD_REOPEN_DAYS
        )
        row.save()
        PeriodEvent.objects.create(period=row, action=PeriodAction.REOPEN, user=user, reason=reason)
        security_event_record(
            kind=SecurityEvent.Kind.PERIOD_REOPEN,
            user=user,
            region_code=view.township.code,
            detail={
                "period": view.label,
                "township": view.township.name,
                "reason": reason,
                "was": "expired" if view.lock.expired else "approved",
                "open_until": row.reopened_until.isoformat(),
            },
        )
    return row
