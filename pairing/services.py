"""Writes for the activities units and villages hold: trainings (with attendance), meetings and
research visits, fixed Party days and study trips. The browser forms and the API both call these.

Each `<entity>_record` is keyword-only: it checks the role, the scope of every object named
(outside it: Http404, nothing written), the dates (not in the future) and the model's rules,
and raises ValidationError keyed by field name. `<entity>_update` / `<entity>_delete` honour the
edit window (the author within ENTRY_EDIT_WINDOW_DAYS, a reviewer at any time).

The second half keeps the structure those activities count against: units and their Party
organisation trees, organisation pairings with participants and yearly plans, the units'
projects and donations (see the section's comment; the keepers are core/keepers.py's).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
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
from core.keepers import KIND_LABELS
from core.kept import (
    kept_apply,
    kept_check_dates,
    kept_delete,
    kept_end,
    kept_ensure_visible,
    kept_require,
    kept_save,
)
from core.scope import Role, scope_of
from pairing.models import (
    Donation,
    LeaderLevel,
    Meeting,
    OrgKind,
    Pairing,
    PairingKind,
    PairingParticipant,
    PairingYearPlan,
    PartyDay,
    PartyOrganisation,
    Project,
    ProjectStatus,
    StudyTrip,
    Training,
    Unit,
)
from villages.models import Region, Village

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


# An empty participant count is an error (page, API), never stored as 0.
ATTENDANCE_REQUIRED = gettext_lazy("请填写参训人数")


def _training_errors(training: Training) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    entry_not_in_future(training.held_on, "held_on", errors)
    if training.attendance is None:
        errors["attendance"] = [str(ATTENDANCE_REQUIRED)]
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
    attendance: int | None = None,
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
        attendance=attendance,  # type: ignore[misc]  # None: refused by _training_errors
        village_cadres_trained=village_cadres_trained if village_cadres_trained is not None else 0,
        content=_text(content),
        created_by=user,
    )
    return _training_save(training)


def _training_save(training: Training) -> Training:
    errors = _training_errors(training)
    try:
        return entry_save(training, errors=errors)
    except ValidationError as exc:
        if "attendance" in errors and hasattr(exc, "error_dict"):
            # The model's own "cannot be null" says the same less plainly: one message.
            exc.error_dict["attendance"] = [ValidationError(errors["attendance"][0])]
        raise


def training_update(*, user: User, training: Training, **changes: Any) -> Training:
    entry_ensure_editable(user, training)
    _check_scope(user, village=changes.get("village"), unit=changes.get("unit"))
    entry_apply_changes(training, changes, TRAINING_FIELDS)
    return _training_save(training)


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


# ============================================================================================
# The structure kept by its owners (issue 13): helping units and their Party-organisation trees,
# organisation pairings with participants and yearly plans (reviewers, core.keepers "unit",
# "party_organisation", "pairing"), and the units' projects and Party members' donations (a
# unit's coordinator for their own unit, reviewers may correct: "project", "donation").
#
# Every write: the keeper's role (403), scope of every object named (404, nothing written), the
# rules below with a Chinese message naming the conflicting record, then one transaction. A
# record others refer to is not deleted but ended (撤销 / 结束) on a day.
# ============================================================================================

# The tree inside a unit (or a village): committee › general branch › branch. A leading group
# (党组) leads an organ beside the tree, never above or below a branch.
ORG_RANK: dict[str, int] = {OrgKind.COMMITTEE: 0, OrgKind.GENERAL_BRANCH: 1, OrgKind.BRANCH: 2}
ORG_ALLOWED_PARENTS: dict[str, Any] = {
    OrgKind.GENERAL_BRANCH: gettext_lazy("党委"),
    OrgKind.BRANCH: gettext_lazy("党委或党总支"),
}


def _day(value: datetime.date) -> str:
    return value.isoformat()


def _in_force_after(queryset: Any, day: datetime.date, field: str = "end_date") -> Any:
    """Rows still in force after `day` (no end, or an end after it)."""
    return queryset.filter(Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": day}))


def _covers_region(user: User, region: Region | None) -> bool:
    scope = scope_of(user)
    if scope.everything:
        return True
    return region is not None and scope.covers(region)


def _ensure_keeps_unit(user: User, unit: Unit | None) -> None:
    """A reviewer keeps the units of their own subtree; a unit they only see because it is
    paired with a village of theirs is read, not kept (403)."""
    if unit is None:
        return
    kept_ensure_visible(Unit, user, unit)
    if not _covers_region(user, unit.region):
        raise PermissionDenied(
            _("单位“%(unit)s”不在您的管辖区划内，您只能查看。") % {"unit": unit.name}
        )


def _ensure_own_unit(user: User, unit: Unit | None, kind: str) -> None:
    """A coordinator keeps the records of their own unit only (reviewers those in scope)."""
    if unit is not None and user.role == Role.COORDINATOR and unit.pk != user.unit_id:
        raise PermissionDenied(
            _("联络人只能维护本单位的%(kind)s；“%(unit)s”不是您的单位。")
            % {"kind": KIND_LABELS[kind], "unit": unit.name}
        )


def _ended_before(record: Unit | PartyOrganisation | None, day: datetime.date | None) -> bool:
    return bool(record is not None and record.end_date and day and record.end_date < day)


# --- units ---------------------------------------------------------------------------------
UNIT_FIELDS = {
    "name",
    "kind",
    "credit_code",
    "region",
    "principal_leader",
    "deputy_in_charge",
    "coordinator_name",
    "coordinator_phone",
}


def _unit_errors(unit: Unit) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    same_name = Unit.objects.filter(name=unit.name).exclude(pk=unit.pk).first()
    if unit.name and same_name is not None:
        errors.setdefault("name", []).append(
            _("已有同名的单位“%(unit)s”。") % {"unit": same_name.name}
        )
    if unit.credit_code:
        same_code = Unit.objects.filter(credit_code=unit.credit_code).exclude(pk=unit.pk).first()
        if same_code is not None:
            errors.setdefault("credit_code", []).append(
                _("统一社会信用代码已被单位“%(unit)s”使用。") % {"unit": same_code.name}
            )
    return errors


def unit_record(
    *,
    user: User,
    name: str,
    kind: str,
    region: Region | None = None,
    credit_code: str = "",
    principal_leader: str = "",
    deputy_in_charge: str = "",
    coordinator_name: str = "",
    coordinator_phone: str = "",
) -> Unit:
    """A helping unit in the reviewer's subtree (`region`: where it is, e.g. the county)."""
    kept_require(user, "unit")
    kept_ensure_visible(Region, user, region)
    unit = Unit(
        name=_text(name),
        kind=kind,
        region=region,
        credit_code=_text(credit_code).upper(),
        principal_leader=_text(principal_leader),
        deputy_in_charge=_text(deputy_in_charge),
        coordinator_name=_text(coordinator_name),
        coordinator_phone=_text(coordinator_phone),
    )
    errors = _unit_errors(unit)
    if region is None and not scope_of(user).everything:
        errors.setdefault("region", []).append(_("请选择单位所在区划。"))
    return kept_save(unit, errors=errors, unique_error=("name", _("单位名称或信用代码已存在。")))


