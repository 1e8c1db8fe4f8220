"""The change history every entered record shows: who changed it, when and what (old → new),
from django-auditlog's log, in Chinese, with ID and phone numbers masked."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from auditlog.models import LogEntry
from django.utils.translation import gettext_lazy as _

from core.idcard import mask_id_number, mask_phone

ACTION_LABELS = {0: _("新增"), 1: _("修改"), 2: _("删除"), 3: _("查看")}


@dataclass
class HistoryLine:
    action: str
    created: bool
    actor: str
    at: datetime.datetime
    changes: list[tuple[str, str, str]]


def change_history(obj, limit: int = 50) -> list[HistoryLine]:
    """Who changed the record, when and what (old → new), newest first, in Chinese."""
    entries = (
        LogEntry.objects.get_for_object(obj).select_related("actor").order_by("-timestamp")[:limit]
    )
    # ID and phone numbers are shown masked here as everywhere else on the pages (the full
    # numbers are for reviewers, through the logged reveal).
    maskers = {"head_id_number": mask_id_number, "id_number": mask_id_number, "phone": mask_phone}
    field_names = {str(f.verbose_name): f.name for f in type(obj)._meta.fields}
    lines = []
    for entry in entries:
        changes = []
        for label, values in entry.changes_display_dict.items():
            old, new = (list(values) + ["", ""])[:2]
            masker = maskers.get(field_names.get(str(label), ""))
            old, new = _display(old), _display(new)
            if masker is not None:
                old, new = (v if v == "—" else masker(v) for v in (old, new))
            changes.append((str(label), old, new))
        actor = entry.actor.display_name if entry.actor else _("系统")
        lines.append(
            HistoryLine(
                action=str(ACTION_LABELS.get(entry.action, entry.action)),
                created=entry.action == 0,
                actor=actor,
                at=entry.timestamp,
                changes=changes,
            )
        )
    return lines


def _display(value) -> str:
    text = "" if value is None else str(value)
    if text in ("None", ""):
        return "—"
    if text == "True":
        return str(_("是"))
    if text == "False":
        return str(_("否"))
    return text
