"""The few rules every entered record shares (trainings, meetings, Party days, study trips,
days in the field, village income, and the records of pairing/ and cadres/): the role may
enter work, every object named is inside the user's scope (otherwise 404 and nothing
written), the model's own validation runs with field names, and an update or delete honours
the edit window (core/permissions.py)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.guards import ensure_writable
from core.permissions import can_edit_entry


def entry_require_role(user) -> None:
    if not (user.is_authenticated and user.is_active and user.can_enter_work):
        raise PermissionDenied(_("您的角色不能填报工作记录。"))


def entry_ensure_visible(model, user, obj) -> None:
    """A write naming an object outside the user's scope changes nothing: it is 'not found'."""
    if obj is None:
        return
    if not model.objects.visible_to(user).filter(pk=obj.pk).exists():
        raise Http404


def entry_ensure_editable(
    user, entry, *, created_by_field: str = "created_by", at_field="created_at"
):
    """Scope first (404), then the edit window (PermissionDenied with a Chinese message)."""
    entry_ensure_visible(type(entry), user, entry)

    @dataclass
    class _Entry:
        created_by_id: int | None
        created_at: datetime.datetime | None

    view = _Entry(
        created_by_id=getattr(entry, f"{created_by_field}_id", None),
        created_at=getattr(entry, at_field, None),
    )
    if not can_edit_entry(user, view):
        raise PermissionDenied(_("已超过修改期限（或不是您填报的记录），只有审核人员可以修改。"))
    ensure_writable(entry, deleting=True)  # a record of a locked period (periods/rules.py)


def entry_not_in_future(day: datetime.date | None, field: str, errors: dict) -> None:
    if day is not None and day > timezone.localdate():
        errors.setdefault(field, []).append(_("日期不能晚于今天。"))


def entry_save(
    instance, *, errors: dict | None = None, unique_error: tuple[str, str] | None = None
):
    """Validate (model rules plus the caller's `errors`) and save in one transaction.
    `unique_error` = (field, message) reports a unique-constraint race on that field."""
    errors = dict(errors or {})
    try:
        # Constraints are checked by the callers (with messages that name the field) and,
        # against races, by the database (IntegrityError below).
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    try:
        ensure_writable(instance)  # the stored and the new date: not in a locked period
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        if unique_error is None:
            raise
        raise ValidationError({unique_error[0]: [unique_error[1]]}) from exc
    return instance


def entry_apply_changes(instance, changes: dict, allowed: set[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({name: [_("该字段不能修改。")] for name in sorted(unknown)})
    for name, value in changes.items():
        setattr(instance, name, value)