def unit_update(*, user: User, unit: Unit, **changes: Any) -> Unit:
    kept_require(user, "unit")
    _ensure_keeps_unit(user, unit)
    if "region" in changes:
        kept_ensure_visible(Region, user, changes["region"])
        if changes["region"] is None and not scope_of(user).everything:
            raise ValidationError({"region": [_("请选择单位所在区划。")]})
    for name in ("name", "credit_code", "principal_leader", "deputy_in_charge"):
        if name in changes:
            changes[name] = _text(changes[name])
    for name in ("coordinator_name", "coordinator_phone"):
        if name in changes:
            changes[name] = _text(changes[name])
    if "credit_code" in changes:
        changes["credit_code"] = changes["credit_code"].upper()
    kept_apply(unit, changes, UNIT_FIELDS)
    return kept_save(
        unit, errors=_unit_errors(unit), unique_error=("name", _("单位名称或信用代码已存在。"))
    )


def unit_end(*, user: User, unit: Unit, day: datetime.date) -> Unit:
    """撤销 a unit on a day: it keeps every record that refers to it; its Party organisations
    still in force end the same day. Refused while a pairing it leads or takes part in runs on
    after that day (end the pairing first)."""
    kept_require(user, "unit")
    _ensure_keeps_unit(user, unit)
    if day is not None:
        running = _in_force_after(Pairing.objects.for_unit(unit.pk), day).first()
        if running is not None:
            raise ValidationError(
                {
                    "end_date": [
                        _(
                            "该单位参加的结对“%(pairing)s”在%(day)s之后仍在结对期内，请先结束该结对。"
                        )
                        % {"pairing": running.name, "day": _day(day)}
                    ]
                }
            )
    with transaction.atomic():
        ended = kept_end(unit, day)
        _in_force_after(PartyOrganisation.objects.filter(unit=unit), day).update(end_date=day)
    return ended


