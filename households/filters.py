"""The household and visit lists' filters, shared by the HTML lists and the API lists.

Both FilterSets are applied to a queryset that already starts from `visible_to(user)`; their
choice fields (villages, helpers) are scoped to the requesting user as well, so a filter can
never name, or reveal the existence of, a village outside the user's scope.
"""

from __future__ import annotations

import datetime

import django_filters
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.models import (
    AssistanceTrack,
    CreditStatus,
    Household,
    PovertyCause,
    PovertyStatus,
    Visit,
    VisitKind,
)
from villages.filters import YesNoWidget


def _user(request):
    return getattr(request, "user", None)


def scoped_villages(request):
    from villages.models import Village

    user = _user(request)
    if user is None:
        return Village.objects.none()
    return Village.objects.visible_to(user).only("id", "name").order_by("path")


def scoped_helpers(request):
    from cadres.models import Cadre

    user = _user(request)
    if user is None:
        return Cadre.objects.none()
    return Cadre.objects.visible_to(user).only("id", "name").order_by("name")


def household_search(queryset, value: str):
    """Find a household by the head's name, the pinyin initials of the name (`zs` finds 张三)
    or the last digits of the ID number (4 or more digits, or a trailing X)."""
    value = (value or "").strip()
    if not value:
        return queryset
    condition = Q(head_name__icontains=value)
    lowered = value.lower()
    if lowered.isascii() and lowered.isalpha():
        condition |= Q(name_initials__startswith=lowered)
    digits = value.upper()
    if len(digits) >= 4 and digits[:-1].isdigit() and (digits[-1].isdigit() or digits[-1] == "X"):
        condition |= Q(head_id_number__endswith=digits)
    return queryset.filter(condition)


def week_start(today: datetime.date) -> datetime.date:
    """Monday of today's ISO week: HH-VISIT-WEEKLY counts visits from then."""
    return today - datetime.timedelta(days=today.weekday())


YEARLY_VISIT_TARGET = 4  # HH-VISIT-YEAR (003 三(二) "每年对贫困户是否走访4遍以上")


def pace_required(today: datetime.date, target: int = YEARLY_VISIT_TARGET) -> int:
    """Credited visits a household should have had by today to be on pace for `target` a
    year: target × the elapsed fraction of the year, rounded down."""
    start = datetime.date(today.year, 1, 1)
    days_in_year = (datetime.date(today.year + 1, 1, 1) - start).days
    elapsed = (today - start).days + 1
    return (target * elapsed) // days_in_year


def credited_home_visit_this_week(today: datetime.date):
    """For a HouseholdPairing row: its helper made a credited home visit to its household
    this ISO week."""
    return Exists(
        Visit.objects.filter(
            household_id=OuterRef("household_id"),
            helper_id=OuterRef("helper_id"),
            credit_status=CreditStatus.CREDITED,
            kind=VisitKind.HOME,
            visited_on__gte=week_start(today),
            visited_on__lte=today,
        )
    )


def overdue_filter(queryset, kind: str, today: datetime.date):
    """week: a helper in force has made no credited home visit this ISO week;
    pace: fewer credited visits this year than the 4-a-year pace requires."""
    from households.models import HouseholdPairing

    if kind == "week":
        overdue = (
            HouseholdPairing.objects.in_force(today)
            .filter(household_id=OuterRef("pk"))
            .filter(~credited_home_visit_this_week(today))
        )
        return queryset.filter(Exists(overdue))
    if kind == "pace":
        required = pace_required(today)
        if required == 0:
            return queryset.none()
        return queryset.annotate(
            _credited_this_year=Count(
                "visits",
                filter=Q(
                    visits__credit_status=CreditStatus.CREDITED,
                    visits__visited_on__gte=datetime.date(today.year, 1, 1),
                    visits__visited_on__lte=today,
                ),
            )
        ).filter(_credited_this_year__lt=required)
    return queryset


def not_visited_since(queryset, cutoff: datetime.date):
    """Households with no credited visit on or after `cutoff` (never visited included)."""
    recent = Visit.objects.filter(
        household_id=OuterRef("pk"),
        visited_on__gte=cutoff,
        credit_status=CreditStatus.CREDITED,
    )
    return queryset.filter(~Exists(recent))


class HouseholdFilter(django_filters.FilterSet):
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
