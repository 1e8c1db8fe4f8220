"""Days in the field (cadres:field_day_*): the entry pages; the list is a tab of the
activities ledger (pairing:activities?kind=field_day)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cadres.forms import FieldDayForm
from cadres.models import FieldDay
from cadres.services import field_day_delete, field_day_record, field_day_update
from core.entry_views import EntryPages, register_activity

FIELD_DAY_PAGES = EntryPages(
    model=FieldDay,
    form_class=FieldDayForm,
    namespace="cadres",
    name="field_day",
    label=gettext_lazy("在岗天数"),
    record=field_day_record,
    update=field_day_update,
    delete=field_day_delete,
    instance_kw="field_day",
    queryset=lambda user: FieldDay.objects.visible_to(user).select_related(
        "cadre", "region", "created_by"
    ),
    list_columns=["day", "cadre", "region", "note"],
    detail_fields=["cadre", "region", "day", "note", "created_by", "created_at"],
    title=lambda fd: (
        _("%(cadre)s %(day)s 在岗") % {"cadre": fd.cadre.name, "day": fd.day.isoformat()}
    ),
    date_field="day",
    village_lookup="region__village",
)

register_activity("field_day", FIELD_DAY_PAGES)