def unit_delete(*, user: User, unit: Unit) -> None:
    """Only a unit nothing refers to (entered by mistake); otherwise it is ended instead."""
    kept_require(user, "unit")
    _ensure_keeps_unit(user, unit)
    kept_delete(unit)


# --- Party organisations -----------------------------------------------------------------------
ORGANISATION_FIELDS = {"name", "kind", "unit", "village", "parent", "secretary", "member_count"}


def _owner_label(org: PartyOrganisation) -> str:
    if org.unit_id is not None:
        return _("单位“%(name)s”") % {"name": org.unit.name if org.unit else ""}
    return _("村“%(name)s”") % {"name": org.village.name if org.village else ""}


def _kind_label(kind: str) -> str:
    return str(OrgKind(kind).label) if kind in OrgKind.values else kind


def _organisation_errors(org: PartyOrganisation) -> dict[str, list[str]]:
    """The tree's rules: one owner (a unit or a village), a parent of the same owner and of a
    higher level (committee › general branch › branch), children of a lower level."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if (org.unit_id is None) == (org.village_id is None):
        add("unit", _("党组织须属于一个单位或一个村（二者选一）。"))
        return errors
    if org.name and org.unit_id is not None:
        same = (
            PartyOrganisation.objects.filter(unit_id=org.unit_id, name=org.name)
            .exclude(pk=org.pk)
            .first()
        )
        if same is not None:
            add("name", _("本单位已有名为“%(name)s”的党组织。") % {"name": same.name})
    parent = org.parent
    if parent is not None:
        if org.pk is not None and parent.pk == org.pk:
            add("parent", _("上级党组织不能是它自己。"))
        elif (parent.unit_id, parent.village_id) != (org.unit_id, org.village_id):
            add(
                "parent",
                _("上级党组织“%(parent)s”属于%(owner)s，不是同一单位（村）的党组织。")
                % {"parent": parent.name, "owner": _owner_label(parent)},
            )
        elif org.kind == OrgKind.LEADING_GROUP:
            add(
                "parent",
                _("党组不在党委、党总支、党支部的隶属关系中，不能选择上级党组织“%(parent)s”。")
                % {"parent": parent.name},
            )
        elif parent.kind not in ORG_RANK:
            add(
                "parent",
                _("“%(parent)s”是%(parent_kind)s，不能作为上级党组织。")
                % {"parent": parent.name, "parent_kind": _kind_label(parent.kind)},
            )
        elif org.kind == OrgKind.COMMITTEE:
            add(
                "parent",
                _("党委是单位内最高一级党组织，不能选择上级党组织“%(parent)s”。")
                % {"parent": parent.name},
            )
        elif org.kind in ORG_RANK and ORG_RANK[parent.kind] >= ORG_RANK[org.kind]:
            add(
                "parent",
                _("上级党组织“%(parent)s”是%(parent_kind)s，%(kind)s的上级只能是%(allowed)s。")
                % {
                    "parent": parent.name,
                    "parent_kind": _kind_label(parent.kind),
                    "kind": _kind_label(org.kind),
                    "allowed": ORG_ALLOWED_PARENTS[org.kind],
                },
            )
        elif parent.end_date is not None and parent.end_date < timezone.localdate():
            add(
                "parent",
                _("上级党组织“%(parent)s”已于%(day)s撤销。")
                % {"parent": parent.name, "day": _day(parent.end_date)},
            )
    if org.pk is not None:
        for child in PartyOrganisation.objects.filter(parent_id=org.pk).order_by("name"):
            if (child.unit_id, child.village_id) != (org.unit_id, org.village_id):
                add(
                    "unit",
                    _("该党组织下有下级党组织“%(child)s”，不能改属其他单位或村。")
                    % {"child": child.name},
                )
                break
            rank, child_rank = ORG_RANK.get(org.kind), ORG_RANK.get(child.kind)
            if rank is None or child_rank is None or child_rank <= rank:
                add(
                    "kind",
                    _("下级党组织“%(child)s”是%(child_kind)s，不能隶属于%(kind)s。")
                    % {
                        "child": child.name,
                        "child_kind": _kind_label(child.kind),
                        "kind": _kind_label(org.kind),
                    },
                )
                break
    return errors


def _ensure_keeps_organisation_owner(
    user: User, *, unit: Unit | None, village: Village | None
) -> None:
    _ensure_keeps_unit(user, unit)
    kept_ensure_visible(Village, user, village)


ORGANISATION_TAKEN = gettext_lazy("本单位已有同名的党组织。")


def organisation_record(
    *,
    user: User,
    name: str,
    kind: str,
    unit: Unit | None = None,
    village: Village | None = None,
    parent: PartyOrganisation | None = None,
    secretary: str = "",
    member_count: int | None = None,
) -> PartyOrganisation:
    """A Party organisation of a unit (committee, general branch, branch, leading group) or a
    village's branch, under a parent of the same unit (or village)."""
    kept_require(user, "party_organisation")
    _ensure_keeps_organisation_owner(user, unit=unit, village=village)
    kept_ensure_visible(PartyOrganisation, user, parent)
    org = PartyOrganisation(
        name=_text(name),
        kind=kind,
        unit=unit,
        village=village,
        parent=parent,
        secretary=_text(secretary),
        member_count=member_count,
    )
    return kept_save(
        org,
        errors=_organisation_errors(org),
        unique_error=("name", str(ORGANISATION_TAKEN)),
    )


