"""The home page: what is overdue for the user this week, with links straight to the entry
form; reviewers get a summary of their region with links to the review queue and dashboard."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
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
    month_start = today.replace(day=1)
    visits = Visit.objects.visible_to(user).aggregate(
        month=Count(
            "id",
            filter=Q(
                visited_on__gte=month_start,
                visited_on__lte=today,
                credit_status=CreditStatus.CREDITED,
            ),
        ),
        review=Count("id", filter=Q(credit_status=CreditStatus.REVIEW)),
    )
    households = Household.objects.visible_to(user).count()
    return {
        "summary": {
            "households": households,
            "visits_month": visits["month"],
            "review": visits["review"],
            "month_start": month_start,
        }
    }
