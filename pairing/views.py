"""The activities ledger (pairing:activities): trainings, meetings, Party days, study trips,
days in the field and village income, one tab each; and the entry pages of the first four."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.entry_views import EntryPages, activity_kinds, initial_village, register_activity
from pairing.forms import MeetingForm, PartyDayForm, StudyTripForm, TrainingForm
from pairing.models import Meeting, PartyDay, StudyTrip, Training
from pairing.services import (
    meeting_delete,
    meeting_record,
    meeting_update,
    party_day_delete,
    party_day_record,
    party_day_update,
    study_trip_delete,
    study_trip_record,
    study_trip_update,
    training_delete,
    training_record,
    training_update,
)
from villages.models import Village

TRAINING_PAGES = EntryPages(
    model=Training,
    form_class=TrainingForm,
    namespace="pairing",
    name="training",
    label=gettext_lazy("培训"),
    record=training_record,
    update=training_update,
    delete=training_delete,
    instance_kw="training",
    queryset=lambda user: Training.objects.visible_to(user).select_related(
        "village", "unit", "created_by"
    ),
    list_columns=["held_on", "village", "kind", "title", "attendance"],
    detail_fields=[
        "village",
        "kind",
        "title",
        "held_on",
        "unit",
        "audience",
        "lecturer",
        "attendance",
        "village_cadres_trained",
        "content",
        "created_by",
        "created_at",
    ],
    title=lambda t: t.title,
    date_field="held_on",
    extra_initial=initial_village,
)

MEETING_PAGES = EntryPages(
    model=Meeting,
    form_class=MeetingForm,
    namespace="pairing",
    name="meeting",
    label=gettext_lazy("会议与调研"),
    record=meeting_record,
    update=meeting_update,
    delete=meeting_delete,
    instance_kw="meeting",
    queryset=lambda user: Meeting.objects.visible_to(user).select_related(
        "village", "unit", "pairing", "created_by"
    ),
    list_columns=["held_on", "village", "kind", "title", "attendance"],
    detail_fields=[
        "village",
        "kind",
        "title",
        "held_on",
        "unit",
        "pairing",
        "leader_level",
        "attendance",
        "minutes",
        "created_by",
        "created_at",
    ],
    title=lambda m: m.title,
    date_field="held_on",
    extra_initial=initial_village,
)

PARTY_DAY_PAGES = EntryPages(
    model=PartyDay,
    form_class=PartyDayForm,
    namespace="pairing",
    name="party_day",
    label=gettext_lazy("固定党日"),
    record=party_day_record,
    update=party_day_update,
    delete=party_day_delete,
    instance_kw="party_day",
    queryset=lambda user: PartyDay.objects.visible_to(user).select_related("village", "created_by"),
    list_columns=["held_on", "village", "theme", "attendance"],
    detail_fields=[
        "village",
        "held_on",
        "theme",
        "attendance",
        "content",
        "created_by",
        "created_at",
    ],
    title=lambda d: (
        _("%(village)s %(day)s 固定党日")
        % {"village": d.village.name, "day": d.held_on.isoformat()}
    ),
    date_field="held_on",
    extra_initial=initial_village,
)

STUDY_TRIP_PAGES = EntryPages(
    model=StudyTrip,
    form_class=StudyTripForm,
    namespace="pairing",
    name="study_trip",
    label=gettext_lazy("外出学习考察"),
    record=study_trip_record,
    update=study_trip_update,
    delete=study_trip_delete,
    instance_kw="study_trip",
    queryset=lambda user: StudyTrip.objects.visible_to(user).select_related(
        "village", "unit", "created_by"
    ),
    list_columns=["started_on", "village", "destination", "days", "participants"],
    detail_fields=[
        "village",
        "unit",
        "started_on",
        "days",
        "destination",
        "participants",
        "content",
        "created_by",
        "created_at",
    ],
    title=lambda t: t.destination,
    date_field="started_on",
    extra_initial=initial_village,
)


for _kind, _pages in (
    ("training", TRAINING_PAGES),
    ("meeting", MEETING_PAGES),
    ("party_day", PARTY_DAY_PAGES),
    ("study_trip", STUDY_TRIP_PAGES),
):
    register_activity(_kind, _pages)


@login_required
def activities(request):
    kinds = activity_kinds()
    kind = request.GET.get("kind") or "training"
    pages = kinds.get(kind)
    if pages is None:
        raise Http404
    context = pages.list_page(request)
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        kind=kind,
        tabs=[(key, spec.label) for key, spec in kinds.items()],
        villages=Village.objects.visible_to(request.user).only("id", "name").order_by("path"),
        selected_village=request.GET.get("village", ""),
        query=query.urlencode(),
    )
    return render(request, "pairing/activities.html", context)
