"""The visit list's filters, shared by the HTML list and the API list (the household list's
are home/filters.py: they compare with thresholds), and those of the pairing and coverage
lists.

The FilterSet is applied to a queryset that already starts from `visible_to(user)`; their
choice fields (villages, helpers) are scoped to the requesting user as well, so a filter can
never name, or reveal the existence of, a village outside the user's scope.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre
from core.forms import DateInput, LabelledFilterSet
from households.models import (
    CreditStatus,
    Household,
    HouseholdPairing,
    Visit,
    VisitKind,
)
from households.services import HOLD_REASONS, visit_hold_reasons
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


class VisitFilter(LabelledFilterSet):
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


class PairingListFilter(LabelledFilterSet):
    """The pairing list's filters (结对帮扶台账 on the page): village, helper (by name: a county
    has hundreds, too many for a drop-down on a phone), in force on a date; `helper` and
    `household` by id narrow to one helper or household (the pages link with them)."""

    village = django_filters.ModelChoiceFilter(
        label=_("村"),
        field_name="household__village",
        queryset=scoped_villages,
        empty_label=_("全部村"),
    )
    helper_name = django_filters.CharFilter(
        label=_("帮扶责任人"),
        field_name="helper__name",
        lookup_expr="icontains",
        max_length=50,
        help_text=_("姓名"),
    )
    q = django_filters.CharFilter(
        label=_("户主姓名"), method="filter_q", help_text=_("户主姓名、拼音首字母或身份证号后几位")
    )
    on = django_filters.DateFilter(
        label=_("在该日期处于结对期内"), method="filter_on", widget=DateInput()
    )
    helper = django_filters.NumberFilter(
        field_name="helper_id", widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1
    )
    household = django_filters.NumberFilter(
        field_name="household_id", widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1
    )

    class Meta:
        model = HouseholdPairing
        fields = ["village", "helper_name", "q", "on", "helper", "household"]

    def filter_q(self, queryset, name, value):
        from households.selectors import household_search

        if not value:
            return queryset
        households = household_search(Household.objects.all(), value).values("id")
        return queryset.filter(household_id__in=households)

    def filter_on(self, queryset, name, value):
        return queryset.in_force(value) if value else queryset


class CoverageFilter(LabelledFilterSet):
    """The coverage list (全覆盖): households of a village without a helper in force on a day."""

    village = django_filters.ModelChoiceFilter(
        label=_("村"), queryset=scoped_villages, empty_label=_("全部村")
    )

    class Meta:
        model = Household
        fields = ["village"]


class ReviewFilter(LabelledFilterSet):
    """The review queue (visits held for a reviewer): by village and by the reason held."""

    village = django_filters.ModelChoiceFilter(
        label=_("村"), queryset=scoped_villages, empty_label=_("全部村")
    )
    reason = django_filters.ChoiceFilter(
        label=_("待审核原因"),
        choices=HOLD_REASONS,
        method="filter_reason",
        empty_label=_("全部原因"),
    )

    class Meta:
        model = Visit
        fields = ["village"]

    def filter_reason(self, queryset, name, value):
        # The reasons are the visit service's own two checks (photo time, distance), applied
        # to the held visits in scope: the rule is not written a second time in SQL.
        if not value:
            return queryset
        held = queryset.select_related("village").prefetch_related("photos")
        return queryset.filter(pk__in=[v.pk for v in held if value in visit_hold_reasons(v)])
