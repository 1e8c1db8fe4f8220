"""The filters of the cadre pages' lists, shared with the API lists (api/views/kept_cadres.py
wraps each with api.filters.ApiFilterSetMixin, which turns a choice of rows into an id).

Every FilterSet runs on a queryset that already starts from `visible_to(user)`, and its
choices (units, villages) are scoped to the requesting user: a filter can never name, or
reveal, a record outside the user's scope."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cadres.models import (
    Cadre,
    CadreKind,
    Grade,
    Liaison,
    ReserveCadre,
    TalentAssignment,
    Term,
    WorkingFund,
    WorkTeam,
    YearlyGrade,
)
from core.forms import LabelledFilterSet, YesNoWidget
from core.scope import Role
from pairing.models import Unit
from villages.models import Village


def _user(request):
    return getattr(request, "user", None)


def scoped_units(request):
    user = _user(request)
    if user is None:
        return Unit.objects.none()
    return Unit.objects.visible_to(user).only("id", "name").order_by("name")


def scoped_villages(request):
    user = _user(request)
    if user is None:
        return Village.objects.none()
    return Village.objects.visible_to(user).only("id", "name").order_by("path")


def _today():
    return timezone.localdate()


class CadreFilter(LabelledFilterSet):
    q = django_filters.CharFilter(
        label=_("姓名"), field_name="name", lookup_expr="icontains", max_length=50
    )
    kind = django_filters.ChoiceFilter(
        label=_("身份"), choices=CadreKind.choices, empty_label=_("全部身份")
    )
    unit = django_filters.ModelChoiceFilter(
        label=_("单位"), queryset=scoped_units, empty_label=_("全部单位")
    )
    active = django_filters.BooleanFilter(
        label=_("在岗"), method="filter_active", widget=YesNoWidget
    )

    class Meta:
        model = Cadre
        fields = ["q", "kind", "unit", "active"]

    def filter_active(self, queryset, name, value):
        if value is None:
            return queryset
        active = queryset.active(_today())
        return active if value else queryset.exclude(pk__in=active.values("pk"))


class HelperFilter(CadreFilter):
    """A unit's helpers: a coordinator's list is their own unit's already (no unit choice)."""

    class Meta:
        model = Cadre
        fields = ["q", "unit", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters.pop("kind", None)
        user = _user(self.request)
        if user is not None and getattr(user, "role", None) == Role.COORDINATOR:
            self.filters.pop("unit", None)


class TermFilter(LabelledFilterSet):
    q = django_filters.CharFilter(
        label=_("干部姓名"), field_name="cadre__name", lookup_expr="icontains", max_length=50
    )
    role = django_filters.ChoiceFilter(
        label=_("驻村身份"), choices=Term.TermRole.choices, empty_label=_("全部")
    )
    village = django_filters.ModelChoiceFilter(
        label=_("村"), queryset=scoped_villages, empty_label=_("全部村")
    )
    dispatching_unit = django_filters.ModelChoiceFilter(
        label=_("派出单位"), queryset=scoped_units, empty_label=_("全部单位")
    )
    in_force = django_filters.BooleanFilter(
        label=_("今天在任"), method="filter_in_force", widget=YesNoWidget
    )
    recalled = django_filters.BooleanFilter(
        label=_("已召回"),
        field_name="recalled_on",
        lookup_expr="isnull",
        exclude=True,
        widget=YesNoWidget,
    )

    class Meta:
        model = Term
        fields = ["q", "role", "village", "dispatching_unit", "in_force", "recalled"]

    def filter_in_force(self, queryset, name, value):
        if value is None:
            return queryset
        in_force = queryset.in_force(_today())
        return in_force if value else queryset.exclude(pk__in=in_force.values("pk"))


class WorkTeamFilter(LabelledFilterSet):
    q = django_filters.CharFilter(
        label=_("工作队名称"), field_name="name", lookup_expr="icontains", max_length=100
    )
    village = django_filters.ModelChoiceFilter(
        label=_("所驻村"),
        queryset=scoped_villages,
        empty_label=_("全部村"),
        field_name="villages",
    )
    dispatching_unit = django_filters.ModelChoiceFilter(
        label=_("派出单位"), queryset=scoped_units, empty_label=_("全部单位")
    )
    in_force = django_filters.BooleanFilter(
        label=_("今天在驻"), method="filter_in_force", widget=YesNoWidget
    )

    class Meta:
        model = WorkTeam
        fields = ["q", "village", "dispatching_unit", "in_force"]

    def filter_in_force(self, queryset, name, value):
        if value is None:
            return queryset
        in_force = queryset.in_force(_today())
        return in_force if value else queryset.exclude(pk__in=in_force.values("pk"))


class YearlyGradeFilter(LabelledFilterSet):
    q = django_filters.CharFilter(
        label=_("干部姓名"), field_name="cadre__name", lookup_expr="icontains", max_length=50
    )
    year = django_filters.NumberFilter(label=_("年度"), min_value=2000, max_value=2100)
    grade = django_filters.ChoiceFilter(
        label=_("考核等次"), choices=Grade.choices, empty_label=_("全部等次")
    )

    class Meta:
        model = YearlyGrade
        fields = ["q", "year", "grade"]


class WorkingFundFilter(LabelledFilterSet):
    q = django_filters.CharFilter(
        label=_("干部姓名"), field_name="cadre__name", lookup_expr="icontains", max_length=50
    )
    year = django_filters.NumberFilter(label=_("年度"), min_value=2000, max_value=2100)

    class Meta:
        model = WorkingFund
        fields = ["q", "year"]


class LiaisonFilter(LabelledFilterSet):
    village = django_filters.ModelChoiceFilter(
        label=_("村"), queryset=scoped_villages, empty_label=_("全部村")
    )
    role = django_filters.ChoiceFilter(
        label=_("联络角色"), choices=Liaison.LiaisonRole.choices, empty_label=_("全部角色")
    )

    class Meta:
        model = Liaison
        fields = ["village", "role"]


class ReserveCadreFilter(LabelledFilterSet):
    q = django_filters.CharFilter(
        label=_("姓名"), field_name="name", lookup_expr="icontains", max_length=50
    )
    village = django_filters.ModelChoiceFilter(
        label=_("村"), queryset=scoped_villages, empty_label=_("全部村")
    )
    on_file = django_filters.BooleanFilter(
        label=_("在册"), method="filter_on_file", widget=YesNoWidget
    )

    class Meta:
        model = ReserveCadre
        fields = ["q", "village", "on_file"]

    def filter_on_file(self, queryset, name, value):
        if value is None:
            return queryset
        on_file = Q(left_on__isnull=True) | Q(left_on__gt=_today())
        return queryset.filter(on_file) if value else queryset.exclude(on_file)


class TalentFilter(LabelledFilterSet):
    q = django_filters.CharFilter(
        label=_("姓名"), field_name="cadre__name", lookup_expr="icontains", max_length=50
    )
    village = django_filters.ModelChoiceFilter(
        label=_("村"), queryset=scoped_villages, empty_label=_("全部村")
    )
    in_force = django_filters.BooleanFilter(
        label=_("今天在岗"), method="filter_in_force", widget=YesNoWidget
    )

    class Meta:
        model = TalentAssignment
        fields = ["q", "village", "in_force"]

    def filter_in_force(self, queryset, name, value):
        if value is None:
            return queryset
        in_force = queryset.in_force(_today())
        return in_force if value else queryset.exclude(pk__in=in_force.values("pk"))
