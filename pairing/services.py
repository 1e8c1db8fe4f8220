"""Writes for the activities units and villages hold: trainings (with attendance), meetings and
research visits, fixed Party days and study trips. The browser forms and the API both call these.

Each `<entity>_record` is keyword-only: it checks the role, the scope of every object named
(outside it: Http404, nothing written), the dates (not in the future) and the model's rules,
and raises ValidationError keyed by field name. `<entity>_update` / `<entity>_delete` honour the
edit window (the author within ENTRY_EDIT_WINDOW_DAYS, a reviewer at any time).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.entries import (
    entry_apply_changes,
    entry_ensure_editable,
    entry_ensure_visible,
    entry_not_in_future,
    entry_require_role,
    entry_save,
)
from pairing.models import (
    LeaderLevel,
    Meeting,
    Pairing,
    PartyDay,
    StudyTrip,
    Training,
    Unit,
)
from villages.models import Village

if TYPE_CHECKING:
    from accounts.models import User


def _check_common(
    user: User, *, village: Village, unit: Unit | None = None, pairing: Pairing | None = None
) -> None:
    entry_require_role(user)
    _check_scope(user, village=village, unit=unit, pairing=pairing)


def _check_scope(
    user: User,
    *,
    village: Village | None = None,
    unit: Unit | None = None,
    pairing: Pairing | None = None,
) -> None:
    entry_ensure_visible(Village, user, village)
    entry_ensure_visible(Unit, user, unit)
    entry_ensure_visible(Pairing, user, pairing)


def _text(value: str | None) -> str:
    return (value or "").strip()


# --- trainings ------------------------------------------------------------------------------
TRAINING_FIELDS = {
    "kind",
    "title",
    "held_on",
    "village",
    "unit",
    "audience",
    "lecturer",
    "attendance",
    "village_cadres_trained",
    "content",
}


def _training_errors(training: Training) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    entry_not_in_future(training.held_on, "held_on", errors)
    if (
        training.attendance is not None
        and training.village_cadres_trained is not None
        and training.village_cadres_trained > training.attendance
    ):
        errors.setdefault("village_cadres_trained", []).append(
            _("其中村干部人数不能多于参训人数。")
        )
    return errors


def training_record(
    *,
    user: User,
    village: Village,
    kind: str,
    title: str,
    held_on: datetime.date,
    unit: Unit | None = None,
    audience: str = "",
    lecturer: str = "",
    attendance: int = 0,
    village_cadres_trained: int = 0,
    content: str = "",
) -> Training:
    _check_common(user, village=village, unit=unit)
    training = Training(
        kind=kind,
        title=_text(title),
        held_on=held_on,
        village=village,
        unit=unit,
        audience=_text(audience),
        lecturer=_text(lecturer),
        attendance=attendance if attendance is not None else 0,
        village_cadres_trained=village_cadres_trained if village_cadres_trained is not None else 0,
        content=_text(content),
        created_by=user,
    )
    return entry_save(training, errors=_training_errors(training))


def training_update(*, user: User, training: Training, **changes: Any) -> Training:
    entry_ensure_editable(user, training)
    _check_scope(user, village=changes.get("village"), unit=changes.get("unit"))
    entry_apply_changes(training, changes, TRAINING_FIELDS)
    return entry_save(training, errors=_training_errors(training))


def training_delete(*, user: User, training: Training) -> None:
    entry_ensure_editable(user, training)
    training.delete()


# --- meetings and research visits -------------------------------------------------------------
MEETING_FIELDS = {
    "kind",
    "title",
    "held_on",
    "village",
    "unit",
    "pairing",
    "leader_level",
    "attendance",
    "minutes",
}


def _meeting_errors(meeting: Meeting) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    entry_not_in_future(meeting.held_on, "held_on", errors)
    if meeting.pairing is not None and meeting.pairing.village_id not in (None, meeting.village_id):
        errors.setdefault("pairing", []).append(_("所选结对不属于该村。"))
    return errors


def meeting_record(
    *,
    user: User,
    village: Village,
    kind: str,
    title: str,
    held_on: datetime.date,
    unit: Unit | None = None,
    pairing: Pairing | None = None,
    leader_level: str = LeaderLevel.OTHER,
    attendance: int = 0,
    minutes: str = "",
) -> Meeting:
    _check_common(user, village=village, unit=unit, pairing=pairing)
    meeting = Meeting(
        kind=kind,
        title=_text(title),
        held_on=held_on,
        village=village,
        unit=unit,
        pairing=pairing,
        leader_level=leader_level or LeaderLevel.OTHER,
        attendance=attendance if attendance is not None else 0,
        minutes=_text(minutes),
        created_by=user,
    )
    return entry_save(meeting, errors=_meeting_errors(meeting))


def meeting_update(*, user: User, meeting: Meeting, **changes: Any) -> Meeting:
    entry_ensure_editable(user, meeting)
    _check_scope(
        user,
        village=changes.get("village"),
        unit=changes.get("unit"),
        pairing=changes.get("pairing"),
    )
    entry_apply_changes(meeting, changes, MEETING_FIELDS)
    return entry_save(meeting, errors=_meeting_errors(meeting))


def meeting_delete(*, user: User, meeting: Meeting) -> None:
    entry_ensure_editable(user, meeting)
    meeting.delete()


# --- fixed Party days ----------------------------------------------------------------------
PARTY_DAY_FIELDS = {"village", "held_on", "theme", "attendance", "content"}
PARTY_DAY_TAKEN = gettext_lazy("该村这一天已登记过固定党日。")


def _party_day_errors(party_day: PartyDay) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    entry_not_in_future(party_day.held_on, "held_on", errors)
    if (
        party_day.held_on
        and PartyDay.objects.filter(village_id=party_day.village_id, held_on=party_day.held_on)
        .exclude(pk=party_day.pk)
        .exists()
    ):
        errors.setdefault("held_on", []).append(str(PARTY_DAY_TAKEN))
    return errors


def party_day_record(
    *,
    user: User,
    village: Village,
    held_on: datetime.date,
    theme: str,
    attendance: int = 0,
    content: str = "",
) -> PartyDay:
    """A fixed Party day (固定党日, 003: the first Friday of each month). Another day is accepted
    (a Party day can be moved), the indicator decides whether it was on time."""
    _check_common(user, village=village)
    party_day = PartyDay(
        village=village,
        held_on=held_on,
        theme=_text(theme),
        attendance=attendance if attendance is not None else 0,
        content=_text(content),
        created_by=user,
    )
    return entry_save(
        party_day,
        errors=_party_day_errors(party_day),
        unique_error=("held_on", str(PARTY_DAY_TAKEN)),
    )


def party_day_update(*, user: User, party_day: PartyDay, **changes: Any) -> PartyDay:
    entry_ensure_editable(user, party_day)
    _check_scope(user, village=changes.get("village"))
    entry_apply_changes(party_day, changes, PARTY_DAY_FIELDS)
    return entry_save(
        party_day,
        errors=_party_day_errors(party_day),
        unique_error=("held_on", str(PARTY_DAY_TAKEN)),
    )


def party_day_delete(*, user: User, party_day: PartyDay) -> None:
    entry_ensure_editable(user, party_day)
    party_day.delete()


# --- study trips ---------------------------------------------------------------------------
STUDY_TRIP_FIELDS = {
    "unit",
    "village",
    "started_on",
    "days",
    "destination",
    "participants",
    "content",
}


def _study_trip_errors(trip: StudyTrip) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    entry_not_in_future(trip.started_on, "started_on", errors)
    return errors


def study_trip_record(
    *,
    user: User,
    village: Village,
    unit: Unit,
    started_on: datetime.date,
    destination: str,
    days: int = 1,
    participants: int = 0,
    content: str = "",
) -> StudyTrip:
    _check_common(user, village=village, unit=unit)
    trip = StudyTrip(
        village=village,
        unit=unit,
        started_on=started_on,
        days=days if days is not None else 1,
        destination=_text(destination),
        participants=participants if participants is not None else 0,
        content=_text(content),
        created_by=user,
    )
    return entry_save(trip, errors=_study_trip_errors(trip))


def study_trip_update(*, user: User, study_trip: StudyTrip, **changes: Any) -> StudyTrip:
    entry_ensure_editable(user, study_trip)
    _check_scope(user, village=changes.get("village"), unit=changes.get("unit"))
    entry_apply_changes(study_trip, changes, STUDY_TRIP_FIELDS)
    return entry_save(study_trip, errors=_study_trip_errors(study_trip))


def study_trip_delete(*, user: User, study_trip: StudyTrip) -> None:
    entry_ensure_editable(user, study_trip)
    study_trip.delete()
