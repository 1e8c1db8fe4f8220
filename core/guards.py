"""Write guards: rules of an upper floor that every write of a record must pass, whatever path
it takes (a service, an import, the API, the admin). The ground floor cannot import the apps
above it, so an upper app registers its guard here when it is ready (periods: a record dated in
a locked reporting period is refused) and the shared save helpers (core/entries.py, core/kept.py)
and the admin's ScopedAdmin ask here before they write.

A guard takes the instance and whether it is being deleted, and raises ValidationError (with
the message under the field that places the record in time) or returns."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import models

Guard = Callable[[models.Model, bool], None]

_GUARDS: list[Guard] = []


def register_write_guard(guard: Guard) -> None:
    if guard not in _GUARDS:
        _GUARDS.append(guard)


def ensure_writable(instance: models.Model, *, deleting: bool = False) -> None:
    """Every registered guard's verdict on writing (or deleting) `instance`; their messages are
    gathered into one ValidationError."""
    errors: dict[str, list[str]] = {}
    for guard in _GUARDS:
        try:
            guard(instance, deleting)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