def organisation_update(
    *, user: User, organisation: PartyOrganisation, **changes: Any
) -> PartyOrganisation:
    kept_require(user, "party_organisation")
    kept_ensure_visible(PartyOrganisation, user, organisation)
    _ensure_keeps_organisation_owner(user, unit=organisation.unit, village=organisation.village)
    _ensure_keeps_organisation_owner(user, unit=changes.get("unit"), village=changes.get("village"))
    kept_ensure_visible(PartyOrganisation, user, changes.get("parent"))
    for name in ("name", "secretary"):
        if name in changes:
            changes[name] = _text(changes[name])
    kept_apply(organisation, changes, ORGANISATION_FIELDS)
    return kept_save(
        organisation,
        errors=_organisation_errors(organisation),
        unique_error=("name", str(ORGANISATION_TAKEN)),
    )


def organisation_end(
    *, user: User, organisation: PartyOrganisation, day: datetime.date
) -> PartyOrganisation:
    """撤销 an organisation on a day (it keeps the records that refer to it). Refused while a
    lower organisation of it, or a pairing it leads or takes part in, runs on after that day."""
    kept_require(user, "party_organisation")
    kept_ensure_visible(PartyOrganisation, user, organisation)
    _ensure_keeps_organisation_owner(user, unit=organisation.unit, village=organisation.village)
    if day is not None:
        child = _in_force_after(organisation.children.all(), day).order_by("name").first()
        if child is not None:
            raise ValidationError(
                {
                    "end_date": [
                        _("下级党组织“%(child)s”在%(day)s之后仍未撤销，请先撤销或调整它。")
                        % {"child": child.name, "day": _day(day)}
                    ]
                }
            )
        pairings = Pairing.objects.filter(
            Q(lead_organisation=organisation)
            | Q(village_organisation=organisation)
            | Q(participants__organisation=organisation)
        ).distinct()
        running = _in_force_after(pairings, day).first()
        if running is not None:
            raise ValidationError(
                {
                    "end_date": [
                        _(
                            "该党组织参加的结对“%(pairing)s”在%(day)s之后仍在结对期内，请先结束该结对或移除该党组织。"
                        )
                        % {"pairing": running.name, "day": _day(day)}
                    ]
                }
            )
    return kept_end(organisation, day)


