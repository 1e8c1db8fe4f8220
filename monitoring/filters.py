"""One FilterSet per monitoring list, shared by the page and the API (api/views/kept_monitoring
adds the API's strict parameters on top). Every FilterSet runs on a queryset that starts from
`visible_to(user)`: a choice outside the scope narrows to nothing, it never widens. "Late" is
asked of monitoring.selectors, the one rule of the deadlines."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.forms import LabelledFilterSet, YesNoWidget
from core.scope import scope_of
from monitoring import selectors
from monitoring.models import (
    CaseStatus,
    Category,
    ClueChannel,
    MonitoringCase,
    MonitoringRange,
    Procedure,
    PublicNotice,
    RiskClue,
    RiskType,
)
from villages.models import Region


def _townships(request):
    """The townships in the user's scope (none without a request: the API's schema)."""
    if request is None:
        return Region.objects.none()
    return scope_of(request.user).regions(levels=["township"]).order_by("path")


CLUE_STATES = [
    ("awaiting", _("待受理")),
    ("open", _("待启动识别")),
    ("identifying", _("识别中")),
    ("decided", _("已办结")),
    ("undecided", _("未办结")),
]


class ClueFilter(LabelledFilterSet):
    township = django_filters.ModelChoiceFilter(label=_("乡镇"), queryset=_townships)
    channel = django_filters.ChoiceFilter(label=_("线索来源"), choices=ClueChannel.choices)
    state = django_filters.ChoiceFilter(label=_("办理情况"), choices=CLUE_STATES, method="by_state")
    late = django_filters.BooleanFilter(label=_("已超期"), method="by_late", widget=YesNoWidget)

    class Meta:
        model = RiskClue
        fields = ["township", "channel", "state", "late"]

    def by_state(self, queryset, name, value):
        undecided = Q(decided_on__isnull=True)
        if value == "awaiting":
            return queryset.filter(
                undecided, channel=ClueChannel.APPLICATION, accepted_on__isnull=True
            )
        if value == "open":
            return queryset.filter(undecided, case__isnull=True).exclude(
                channel=ClueChannel.APPLICATION, accepted_on__isnull=True
            )
        if value == "identifying":
            return queryset.filter(undecided, case__isnull=False)
        if value == "decided":
            return queryset.filter(decided_on__isnull=False)
        if value == "undecided":
            return queryset.filter(undecided)
        return queryset

    def by_late(self, queryset, name, value):
        if value is None:
            return queryset
        late = selectors.clues_late(queryset)
        return late if value else queryset.exclude(pk__in=late.values("pk"))


class CaseFilter(LabelledFilterSet):
    township = django_filters.ModelChoiceFilter(label=_("乡镇"), queryset=_townships)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=CaseStatus.choices)
    category = django_filters.ChoiceFilter(label=_("监测对象类别"), choices=Category.choices)
    risk_type = django_filters.ChoiceFilter(
        label=_("风险类型"), choices=RiskType.choices, method="by_risk_type"
    )
    late = django_filters.BooleanFilter(label=_("识别超期"), method="by_late", widget=YesNoWidget)

    class Meta:
        model = MonitoringCase
        fields = ["township", "status", "category", "risk_type", "late"]

    def by_risk_type(self, queryset, name, value):
        if not value:
            return queryset
        # risk_types is a JSON list of codes; a code is matched with its quotes, never a part
        # of another code.
        return queryset.filter(risk_types__icontains=f'"{value}"')

    def by_late(self, queryset, name, value):
        if value is None:
            return queryset
        late = selectors.cases_late(queryset)
        return late if value else queryset.exclude(pk__in=late.values("pk"))


class NoticeFilter(LabelledFilterSet):
    township = django_filters.ModelChoiceFilter(label=_("乡镇"), queryset=_townships)
    purpose = django_filters.ChoiceFilter(label=_("公示事项"), choices=Procedure.choices)
    running = django_filters.BooleanFilter(
        label=_("公示中"), method="by_running", widget=YesNoWidget
    )

    class Meta:
        model = PublicNotice
        fields = ["township", "purpose", "running"]

    def by_running(self, queryset, name, value):
        if value is None:
            return queryset
        running = selectors.notices_running(queryset)
        return running if value else queryset.exclude(pk__in=running.values("pk"))


class RangeFilter(LabelledFilterSet):
    year = django_filters.NumberFilter(label=_("年度"), min_value=2020, max_value=2100)

    class Meta:
        model = MonitoringRange
        fields = ["year"]
