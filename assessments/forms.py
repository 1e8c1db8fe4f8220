"""The thresholds page's form: a region's own threshold for one indicator. The form never
saves; the view calls `assessments.services.threshold_set`, whose rules (the indicator's unit
and comparison) come back next to the fields."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import IndicatorOverride, PeriodKind
from assessments.periods import (
    Period,
    PeriodError,
    first_period_day,
    looks_like_period,
    parse_period,
    period_choices,
    period_containing,
)
from assessments.services import threshold_text
from core.forms import EntryForm
from core.scope import scope_of
from villages.models import RegionLevel


def threshold_regions(user):
    """Regions a threshold may be set for: the user's scope, without villagers' groups."""
    return scope_of(user).regions().exclude(level=RegionLevel.GROUP).order_by("path")


class ThresholdForm(EntryForm):
    scoped = {"region": threshold_regions}

    class Meta:
        model = IndicatorOverride
        fields = ["region", "threshold", "note"]
        help_texts = {
            "note": _("如文件名称和文号，便于日后查对。"),
        }

    def __init__(self, *args, user, indicator, regions=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.indicator = indicator
        if regions is not None:
            # The page offers the region it shows and the regions right under it.
            self.fields["region"].queryset = regions
        self.fields["threshold"].widget.attrs["inputmode"] = "decimal"
        self.fields["threshold"].help_text = _(
            "指标目录的要求：%(period)s%(comparison)s %(value)s%(unit)s。"
        ) % {
            "period": indicator.get_period_kind_display(),
            "comparison": indicator.get_comparison_display(),
            "value": threshold_text(indicator.threshold),
            "unit": indicator.unit_label,
        }
        self._bound_fields_cache.clear()  # EntryForm's loop bound them with the old help text


class PeriodForm(forms.Form):
    """The dashboards' period picker: a select of the periods that exist (from the first one
    evaluated, or ASSESSMENT_FIRST_YEAR, to the current one; no future period), grouped by
    year, quarter, month and week. Anything else typed into the address is refused with a
    message next to the field, and the page shows the current year."""

    period = forms.ChoiceField(
        label=_("考核期"),
        error_messages={
            "invalid_choice": _(
                "没有“%(value)s”这个考核期：请从列表中选择，只能选择已有考核数据的期间，不能选择未来的期间。"
            ),
            "required": _("请选择考核期。"),
        },
    )

    parse_error = ""

    def __init__(self, data=None, *, today: datetime.date, first: datetime.date | None = None):
        # An empty or missing ?period= is the current year, not an error.
        if data is not None:
            text = (data.get("period") or "").strip()
            if not text:
                data = None
            else:
                # Another spelling of a period (2026q3, 2026-9) selects its canonical option.
                try:
                    text = parse_period(text).label
                except PeriodError as exc:
                    # Written like a period but none (2026-13): say what is wrong with it.
                    if looks_like_period(text):
                        self.parse_error = str(exc)
                data = {"period": text}
        super().__init__(data)
        self.today = today
        self.default = period_containing(PeriodKind.YEAR, today)
        self.fields["period"].choices = period_choices(first or first_period_day(today), today)
        self.fields["period"].initial = self.default.label

    def clean_period(self) -> Period:
        try:
            return parse_period(self.cleaned_data["period"])
        except PeriodError as exc:  # cannot happen for an offered choice; kept as a guard
            raise forms.ValidationError(str(exc)) from exc

    def chosen(self) -> tuple[Period, str | None]:
        """The period to show and the error to show next to the field (None when fine)."""
        if not self.is_bound:
            return self.default, None
        if self.is_valid():
            return self.cleaned_data["period"], None
        if self.parse_error:
            return self.default, self.parse_error + str(_("请从列表中选择考核期。"))
        return self.default, " ".join(self.errors["period"])