def organisation_delete(*, user: User, organisation: PartyOrganisation) -> None:
    kept_require(user, "party_organisation")
    kept_ensure_visible(PartyOrganisation, user, organisation)
    _ensure_keeps_organisation_owner(user, unit=organisation.unit, village=organisation.village)
    kept_delete(organisation)


# --- organisation pairings ------------------------------------------------------------------
PAIRING_KEPT_FIELDS = {
    "kind",
    "name",
    "lead_unit",
    "lead_organisation",
    "region",
    "village",
    "village_organisation",
    "special_action",
    "three_year_plan",
    "start_date",
    "end_date",
}


def _pairing_errors(pairing: Pairing) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    kept_check_dates(pairing, errors)
    if pairing.village_id is None and pairing.region_id is None:
        add("region", _("请选择结对的村或区划。"))
    if pairing.kind == PairingKind.ORG_PAIRING and pairing.village_id is None:
        add("village", _("结对共建须选择结对村。"))
    lead = pairing.lead_unit if pairing.lead_unit_id else None
    if lead is not None and _ended_before(lead, pairing.start_date):
        add(
            "lead_unit",
            _("牵头单位“%(unit)s”已于%(day)s撤销，不能在此之后结对。")
            % {"unit": lead.name, "day": _day(lead.end_date)},  # type: ignore[arg-type]
        )
    org = pairing.lead_organisation
    if org is not None:
        if org.unit_id != pairing.lead_unit_id:
            add(
                "lead_organisation",
                _("牵头党组织“%(org)s”不属于牵头单位“%(unit)s”。")
                % {"org": org.name, "unit": lead.name if lead else ""},
            )
        elif pairing.kind == PairingKind.ONE_PLUS and org.kind != OrgKind.COMMITTEE:
            add(
                "lead_organisation",
                _("1+1+1+N 的牵头党组织应为企业党委，“%(org)s”是%(kind)s。")
                % {"org": org.name, "kind": _kind_label(org.kind)},
            )
        elif _ended_before(org, pairing.start_date):
            add(
                "lead_organisation",
                _("牵头党组织“%(org)s”已于%(day)s撤销。")
                % {"org": org.name, "day": _day(org.end_date)},  # type: ignore[arg-type]
            )
    elif pairing.kind == PairingKind.ONE_PLUS:
        add("lead_organisation", _("1+1+1+N 须选择牵头企业党委。"))
    village_org = pairing.village_organisation
    if village_org is not None:
        village = pairing.village
        if village_org.village_id is None:
            add(
                "village_organisation",
                _("“%(org)s”是单位的党组织，不是村（乡镇）的党组织。") % {"org": village_org.name},
            )
        elif village is not None and village_org.village_id != village.pk:
            add(
                "village_organisation",
                _("“%(org)s”是%(owner)s的党组织，不是结对村“%(village)s”的。")
                % {
                    "org": village_org.name,
                    "owner": village_org.village.name if village_org.village else "",
                    "village": village.name,
                },
            )
        elif (
            village is None
            and pairing.region_id is not None
            and village_org.village is not None
            and not village_org.village.path.startswith(pairing.region.path)
        ):
            add(
                "village_organisation",
                _("“%(org)s”不在结对区划“%(region)s”内。")
                % {"org": village_org.name, "region": pairing.region.name},
            )
    if pairing.pk is not None and lead is not None:
        clash = (
            pairing.participants.filter(organisation__unit_id=lead.pk)
            .select_related("organisation")
            .first()
        )
        if clash is not None:
            add(
                "lead_unit",
                _("“%(unit)s”已通过“%(org)s”作为参与单位，不能同时作牵头单位。")
                % {"unit": lead.name, "org": clash.organisation.name},
            )
    return errors


def _pairing_scope(user: User, **objects: Any) -> None:
    kept_ensure_visible(Unit, user, objects.get("lead_unit"))
    kept_ensure_visible(PartyOrganisation, user, objects.get("lead_organisation"))
    kept_ensure_visible(Region, user, objects.get("region"))
    kept_ensure_visible(Village, user, objects.get("village"))
    kept_ensure_visible(PartyOrganisation, user, objects.get("village_organisation"))


def _place_pairing(pairing: Pairing) -> None:
    """A pairing with a village sits at the village's region (save() needs a region)."""
    if pairing.village_id is not None and pairing.village is not None:
        pairing.region_id = pairing.village.region_id


