"""The village income form (村集体经济收入); the generic entry form is core/forms.py."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from core.forms import EntryForm
from villages.models import Village, VillageIncome


def villages_in_scope(user):
    return Village.objects.visible_to(user).order_by("path")


class VillageIncomeForm(EntryForm):
    scoped = {"village": villages_in_scope}

    class Meta:
        model = VillageIncome
        fields = ["village", "year", "amount", "sources"]
        widgets = {"amount": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].widget.attrs["max"] = timezone.localdate().year
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault("year", timezone.localdate().year)
        if self.instance.pk:
            # The village of a recorded figure does not change; correct the year or amount.
            del self.fields["village"]
