"""Writes for cadres. The browser forms, the Excel import and the API all call these.

- Days in the field (驻村 / 下乡天数), which the field-day indicators count (003: township
  leaders ≥ 8 days a month in their village, county leaders ≥ 4 in their township, dispatched
  talents ≥ 2): entered work, within the edit window.
- The people and their posts, kept by their owners (core/keepers.py): cadres, terms with
  recall and replacement, work teams and members, grades, funds (reviewers); a unit's helpers
  (its coordinator); the three-person liaison, reserve cadres and talents (township staff); a
  stationed cadre's own phone and e-mail (the cadre). A record others refer to is ended with a
  date, never deleted."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cadres.models import (
    Cadre,
    CadreKind,
    FieldDay,
    Grade,
    Liaison,
    ReserveCadre,
    TalentAssignment,
    Term,
    WorkingFund,
    WorkTeam,
    WorkTeamMember,
    YearlyGrade,
)
from core.entries import (
    entry_apply_changes,
    entry_ensure_editable,
    entry_ensure_visible,
    entry_not_in_future,
    entry_require_role,
    entry_save,
)
from core.idcard import normalise_id_number
from core.keepers import may_keep
from core.kept import (
    kept_apply,
    kept_check_dates,
    kept_delete,
    kept_end,
    kept_ensure_visible,
    kept_require,
    kept_save,
)
from core.permissions import entry_author_cadre, records_own_entries
from core.scope import Role, scope_of
from pairing.models import PartyOrganisation, Unit
from villages.models import Region, Village
from villages.services import region_choices_for_field_days

if TYPE_CHECKING:
    from accounts.models import User

FIELD_DAY_FIELDS = {"cadre", "region", "day", "note"}
FIELD_DAY_TAKEN = gettext_lazy("该干部这一天已登记过在岗天数。")


def _check_region(user: User, region: Region | None) -> None:
    if region is not None and not region_choices_for_field_days(user).filter(pk=region.pk).exists():
        raise Http404


def _field_day_errors(field_day: FieldDay) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    entry_not_in_future(field_day.day, "day", errors)
    if (
        field_day.day
        and field_day.cadre_id
        and FieldDay.objects.filter(cadre_id=field_day.cadre_id, day=field_day.day)
        .exclude(pk=field_day.pk)
        .exists()
    ):
        errors.setdefault("day", []).append(str(FIELD_DAY_TAKEN))
    return errors


def field_day_record(
    *,
    user: User,
    region: Region,
    day: datetime.date,
    cadre: Cadre | None = None,
    note: str = "",
) -> FieldDay:
    """A cadre records their own days; township staff record them for cadres in their scope.
    The region is a village or township inside the user's scope."""
    entry_require_role(user)
    cadre = entry_author_cadre(user, cadre)
    errors: dict[str, list[str]] = {}
    if cadre is None:
        errors["cadre"] = [_("请选择干部。")]
    else:
        entry_ensure_visible(Cadre, user, cadre)
    _check_region(user, region)
    field_day = FieldDay(
        cadre=cadre, region=region, day=day, note=(note or "").strip(), created_by=user
    )
    if cadre is not None:
        errors.update(_field_day_errors(field_day))
    else:
        entry_not_in_future(day, "day", errors)
    return entry_save(field_day, errors=errors, unique_error=("day", str(FIELD_DAY_TAKEN)))


def field_day_update(*, user: User, field_day: FieldDay, **changes: Any) -> FieldDay:
    entry_ensure_editable(user, field_day)
    if records_own_entries(user):
        changes.pop("cadre", None)
    if changes.get("cadre") is not None:
        entry_ensure_visible(Cadre, user, changes["cadre"])
    _check_region(user, changes.get("region"))
    entry_apply_changes(field_day, changes, FIELD_DAY_FIELDS)
    return entry_save(
        field_day, errors=_field_day_errors(field_day), unique_error=("day", str(FIELD_DAY_TAKEN))
    )


def field_day_delete(*, user: User, field_day: FieldDay) -> None:
    entry_ensure_editable(user, field_day)
    field_day.delete()


# =============================================================================================
# The structure kept by its owners (issue 13): cadres and helpers, terms with recall and
# replacement, work teams and their members, yearly grades and the end-of-term assessment,
# working funds, the three-person liaison, reserve cadres and dispatched talents. Who keeps
# which is core/keepers.py; every write starts there, then scope (404 for anything outside).
# =============================================================================================

STATIONED_KINDS = {CadreKind.STATIONED, CadreKind.FIRST_SECRETARY}
CADRE_FIELDS = {
    "name",
    "kind",
    "gender",
    "id_number",
    "phone",
    "email",
    "unit",
    "party_organisation",
    "position",
    "is_party_member",
    "home_region",
    "left_on",
}
# What a stationed cadre may change of their own record (their kind, unit and terms are the
# Party-work department's).
PROFILE_FIELDS = {"phone", "email"}
# What a unit's coordinator keeps of their helpers (the unit and the kind stay).
HELPER_FIELDS = CADRE_FIELDS - {"kind", "home_region", "unit"}
ID_TAKEN = gettext_lazy("该身份证号已登记为其他干部。")
PHONE_RE = re.compile(r"^[0-9+\-() ]{7,20}$")


def _period(start: datetime.date | None, end: datetime.date | None) -> str:
    return _("%(start)s 至 %(end)s") % {
        "start": start.isoformat() if start else "—",
        "end": end.isoformat() if end else _("长期"),
    }


def _text(value: str | None) -> str:
    return (value or "").strip()


def _ensure_region(user: User, region: Region | None) -> None:
    if region is not None and not scope_of(user).regions().filter(pk=region.pk).exists():
        raise Http404


