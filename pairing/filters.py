"""The filters of the structure lists (units, Party organisations, pairings, projects,
donations). They run on querysets that already start from `visible_to(user)`, and their choices
are scoped to the user too: a filter never names a record outside the scope."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import LabelledFilterSet, YesNoWidget
from pairing.models import (
    Donation,
    OrgKind,
    Pairing,
    PairingKind,
    PartyOrganisation,
    Project,
    ProjectStatus,
    Unit,
    UnitKind,
)
from villages.models import Village


def _units(request):
    user = getattr(request, "user", None)
    if user is None:
        return Unit.objects.none()
    return Unit.objects.visible_to(user).only("id", "name").order_by("name")


def _villages(request):
    user = getattr(request, "user", None)
    if user is None:
        return Village.objects.none()
    return Village.objects.visible_to(user).only("id", "name").order_by("path")


class InForceFilter(django_filters.BooleanFilter):
    """是 / 否: in force today (not ended, or ending today or later)."""

    def __init__(self, *args, start: str | None = None, **kwargs):
        kwargs.setdefault("widget", YesNoWidget)
        super().__init__(*args, **kwargs)
        self.start = start

    def filter(self, qs, value):
        if value is None:
            return qs
        today = timezone.localdate()
        condition = Q(end_date__isnull=True) | Q(end_date__gte=today)
        if self.start:
            condition &= Q(**{f"{self.start}__lte": today})
        return qs.filter(condition) if value else qs.exclude(condition)


class UnitListFilter(LabelledFilterSet):
    q = django_filters.CharFilter(label=_("单位名称"), field_name="name", lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(
        label=_("单位类型"), choices=UnitKind.choices, empty_label=_("全部类型")
    )
    in_force = InForceFilter(label=_("未撤销"))

    class Meta:
        model = Unit
        fields = ["q", "kind", "in_force"]


class OrganisationListFilter(LabelledFilterSet):
    q = django_filters.CharFilter(label=_("党组织名称"), field_name="name", lookup_expr="icontains")
    unit = django_filters.ModelChoiceFilter(
        label=_("所属单位"), queryset=_units, empty_label=_("全部单位")
    )
    kind = django_filters.ChoiceFilter(
        label=_("组织类型"), choices=OrgKind.choices, empty_label=_("全部类型")
    )
    in_force = InForceFilter(label=_("未撤销"))

    class Meta:
        model = PartyOrganisation
        fields = ["q", "unit", "kind", "in_force"]


class PairingListFilter(LabelledFilterSet):
    q = django_filters.CharFilter(label=_("名称"), field_name="name", lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(
        label=_("结对类型"), choices=PairingKind.choices, empty_label=_("全部类型")
    )
    lead_unit = django_filters.ModelChoiceFilter(
        label=_("牵头单位"), queryset=_units, empty_label=_("全部单位")
    )
    village = django_filters.ModelChoiceFilter(
        label=_("结对村"), queryset=_villages, empty_label=_("全部村")
    )
    in_force = InForceFilter(label=_("在结对期内"), start="start_date")

    class Meta:
        model = Pairing
        fields = ["q", "kind", "lead_unit", "village", "in_force"]


class ProjectListFilter(LabelledFilterSet):
    q = django_filters.CharFilter(label=_("项目名称"), field_name="name", lookup_expr="icontains")
    unit = django_filters.ModelChoiceFilter(
        label=_("帮扶单位"), queryset=_units, empty_label=_("全部单位")
    )
    village = django_filters.ModelChoiceFilter(
        label=_("村"), queryset=_villages, empty_label=_("全部村")
    )
    year = django_filters.NumberFilter(label=_("年度"), min_value=2000, max_value=2100)
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=ProjectStatus.choices, empty_label=_("全部状态")
    )

    class Meta:
        model = Project
        fields = ["q", "unit", "village", "year", "status"]


class DonationListFilter(LabelledFilterSet):
    unit = django_filters.ModelChoiceFilter(
        label=_("单位"), queryset=_units, empty_label=_("全部单位")
    )
    village = django_filters.ModelChoiceFilter(
        label=_("受赠村"), queryset=_villages, empty_label=_("全部村")
    )
    date_from = django_filters.DateFilter(
        label=_("开始日期"), field_name="donated_on", lookup_expr="gte"
    )
    date_to = django_filters.DateFilter(
        label=_("结束日期"), field_name="donated_on", lookup_expr="lte"
    )

    class Meta:
        model = Donation
        fields = ["unit", "village", "date_from", "date_to"]
