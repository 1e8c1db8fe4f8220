import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import LabelledFilterSet, YesNoWidget
from inspections.models import RectificationItem, RectificationStatus


class RectificationFilter(LabelledFilterSet):
    """The rectification list's filters (the HTML list; an API list would share this)."""

    q = django_filters.CharFilter(label=_("关键字"), method="filter_q")
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=RectificationStatus.choices, empty_label=_("全部状态")
    )
    overdue = django_filters.BooleanFilter(
        label=_("只看逾期"),
        method="filter_overdue",
        widget=YesNoWidget,
    )
    mine = django_filters.BooleanFilter(
        label=_("只看我负责的"),
        method="filter_mine",
        widget=YesNoWidget,
    )

    class Meta:
        model = RectificationItem
        fields = ["q", "status", "overdue", "mine"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(problem__icontains=value)
            | Q(task__icontains=value)
            | Q(village__name__icontains=value)
            | Q(responsible_unit__name__icontains=value)
        )

    def filter_overdue(self, queryset, name, value):
        if value:
            return queryset.overdue(timezone.localdate())
        return queryset

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value and user is not None:
            return queryset.filter(responsible_person=user)
        return queryset
