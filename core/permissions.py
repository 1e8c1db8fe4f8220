"""Who may change an entered record: its author within the edit window, a reviewer or an
administrator after that (always within their scope). Pages and the API both ask here."""

import datetime

from django.conf import settings
from django.utils import timezone

from core.scope import Role


def edit_window_closes(created_at: datetime.datetime) -> datetime.datetime:
    return created_at + datetime.timedelta(days=settings.ENTRY_EDIT_WINDOW_DAYS)


def can_edit_entry(user, entry) -> bool:
    """`entry` has created_by and created_at; the caller has already scoped it to the user."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_reviewer:
        return True
    if not user.can_enter_work:
        return False
    created_by_id = getattr(entry, "created_by_id", None)
    created_at = getattr(entry, "created_at", None)
    if created_by_id != user.id or created_at is None:
        return False
    return timezone.now() <= edit_window_closes(created_at)


def records_own_entries(user) -> bool:
    """A stationed cadre records only their own entries: their forms show no cadre picker."""
    return getattr(user, "role", None) == Role.CADRE


def entry_author_cadre(user, cadre=None):
    """The cadre an entry (a visit, a day in the field) must name. A stationed cadre records
    only their own entries: whatever cadre the request named, their own is returned. Anyone else
    names the cadre they chose (or None); the caller checks it is in their scope (404)."""
    if records_own_entries(user):
        return user.cadre
    return cadre
