"""The village list's filters, shared by the HTML list and the API list."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from villages.models import Region, RegionLevel, Village


class YesNoWidget(django_filters.widgets.BooleanWidget):
    """django-filter's yes/no select with Chinese labels ("全部" instead of "Unknown")."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("", _("全部")), ("true", _("是")), ("false", _("否")))


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


class VillageFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("村名"), field_name="name", lookup_expr="icontains")
    township = django_filters.ModelChoiceFilter(
        label=_("乡镇"), queryset=scoped_townships, empty_label=_("全部乡镇")
    )
    is_poor_village = django_filters.BooleanFilter(label=_("建档立卡贫困村"), widget=YesNoWidget())
    is_difficult_village = django_filters.BooleanFilter(label=_("困难村"), widget=YesNoWidget())

    class Meta:
        model = Village
        fields = ["q", "township", "is_poor_village", "is_difficult_village"]