def _own_region(user: User) -> Region | None:
    """Where a cadre without a region of their own is filed, so the reviewer who entered them
    keeps seeing them (a cadre is visible by their region, unit or work)."""
    if scope_of(user).everything:
        return None
    return user.region


def _check_cadre_refs(user: User, changes: dict[str, Any]) -> None:
    kept_ensure_visible(Unit, user, changes.get("unit"))
    kept_ensure_visible(PartyOrganisation, user, changes.get("party_organisation"))
    _ensure_region(user, changes.get("home_region"))


def _cadre_errors(cadre: Cadre) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    cadre.name = _text(cadre.name)
    cadre.phone = _text(cadre.phone)
    cadre.email = _text(cadre.email)
    cadre.position = _text(cadre.position)
    if not cadre.name:
        errors["name"] = [_("请填写姓名。")]
    if cadre.phone and not PHONE_RE.match(cadre.phone):
        errors["phone"] = [_("手机号格式不正确。")]
    cadre.id_number = normalise_id_number(cadre.id_number or "") or None
    if cadre.id_number:
        other = Cadre.objects.filter(id_number=cadre.id_number).exclude(pk=cadre.pk).first()
        if other is not None:
            errors["id_number"] = [
                _("该身份证号已登记为干部“%(name)s”，请勿重复登记。") % {"name": other.name}
            ]
    if cadre.kind == CadreKind.HELPER and cadre.unit_id is None:
        errors["unit"] = [_("帮扶责任人须填写所在单位。")]
    organisation = cadre.party_organisation
    if (
        organisation is not None
        and organisation.unit_id is not None
        and cadre.unit_id is not None
        and organisation.unit_id != cadre.unit_id
    ):
        errors["party_organisation"] = [
            _("党组织“%(org)s”不属于所在单位。") % {"org": organisation.name}
        ]
    return errors


def _save_cadre(cadre: Cadre) -> Cadre:
    return kept_save(cadre, errors=_cadre_errors(cadre), unique_error=("id_number", str(ID_TAKEN)))


def _keeps_helpers_only(user: User) -> bool:
    return not may_keep(user, "cadre") and may_keep(user, "helper")


def cadre_record(
    *,
    user: User,
    name: str,
    kind: str,
    unit: Unit | None = None,
    phone: str = "",
    email: str = "",
    gender: str = "",
    id_number: str | None = None,
    party_organisation: PartyOrganisation | None = None,
    position: str = "",
    is_party_member: bool = True,
    home_region: Region | None = None,
    left_on: datetime.date | None = None,
) -> Cadre:
    """A cadre of any kind (reviewers). A unit's coordinator may enter helpers of their own
    unit here too (see helper_record)."""
    fields: dict[str, Any] = {
        "name": name,
        "unit": unit,
        "phone": phone,
        "email": email,
        "gender": gender,
        "id_number": id_number,
        "party_organisation": party_organisation,
        "position": position,
        "is_party_member": is_party_member,
        "left_on": left_on,
    }
    if _keeps_helpers_only(user):
        if kind != CadreKind.HELPER:
            raise PermissionDenied(_("您的角色只能维护本单位的帮扶责任人。"))
        return helper_record(user=user, **fields)
    kept_require(user, "cadre")
    _check_cadre_refs(user, {**fields, "home_region": home_region})
    cadre = Cadre(kind=kind, home_region=home_region or _own_region(user), **fields)
    return _save_cadre(cadre)


def cadre_update(*, user: User, cadre: Cadre, **changes: Any) -> Cadre:
    """Reviewers change any field; a coordinator their unit's helpers (helper_update); a
    stationed cadre their own phone and e-mail and nothing else (cadre_profile_update)."""
    if not may_keep(user, "cadre"):
        if may_keep(user, "helper"):
            return helper_update(user=user, helper=cadre, **changes)
        return cadre_profile_update(user=user, cadre=cadre, **changes)
    kept_require(user, "cadre")
    kept_ensure_visible(Cadre, user, cadre)
    _check_cadre_refs(user, changes)
    kept_apply(cadre, changes, CADRE_FIELDS)
    return _save_cadre(cadre)


def cadre_profile_update(*, user: User, cadre: Cadre, **changes: Any) -> Cadre:
    """A stationed cadre's own profile: phone and e-mail. Another cadre's record is not found
    (404) for them; their kind, unit and terms are refused with the reason."""
    if getattr(user, "role", None) != Role.CADRE or not user.is_active:
        kept_require(user, "cadre")  # the role keeps no cadre at all: 403
    if user.cadre_id is None or user.cadre_id != cadre.pk:
        raise Http404
    refused = sorted(set(changes) - PROFILE_FIELDS)
    if refused:
        message = _("您只能修改本人的手机号和电子邮箱；身份、单位和任期由组织部门维护。")
        raise ValidationError({name: [message] for name in refused})
    kept_apply(cadre, changes, PROFILE_FIELDS)
    return _save_cadre(cadre)


def cadre_end(*, user: User, cadre: Cadre, day: datetime.date | None) -> Cadre:
    """The cadre left (调离、离岗) on `day`: kept with everything that names them."""
    if _keeps_helpers_only(user):
        return helper_end(user=user, helper=cadre, day=day)
    kept_require(user, "cadre")
    kept_ensure_visible(Cadre, user, cadre)
    return kept_end(cadre, day, field="left_on")


def cadre_delete(*, user: User, cadre: Cadre) -> None:
    """Only a cadre nothing refers to (entered by mistake); otherwise the refusal says to fill
    in the leaving date instead."""
    if _keeps_helpers_only(user):
        return helper_delete(user=user, helper=cadre)
    kept_require(user, "cadre")
    kept_ensure_visible(Cadre, user, cadre)
    kept_delete(cadre, end_field="left_on")


