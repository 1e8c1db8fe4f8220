"""The village income form (村集体经济收入), and the forms of the region tree and villages kept
by reviewers; the generic entry form is core/forms.py."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import EntryForm
from villages.models import Region, RegionLevel, Village, VillageIncome


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


CODE_HELP = _(
    "统计用12位区划代码（县、乡镇可在后面补0），或县6位、乡镇9位的短代码；层级和上级由代码确定。"
)


class RegionForm(EntryForm):
    """A region of the reviewer's subtree: the code (new regions only: it fixes the level and
    the parent), the name and the delisting (摘帽) years."""

    code = forms.CharField(label=_("区划代码"), max_length=15, help_text=CODE_HELP)

    class Meta:
        model = Region
        fields = ["code", "name", "is_poverty_county", "planned_delist_year", "delisted_year"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        if self.instance.pk:
            del self.fields["code"]  # a code never changes (delete and add again)
            if self.instance.level != RegionLevel.COUNTY:
                for name in ("is_poverty_county", "planned_delist_year", "delisted_year"):
                    del self.fields[name]


class VillageForm(EntryForm):
    """A village's facts; a new one also takes its 12-digit code (its township must be in the
    reviewer's scope)."""

    code = forms.CharField(
        label=_("区划代码"),
        max_length=15,
        help_text=_("村的12位统计用区划代码，前9位是所属乡镇的代码。"),
    )

    class Meta:
        model = Village
        fields = [
            "code",
            "name",
            "is_poor_village",
            "is_difficult_village",
            "planned_exit_year",
            "exit_year",
            "branch_name",
            "branch_secretary",
            "venue_area_m2",
            "leading_industries",
            "infrastructure_notes",
            "population",
            "latitude",
            "longitude",
        ]
        widgets = {
            "venue_area_m2": forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
            "latitude": forms.NumberInput(attrs={"step": "0.000001", "inputmode": "decimal"}),
            "longitude": forms.NumberInput(attrs={"step": "0.000001", "inputmode": "decimal"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        if self.instance.pk:
            del self.fields["code"]
