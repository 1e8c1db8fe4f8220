"""The household list's filters, shared by the HTML list and the API list (the visit list's
are households/filters.py). Its "overdue" choices compare counted visits with the thresholds
of each household's own region (assessments.selectors.Thresholds), in the database.

Applied to a queryset that already starts from `visible_to(user)`; the village choices are
scoped to the requesting user as well."""

from __future__ import annotations

import datetime

import django_filters
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.periods import week_due
from assessments.selectors import Thresholds, pace_expression
from core.forms import LabelledFilterSet, YesNoWidget
from households.filters import scoped_villages
from households.models import (
    AssistanceTrack,
    Household,
    HouseholdPairing,
    PovertyCause,
    PovertyStatus,
    Visit,
    VisitKind,
)
from households.selectors import counted_visits, household_search


def week_start(today: datetime.date) -> datetime.date:
    """Monday of today's ISO week (assessments.periods.week_due): HH-VISIT-WEEKLY counts visits
    from then."""
    return week_due(today).start


def with_week_status(pairings, today: datetime.date, thresholds: Thresholds):
    """Pairing rows annotated with this week's counted home visits and the HH-VISIT-WEEKLY
    threshold of the household's region; `overdue_week` filters those below it."""
    return pairings.annotate(
        week_visits=counted_visits(
            week_start(today),
            today,
            household_ref="household_id",
            helper_ref="helper_id",
            kind=VisitKind.HOME,
        ),
        week_target=thresholds.expression("HH-VISIT-WEEKLY", "household__path"),
    )


def overdue_week(pairings, today: datetime.date, thresholds: Thresholds):
    if thresholds.get("HH-VISIT-WEEKLY") is None:
        return pairings.none()
    return with_week_status(pairings, today, thresholds).filter(week_visits__lt=F("week_target"))


def with_year_pace(households, today: datetime.date, thresholds: Thresholds):
    """Household rows annotated with counted visits this year (`visits_counted`), the yearly
    target of their region (`visit_target`) and the pace for it by today (`pace_required`)."""
    target = thresholds.expression("HH-VISIT-YEAR", "path")
    return households.annotate(
        visits_counted=counted_visits(datetime.date(today.year, 1, 1), today),
        visit_target=target,
        pace_required=pace_expression(today, target),
    )


def behind_pace_filter(households, today: datetime.date, thresholds: Thresholds):
    if thresholds.get("HH-VISIT-YEAR") is None:
        return households.none()
    return with_year_pace(households, today, thresholds).filter(
        pace_required__gte=1, visits_counted__lt=F("pace_required")
    )


def overdue_filter(queryset, kind: str, today: datetime.date):
    """week: a helper in force is below this week's home-visit threshold;
    pace: fewer counted visits this year than the pace for the yearly target requires."""
    thresholds = Thresholds(["HH-VISIT-WEEKLY", "HH-VISIT-YEAR"])
    if kind == "week":
        late = overdue_week(
            HouseholdPairing.objects.in_force(today).filter(household_id=OuterRef("pk")),
            today,
            thresholds,
        )
        return queryset.filter(Exists(late))
    if kind == "pace":
        return behind_pace_filter(queryset, today, thresholds)
    return queryset


def not_visited_since(queryset, cutoff: datetime.date):
    """Households with no counted visit on or after `cutoff` (never visited included)."""
    recent = Visit.objects.counted().filter(household_id=OuterRef("pk"), visited_on__gte=cutoff)
    return queryset.filter(~Exists(recent))


class HouseholdFilter(LabelledFilterSet):
    q = django_filters.CharFilter(
        label=_("查找"),
        method="filter_q",
        help_text=_("姓名、拼音首字母（如 zs）或身份证号后几位"),
    )
    village = django_filters.ModelChoiceFilter(
        label=_("村"), queryset=scoped_villages, empty_label=_("全部村")
    )
    track = django_filters.ChoiceFilter(
        label=_("帮扶类型"), choices=AssistanceTrack.choices, empty_label=_("全部类型")
    )
    cause = django_filters.ChoiceFilter(
        label=_("致贫原因"), choices=PovertyCause.choices, empty_label=_("全部原因")
    )
    status = django_filters.ChoiceFilter(
        label=_("贫困状态"), choices=PovertyStatus.choices, empty_label=_("全部状态")
    )
    key_difficulty = django_filters.BooleanFilter(
        label=_("重点困难户"),
        widget=YesNoWidget(),
    )
    overdue = django_filters.ChoiceFilter(
        label=_("逾期"),
        choices=[("week", _("本周帮扶责任人未入户走访")), ("pace", _("全年走访进度落后"))],
        method="filter_overdue",
        empty_label=_("不限"),
    )
    not_visited_days = django_filters.NumberFilter(
        label=_("未走访天数≥"),
        method="filter_not_visited_days",
        min_value=1,
        max_value=3660,
        help_text=_("按计入考核的走访计算"),
    )

    class Meta:
        model = Household
        fields = [
            "q",
            "village",
            "track",
            "cause",
            "status",
            "key_difficulty",
            "overdue",
            "not_visited_days",
        ]

    def filter_q(self, queryset, name, value):
        return household_search(queryset, value)

    def filter_overdue(self, queryset, name, value):
        return overdue_filter(queryset, value, timezone.localdate())

    def filter_not_visited_days(self, queryset, name, value):
        if value is None:
            return queryset
        cutoff = timezone.localdate() - datetime.timedelta(days=int(value))
        return not_visited_since(queryset, cutoff + datetime.timedelta(days=1))