# --- a unit's helpers (帮扶责任人), kept by the unit's coordinator ------------------------------
def _ensure_own_helper(user: User, helper: Cadre) -> None:
    """A helper of the user's scope and, for a coordinator, of their own unit: anything else is
    not found (a coordinator may see another unit's helper paired in a shared village)."""
    kept_ensure_visible(Cadre, user, helper)
    if helper.kind != CadreKind.HELPER:
        raise Http404
    if getattr(user, "role", None) == Role.COORDINATOR and helper.unit_id != user.unit_id:
        raise Http404


def helper_record(
    *,
    user: User,
    name: str,
    unit: Unit | None = None,
    phone: str = "",
    email: str = "",
    gender: str = "",
    id_number: str | None = None,
    party_organisation: PartyOrganisation | None = None,
    position: str = "",
    is_party_member: bool = True,
    left_on: datetime.date | None = None,
) -> Cadre:
    """A helper (Party member or cadre) of a unit. A coordinator's helpers are always of their
    own unit; reviewers name the unit."""
    kept_require(user, "helper")
    home_region = None
    if getattr(user, "role", None) == Role.COORDINATOR:
        if unit is not None and unit.pk != user.unit_id:
            raise Http404
        unit = user.unit
    else:
        kept_ensure_visible(Unit, user, unit)
        home_region = _own_region(user)
    kept_ensure_visible(PartyOrganisation, user, party_organisation)
    helper = Cadre(
        kind=CadreKind.HELPER,
        name=name,
        unit=unit,
        phone=phone,
        email=email,
        gender=gender,
        id_number=id_number,
        party_organisation=party_organisation,
        position=position,
        is_party_member=is_party_member,
        home_region=home_region,
        left_on=left_on,
    )
    return _save_cadre(helper)


def helper_update(*, user: User, helper: Cadre, **changes: Any) -> Cadre:
    kept_require(user, "helper")
    _ensure_own_helper(user, helper)
    allowed = set(HELPER_FIELDS)
    if may_keep(user, "cadre"):
        allowed.add("unit")
    elif "unit" in changes and getattr(changes["unit"], "pk", None) != helper.unit_id:
        raise ValidationError({"unit": [_("帮扶责任人的单位由组织部门调整，您不能修改。")]})
    else:
        changes.pop("unit", None)
    if "kind" in changes and changes["kind"] != helper.kind:
        raise ValidationError({"kind": [_("帮扶责任人的身份不能在这里修改。")]})
    changes.pop("kind", None)
    _check_cadre_refs(user, changes)
    kept_apply(helper, changes, allowed)
    return _save_cadre(helper)


def helper_end(*, user: User, helper: Cadre, day: datetime.date | None) -> Cadre:
    """The helper no longer serves (离岗) from `day`; their pairings stay for township staff to
    hand over."""
    kept_require(user, "helper")
    _ensure_own_helper(user, helper)
    return kept_end(helper, day, field="left_on")


def helper_delete(*, user: User, helper: Cadre) -> None:
    kept_require(user, "helper")
    _ensure_own_helper(user, helper)
    kept_delete(helper, end_field="left_on")


# --- terms (驻村任期): recall and replacement ---------------------------------------------------
TERM_FIELDS = {"cadre", "village", "role", "dispatching_unit", "start_date", "end_date"}


def _term_last_day(term: Term) -> datetime.date | None:
    if term.recalled_on is not None:
        return term.recalled_on - datetime.timedelta(days=1)
    return term.end_date


def _describe_term(term: Term) -> str:
    return _("%(cadre)s在%(village)s任%(role)s（%(period)s）") % {
        "cadre": term.cadre.name,
        "village": term.village.name,
        "role": term.get_role_display(),
        "period": _period(term.start_date, _term_last_day(term)),
    }


def _term_errors(term: Term) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if term.start_date is None:
        errors["start_date"] = [_("请填写任期开始日期。")]
    if term.end_date is None:
        errors["end_date"] = [_("请填写任期结束日期。")]
    if term.start_date and term.end_date and term.end_date < term.start_date:
        errors["end_date"] = [
            _("任期结束日期（%(end)s）不能早于开始日期（%(start)s）。")
            % {"end": term.end_date.isoformat(), "start": term.start_date.isoformat()}
        ]
    if term.cadre_id is not None and term.cadre.kind not in STATIONED_KINDS:
        errors.setdefault("cadre", []).append(
            _("只有驻村干部或第一书记有驻村任期；“%(name)s”的身份是%(kind)s。")
            % {"name": term.cadre.name, "kind": term.cadre.get_kind_display()}
        )
    last = _term_last_day(term)
    if term.cadre_id is not None and term.start_date and last and last >= term.start_date:
        clash = (
            Term.objects.filter(cadre_id=term.cadre_id, role=term.role)
            .exclude(pk=term.pk)
            .overlapping(term.start_date, last)
            .select_related("cadre", "village")
            .first()
        )
        if clash is not None:
            errors.setdefault("start_date", []).append(
                _("同一干部同一时间只能有一个%(role)s任期，与已有任期重叠：%(term)s。")
                % {"role": term.get_role_display(), "term": _describe_term(clash)}
            )
    return errors


def _check_term_refs(user: User, changes: dict[str, Any]) -> None:
    kept_ensure_visible(Cadre, user, changes.get("cadre"))
    kept_ensure_visible(Village, user, changes.get("village"))
    kept_ensure_visible(Unit, user, changes.get("dispatching_unit"))


