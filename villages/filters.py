"""The village list's filters, shared by the HTML list and the API list."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from core.forms import LabelledFilterSet, YesNoWidget
from villages.models import Region, RegionLevel, Village


def scoped_townships(request):
    user = getattr(request, "user", None)
    if user is None:
        return Region.objects.none()
    return (
        Region.objects.filter(
            level=RegionLevel.TOWNSHIP,
            pk__in=Village.objects.visible_to(user).values("township_id"),
        )
        .only("id", "name")
        .order_by("code")
    )


class VillageFilter(LabelledFilterSet):
    q = django_filters.CharFilter(label=_("村名"), field_name="name", lookup_expr="icontains")
    township = django_filters.ModelChoiceFilter(
        label=_("乡镇"), queryset=scoped_townships, empty_label=_("全部乡镇")
    )
    is_poor_village = django_filters.BooleanFilter(label=_("建档立卡贫困村"), widget=YesNoWidget())
    is_difficult_village = django_filters.BooleanFilter(label=_("困难村"), widget=YesNoWidget())

    class Meta:
        model = Village
        fields = ["q", "township", "is_poor_village", "is_difficult_village"]


class KeptVillageFilter(VillageFilter):
    """The village list of those who keep villages: also by whether a village was ended."""

    ended = django_filters.BooleanFilter(
        label=_("已撤销"), method="filter_ended", widget=YesNoWidget()
    )

    class Meta(VillageFilter.Meta):
        fields = [*VillageFilter.Meta.fields, "ended"]

    def filter_ended(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(ended_on__isnull=not value)
