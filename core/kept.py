"""What every service for a kept structure record shares (units, organisations, pairings,
cadres, terms, teams, households, plans …): the keeper's role (core/keepers.py), scope on every
object named (404, nothing written), the model's rules with field names, and the rule that a
record other records refer to is never deleted but ended with a date."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from core.guards import ensure_writable
from core.keepers import require_keeper


def kept_require(user, kind: str) -> None:
    """The role keeps this kind (403 otherwise)."""
    require_keeper(user, kind)


def kept_ensure_visible(model: type[models.Model], user, obj) -> None:
    """An object named by a write must be inside the user's scope, or the write is a 404."""
    if obj is None:
        return
    if not model.objects.visible_to(user).filter(pk=obj.pk).exists():
        raise Http404


def kept_apply(instance: models.Model, changes: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({name: [_("该字段不能修改。")] for name in sorted(unknown)})
    for name, value in changes.items():
        setattr(instance, name, value)


def kept_check_dates(
    instance, errors: dict, *, start: str = "start_date", end: str = "end_date"
) -> None:
    """An end before the start is refused next to the end field."""
    first, last = getattr(instance, start, None), getattr(instance, end, None)
    if first is not None and last is not None and last < first:
        errors.setdefault(end, []).append(_("结束日期不能早于开始日期。"))


def kept_save(
    instance: models.Model,
    *,
    errors: dict | None = None,
    unique_error: tuple[str, str] | None = None,
    many: dict[str, Any] | None = None,
):
    """Validate (the model's field rules and the caller's `errors`) and save in one
    transaction; `many` sets many-to-many fields after the save. A unique rule the database
    still refuses (a race) is reported on `unique_error`'s field."""
    errors = {name: list(messages) for name, messages in (errors or {}).items()}
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    try:
        ensure_writable(instance)  # a record of a locked period (periods/rules.py)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            instance.save()
            for name, values in (many or {}).items():
                getattr(instance, name).set(values)
    except IntegrityError as exc:
        if unique_error is None:
            raise ValidationError({"__all__": [_("数据不符合规则，未保存。")]}) from exc
        raise ValidationError({unique_error[0]: [unique_error[1]]}) from exc
    return instance


def references(instance: models.Model, *, ignore: set[str] | None = None) -> list[str]:
    """The kinds of record that refer to this one ("走访记录 12 条"), one query per relation."""
    found = []
    ignore = ignore or set()
    for relation in instance._meta.related_objects:
        if relation.get_accessor_name() in ignore or relation.related_model._meta.auto_created:
            continue
        if relation.one_to_one:
            related = relation.related_model._default_manager.filter(
                **{relation.field.name: instance}
            )
        else:
            related = getattr(instance, relation.get_accessor_name()).all()
        count = related.count()
        if count:
            found.append(
                _("%(what)s %(count)d 条")
                % {"what": relation.related_model._meta.verbose_name, "count": count}
            )
    return found


def kept_delete(instance: models.Model, *, end_field: str | None = "end_date", ignore=None):
    """Delete a record nothing refers to. One that other records refer to is refused with a
    message naming them and saying to end it (a date) instead."""
    ensure_writable(instance, deleting=True)  # a record of a locked period (periods/rules.py)
    found = references(instance, ignore=ignore)
    if found:
        if end_field:
            message = _("已有记录引用（%(refs)s），不能删除；请填写“%(end)s”以结束它。") % {
                "refs": "、".join(found),
                "end": instance._meta.get_field(end_field).verbose_name,
            }
        else:
            message = _("已有记录引用（%(refs)s），不能删除。") % {"refs": "、".join(found)}
        raise ValidationError({"__all__": [message]})
    try:
        with transaction.atomic():
            instance.delete()
    except (IntegrityError, models.ProtectedError, models.RestrictedError) as exc:
        raise ValidationError({"__all__": [_("已有记录引用，不能删除；请改为结束。")]}) from exc


def kept_end(instance: models.Model, day: datetime.date | None, *, field: str = "end_date"):
    """End a record on a day (it keeps its history and what refers to it)."""
    if day is None:
        raise ValidationError({field: [_("请填写结束日期。")]})
    setattr(instance, field, day)
    errors: dict[str, list[str]] = {}
    kept_check_dates(instance, errors, end=field)
    return kept_save(instance, errors=errors)