def term_record(
    *,
    user: User,
    cadre: Cadre,
    village: Village,
    role: str,
    start_date: datetime.date,
    end_date: datetime.date,
    dispatching_unit: Unit | None = None,
) -> Term:
    """A stationed cadre's or first secretary's term in a village (the dispatching unit is the
    cadre's unit unless named)."""
    kept_require(user, "term")
    _check_term_refs(
        user, {"cadre": cadre, "village": village, "dispatching_unit": dispatching_unit}
    )
    term = Term(
        cadre=cadre,
        village=village,
        role=role,
        dispatching_unit=dispatching_unit or (cadre.unit if cadre is not None else None),
        start_date=start_date,
        end_date=end_date,
    )
    return kept_save(term, errors=_term_errors(term))


def term_update(*, user: User, term: Term, **changes: Any) -> Term:
    kept_require(user, "term")
    kept_ensure_visible(Term, user, term)
    _check_term_refs(user, changes)
    kept_apply(term, changes, TERM_FIELDS)
    if term.recalled_on is not None and term.end_date != term.recalled_on:
        raise ValidationError(
            {
                "end_date": [
                    _("该任期已于%(day)s召回，结束日期即召回日期。")
                    % {"day": term.recalled_on.isoformat()}
                ]
            }
        )
    return kept_save(term, errors=_term_errors(term))


def term_recall(*, user: User, term: Term, day: datetime.date | None, reason: str = "") -> Term:
    """Recall (召回): the term ends on the recall day, with the reason; both are required."""
    kept_require(user, "term")
    kept_ensure_visible(Term, user, term)
    errors: dict[str, list[str]] = {}
    reason = _text(reason)
    if term.recalled_on is not None:
        raise ValidationError(
            {"day": [_("该任期已于%(day)s召回。") % {"day": term.recalled_on.isoformat()}]}
        )
    if day is None:
        errors["day"] = [_("请填写召回日期。")]
    elif day < term.start_date:
        errors["day"] = [
            _("召回日期不能早于任期开始（%(start)s）。") % {"start": term.start_date.isoformat()}
        ]
    elif day > term.end_date:
        errors["day"] = [
            _("任期已于%(end)s结束，不能在此之后召回。") % {"end": term.end_date.isoformat()}
        ]
    if not reason:
        errors["reason"] = [_("请填写召回原因。")]
    if errors or day is None:
        raise ValidationError(errors)
    term.recalled_on = day
    term.recall_reason = reason[:300]
    term.end_date = day
    return kept_save(term)


def term_replace(
    *,
    user: User,
    term: Term,
    cadre: Cadre,
    day: datetime.date | None,
    reason: str = "",
    end_date: datetime.date | None = None,
    dispatching_unit: Unit | None = None,
) -> Term:
    """Cadre B replaces the cadre of `term` (A) from `day`, approved by the reviewer recording
    it: A's term ends the day before (a recalled term keeps its recall), B's term starts on
    `day` in the same village and post, to `end_date` (default: A's planned end), and the two
    are linked. Returns B's term."""
    kept_require(user, "term")
    kept_ensure_visible(Term, user, term)
    _check_term_refs(user, {"cadre": cadre, "dispatching_unit": dispatching_unit})
    errors: dict[str, list[str]] = {}
    successor = Term.objects.filter(replaces=term).select_related("cadre", "village").first()
    if successor is not None:
        raise ValidationError(
            {"cadre": [_("该任期已由%(term)s接替。") % {"term": _describe_term(successor)}]}
        )
    if cadre is None:
        errors["cadre"] = [_("请选择接替的干部。")]
    elif cadre.pk == term.cadre_id:
        errors["cadre"] = [_("接替人不能是原任干部本人。")]
    planned_end = term.end_date
    if day is None:
        errors["day"] = [_("请填写接替日期。")]
    elif term.recalled_on is not None:
        if day < term.recalled_on:
            errors["day"] = [
                _("原任期已于%(day)s召回，接替日期不能早于召回日期。")
                % {"day": term.recalled_on.isoformat()}
            ]
    elif day <= term.start_date:
        errors["day"] = [
            _("接替日期应晚于原任期开始（%(start)s）。") % {"start": term.start_date.isoformat()}
        ]
    elif day > term.end_date + datetime.timedelta(days=1):
        errors["day"] = [
            _("原任期已于%(end)s结束，无需接替；请直接为新干部登记任期。")
            % {"end": term.end_date.isoformat()}
        ]
    if errors:
        raise ValidationError(errors)
    assert day is not None and cadre is not None
    new_end = end_date or planned_end
    new_term = Term(
        cadre=cadre,
        village=term.village,
        role=term.role,
        dispatching_unit=dispatching_unit or cadre.unit or term.dispatching_unit,
        start_date=day,
        end_date=new_end,
        replaces=term,
        replacement_reason=_text(reason)[:300],
        approved_by=user,
    )
    with transaction.atomic():
        if term.recalled_on is None and term.end_date >= day:
            term.end_date = day - datetime.timedelta(days=1)
            kept_save(term, errors=_term_errors(term))
        errors = _term_errors(new_term)
        if new_end is not None and new_end < day:
            errors["end_date"] = [_("新任期的结束日期不能早于接替日期。")]
        return kept_save(new_term, errors=errors)


def term_assess(*, user: User, term: Term, grade: str, note: str = "") -> Term:
    """The end-of-term assessment (期满考核): one of the four grades, with a remark."""
    kept_require(user, "term")
    kept_ensure_visible(Term, user, term)
    if grade not in Grade.values:
        raise ValidationError({"assessment": [_("请选择期满考核等次。")]})
    if term.start_date > timezone.localdate():
        raise ValidationError({"assessment": [_("任期尚未开始，不能进行期满考核。")]})
    term.assessment = grade
    term.assessment_note = _text(note)[:300]
    return kept_save(term)


def term_delete(*, user: User, term: Term) -> None:
    kept_require(user, "term")
    kept_ensure_visible(Term, user, term)
    kept_delete(term, end_field="end_date")