def pairing_record(
    *,
    user: User,
    kind: str,
    name: str,
    lead_unit: Unit,
    start_date: datetime.date,
    region: Region | None = None,
    village: Village | None = None,
    lead_organisation: PartyOrganisation | None = None,
    village_organisation: PartyOrganisation | None = None,
    special_action: str = "",
    three_year_plan: str = "",
    end_date: datetime.date | None = None,
) -> Pairing:
    """An organisation pairing: 结对共建 (a unit's organisation with a village branch), 1+1+1+N
    (a lead committee, participants, a township or village organisation, one special action and
    N projects) or 定点帮扶 (a lead unit and participating units for a county)."""
    kept_require(user, "pairing")
    _pairing_scope(
        user,
        lead_unit=lead_unit,
        lead_organisation=lead_organisation,
        region=region,
        village=village,
        village_organisation=village_organisation,
    )
    pairing = Pairing(
        kind=kind,
        name=_text(name),
        lead_unit=lead_unit,
        lead_organisation=lead_organisation,
        region=region,
        village=village,
        village_organisation=village_organisation,
        special_action=_text(special_action),
        three_year_plan=_text(three_year_plan),
        start_date=start_date,
        end_date=end_date,
    )
    _place_pairing(pairing)
    return _save_kept_pairing(pairing)


def _save_kept_pairing(pairing: Pairing) -> Pairing:
    # Nothing is saved with errors, so Pairing.save() always has its region (and path).
    return kept_save(pairing, errors=_pairing_errors(pairing))


def pairing_update(*, user: User, pairing: Pairing, **changes: Any) -> Pairing:
    kept_require(user, "pairing")
    kept_ensure_visible(Pairing, user, pairing)
    _pairing_scope(user, **changes)
    for name in ("name", "special_action", "three_year_plan"):
        if name in changes:
            changes[name] = _text(changes[name])
    kept_apply(pairing, changes, PAIRING_KEPT_FIELDS)
    _place_pairing(pairing)
    return _save_kept_pairing(pairing)


def pairing_end(*, user: User, pairing: Pairing, day: datetime.date) -> Pairing:
    """End a pairing on a day (it keeps its projects, meetings and visits)."""
    kept_require(user, "pairing")
    kept_ensure_visible(Pairing, user, pairing)
    return kept_end(pairing, day)


def pairing_delete(*, user: User, pairing: Pairing) -> None:
    """Only a pairing nothing refers to (its own participants and yearly plans go with it)."""
    kept_require(user, "pairing")
    kept_ensure_visible(Pairing, user, pairing)
    kept_delete(pairing, ignore={"participants", "year_plans"})


# --- participants and yearly plans of a pairing ---------------------------------------------------
def participant_record(
    *, user: User, pairing: Pairing, organisation: PartyOrganisation
) -> PairingParticipant:
    """A participating committee or branch (参与单位): each unit takes part once in a pairing,
    and the lead unit is not also a participant."""
    kept_require(user, "pairing")
    kept_ensure_visible(Pairing, user, pairing)
    kept_ensure_visible(PartyOrganisation, user, organisation)
    errors: dict[str, list[str]] = {}
    if organisation.unit_id is None:
        errors["organisation"] = [
            _("“%(org)s”是村的党组织；参与党组织须是帮扶单位的党组织。")
            % {"org": organisation.name}
        ]
    elif organisation.unit_id == pairing.lead_unit_id:
        errors["organisation"] = [
            _("“%(org)s”属于牵头单位“%(unit)s”，牵头单位不能再作为参与单位。")
            % {"org": organisation.name, "unit": pairing.lead_unit.name}
        ]
    else:
        listed = (
            pairing.participants.filter(organisation__unit_id=organisation.unit_id)
            .select_related("organisation__unit")
            .first()
        )
        if listed is not None:
            errors["organisation"] = [
                _("单位“%(unit)s”已通过“%(org)s”参与该结对，同一单位只能列入一次。")
                % {"unit": listed.organisation.unit, "org": listed.organisation.name}
            ]
        elif _ended_before(organisation, timezone.localdate()):
            errors["organisation"] = [
                _("“%(org)s”已于%(day)s撤销。")
                % {"org": organisation.name, "day": _day(organisation.end_date)}  # type: ignore[arg-type]
            ]
    participant = PairingParticipant(pairing=pairing, organisation=organisation)
    return kept_save(
        participant,
        errors=errors,
        unique_error=("organisation", _("该党组织已参与该结对。")),
    )


