"""The days-in-the-field entry form. A cadre records their own days (no cadre picker);
township staff pick a cadre in their scope. Regions are villages and townships in scope."""

from __future__ import annotations

from cadres.models import Cadre, FieldDay
from core.forms import EntryForm
from core.permissions import records_own_entries
from villages.services import region_choices_for_field_days


def cadres_in_scope(user):
    return Cadre.objects.visible_to(user).order_by("name")


def regions_for(user):
    return region_choices_for_field_days(user).order_by("path")


class FieldDayForm(EntryForm):
    scoped = {"cadre": cadres_in_scope, "region": regions_for}
    date_fields = ("day",)

    class Meta:
        model = FieldDay
        fields = ["cadre", "region", "day", "note"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if records_own_entries(user):
            del self.fields["cadre"]
        self.fields["region"].label_from_instance = lambda region: (
            f"{region.name}（{region.get_level_display()}）"
        )