# --- work teams (驻村工作队) and their members -------------------------------------------------
TEAM_FIELDS = {"name", "dispatching_unit", "start_date", "end_date", "villages"}
MEMBER_FIELDS = {"role", "start_date", "end_date"}


def _describe_membership(member: WorkTeamMember) -> str:
    return _("工作队“%(team)s”（%(period)s）") % {
        "team": member.team.name,
        "period": _period(member.first_day(), member.last_day()),
    }


def _member_errors(member: WorkTeamMember, team: WorkTeam | None = None) -> dict[str, list[str]]:
    """A member's own dates lie within the team's; a cadre is in one team at a time; a team has
    one leader at a time. `team` is the team as it is about to be saved (its dates changing)."""
    team = team or member.team
    errors: dict[str, list[str]] = {}
    cadre = member.cadre
    if cadre.kind not in STATIONED_KINDS:
        errors["cadre"] = [
            _("只有驻村干部或第一书记可以加入驻村工作队；“%(name)s”的身份是%(kind)s。")
            % {"name": cadre.name, "kind": cadre.get_kind_display()}
        ]
    first = member.start_date or team.start_date
    last = member.end_date or team.end_date
    if member.start_date and member.start_date < team.start_date:
        errors["start_date"] = [
            _("入队日期不能早于工作队进驻日期（%(day)s）。") % {"day": team.start_date.isoformat()}
        ]
    if member.end_date and team.end_date and member.end_date > team.end_date:
        errors["end_date"] = [
            _("离队日期不能晚于工作队期满日期（%(day)s）。") % {"day": team.end_date.isoformat()}
        ]
    if first and last and last < first:
        errors.setdefault("end_date", []).append(_("离队日期不能早于入队日期。"))
        return errors
    if first is None:
        return errors
    until = last or datetime.date.max
    same_team = WorkTeamMember.objects.filter(team_id=team.pk, cadre_id=cadre.pk).exclude(
        pk=member.pk
    )
    if team.pk is not None and same_team.exists():
        errors.setdefault("cadre", []).append(
            _("“%(name)s”已是本工作队成员。") % {"name": cadre.name}
        )
    clash = (
        WorkTeamMember.objects.filter(cadre_id=cadre.pk)
        .exclude(pk=member.pk)
        .exclude(team_id=team.pk)
        .overlapping(first, until)
        .select_related("team")
        .first()
    )
    if clash is not None:
        errors.setdefault("cadre", []).append(
            _("“%(name)s”同一时间只能在一个工作队，与%(other)s重叠。")
            % {"name": cadre.name, "other": _describe_membership(clash)}
        )
    if member.role == WorkTeamMember.TeamRole.LEADER and team.pk is not None:
        leader = (
            WorkTeamMember.objects.filter(team_id=team.pk, role=WorkTeamMember.TeamRole.LEADER)
            .exclude(pk=member.pk)
            .filter(Q(start_date__isnull=True) | Q(start_date__lte=until))
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
            .select_related("cadre")
            .first()
        )
        if leader is not None:
            errors.setdefault("role", []).append(
                _(
                    "工作队同一时间只有一名队长，“%(name)s”已是队长；请先为其填写离队日期或改为队员。"
                )
                % {"name": leader.cadre.name}
            )
    return errors


