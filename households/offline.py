"""Field work without a connection (issue 15): what a phone keeps so the visit form and the
field-day form work in a village with no signal.

- `/sw.js` (`service_worker`): the service worker, the product's own file `static/js/sw.js`,
  served from the root so its scope covers every page (`Service-Worker-Allowed: /`).
- `offline_data`: the user's own households as JSON, from the scoped selectors (a cadre: the
  households they help; township staff: the households in their scope), each with its helpers
  in force and the open measures of its plan; the ID number and phone masked by the pages' rule
  (`User.can_view_full_id`, `core.idcard.mask_*`). The worker caches it; logging out clears it.
- `visit_form_shell`: the visit form without a household, the page the worker shows for
  /households/visits/new/?household=<id> when offline (outbox.js fills the household in from
  the cached data); `outbox_page`: the entries waiting on this phone (the list is drawn by
  outbox.js from IndexedDB).

Entries typed offline wait in the browser's outbox (IndexedDB) and are posted to the API
(`/api/v1/visits/`, `/api/v1/field-days/`) with the session and its CSRF token: the same
services as the pages, and the visit's submission token makes a resend give back the first
visit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.models import User
from core.idcard import mask_id_number, mask_phone
from core.permissions import records_own_entries
from households.forms import VisitForm
from households.models import HouseholdPairing, Measure, MeasureStatus
from households.selectors import helpers_for_form, household_base

# The scripts and styles every offline page needs (cached by the worker when it is installed).
SHELL_STATIC = [
    "css/app.css",
    "css/offline.css",
    "js/app.js",
    "js/drafts.js",
    "js/outbox.js",
    "js/photo-shrink.js",
]


def offline_households(user: User) -> list[dict[str, Any]]:
    """The households this phone keeps for `user`: a cadre's own (a pairing in force today),
    everyone else's in their scope; with helpers in force and open measures, in a fixed
    number of queries whatever the count."""
    today = timezone.localdate()
    households = household_base(user)
    if records_own_entries(user):
        own = HouseholdPairing.objects.in_force(today).filter(helper_id=user.cadre_id)
        households = households.filter(pk__in=own.values("household_id"))
    households = households.order_by("path", "head_name", "id")
    rows = list(
        households.only(
            "id",
            "head_name",
            "name_initials",
            "head_id_number",
            "phone",
            "group_name",
            "village__id",
            "village__name",
        )
    )
    ids = households.values("id")  # a subquery, whatever the count
    helpers: dict[int, list[dict[str, Any]]] = {}
    visible_helpers = helpers_for_form(user=user, household=None)
    pairings = (
        HouseholdPairing.objects.in_force(today)
        .filter(household_id__in=ids, helper__in=visible_helpers)
        .select_related("helper")
        .order_by("helper__name", "helper_id")
    )
    for pairing in pairings:
        entry = {"id": pairing.helper_id, "name": pairing.helper.name}
        if entry not in helpers.setdefault(pairing.household_id, []):
            helpers[pairing.household_id].append(entry)
    measures: dict[int, list[dict[str, Any]]] = {}
    # the measure picker's rule (selectors.measures_for), for all the households at once
    open_measures = (
        Measure.objects.visible_to(user)
        .filter(plan__household_id__in=ids)
        .exclude(status=MeasureStatus.DONE)
        .order_by("deadline", "id")
        .values_list("id", "content", "plan__household_id")
    )
    for measure_id, content, household_id in open_measures:
        measures.setdefault(household_id, []).append({"id": measure_id, "label": content})
    full = user.can_view_full_id
    return [
        {
            "id": h.pk,
            "name": h.head_name,
            "initials": h.name_initials,
            "id_number": h.head_id_number if full else mask_id_number(h.head_id_number),
            "phone": h.phone if full else mask_phone(h.phone),
            "village": h.village.name,
            "group": h.group_name,
            "helpers": helpers.get(h.pk, []),
            "measures": measures.get(h.pk, []),
        }
        for h in rows
    ]


def _worker(request: HttpRequest) -> User:
    """The logged-in user who enters field work (township staff, cadres, administrators)."""
    user = request.user
    if not isinstance(user, User) or not user.can_enter_work:
        raise PermissionDenied(_("您的角色不能填报走访记录。"))
    return user


@never_cache
@login_required
def offline_data(request: HttpRequest) -> JsonResponse:
    user = _worker(request)
    shell = [static(name) for name in SHELL_STATIC] + [
        reverse("households:offline_visit_form"),
        reverse("households:offline_outbox"),
        reverse("cadres:field_day_create"),
    ]
    return JsonResponse(
        {
            "user": user.pk,
            "generated_at": timezone.localtime().isoformat(timespec="seconds"),
            "households": offline_households(user),
            "shell": shell,
        },
        json_dumps_params={"ensure_ascii": False},
    )


@login_required
def visit_form_shell(request: HttpRequest) -> HttpResponse:
    """The visit form with no household chosen: offline, outbox.js puts the household from the
    cached data in (its name, helpers and measures) and the entry goes into the outbox."""
    user = _worker(request)
    form = VisitForm(user=user, household=None)
    return render(
        request,
        "households/visit_form.html",
        {
            "form": form,
            "household": None,
            "offline_shell": True,
            "upload_max_bytes": settings.UPLOAD_MAX_BYTES,
        },
    )


@login_required
def outbox_page(request: HttpRequest) -> HttpResponse:
    _worker(request)
    return render(request, "households/outbox.html")


def service_worker(request: HttpRequest) -> HttpResponse:
    path = finders.find("js/sw.js")
    if not path:
        raise Http404
    with open(path, encoding="utf-8") as handle:
        body = handle.read()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
