"""The pages that put figures against their targets (reads in home/selectors.py): the home
page — what is overdue for the user this week, with links straight to the entry form;
reviewers get a summary of their region — the household list and page, the village list and
page."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.periods import week_due
from assessments.selectors import Thresholds
from core.entry_views import PAGE_SIZE, query_without_page
from core.history import change_history
from core.idcard import mask_id_number, mask_phone
from core.keepers import may_keep
from core.kept_views import hub_groups
from core.permissions import can_edit_entry
from core.scope import Role
from home.filters import week_start
from home.selectors import (
    HOUSEHOLD_CODES,
    behind_pace,
    field_days_this_month,
    household_detail,
    household_list,
    households_decorate,
    number,
    overdue_this_week,
    user_path,
    village_detail,
    village_list,
    villages_decorate,
    week_due_count,
)
from households.models import CreditStatus, Household, Visit
from households.services import pairing_keeper
from notifications.services import WEEKLY_VISIT_FROM_WEEKDAY
from villages.models import Region, RegionLevel

HOME_LIST_LENGTH = 20


@login_required
def home(request):
    user = request.user
    if user.role == Role.COORDINATOR and user.unit_id:
        # A helping unit's coordinator works from their unit's page (helpers, coverage, results).
        return redirect("pairing:my_unit")
    today = timezone.localdate()
    context = {"today": today, "week_start": week_start(today), "week": week_due(today)}
    if user.is_reviewer:
        context.update(_reviewer_summary(user, today))
    else:
        thresholds = Thresholds(HOUSEHOLD_CODES)
        overdue = overdue_this_week(user=user, today=today, thresholds=thresholds)
        behind, pace = behind_pace(user=user, today=today, thresholds=thresholds)
        overdue_rows, overdue_count = list(overdue[:HOME_LIST_LENGTH]), overdue.count()
        for row in overdue_rows:
            row.days_since = (today - row.last_visited).days if row.last_visited else None
        context.update(
            overdue_week=overdue_rows,
            overdue_week_count=overdue_count,
            week_due_count=(due := week_due_count(user=user, today=today, thresholds=thresholds)),
            week_done=max(due - overdue_count, 0),
            # Badge colour: the weekly reminder starts on the same weekday (notifications).
            week_late=today.weekday() >= WEEKLY_VISIT_FROM_WEEKDAY,
            behind=list(behind.select_related("village")[:HOME_LIST_LENGTH]),
            behind_count=behind.count(),
            pace_required=pace.required,
            visit_target=number(pace.target) if pace.target is not None else None,
        )
        if user.role == Role.CADRE and user.cadre_id:
            context["field_days"] = field_days_this_month(user.cadre, today, user_path(user))
        context["my_recent_visits"] = list(
            Visit.objects.visible_to(user)
            .filter(created_by=user)
            .select_related("household", "helper", "village")
            .order_by("-created_at")[:5]
        )
    return render(request, "home.html", context)


def _reviewer_summary(user, today: datetime.date) -> dict:
    month_start = today.replace(day=1)
    visits = Visit.objects.visible_to(user)
    month = (
        Visit.objects.visible_to(user)
        .counted()
        .filter(visited_on__gte=month_start, visited_on__lte=today)
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


# --- households -------------------------------------------------------------------------------
@login_required
def household_list_view(request):
    filterset, queryset = household_list(user=request.user, params=request.GET, request=request)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    households = households_decorate(list(page.object_list))
    for household in households:
        household.masked_id = mask_id_number(household.head_id_number)
    return render(
        request,
        "households/household_list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "households": households,
            "query": query_without_page(request),
            "keeps_households": may_keep(request.user, "household"),
            "keeps_merges": may_keep(request.user, "household_merge"),
            "more_filters": sum(
                1 for key, value in request.GET.items() if key not in ("q", "page") and value
            ),
        },
    )


@login_required
def household_detail_view(request, pk: int):
    user = request.user
    merged = (
        Household.objects.visible_to(user)
        .filter(pk=pk, merged_into__isnull=False)
        .values_list("merged_into_id", flat=True)
        .first()
    )
    if merged is not None:
        # A household merged into another is closed: its page leads to the one kept.
        messages.info(request, _("该户已合并到另一户，以下是保留的户。"))
        return redirect("households:detail", pk=merged)
    page = household_detail(user=user, pk=pk)
    household = page.household
    for visit in page.visits:
        visit.editable = can_edit_entry(user, visit)
    # What the user keeps (the services decide; the page only shows the buttons).
    keeper = pairing_keeper(user)
    for pairing in [*page.pairings, *page.other_pairings]:
        pairing.changeable = keeper.allows(
            helper_unit_id=pairing.helper.unit_id, village_id=household.village_id
        )
    for member in page.members:
        member.masked_id = mask_id_number(member.id_number or "")
    return render(
        request,
        "households/household_detail.html",
        {
            "p": page,
            "h": household,
            "masked_id": mask_id_number(household.head_id_number),
            "masked_phone": mask_phone(household.phone) if household.phone else "",
            "history": change_history(household, limit=20),
            "keeps": {
                kind: may_keep(user, kind)
                for kind in ("household", "member", "income", "plan", "measure")
            },
            "pairs": keeper.allows(helper_unit_id=None, village_id=household.village_id),
        },
    )


# --- villages ----------------------------------------------------------------------------------
@login_required
def village_list_view(request):
    filterset, queryset = village_list(user=request.user, params=request.GET, request=request)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    villages_decorate(list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "villages/village_list.html",
        {"filter": filterset, "page_obj": page, "query": query.urlencode()},
    )


@login_required
def village_detail_view(request, pk: int):
    return render(
        request, "villages/village_detail.html", {"p": village_detail(user=request.user, pk=pk)}
    )


@login_required
def structure(request):
    """基础信息维护: every kind of kept record the user can read, grouped, with 新增 where the
    user's role keeps it (core.keepers). The apps register their pages (core.kept_views)."""
    return render(request, "structure.html", {"groups": hub_groups(request.user)})