def participant_delete(*, user: User, participant: PairingParticipant) -> None:
    """Remove a participant from the pairing (the change history keeps who and when)."""
    kept_require(user, "pairing")
    kept_ensure_visible(Pairing, user, participant.pairing)
    participant.delete()


YEAR_PLAN_FIELDS = {"year", "content"}
YEAR_PLAN_TAKEN = gettext_lazy("该结对这一年度已有工作计划，请修改原计划。")


def _year_plan_errors(plan: PairingYearPlan) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    pairing = plan.pairing
    if plan.year is not None:
        last = pairing.end_date.year if pairing.end_date else None
        if plan.year < pairing.start_date.year or (last is not None and plan.year > last):
            errors["year"] = [
                _("年度应在结对期内（%(first)d年至%(last)s）。")
                % {
                    "first": pairing.start_date.year,
                    "last": _("%(y)d年") % {"y": last} if last is not None else _("今"),
                }
            ]
        elif (
            PairingYearPlan.objects.filter(pairing_id=plan.pairing_id, year=plan.year)
            .exclude(pk=plan.pk)
            .exists()
        ):
            errors["year"] = [str(YEAR_PLAN_TAKEN)]
    if not plan.content:
        errors.setdefault("content", []).append(_("请填写计划内容。"))
    return errors


def year_plan_record(*, user: User, pairing: Pairing, year: int, content: str) -> PairingYearPlan:
    """The yearly work plan (年度工作计划, 004) of a pairing, one a year within its span."""
    kept_require(user, "pairing")
    kept_ensure_visible(Pairing, user, pairing)
    plan = PairingYearPlan(pairing=pairing, year=year, content=_text(content))
    return kept_save(
        plan, errors=_year_plan_errors(plan), unique_error=("year", str(YEAR_PLAN_TAKEN))
    )


def year_plan_update(*, user: User, year_plan: PairingYearPlan, **changes: Any) -> PairingYearPlan:
    kept_require(user, "pairing")
    kept_ensure_visible(Pairing, user, year_plan.pairing)
    if "content" in changes:
        changes["content"] = _text(changes["content"])
    kept_apply(year_plan, changes, YEAR_PLAN_FIELDS)
    return kept_save(
        year_plan,
        errors=_year_plan_errors(year_plan),
        unique_error=("year", str(YEAR_PLAN_TAKEN)),
    )


def year_plan_delete(*, user: User, year_plan: PairingYearPlan) -> None:
    kept_require(user, "pairing")
    kept_ensure_visible(Pairing, user, year_plan.pairing)
    year_plan.delete()


# --- the units' projects and Party members' donations ---------------------------------------
PROJECT_FIELDS = {
    "pairing",
    "unit",
    "village",
    "name",
    "kind",
    "year",
    "direct_funds",
    "coordinated_funds",
    "status",
    "description",
}


def _project_errors(project: Project) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if project.year is not None and not 2000 <= project.year <= 2100:
        errors["year"] = [_("年度应在 2000 至 2100 之间。")]
    pairing = project.pairing
    if pairing is not None:
        takes_part = (
            Pairing.objects.for_unit(project.unit_id).filter(pk=pairing.pk).exists()
            if project.unit_id
            else False
        )
        if not takes_part:
            errors.setdefault("pairing", []).append(
                _("结对“%(pairing)s”不包括单位“%(unit)s”。")
                % {"pairing": pairing.name, "unit": project.unit.name if project.unit_id else ""}
            )
        elif pairing.village_id is not None and pairing.village_id != project.village_id:
            errors.setdefault("village", []).append(
                _("结对“%(pairing)s”的结对村是“%(village)s”。")
                % {"pairing": pairing.name, "village": pairing.village.name}  # type: ignore[union-attr]
            )
    return errors


