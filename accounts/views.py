"""The home page: what is overdue for the user this week, with links straight to the entry
form; reviewers get a summary of their region with links to the review queue and dashboard."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from households.models import CreditStatus, Household, Visit
from households.selectors import behind_pace, overdue_this_week, week_start

HOME_LIST_LENGTH = 20


@login_required
def home(request):
    user = request.user
    today = timezone.localdate()
    context = {"today": today, "week_start": week_start(today)}
    if user.is_reviewer:
        context.update(_reviewer_summary(user, today))
    else:
        overdue = overdue_this_week(user=user, today=today)
        behind, required = behind_pace(user=user, today=today)
        context.update(
            overdue_week=list(overdue[:HOME_LIST_LENGTH]),
            overdue_week_count=overdue.count(),
            behind=list(behind.select_related("village")[:HOME_LIST_LENGTH]),
            behind_count=behind.count(),
            pace_required=required,
        )
        if user.role == "cadre" and user.cadre_id:
            from cadres.selectors import field_days_this_month

            context["field_days"] = field_days_this_month(user.cadre, today)
        context["my_recent_visits"] = list(
            Visit.objects.visible_to(user)
            .filter(created_by=user)
            .select_related("household", "helper", "village")
            .order_by("-created_at")[:5]
        )
    return render(request, "home.html", context)


def _reviewer_summary(user, today: datetime.date) -> dict:
    from villages.models import Region, RegionLevel

    month_start = today.replace(day=1)
    visits = Visit.objects.visible_to(user)
    month = visits.filter(
        visited_on__gte=month_start, visited_on__lte=today, credit_status=CreditStatus.CREDITED
    )
    if user.region_id:
        # Redundant with the scope's path filter, but it lets the database use the
        # (township, visited_on) index instead of reading every visit of the region.
        month = month.filter(
            township_id__in=Region.objects.filter(
                level=RegionLevel.TOWNSHIP, path__startswith=user.region.path
            ).values("id")
        )
    return {
        "summary": {
            "households": Household.objects.visible_to(user).count(),
            "visits_month": month.count(),
            # Served by the partial index visit_review_path_idx.
            "review": visits.filter(credit_status=CreditStatus.REVIEW).count(),
            "month_start": month_start,
        }
    }
