"""The visit list's filters, shared by the HTML list and the API list (the household list's
are home/filters.py: they compare with thresholds).

The FilterSet is applied to a queryset that already starts from `visible_to(user)`; their
choice fields (villages, helpers) are scoped to the requesting user as well, so a filter can
never name, or reveal the existence of, a village outside the user's scope.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre
from households.models import (
    CreditStatus,
    Visit,
    VisitKind,
)
from villages.models import Village


def _user(request):
    return getattr(request, "user", None)


def scoped_villages(request):

    user = _user(request)
    if user is None:
        return Village.objects.none()
    return Village.objects.visible_to(user).only("id", "name").order_by("path")


def scoped_helpers(request):

    user = _user(request)
    if user is None:
        return Cadre.objects.none()
    return Cadre.objects.visible_to(user).only("id", "name").order_by("name")


class VisitFilter(django_filters.FilterSet):
    household = django_filters.NumberFilter(label=_("贫困户"), field_name="household_id")
    village = django_filters.ModelChoiceFilter(
        label=_("村"), queryset=scoped_villages, empty_label=_("全部村")
    )
    helper = django_filters.ModelChoiceFilter(
        label=_("走访人"), queryset=scoped_helpers, empty_label=_("全部走访人")
    )
    kind = django_filters.ChoiceFilter(
        label=_("走访方式"), choices=VisitKind.choices, empty_label=_("全部方式")
    )
    credit_status = django_filters.ChoiceFilter(
        label=_("考核计入"), choices=CreditStatus.choices, empty_label=_("全部")
    )
    date_from = django_filters.DateFilter(
        label=_("开始日期"), field_name="visited_on", lookup_expr="gte"
    )
    date_to = django_filters.DateFilter(
        label=_("结束日期"), field_name="visited_on", lookup_expr="lte"
    )

    class Meta:
        model = Visit
        fields = ["household", "village", "helper", "kind", "credit_status", "date_from", "date_to"]