def _project_scope(user: User, **objects: Any) -> None:
    kept_ensure_visible(Unit, user, objects.get("unit"))
    kept_ensure_visible(Village, user, objects.get("village"))
    kept_ensure_visible(Pairing, user, objects.get("pairing"))
    _ensure_own_unit(user, objects.get("unit"), "project")


def project_record(
    *,
    user: User,
    unit: Unit,
    village: Village,
    name: str,
    kind: str,
    year: int,
    pairing: Pairing | None = None,
    direct_funds: Decimal | None = None,
    coordinated_funds: Decimal | None = None,
    status: str = ProjectStatus.PLANNED,
    description: str = "",
) -> Project:
    """An assistance project (帮扶项目) of a unit in a village, with its direct and coordinated
    funds (001); within a pairing, one the unit leads or takes part in."""
    kept_require(user, "project")
    _project_scope(user, unit=unit, village=village, pairing=pairing)
    project = Project(
        unit=unit,
        village=village,
        pairing=pairing,
        name=_text(name),
        kind=kind,
        year=year,
        direct_funds=direct_funds if direct_funds is not None else Decimal(0),
        coordinated_funds=coordinated_funds if coordinated_funds is not None else Decimal(0),
        status=status or ProjectStatus.PLANNED,
        description=_text(description),
    )
    return kept_save(project, errors=_project_errors(project))


def project_update(*, user: User, project: Project, **changes: Any) -> Project:
    kept_require(user, "project")
    kept_ensure_visible(Project, user, project)
    _ensure_own_unit(user, project.unit, "project")
    _project_scope(user, **changes)
    for name in ("name", "description"):
        if name in changes:
            changes[name] = _text(changes[name])
    for name in ("direct_funds", "coordinated_funds"):
        if name in changes and changes[name] is None:
            changes[name] = Decimal(0)
    kept_apply(project, changes, PROJECT_FIELDS)
    return kept_save(project, errors=_project_errors(project))


def project_delete(*, user: User, project: Project) -> None:
    kept_require(user, "project")
    kept_ensure_visible(Project, user, project)
    _ensure_own_unit(user, project.unit, "project")
    kept_delete(project, end_field=None)


DONATION_FIELDS = {"unit", "organisation", "village", "donor", "amount", "donated_on"}


def _donation_errors(donation: Donation) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    entry_not_in_future(donation.donated_on, "donated_on", errors)
    org = donation.organisation
    if org is not None and org.unit_id != donation.unit_id:
        errors["organisation"] = [
            _("党组织“%(org)s”不属于单位“%(unit)s”。")
            % {"org": org.name, "unit": donation.unit.name if donation.unit_id else ""}
        ]
    return errors


def _donation_scope(user: User, **objects: Any) -> None:
    kept_ensure_visible(Unit, user, objects.get("unit"))
    kept_ensure_visible(Village, user, objects.get("village"))
    kept_ensure_visible(PartyOrganisation, user, objects.get("organisation"))
    _ensure_own_unit(user, objects.get("unit"), "donation")


def donation_record(
    *,
    user: User,
    unit: Unit,
    village: Village,
    donor: str,
    amount: Decimal,
    donated_on: datetime.date,
    organisation: PartyOrganisation | None = None,
) -> Donation:
    """A Party member's voluntary donation (自愿捐款, 000) to a village."""
    kept_require(user, "donation")
    _donation_scope(user, unit=unit, village=village, organisation=organisation)
    donation = Donation(
        unit=unit,
        village=village,
        organisation=organisation,
        donor=_text(donor),
        amount=amount,
        donated_on=donated_on,
    )
    return kept_save(donation, errors=_donation_errors(donation))


def donation_update(*, user: User, donation: Donation, **changes: Any) -> Donation:
    kept_require(user, "donation")
    kept_ensure_visible(Donation, user, donation)
    _ensure_own_unit(user, donation.unit, "donation")
    _donation_scope(user, **changes)
    if "donor" in changes:
        changes["donor"] = _text(changes["donor"])
    kept_apply(donation, changes, DONATION_FIELDS)
    return kept_save(donation, errors=_donation_errors(donation))


def donation_delete(*, user: User, donation: Donation) -> None:
    kept_require(user, "donation")
    kept_ensure_visible(Donation, user, donation)
    _ensure_own_unit(user, donation.unit, "donation")
    kept_delete(donation, end_field=None)
