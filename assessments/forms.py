"""The thresholds page's form: a region's own threshold for one indicator. The form never
saves; the view calls `assessments.services.threshold_set`, whose rules (the indicator's unit
and comparison) come back next to the fields."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from assessments.models import IndicatorOverride
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