def _team_errors(
    user: User, team: WorkTeam, villages: Iterable[Village] | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    team.name = _text(team.name)
    if not team.name:
        errors["name"] = [_("请填写工作队名称。")]
    elif WorkTeam.objects.visible_to(user).filter(name=team.name).exclude(pk=team.pk).exists():
        errors["name"] = [_("已有同名工作队“%(name)s”，请换一个名称。") % {"name": team.name}]
    if team.start_date is None:
        errors["start_date"] = [_("请填写进驻日期。")]
    kept_check_dates(team, errors)
    if villages is not None and not list(villages):
        errors["villages"] = [_("请选择工作队所驻的村。")]
    if team.pk is not None and team.start_date and not errors.get("end_date"):
        for member in team.members.select_related("cadre"):
            member.team = team
            for name, messages in _member_errors(member, team).items():
                target = "start_date" if name == "start_date" else "end_date"
                if name in ("cadre", "role"):
                    target = "__all__"
                errors.setdefault(target, []).extend(
                    f"{member.cadre.name}：{message}" for message in messages
                )
    return errors


def _ensure_villages(user: User, villages: Iterable[Village] | None) -> list[Village] | None:
    if villages is None:
        return None
    villages = list(villages)
    for village in villages:
        kept_ensure_visible(Village, user, village)
    return villages


def work_team_record(
    *,
    user: User,
    name: str,
    start_date: datetime.date,
    villages: Iterable[Village],
    dispatching_unit: Unit | None = None,
    end_date: datetime.date | None = None,
) -> WorkTeam:
    """A village work team and the villages it serves (004: three cadres for two villages)."""
    kept_require(user, "work_team")
    kept_ensure_visible(Unit, user, dispatching_unit)
    serving = _ensure_villages(user, villages) or []
    team = WorkTeam(
        name=name, dispatching_unit=dispatching_unit, start_date=start_date, end_date=end_date
    )
    return kept_save(team, errors=_team_errors(user, team, serving), many={"villages": serving})


def work_team_update(*, user: User, work_team: WorkTeam, **changes: Any) -> WorkTeam:
    kept_require(user, "work_team")
    kept_ensure_visible(WorkTeam, user, work_team)
    kept_ensure_visible(Unit, user, changes.get("dispatching_unit"))
    serving = _ensure_villages(user, changes.pop("villages", None))
    kept_apply(work_team, changes, TEAM_FIELDS - {"villages"})
    return kept_save(
        work_team,
        errors=_team_errors(user, work_team, serving),
        many={"villages": serving} if serving is not None else None,
    )


def work_team_end(*, user: User, work_team: WorkTeam, day: datetime.date | None) -> WorkTeam:
    """The team's stay ends on `day` (its members with it)."""
    kept_require(user, "work_team")
    kept_ensure_visible(WorkTeam, user, work_team)
    if day is None:
        raise ValidationError({"end_date": [_("请填写结束日期。")]})
    work_team.end_date = day
    with transaction.atomic():
        # Members who were to stay longer leave with the team (saved one by one: each change
        # lands in the member's history).
        staying = work_team.members.filter(end_date__gt=day).filter(
            Q(start_date__isnull=True) | Q(start_date__lte=day)
        )
        for member in staying:
            member.end_date = day
            member.save(update_fields=["end_date"])
        return kept_save(work_team, errors=_team_errors(user, work_team, None))


def work_team_delete(*, user: User, work_team: WorkTeam) -> None:
    kept_require(user, "work_team")
    kept_ensure_visible(WorkTeam, user, work_team)
    kept_delete(work_team, end_field="end_date")


def work_team_member_record(
    *,
    user: User,
    team: WorkTeam,
    cadre: Cadre,
    role: str = WorkTeamMember.TeamRole.MEMBER,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
) -> WorkTeamMember:
    """A cadre joins a team (from its start, or `start_date`); not while in another team."""
    kept_require(user, "work_team")
    kept_ensure_visible(WorkTeam, user, team)
    kept_ensure_visible(Cadre, user, cadre)
    member = WorkTeamMember(
        team=team,
        cadre=cadre,
        role=role or WorkTeamMember.TeamRole.MEMBER,
        start_date=start_date,
        end_date=end_date,
    )
    return kept_save(
        member,
        errors=_member_errors(member),
        unique_error=("role", _("工作队同一时间只有一名队长。")),
    )


def work_team_member_update(
    *, user: User, member: WorkTeamMember, **changes: Any
) -> WorkTeamMember:
    kept_require(user, "work_team")
    kept_ensure_visible(WorkTeamMember, user, member)
    kept_apply(member, changes, MEMBER_FIELDS)
    return kept_save(
        member,
        errors=_member_errors(member),
        unique_error=("role", _("工作队同一时间只有一名队长。")),
    )


def work_team_member_end(
    *, user: User, member: WorkTeamMember, day: datetime.date | None
) -> WorkTeamMember:
    """The cadre leaves the team on `day` (the last day in the team)."""
    kept_require(user, "work_team")
    kept_ensure_visible(WorkTeamMember, user, member)
    if day is None:
        raise ValidationError({"end_date": [_("请填写离队日期。")]})
    member.end_date = day
    return kept_save(member, errors=_member_errors(member))


def work_team_member_delete(*, user: User, member: WorkTeamMember) -> None:
    """A membership entered by mistake (leaving is an end date)."""
    kept_require(user, "work_team")
    kept_ensure_visible(WorkTeamMember, user, member)
    kept_delete(member, end_field="end_date")


# --- yearly grades (年度考核) and working funds (工作经费) -------------------------------------
GRADE_FIELDS = {"year", "grade"}
FUND_FIELDS = {"year", "amount", "source", "granted_on"}


def _year_errors(year: int | None, errors: dict[str, list[str]]) -> None:
    this_year = timezone.localdate().year
    if year is None:
        errors["year"] = [_("请填写年度。")]
    elif not 2000 <= year <= this_year + 1:
        errors["year"] = [_("年度应在 2000 至 %(last)d 之间。") % {"last": this_year + 1}]


def _grade_errors(grade: YearlyGrade) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    _year_errors(grade.year, errors)
    if grade.year and not errors:
        other = (
            YearlyGrade.objects.filter(cadre_id=grade.cadre_id, year=grade.year)
            .exclude(pk=grade.pk)
            .first()
        )
        if other is not None:
            errors["year"] = [
                _("%(cadre)s %(year)d 年度已评定为“%(grade)s”，每年一条，请修改该记录。")
                % {
                    "cadre": grade.cadre.name,
                    "year": grade.year,
                    "grade": other.get_grade_display(),
                }
            ]
    return errors


GRADE_TAKEN = gettext_lazy("该干部该年度已有考核等次。")


def yearly_grade_record(*, user: User, cadre: Cadre, year: int, grade: str) -> YearlyGrade:
    """A cadre's yearly assessment grade (001: 优秀 / 称职 / 基本称职 / 不称职), one a year."""
    kept_require(user, "yearly_grade")
    kept_ensure_visible(Cadre, user, cadre)
    row = YearlyGrade(cadre=cadre, year=year, grade=grade)
    return kept_save(row, errors=_grade_errors(row), unique_error=("year", str(GRADE_TAKEN)))


def yearly_grade_update(*, user: User, yearly_grade: YearlyGrade, **changes: Any) -> YearlyGrade:
    kept_require(user, "yearly_grade")
    kept_ensure_visible(YearlyGrade, user, yearly_grade)
    kept_apply(yearly_grade, changes, GRADE_FIELDS)
    return kept_save(
        yearly_grade,
        errors=_grade_errors(yearly_grade),
        unique_error=("year", str(GRADE_TAKEN)),
    )


def yearly_grade_delete(*, user: User, yearly_grade: YearlyGrade) -> None:
    kept_require(user, "yearly_grade")
    kept_ensure_visible(YearlyGrade, user, yearly_grade)
    kept_delete(yearly_grade, end_field=None)


def _fund_errors(fund: WorkingFund) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    _year_errors(fund.year, errors)
    fund.source = _text(fund.source)
    if fund.amount is not None and fund.amount < 0:
        errors["amount"] = [_("金额不能为负数。")]
    return errors


def working_fund_record(
    *,
    user: User,
    cadre: Cadre,
    year: int,
    amount: Decimal,
    source: str = "",
    granted_on: datetime.date | None = None,
) -> WorkingFund:
    """Working funds granted to a first secretary in a year (002: at least 10,000 yuan); a
    year may have several grants."""
    kept_require(user, "working_fund")
    kept_ensure_visible(Cadre, user, cadre)
    fund = WorkingFund(cadre=cadre, year=year, amount=amount, source=source, granted_on=granted_on)
    return kept_save(fund, errors=_fund_errors(fund))


def working_fund_update(*, user: User, fund: WorkingFund, **changes: Any) -> WorkingFund:
    kept_require(user, "working_fund")
    kept_ensure_visible(WorkingFund, user, fund)
    kept_apply(fund, changes, FUND_FIELDS)
    return kept_save(fund, errors=_fund_errors(fund))


def working_fund_delete(*, user: User, fund: WorkingFund) -> None:
    kept_require(user, "working_fund")
    kept_ensure_visible(WorkingFund, user, fund)
    kept_delete(fund, end_field=None)


# --- the three-person liaison (三人联络) ------------------------------------------------------
LIAISON_FIELDS = {"name", "phone", "cadre", "unit"}
LIAISON_TAKEN = gettext_lazy("该村已有这一联络角色。")


def _liaison_errors(liaison: Liaison) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not _text(liaison.name) and liaison.cadre is not None:
        liaison.name = liaison.cadre.name
    if not _text(liaison.phone) and liaison.cadre is not None:
        liaison.phone = liaison.cadre.phone
    liaison.name, liaison.phone = _text(liaison.name), _text(liaison.phone)
    if not liaison.name:
        errors["name"] = [_("请填写联络人姓名，或选择对应干部。")]
    if liaison.phone and not PHONE_RE.match(liaison.phone):
        errors["phone"] = [_("电话格式不正确。")]
    if (
        liaison.role == Liaison.LiaisonRole.CADRE
        and liaison.cadre is not None
        and liaison.cadre.kind not in STATIONED_KINDS
    ):
        errors["cadre"] = [_("派驻干部联络人应是驻村干部或第一书记。")]
    other = (
        Liaison.objects.filter(village_id=liaison.village_id, role=liaison.role)
        .exclude(pk=liaison.pk)
        .first()
    )
    if other is not None:
        errors["role"] = [
            _("%(village)s已有%(role)s“%(name)s”；每村每种联络人一名，请修改该记录。")
            % {
                "village": liaison.village.name,
                "role": other.get_role_display(),
                "name": other.name,
            }
        ]
    return errors


def liaison_record(
    *,
    user: User,
    village: Village,
    role: str,
    name: str = "",
    phone: str = "",
    cadre: Cadre | None = None,
    unit: Unit | None = None,
) -> Liaison:
    """One of a paired village's three liaisons (000): the village liaison named by the branch,
    the stationed-cadre liaison and the enterprise coordinator."""
    kept_require(user, "liaison")
    kept_ensure_visible(Village, user, village)
    kept_ensure_visible(Cadre, user, cadre)
    kept_ensure_visible(Unit, user, unit)
    liaison = Liaison(village=village, role=role, name=name, phone=phone, cadre=cadre, unit=unit)
    return kept_save(
        liaison, errors=_liaison_errors(liaison), unique_error=("role", str(LIAISON_TAKEN))
    )


def liaison_update(*, user: User, liaison: Liaison, **changes: Any) -> Liaison:
    kept_require(user, "liaison")
    kept_ensure_visible(Liaison, user, liaison)
    kept_ensure_visible(Cadre, user, changes.get("cadre"))
    kept_ensure_visible(Unit, user, changes.get("unit"))
    kept_apply(liaison, changes, LIAISON_FIELDS)
    return kept_save(
        liaison, errors=_liaison_errors(liaison), unique_error=("role", str(LIAISON_TAKEN))
    )


def liaison_delete(*, user: User, liaison: Liaison) -> None:
    kept_require(user, "liaison")
    kept_ensure_visible(Liaison, user, liaison)
    kept_delete(liaison, end_field=None)


# --- reserve cadres (村级后备干部, 一人一档) ----------------------------------------------------
RESERVE_FIELDS = {
    "name",
    "gender",
    "birth_year",
    "education",
    "is_party_member",
    "strengths",
    "file_notes",
    "added_on",
    "left_on",
}


def _reserve_errors(reserve: ReserveCadre) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    reserve.name = _text(reserve.name)
    if not reserve.name:
        errors["name"] = [_("请填写姓名。")]
    this_year = timezone.localdate().year
    if (
        reserve.birth_year is not None
        and not this_year - 80 <= reserve.birth_year <= this_year - 16
    ):
        errors["birth_year"] = [
            _("出生年份应在 %(first)d 至 %(last)d 之间。")
            % {"first": this_year - 80, "last": this_year - 16}
        ]
    if reserve.added_on is None:
        errors["added_on"] = [_("请填写纳入日期。")]
    elif reserve.left_on is not None and reserve.left_on < reserve.added_on:
        errors["left_on"] = [_("退出日期不能早于纳入日期。")]
    if reserve.name and reserve.left_on is None:
        other = (
            ReserveCadre.objects.filter(
                village_id=reserve.village_id, name=reserve.name, left_on__isnull=True
            )
            .exclude(pk=reserve.pk)
            .first()
        )
        if other is not None:
            errors["name"] = [
                _("%(village)s已有在册后备干部“%(name)s”（%(day)s纳入），请修改该档案。")
                % {
                    "village": reserve.village.name,
                    "name": other.name,
                    "day": other.added_on.isoformat(),
                }
            ]
    return errors


def reserve_cadre_record(
    *,
    user: User,
    village: Village,
    name: str,
    added_on: datetime.date,
    gender: str = "",
    birth_year: int | None = None,
    education: str = "",
    is_party_member: bool = False,
    strengths: str = "",
    file_notes: str = "",
    left_on: datetime.date | None = None,
) -> ReserveCadre:
    """A reserve cadre's file (一人一档) in a village of the township (under 35 preferred)."""
    kept_require(user, "reserve_cadre")
    kept_ensure_visible(Village, user, village)
    reserve = ReserveCadre(
        village=village,
        name=name,
        added_on=added_on,
        gender=gender,
        birth_year=birth_year,
        education=_text(education),
        is_party_member=is_party_member,
        strengths=_text(strengths),
        file_notes=file_notes or "",
        left_on=left_on,
    )
    return kept_save(reserve, errors=_reserve_errors(reserve))


def reserve_cadre_update(*, user: User, reserve: ReserveCadre, **changes: Any) -> ReserveCadre:
    kept_require(user, "reserve_cadre")
    kept_ensure_visible(ReserveCadre, user, reserve)
    kept_apply(reserve, changes, RESERVE_FIELDS)
    return kept_save(reserve, errors=_reserve_errors(reserve))


def reserve_cadre_end(
    *, user: User, reserve: ReserveCadre, day: datetime.date | None
) -> ReserveCadre:
    """Taken off the reserve list on `day` (the file stays)."""
    kept_require(user, "reserve_cadre")
    kept_ensure_visible(ReserveCadre, user, reserve)
    if day is None:
        raise ValidationError({"left_on": [_("请填写退出日期。")]})
    reserve.left_on = day
    return kept_save(reserve, errors=_reserve_errors(reserve))


def reserve_cadre_delete(*, user: User, reserve: ReserveCadre) -> None:
    kept_require(user, "reserve_cadre")
    kept_ensure_visible(ReserveCadre, user, reserve)
    kept_delete(reserve, end_field="left_on")


# --- dispatched talents (人才挂钩 / 人才下派) -------------------------------------------------
TALENT_FIELDS = {"specialty", "start_date", "end_date"}


def _talent_errors(talent: TalentAssignment) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    talent.specialty = _text(talent.specialty)
    if not talent.specialty:
        errors["specialty"] = [_("请填写专业领域。")]
    if talent.start_date is None:
        errors["start_date"] = [_("请填写开始日期。")]
    kept_check_dates(talent, errors)
    cadre = talent.cadre
    if cadre.kind != CadreKind.TALENT:
        errors.setdefault("cadre", []).append(
            _("“%(name)s”的身份是%(kind)s，不是下派专业人才。")
            % {"name": cadre.name, "kind": cadre.get_kind_display()}
        )
    if talent.start_date and not errors.get("end_date"):
        clash = (
            TalentAssignment.objects.filter(cadre_id=cadre.pk, village_id=talent.village_id)
            .exclude(pk=talent.pk)
            .overlapping(talent.start_date, talent.end_date or datetime.date.max)
            .first()
        )
        if clash is not None:
            errors.setdefault("start_date", []).append(
                _("“%(name)s”在%(village)s已有挂钩记录（%(period)s），时间重叠。")
                % {
                    "name": cadre.name,
                    "village": talent.village.name,
                    "period": _period(clash.start_date, clash.end_date),
                }
            )
    return errors


def talent_assignment_record(
    *,
    user: User,
    village: Village,
    specialty: str,
    start_date: datetime.date,
    cadre: Cadre | None = None,
    name: str = "",
    phone: str = "",
    unit: Unit | None = None,
    end_date: datetime.date | None = None,
) -> TalentAssignment:
    """A professional talent dispatched to a village: an existing talent (`cadre`), or a new
    one entered with the assignment (`name`, `phone`, `unit`), filed under the village."""
    kept_require(user, "talent")
    kept_ensure_visible(Village, user, village)
    kept_ensure_visible(Cadre, user, cadre)
    kept_ensure_visible(Unit, user, unit)
    with transaction.atomic():
        if cadre is None:
            if not _text(name):
                raise ValidationError({"cadre": [_("请选择人才，或填写新人才的姓名。")]})
            cadre = Cadre(
                kind=CadreKind.TALENT,
                name=name,
                phone=phone,
                unit=unit,
                home_region=village.region,
                is_party_member=False,
            )
            _save_cadre(cadre)
        talent = TalentAssignment(
            cadre=cadre,
            village=village,
            specialty=specialty,
            start_date=start_date,
            end_date=end_date,
        )
        return kept_save(talent, errors=_talent_errors(talent))


def talent_assignment_update(
    *, user: User, talent: TalentAssignment, **changes: Any
) -> TalentAssignment:
    kept_require(user, "talent")
    kept_ensure_visible(TalentAssignment, user, talent)
    kept_apply(talent, changes, TALENT_FIELDS)
    return kept_save(talent, errors=_talent_errors(talent))


def talent_assignment_end(
    *, user: User, talent: TalentAssignment, day: datetime.date | None
) -> TalentAssignment:
    kept_require(user, "talent")
    kept_ensure_visible(TalentAssignment, user, talent)
    if day is None:
        raise ValidationError({"end_date": [_("请填写结束日期。")]})
    talent.end_date = day
    return kept_save(talent, errors=_talent_errors(talent))


def talent_assignment_delete(*, user: User, talent: TalentAssignment) -> None:
    kept_require(user, "talent")
    kept_ensure_visible(TalentAssignment, user, talent)
    kept_delete(talent, end_field="end_date")
