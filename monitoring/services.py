"""Writes of monitoring against relapse. The pages, the API (and later the imports) call these,
so the rules cannot drift apart: who may do each step (the role rules below), scope (an object
outside it is a 404 and nothing is written), the order of the steps, the notice minimums, the
conditions of a risk removal and the deadlines' stored days (monitoring/selectors.py).

Who does what (DOMAIN.md "After 2020", issue 14): township staff run the steps for their
township; stationed cadres raise clues and record home checks for their villages; county
reviewers decide and keep the monitoring range of their region; administrators may do all.
Each rule is one entry of core.keepers.KEEPERS (the monitoring kinds) and one small `may_*`
function here."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.keepers import ACTION_LABELS, may_keep
from core.kept import kept_apply, kept_ensure_visible, kept_save
from households.models import REGISTERED_STATUSES, Household, Member
from households.services import photo_reencode
from monitoring import selectors
from monitoring.models import (
    DEVELOPMENT_MEASURES,
    OPEN_CASE_STATUSES,
    PROCEDURE_STEPS,
    CaseStatus,
    Category,
    ClueChannel,
    ClueOutcome,
    Department,
    HouseholdFinance,
    HouseholdReview,
    LabourCapacity,
    MeasureKind,
    MeasureStatus,
    MonitoringCase,
    MonitoringMeasure,
    MonitoringRange,
    MonitoringStep,
    Procedure,
    PublicNotice,
    RemovalKind,
    RemovalStatus,
    ReviewFollowup,
    ReviewOutcome,
    RigidExpenseState,
    RiskClue,
    RiskRemoval,
    RiskType,
    StepKind,
    step_label,
)
from villages.models import Region, RegionLevel, Village

if TYPE_CHECKING:
    from accounts.models import User

# --- who may do what -------------------------------------------------------------------------
# The roles of each kind of monitoring work are core.keepers' (MONITORING entries): one rule.
# Which rule each step follows.
STEP_RULES: dict[str, str] = {
    StepKind.HOME_CHECK: "home_check",
    StepKind.DATA_COMPARISON: "data_comparison",
    StepKind.APPRAISAL: "village_appraisal",
    StepKind.TOWNSHIP_REVIEW: "township_review",
    StepKind.COUNTY_DECISION: "county_decision",
}


def may_monitor(user: Any, kind: str) -> bool:
    """Whether the user's role does this kind of monitoring work (scope decides where)."""
    return may_keep(user, kind)


def refusal_message(kind: str) -> str:
    return _("您的角色不能%(action)s。") % {"action": ACTION_LABELS[kind]}


def require_monitor(user: Any, kind: str) -> None:
    """Refuse (403, in Chinese) a role that does not do this kind of work."""
    if not may_keep(user, kind):
        raise PermissionDenied(refusal_message(kind))


def may_keep_range(user: Any) -> bool:
    return may_monitor(user, "monitoring_range")


def may_record_clue(user: Any) -> bool:
    return may_monitor(user, "risk_clue")


def may_accept_clue(user: Any) -> bool:
    return may_monitor(user, "clue_acceptance")


def may_decide_clue(user: Any) -> bool:
    return may_monitor(user, "clue_decision")


def may_open_case(user: Any) -> bool:
    return may_monitor(user, "monitoring_case")


def may_run_step(user: Any, kind: str) -> bool:
    """Whether the user records this step (of an identification or of a risk removal)."""
    return may_monitor(user, STEP_RULES[kind])


def stop_rule(kind: str) -> str:
    """Who may end a procedure at a step ("not identified", a removal not passed): the county
    at its decision, the township at its review, and before that the township (a stationed
    cadre records the home check but does not decide)."""
    if kind == StepKind.COUNTY_DECISION:
        return "county_decision"
    if kind == StepKind.TOWNSHIP_REVIEW:
        return "township_review"
    return "clue_decision"


def may_stop_at(user: Any, kind: str) -> bool:
    return may_monitor(user, stop_rule(kind))


def _require_some_stop_rule(user: Any) -> None:
    """A procedure that has ended answers a role that could never end one with a 403."""
    if not any(may_stop_at(user, kind) for kind in STEP_RULES):
        require_monitor(user, "clue_decision")


def may_keep_notices(user: Any) -> bool:
    return may_monitor(user, "public_notice")


def may_keep_measures(user: Any) -> bool:
    return may_monitor(user, "monitoring_measure")


def may_keep_finances(user: Any) -> bool:
    return may_monitor(user, "monitoring_finance")


def may_propose_removal(user: Any) -> bool:
    return may_monitor(user, "risk_removal")


# --- shared checks ------------------------------------------------------------------------------
def _today() -> datetime.date:
    return timezone.localdate()


def _check_day(
    day: datetime.date | None,
    name: str,
    errors: dict[str, list[str]],
    *,
    not_before: datetime.date | None = None,
    before_label: str = "",
) -> None:
    if day is None:
        errors.setdefault(name, []).append(_("请填写日期。"))
        return
    if day > _today():
        errors.setdefault(name, []).append(_("日期不能晚于今天。"))
    elif day < datetime.date(2015, 1, 1):
        errors.setdefault(name, []).append(_("日期不合理。"))
    elif not_before is not None and day < not_before:
        errors.setdefault(name, []).append(
            _("日期不能早于%(what)s（%(day)s）。")
            % {"what": before_label, "day": not_before.isoformat()}
        )


def _text(value: str | None) -> str:
    return (value or "").strip()


NAME_SEPARATORS = re.compile(r"[、，,;；/\s]+")


def checker_names(value: str) -> list[str]:
    """The people of a step, typed as names separated by 、 (or commas, spaces)."""
    return [name for name in NAME_SEPARATORS.split(value or "") if name]


DOCUMENT_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "MPO", "HEIF"}


def document_check(upload: File[bytes]) -> File[bytes]:
    """A signed document as uploaded: a photo (re-encoded: no EXIF location, no trailing
    bytes) or a PDF, within UPLOAD_MAX_BYTES; named from its content, never the uploader's."""
    limit = settings.UPLOAD_MAX_BYTES
    name = upload.name or "document"
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            {
                "document": [
                    _("文件“%(name)s”超过 %(mb)d MB，请压缩后再上传。")
                    % {"name": name, "mb": limit // (1024 * 1024)}
                ]
            }
        )
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        upload.name = "document.pdf"
        return upload
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image_format = image.format
                image.verify()
            if image_format not in DOCUMENT_IMAGE_FORMATS:
                raise ValueError(image_format)
            upload.seek(0)
            with Image.open(upload) as image:
                content, suffix = photo_reencode(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            {"document": [_("图片“%(name)s”的像素尺寸过大，请压缩后再上传。") % {"name": name}]}
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            {
                "document": [
                    _("文件“%(name)s”不是 JPG、PNG、WEBP 图片或 PDF 文件。") % {"name": name}
                ]
            }
        ) from exc
    finally:
        upload.seek(0)
    return ContentFile(content, name=f"document.{suffix}")


# --- the monitoring range ---------------------------------------------------------------------
RANGE_LEVELS = (RegionLevel.PROVINCE, RegionLevel.PREFECTURE, RegionLevel.COUNTY)


def _check_range(monitoring_range: MonitoringRange, errors: dict[str, list[str]]) -> None:
    if monitoring_range.region_id and monitoring_range.region.level not in RANGE_LEVELS:
        errors.setdefault("region", []).append(_("监测范围由省、市（州）或县（区）设定。"))
    duplicate = MonitoringRange.objects.filter(
        region_id=monitoring_range.region_id, year=monitoring_range.year
    ).exclude(pk=monitoring_range.pk)
    if duplicate.exists():
        errors.setdefault("year", []).append(_("该区划这一年度的监测范围已设定，请修改原记录。"))


RANGE_DUPLICATE = ("year", gettext_lazy("该区划这一年度的监测范围已设定，请修改原记录。"))


def range_record(
    *, user: User, region: Region, year: int, amount: Decimal, basis: str = ""
) -> MonitoringRange:
    """Set a region's monitoring range for a year (its reviewers or an administrator)."""
    require_monitor(user, "monitoring_range")
    kept_ensure_visible(Region, user, region)
    monitoring_range = MonitoringRange(
        region=region, year=year, amount=amount, basis=_text(basis), set_by=user
    )
    errors: dict[str, list[str]] = {}
    _check_range(monitoring_range, errors)
    return kept_save(
        monitoring_range, errors=errors, unique_error=(RANGE_DUPLICATE[0], str(RANGE_DUPLICATE[1]))
    )


def _ensure_range_kept(user: User, monitoring_range: MonitoringRange) -> None:
    """A range of the user's subtree is theirs to keep; one of a region above them they read
    but may not change (403); any other is a 404."""
    if MonitoringRange.objects.visible_to(user).filter(pk=monitoring_range.pk).exists():
        return
    if selectors.ranges_applying_to(user).filter(pk=monitoring_range.pk).exists():
        raise PermissionDenied(_("上级设定的监测范围只能由上级修改。"))
    raise Http404


def range_update(
    *, user: User, monitoring_range: MonitoringRange, **changes: Any
) -> MonitoringRange:
    require_monitor(user, "monitoring_range")
    _ensure_range_kept(user, monitoring_range)
    if "basis" in changes:
        changes["basis"] = _text(changes["basis"])
    kept_apply(monitoring_range, changes, {"amount", "basis"})
    monitoring_range.set_by = user
    return kept_save(monitoring_range)


def range_delete(*, user: User, monitoring_range: MonitoringRange) -> None:
    require_monitor(user, "monitoring_range")
    _ensure_range_kept(user, monitoring_range)
    monitoring_range.delete()


# --- risk clues ---------------------------------------------------------------------------------
def _check_clue_fields(clue: RiskClue, errors: dict[str, list[str]]) -> None:
    if clue.channel == ClueChannel.DEPARTMENT and not clue.department:
        errors.setdefault("department", []).append(_("部门预警请选择预警部门。"))
    if clue.channel != ClueChannel.DEPARTMENT and clue.department:
        errors.setdefault("department", []).append(_("只有部门预警才填写预警部门。"))
    if clue.department and clue.department not in Department.values:
        errors.setdefault("department", []).append(_("请选择预警部门。"))
    if clue.member is not None and clue.member.household_id != clue.household_id:
        errors.setdefault("member", []).append(_("该成员不属于所选的户。"))
    if not clue.risk:
        errors.setdefault("risk", []).append(_("请填写风险情况。"))


def clue_record(
    *,
    user: User,
    household: Household,
    channel: str,
    risk: str,
    received_on: datetime.date | None = None,
    department: str = "",
    member: Member | None = None,
) -> RiskClue:
    """Record a risk clue received today (or on `received_on`): a township staff member for
    their township, a stationed cadre for their villages. The 15 days run from `received_on`."""
    require_monitor(user, "risk_clue")
    kept_ensure_visible(Household, user, household)
    received_on = received_on or _today()
    errors: dict[str, list[str]] = {}
    _check_day(received_on, "received_on", errors)
    clue = RiskClue(
        household=household,
        member=member,
        channel=channel,
        department=department or "",
        risk=_text(risk),
        received_on=received_on,
        received_by=user,
    )
    _check_clue_fields(clue, errors)
    clue.fill_place()
    return kept_save(clue, errors=errors)


CLUE_EDITABLE = {"channel", "department", "risk", "received_on", "member"}


def clue_update(*, user: User, clue: RiskClue, **changes: Any) -> RiskClue:
    """Correct an undecided clue that no case has started from yet (the township)."""
    require_monitor(user, "clue_decision")
    kept_ensure_visible(RiskClue, user, clue)
    if clue.is_decided or clue.case_id is not None:
        raise ValidationError({"__all__": [_("已启动识别或已办结的线索不能修改。")]})
    if "risk" in changes:
        changes["risk"] = _text(changes["risk"])
    if "department" in changes:
        changes["department"] = changes["department"] or ""
    kept_apply(clue, changes, CLUE_EDITABLE)
    errors: dict[str, list[str]] = {}
    _check_day(clue.received_on, "received_on", errors)
    if clue.accepted_on is not None and clue.received_on and clue.accepted_on < clue.received_on:
        errors.setdefault("received_on", []).append(_("接报日期不能晚于受理日期。"))
    _check_clue_fields(clue, errors)
    if clue.accepted_on is not None and clue.received_on:
        clue.acceptance_days = selectors.days_between(clue.received_on, clue.accepted_on)
    return kept_save(clue, errors=errors)


def _accept(clue: RiskClue, user: User, day: datetime.date) -> None:
    clue.accepted_on = day
    clue.accepted_by = user
    clue.acceptance_days = selectors.days_between(clue.received_on, day)


def clue_accept(*, user: User, clue: RiskClue, day: datetime.date | None = None) -> RiskClue:
    """The township accepts a household's application (within APPLICATION_ACCEPT_DAYS)."""
    require_monitor(user, "clue_acceptance")
    kept_ensure_visible(RiskClue, user, clue)
    if clue.channel != ClueChannel.APPLICATION:
        raise ValidationError({"__all__": [_("只有农户自主申报的线索需要受理。")]})
    if clue.accepted_on is not None:
        raise ValidationError({"__all__": [_("该申报已经受理。")]})
    if clue.is_decided:
        raise ValidationError({"__all__": [_("该线索已办结。")]})
    day = day or _today()
    errors: dict[str, list[str]] = {}
    _check_day(day, "day", errors, not_before=clue.received_on, before_label=_("接报日期"))
    if errors:
        raise ValidationError(errors)
    _accept(clue, user, day)
    return kept_save(clue)


def _decide(clue: RiskClue, user: User, outcome: str, day: datetime.date, reason: str = "") -> None:
    if clue.is_application and clue.accepted_on is None:
        _accept(clue, user, day)
    clue.decided_on = day
    clue.decided_by = user
    clue.decision_days = selectors.days_between(clue.received_on, day)
    clue.outcome = outcome
    clue.decision_reason = reason[:500]


def clue_decide(
    *,
    user: User,
    clue: RiskClue,
    outcome: str,
    day: datetime.date | None = None,
    reason: str = "",
) -> RiskClue:
    """Decide a clue that needs no identification: not identified (with the reason: no risk
    found, income clearly above the range …) or already monitored (joined to the household's
    open case). A clue whose case has started is decided by the case: the county's decision,
    or "not identified" at a step."""
    require_monitor(user, "clue_decision")
    kept_ensure_visible(RiskClue, user, clue)
    if clue.is_decided:
        raise ValidationError({"__all__": [_("该线索已办结。")]})
    if clue.case_id is not None:
        raise ValidationError(
            {"__all__": [_("该线索已启动识别程序，请在监测对象页面办结（不予识别或县级审定）。")]}
        )
    day = day or _today()
    reason = _text(reason)
    errors: dict[str, list[str]] = {}
    _check_day(day, "day", errors, not_before=clue.received_on, before_label=_("接报日期"))
    open_case = None
    if outcome == ClueOutcome.IDENTIFIED:
        errors.setdefault("outcome", []).append(
            _("“识别为监测对象”由县级审定产生，请启动识别程序。")
        )
    elif outcome == ClueOutcome.NOT_IDENTIFIED:
        if not reason:
            errors.setdefault("reason", []).append(_("请填写不予识别的原因。"))
    elif outcome == ClueOutcome.ALREADY_MONITORED:
        open_case = selectors.open_case_of(clue.household)
        if open_case is None:
            errors.setdefault("outcome", []).append(
                _("该户没有进行中的监测，不能按“已是监测对象”办结。")
            )
    else:
        errors.setdefault("outcome", []).append(_("请选择办结结果。"))
    if errors:
        raise ValidationError(errors)
    _decide(clue, user, outcome, day, reason)
    clue.case = open_case
    return kept_save(clue)


def _settle_clues(
    case: MonitoringCase, user: User, outcome: str, day: datetime.date, reason: str = ""
) -> None:
    """The undecided clues of a case are decided with it (the county's decision, or not
    identified at a step), on the same day."""
    for clue in case.clues.filter(decided_on__isnull=True):
        _decide(clue, user, outcome, max(day, clue.received_on), reason)
        clue.save()


@dataclass
class RaisedClues:
    created: list[RiskClue] = field(default_factory=list)
    skipped: list[Household] = field(default_factory=list)  # an open case or clue already


def clues_raise(
    *,
    user: User,
    households: Iterable[Household],
    risk: str,
    received_on: datetime.date | None = None,
) -> RaisedClues:
    """Raise screening clues for the chosen households in one action (the screening list):
    households that already have an open case or an undecided clue are skipped and listed."""
    require_monitor(user, "risk_clue")
    risk = _text(risk)
    if not risk:
        raise ValidationError({"risk": [_("请填写风险情况。")]})
    chosen = list(households)
    if not chosen:
        raise ValidationError({"households": [_("请至少选择一户。")]})
    for household in chosen:
        kept_ensure_visible(Household, user, household)
    ids = [h.pk for h in chosen]
    busy = set(
        MonitoringCase.objects.filter(
            household_id__in=ids, status__in=OPEN_CASE_STATUSES
        ).values_list("household_id", flat=True)
    ) | set(
        RiskClue.objects.filter(household_id__in=ids, decided_on__isnull=True).values_list(
            "household_id", flat=True
        )
    )
    result = RaisedClues()
    with transaction.atomic():
        for household in chosen:
            if household.pk in busy:
                result.skipped.append(household)
                continue
            result.created.append(
                clue_record(
                    user=user,
                    household=household,
                    channel=ClueChannel.SCREENING,
                    risk=risk,
                    received_on=received_on,
                )
            )
    return result


# --- monitoring cases -------------------------------------------------------------------------
def _check_case_fields(case: MonitoringCase, errors: dict[str, list[str]]) -> None:
    if case.category not in Category.values:
        errors.setdefault("category", []).append(_("请选择监测对象类别。"))
    else:
        refusal = selectors.category_refusal(case.household, case.category)
        if refusal:
            errors.setdefault("category", []).append(refusal)
    risk_types = case.risk_types
    if not isinstance(risk_types, list) or not risk_types:
        errors.setdefault("risk_types", []).append(_("请至少选择一种风险类型。"))
    elif any(code not in RiskType.values for code in risk_types):
        errors.setdefault("risk_types", []).append(_("风险类型不正确。"))
    else:
        case.risk_types = [code for code in RiskType.values if code in set(risk_types)]
    if case.labour_capacity not in LabourCapacity.values:
        errors.setdefault("labour_capacity", []).append(_("请选择劳动能力。"))


OPEN_CASE_EXISTS = gettext_lazy(
    "该户已有进行中的监测（%(status)s），请将这条线索办结为“已是监测对象”。"
)


def case_open(
    *,
    user: User,
    clue: RiskClue,
    category: str,
    risk_types: list[str],
    labour_capacity: str,
    opened_on: datetime.date | None = None,
) -> MonitoringCase:
    """Start the identification of the clue's household (the township): a case in the category
    proposed, with its risk types and labour capacity. The identification's days run from the
    day the clue was received; an application not yet accepted is accepted on `opened_on`."""
    require_monitor(user, "monitoring_case")
    kept_ensure_visible(RiskClue, user, clue)
    if clue.is_decided:
        raise ValidationError({"__all__": [_("该线索已办结。")]})
    if clue.case_id is not None:
        raise ValidationError({"__all__": [_("该线索已启动识别程序。")]})
    opened_on = opened_on or _today()
    errors: dict[str, list[str]] = {}
    _check_day(
        opened_on, "opened_on", errors, not_before=clue.received_on, before_label=_("接报日期")
    )
    existing = selectors.open_case_of(clue.household)
    if existing is not None:
        errors.setdefault("__all__", []).append(
            str(OPEN_CASE_EXISTS) % {"status": existing.get_status_display()}
        )
    case = MonitoringCase(
        household=clue.household,
        category=category,
        risk_types=list(risk_types or []),
        labour_capacity=labour_capacity,
        received_on=clue.received_on,
        opened_on=opened_on,
        opened_by=user,
    )
    case.fill_place()
    _check_case_fields(case, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # A second case racing this one is refused by the database (one open case a household).
        kept_save(
            case,
            unique_error=(
                "__all__",
                str(OPEN_CASE_EXISTS) % {"status": CaseStatus.IDENTIFYING.label},
            ),
        )
        if clue.is_application and clue.accepted_on is None:
            _accept(clue, user, opened_on)
        clue.case = case
        clue.save()
    return case


def case_update(*, user: User, case: MonitoringCase, **changes: Any) -> MonitoringCase:
    """Correct a case's category (until the county decides it), risk types and labour capacity
    (while it is open: a household's labour capacity may change during monitoring)."""
    require_monitor(user, "monitoring_case")
    kept_ensure_visible(MonitoringCase, user, case)
    if not case.is_open:
        raise ValidationError({"__all__": [_("已结束的监测对象不能修改。")]})
    if (
        "category" in changes
        and changes["category"] != case.category
        and case.status != CaseStatus.IDENTIFYING
    ):
        raise ValidationError({"category": [_("县级审定后不能修改监测对象类别。")]})
    kept_apply(case, changes, {"category", "risk_types", "labour_capacity"})
    errors: dict[str, list[str]] = {}
    _check_case_fields(case, errors)
    if errors:
        raise ValidationError(errors)
    return kept_save(case)


# --- the steps of a procedure ---------------------------------------------------------------
@dataclass
class StepInput:
    kind: str
    done_on: datetime.date | None
    checkers: str = ""
    document: File[bytes] | None = None
    notice: PublicNotice | None = None
    note: str = ""


def _check_step(
    *,
    procedure: str,
    done: list[MonitoringStep],
    start: datetime.date,
    start_label: str,
    village_id: int,
    step: StepInput,
    errors: dict[str, list[str]],
) -> None:
    """The order of the steps, their dates, the signed documents and the notice minimums."""
    order = PROCEDURE_STEPS[procedure]
    if step.kind not in order:
        errors.setdefault("kind", []).append(_("该程序没有这一环节。"))
        return
    label = step_label(procedure, step.kind)
    by_kind = {s.kind: s for s in done}
    if step.kind in by_kind:
        errors.setdefault("kind", []).append(_("“%(step)s”已经登记。") % {"step": label})
        return
    position = order.index(step.kind)
    missing = [kind for kind in order[:position] if kind not in by_kind]
    if missing:
        errors.setdefault("kind", []).append(
            _("请先完成“%(step)s”，再登记“%(this)s”。")
            % {"step": step_label(procedure, missing[0]), "this": label}
        )
        return
    previous = by_kind[order[position - 1]] if position else None
    if previous is not None:
        _check_day(
            step.done_on,
            "done_on",
            errors,
            not_before=previous.done_on,
            before_label=_("上一环节“%(step)s”的日期") % {"step": previous.label},
        )
    else:
        _check_day(step.done_on, "done_on", errors, not_before=start, before_label=start_label)
    if previous is not None and previous.kind == StepKind.APPRAISAL and previous.notice_id:
        notice = previous.notice
        assert notice is not None
        if step.done_on is not None and step.done_on <= notice.end_date:
            errors.setdefault("done_on", []).append(
                _("公示期到%(end)s结束，结束之后才能进行“%(step)s”。")
                % {"end": notice.end_date.isoformat(), "step": label}
            )
    if step.kind == StepKind.HOME_CHECK:
        names = checker_names(step.checkers)
        needed = 2 if procedure == Procedure.REMOVAL else 1
        if len(names) < needed:
            errors.setdefault("checkers", []).append(
                _("风险消除的入户核实须有两名以上人员，请填写全部核实人员姓名（用顿号分隔）。")
                if needed == 2
                else _("请填写入户核实人员姓名。")
            )
        if step.document is None:
            errors.setdefault("document", []).append(
                _("请上传农户签字的承诺授权书。")
                if procedure == Procedure.IDENTIFICATION
                else _("请上传核实人员和农户签字的入户核实表。")
            )
    if step.kind == StepKind.APPRAISAL:
        _check_appraisal_notice(procedure, village_id, step, errors)
    elif step.notice is not None:
        errors.setdefault("notice", []).append(_("只有民主评议和公示环节关联公示。"))


def _check_appraisal_notice(
    procedure: str, village_id: int, step: StepInput, errors: dict[str, list[str]]
) -> None:
    notice = step.notice
    if notice is None:
        errors.setdefault("notice", []).append(_("请选择本村的公示（没有的请先新建公示）。"))
        return
    if notice.village_id != village_id:
        errors.setdefault("notice", []).append(_("所选公示不是该户所在村的公示。"))
    if notice.purpose != procedure:
        errors.setdefault("notice", []).append(
            _("所选公示是“%(purpose)s”公示，与本程序不符。")
            % {"purpose": notice.get_purpose_display()}
        )
    minimum = selectors.notice_minimum_days(procedure)
    days = selectors.notice_days(notice.start_date, notice.end_date)
    if days < minimum:
        errors.setdefault("notice", []).append(
            _("公示期不少于%(minimum)d天，所选公示只有%(days)d天。")
            % {"minimum": minimum, "days": days}
        )
    if step.done_on is not None and step.done_on > notice.start_date:
        errors.setdefault("done_on", []).append(
            _("民主评议应在公示开始（%(start)s）之前或当天。")
            % {"start": notice.start_date.isoformat()}
        )


def _save_step(step: MonitoringStep, document: File[bytes] | None) -> MonitoringStep:
    if document is not None:
        step.document = document_check(document)
    try:
        with transaction.atomic():
            step.save()
    except IntegrityError as exc:
        raise ValidationError({"kind": [_("“%(step)s”已经登记。") % {"step": step.label}]}) from exc
    return step


def _step_input(
    kind: str,
    done_on: datetime.date | None,
    checkers: str,
    document: File[bytes] | None,
    notice: PublicNotice | None,
    note: str,
) -> StepInput:
    return StepInput(
        kind=kind,
        done_on=done_on,
        checkers=_text(checkers),
        document=document,
        notice=notice,
        note=_text(note),
    )


def _recompute_help_before_decision(case: MonitoringCase) -> None:
    for measure in case.measures.all():
        flag = helped_before_decision(case, measure.start_date)
        if measure.before_decision != flag:
            measure.before_decision = flag
            measure.save(update_fields=["before_decision", "updated_at"])


def case_step_record(
    *,
    user: User,
    case: MonitoringCase,
    kind: str,
    done_on: datetime.date | None = None,
    checkers: str = "",
    document: File[bytes] | None = None,
    notice: PublicNotice | None = None,
    note: str = "",
) -> MonitoringStep:
    """Record the next step of a case's identification. A step out of order is refused naming
    the step that is missing; the home check needs the household's signed authorisation; the
    appraisal names the village's notice of at least its minimum days, and the township's
    review comes after the notice has ended; the county's decision makes the household a
    monitored household and decides its clues."""
    if kind not in STEP_RULES:
        raise ValidationError({"kind": [_("该程序没有这一环节。")]})
    require_monitor(user, STEP_RULES[kind])
    kept_ensure_visible(MonitoringCase, user, case)
    if notice is not None:
        kept_ensure_visible(PublicNotice, user, notice)
    if case.status != CaseStatus.IDENTIFYING:
        raise ValidationError({"__all__": [_("该户不在识别程序中。")]})
    done_on = done_on or _today()
    step = _step_input(kind, done_on, checkers, document, notice, note)
    done = list(case.steps.filter(procedure=Procedure.IDENTIFICATION).select_related("notice"))
    errors: dict[str, list[str]] = {}
    _check_step(
        procedure=Procedure.IDENTIFICATION,
        done=done,
        start=case.received_on,
        start_label=_("线索接报日期"),
        village_id=case.village_id,
        step=step,
        errors=errors,
    )
    if kind == StepKind.COUNTY_DECISION and not errors:
        for refusal in (
            selectors.category_refusal(case.household, case.category),
            selectors.identification_income_refusal(case),
        ):
            if refusal:
                errors.setdefault("__all__", []).append(refusal)
    if errors:
        raise ValidationError(errors)
    row = MonitoringStep(
        case=case,
        procedure=Procedure.IDENTIFICATION,
        kind=kind,
        done_on=done_on,
        checkers=step.checkers,
        notice=notice if kind == StepKind.APPRAISAL else None,
        note=step.note,
        recorded_by=user,
    )
    with transaction.atomic():
        _save_step(row, document)
        if kind == StepKind.COUNTY_DECISION:
            case.status = CaseStatus.MONITORED
            case.decided_on = done_on
            case.identification_days = selectors.days_between(case.received_on, done_on)
            case.save()
            _settle_clues(case, user, ClueOutcome.IDENTIFIED, done_on)
            _recompute_help_before_decision(case)
    return row


def case_not_identify(
    *, user: User, case: MonitoringCase, reason: str, day: datetime.date | None = None
) -> MonitoringCase:
    """End a case's identification as "not identified", with the reason, at the step it has
    reached (the township before its review, the county at its decision); its clues are
    decided so on the same day."""
    kept_ensure_visible(MonitoringCase, user, case)
    if case.status != CaseStatus.IDENTIFYING:
        _require_some_stop_rule(user)
        raise ValidationError({"__all__": [_("该户不在识别程序中。")]})
    done = list(case.steps.filter(procedure=Procedure.IDENTIFICATION))
    at = selectors.next_step(Procedure.IDENTIFICATION, {s.kind for s in done})
    assert at is not None  # an identifying case has not had its county decision
    require_monitor(user, stop_rule(at))
    day = day or _today()
    reason = _text(reason)
    errors: dict[str, list[str]] = {}
    last = max((s.done_on for s in done), default=case.received_on)
    _check_day(day, "day", errors, not_before=last, before_label=_("上一环节的日期"))
    if not reason:
        errors.setdefault("reason", []).append(_("请填写不予识别的原因。"))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case.status = CaseStatus.NOT_IDENTIFIED
        case.closed_on = day
        case.identification_days = selectors.days_between(case.received_on, day)
        case.closed_at_step = at
        case.close_reason = reason[:500]
        case.save()
        _settle_clues(case, user, ClueOutcome.NOT_IDENTIFIED, day, reason)
    return case


def step_withdraw(*, user: User, step: MonitoringStep) -> None:
    """Withdraw the latest step of a procedure still running (entered by mistake); the county's
    decision, once recorded, stands."""
    kept_ensure_visible(MonitoringStep, user, step)
    require_monitor(user, STEP_RULES[step.kind])
    if step.kind == StepKind.COUNTY_DECISION:
        raise ValidationError({"__all__": [_("县级审定已生效，不能撤回。")]})
    if step.removal_id is not None:
        removal = step.removal
        assert removal is not None
        running = removal.status == RemovalStatus.IN_PROGRESS
        siblings = list(removal.steps.all())
    else:
        running = step.case.status == CaseStatus.IDENTIFYING
        siblings = list(step.case.steps.filter(procedure=Procedure.IDENTIFICATION))
    order = PROCEDURE_STEPS[step.procedure]
    latest = max(siblings, key=lambda s: order.index(s.kind))
    if not running or latest.pk != step.pk:
        raise ValidationError({"__all__": [_("只能撤回进行中程序的最后一个环节。")]})
    document, storage = (step.document.name, step.document.storage) if step.document else ("", None)
    with transaction.atomic():
        step.delete()
        if document and storage is not None:
            transaction.on_commit(lambda: storage.delete(document))


# --- measures ---------------------------------------------------------------------------------
def helped_before_decision(case: MonitoringCase, start_date: datetime.date) -> bool:
    """先帮后认: help that started before the county's decision (or before any decision)."""
    return case.decided_on is None or start_date < case.decided_on


def measure_refusal(case: MonitoringCase, kind: str) -> str | None:
    """Measures by labour capacity: development measures for households that can work, the
    safety net for those that cannot (特困供养 only for them)."""
    if kind in DEVELOPMENT_MEASURES and case.labour_capacity == LabourCapacity.NONE:
        return _("无劳动能力的户应落实兜底保障措施，不适用“%(kind)s”。") % {
            "kind": MeasureKind(kind).label
        }
    if kind == MeasureKind.EXTREME_POVERTY and case.labour_capacity != LabourCapacity.NONE:
        return _("特困供养只适用于无劳动能力的户。")
    return None


def _check_measure(measure: MonitoringMeasure, errors: dict[str, list[str]]) -> None:
    if measure.kind not in MeasureKind.values:
        errors.setdefault("kind", []).append(_("请选择措施类别。"))
    else:
        refusal = measure_refusal(measure.case, measure.kind)
        if refusal:
            errors.setdefault("kind", []).append(refusal)
    if not measure.content:
        errors.setdefault("content", []).append(_("请填写措施内容。"))
    if not measure.responsible:
        errors.setdefault("responsible", []).append(_("请填写责任人。"))
    if measure.start_date is None:
        errors.setdefault("start_date", []).append(_("请填写开始日期。"))
    if measure.status != MeasureStatus.IN_PROGRESS and measure.end_date is None:
        errors.setdefault("end_date", []).append(_("已完成或已停止的措施请填写结束日期。"))
    if measure.end_date and measure.start_date and measure.end_date < measure.start_date:
        errors.setdefault("end_date", []).append(_("结束日期不能早于开始日期。"))
    if measure.status not in MeasureStatus.values:
        errors.setdefault("status", []).append(_("请选择落实情况。"))


def measure_record(
    *,
    user: User,
    case: MonitoringCase,
    kind: str,
    content: str,
    start_date: datetime.date,
    responsible: str,
    status: str = MeasureStatus.IN_PROGRESS,
    end_date: datetime.date | None = None,
) -> MonitoringMeasure:
    """A measure of help for an open case; one that starts before the county's decision is
    marked 先帮后认 (and the mark follows the decision when it comes)."""
    require_monitor(user, "monitoring_measure")
    kept_ensure_visible(MonitoringCase, user, case)
    if not case.is_open:
        raise ValidationError({"__all__": [_("已结束的监测对象不能新增帮扶措施。")]})
    measure = MonitoringMeasure(
        case=case,
        kind=kind,
        content=_text(content),
        start_date=start_date,
        end_date=end_date,
        responsible=_text(responsible),
        status=status or MeasureStatus.IN_PROGRESS,
        created_by=user,
    )
    errors: dict[str, list[str]] = {}
    _check_measure(measure, errors)
    if measure.start_date is not None:
        measure.before_decision = helped_before_decision(case, measure.start_date)
    return kept_save(measure, errors=errors)


MEASURE_EDITABLE = {"kind", "content", "start_date", "end_date", "responsible", "status"}


def measure_update(*, user: User, measure: MonitoringMeasure, **changes: Any) -> MonitoringMeasure:
    require_monitor(user, "monitoring_measure")
    kept_ensure_visible(MonitoringMeasure, user, measure)
    for name in ("content", "responsible"):
        if name in changes:
            changes[name] = _text(changes[name])
    kept_apply(measure, changes, MEASURE_EDITABLE)
    errors: dict[str, list[str]] = {}
    _check_measure(measure, errors)
    if "kind" not in changes:
        # A measure kept from before the household's labour capacity changed stays as it was.
        errors.pop("kind", None)
    if measure.start_date is not None:
        measure.before_decision = helped_before_decision(measure.case, measure.start_date)
    return kept_save(measure, errors=errors)


def measure_delete(*, user: User, measure: MonitoringMeasure) -> None:
    """Remove a measure entered by mistake (one that ended is kept with its end date)."""
    require_monitor(user, "monitoring_measure")
    kept_ensure_visible(MonitoringMeasure, user, measure)
    measure.delete()


# --- income and expenses ------------------------------------------------------------------
FINANCE_DUPLICATE = gettext_lazy("该户这一年度的收支情况已登记，请修改原记录。")


def _check_finance(finance: HouseholdFinance, errors: dict[str, list[str]]) -> None:
    today = _today()
    if finance.year and finance.year > today.year:
        errors.setdefault("year", []).append(_("年度不能晚于今年。"))
    _check_day(finance.assessed_on, "assessed_on", errors)
    if finance.assessed_on and finance.year and finance.assessed_on.year < finance.year:
        errors.setdefault("assessed_on", []).append(_("核算日期不能早于该年度。"))
    if finance.rigid_state not in RigidExpenseState.values:
        errors.setdefault("rigid_state", []).append(_("请选择大额刚性支出情况。"))
    duplicate = HouseholdFinance.objects.filter(
        household_id=finance.household_id, year=finance.year
    ).exclude(pk=finance.pk)
    if duplicate.exists():
        errors.setdefault("year", []).append(str(FINANCE_DUPLICATE))


def finance_record(
    *,
    user: User,
    household: Household,
    year: int,
    per_capita_net_income: Decimal,
    rigid_state: str,
    assessed_on: datetime.date | None = None,
    medical_expense: Decimal | None = None,
    schooling_expense: Decimal | None = None,
    other_rigid_expense: Decimal | None = None,
    note: str = "",
) -> HouseholdFinance:
    """A household's income and expenses for a year, as assessed on `assessed_on` (today)."""
    require_monitor(user, "monitoring_finance")
    kept_ensure_visible(Household, user, household)
    finance = HouseholdFinance(
        household=household,
        year=year,
        per_capita_net_income=per_capita_net_income,
        medical_expense=medical_expense or Decimal(0),
        schooling_expense=schooling_expense or Decimal(0),
        other_rigid_expense=other_rigid_expense or Decimal(0),
        rigid_state=rigid_state,
        assessed_on=assessed_on or _today(),
        note=_text(note),
        recorded_by=user,
    )
    errors: dict[str, list[str]] = {}
    _check_finance(finance, errors)
    return kept_save(finance, errors=errors, unique_error=("year", str(FINANCE_DUPLICATE)))


FINANCE_EDITABLE = {
    "per_capita_net_income",
    "medical_expense",
    "schooling_expense",
    "other_rigid_expense",
    "rigid_state",
    "assessed_on",
    "note",
}


def finance_update(*, user: User, finance: HouseholdFinance, **changes: Any) -> HouseholdFinance:
    require_monitor(user, "monitoring_finance")
    kept_ensure_visible(HouseholdFinance, user, finance)
    for name in ("medical_expense", "schooling_expense", "other_rigid_expense"):
        if name in changes and changes[name] is None:
            changes[name] = Decimal(0)
    if "note" in changes:
        changes["note"] = _text(changes["note"])
    kept_apply(finance, changes, FINANCE_EDITABLE)
    finance.recorded_by = user
    errors: dict[str, list[str]] = {}
    _check_finance(finance, errors)
    return kept_save(finance, errors=errors, unique_error=("year", str(FINANCE_DUPLICATE)))


def finance_delete(*, user: User, finance: HouseholdFinance) -> None:
    require_monitor(user, "monitoring_finance")
    kept_ensure_visible(HouseholdFinance, user, finance)
    finance.delete()


# --- risk removal -------------------------------------------------------------------------------
def removal_propose(
    *,
    user: User,
    case: MonitoringCase,
    kind: str,
    proposed_on: datetime.date | None = None,
) -> RiskRemoval:
    """Start a risk removal (the township) when its conditions hold; otherwise refused with
    every reason (monitoring.selectors.removal_checks), and always "for now" for a household
    without labour capacity."""
    require_monitor(user, "risk_removal")
    kept_ensure_visible(MonitoringCase, user, case)
    if case.status != CaseStatus.MONITORED:
        raise ValidationError({"__all__": [_("只有经县级审定的监测对象才能办理风险消除。")]})
    if case.removals.filter(status=RemovalStatus.IN_PROGRESS).exists():
        raise ValidationError({"__all__": [_("该户已有进行中的风险消除程序。")]})
    proposed_on = proposed_on or _today()
    errors: dict[str, list[str]] = {}
    if kind not in RemovalKind.values:
        errors.setdefault("kind", []).append(_("请选择消除方式。"))
    _check_day(
        proposed_on,
        "proposed_on",
        errors,
        not_before=case.decided_on,
        before_label=_("县级审定日期"),
    )
    if errors:
        raise ValidationError(errors)
    checks = selectors.removal_checks(case)
    refusals = selectors.removal_refusals(checks)
    if refusals:
        raise ValidationError({"__all__": [_("暂不能消除风险。"), *refusals]})
    removal = RiskRemoval(
        case=case,
        kind=kind,
        proposed_on=proposed_on,
        proposed_by=user,
        checks=[check.as_dict() for check in checks],
    )
    return kept_save(removal, unique_error=("__all__", _("该户已有进行中的风险消除程序。")))


def removal_step_record(
    *,
    user: User,
    removal: RiskRemoval,
    kind: str,
    done_on: datetime.date | None = None,
    checkers: str = "",
    document: File[bytes] | None = None,
    notice: PublicNotice | None = None,
    note: str = "",
) -> MonitoringStep:
    """Record the next step of a risk removal: a home check by at least two people with the
    signed form, the village's appraisal and notice (REMOVAL_NOTICE_MIN_DAYS), the township's
    check after the notice, the county's decision, which checks the conditions again and
    closes the case (the household keeps its history)."""
    if kind not in STEP_RULES:
        raise ValidationError({"kind": [_("该程序没有这一环节。")]})
    require_monitor(user, STEP_RULES[kind])
    kept_ensure_visible(RiskRemoval, user, removal)
    if notice is not None:
        kept_ensure_visible(PublicNotice, user, notice)
    if removal.status != RemovalStatus.IN_PROGRESS:
        raise ValidationError({"__all__": [_("该风险消除程序已结束。")]})
    case = removal.case
    done_on = done_on or _today()
    step = _step_input(kind, done_on, checkers, document, notice, note)
    errors: dict[str, list[str]] = {}
    _check_step(
        procedure=Procedure.REMOVAL,
        done=list(removal.steps.select_related("notice")),
        start=removal.proposed_on,
        start_label=_("提出日期"),
        village_id=case.village_id,
        step=step,
        errors=errors,
    )
    if kind == StepKind.COUNTY_DECISION and not errors:
        refusals = selectors.removal_refusals(selectors.removal_checks(case))
        if refusals:
            errors["__all__"] = [_("风险消除条件已不满足，不能审定。"), *refusals]
    if errors:
        raise ValidationError(errors)
    row = MonitoringStep(
        case=case,
        removal=removal,
        procedure=Procedure.REMOVAL,
        kind=kind,
        done_on=done_on,
        checkers=step.checkers,
        notice=notice if kind == StepKind.APPRAISAL else None,
        note=step.note,
        recorded_by=user,
    )
    with transaction.atomic():
        _save_step(row, document)
        if kind == StepKind.COUNTY_DECISION:
            removal.status = RemovalStatus.REMOVED
            removal.decided_on = done_on
            removal.save()
            case.status = CaseStatus.REMOVED
            case.closed_on = done_on
            case.save()
    return row


def removal_stop(
    *, user: User, removal: RiskRemoval, reason: str, day: datetime.date | None = None
) -> RiskRemoval:
    """End a risk removal as not passed, with the reason, at the step it has reached; the case
    stays monitored."""
    kept_ensure_visible(RiskRemoval, user, removal)
    if removal.status != RemovalStatus.IN_PROGRESS:
        raise ValidationError({"__all__": [_("该风险消除程序已结束。")]})
    done = list(removal.steps.all())
    at = selectors.next_step(Procedure.REMOVAL, {s.kind for s in done})
    assert at is not None  # a removal in progress has not had its county decision
    require_monitor(user, stop_rule(at))
    day = day or _today()
    reason = _text(reason)
    errors: dict[str, list[str]] = {}
    last = max((s.done_on for s in done), default=removal.proposed_on)
    _check_day(day, "day", errors, not_before=last, before_label=_("上一环节的日期"))
    if not reason:
        errors.setdefault("reason", []).append(_("请填写未通过的原因。"))
    if errors:
        raise ValidationError(errors)
    removal.status = RemovalStatus.STOPPED
    removal.stopped_on = day
    removal.stopped_at_step = at
    removal.stop_reason = reason[:500]
    return kept_save(removal)


# --- public notices -------------------------------------------------------------------------
def _check_notice(notice: PublicNotice, errors: dict[str, list[str]]) -> None:
    if notice.purpose not in Procedure.values:
        errors.setdefault("purpose", []).append(_("请选择公示事项。"))
        return
    if notice.start_date is None or notice.end_date is None:
        return
    if notice.end_date < notice.start_date:
        errors.setdefault("end_date", []).append(_("结束日期不能早于开始日期。"))
        return
    minimum = selectors.notice_minimum_days(notice.purpose)
    days = selectors.notice_days(notice.start_date, notice.end_date)
    if days < minimum:
        errors.setdefault("end_date", []).append(
            _("%(purpose)s公示期不少于%(minimum)d天（%(start)s至%(end)s只有%(days)d天）。")
            % {
                "purpose": notice.get_purpose_display(),
                "minimum": minimum,
                "start": notice.start_date.isoformat(),
                "end": notice.end_date.isoformat(),
                "days": days,
            }
        )
    if notice.start_date < datetime.date(2015, 1, 1):
        errors.setdefault("start_date", []).append(_("日期不合理。"))


def notice_record(
    *,
    user: User,
    village: Village,
    purpose: str,
    start_date: datetime.date,
    end_date: datetime.date,
    objections: str = "",
) -> PublicNotice:
    """A public notice in a village, of at least its minimum days (5 for an identification, 7
    for a removal by default); its households are added by their appraisal steps."""
    require_monitor(user, "public_notice")
    kept_ensure_visible(Village, user, village)
    notice = PublicNotice(
        village=village,
        purpose=purpose,
        start_date=start_date,
        end_date=end_date,
        objections=_text(objections),
        created_by=user,
    )
    notice.township_id = village.township_id
    notice.path = village.path
    errors: dict[str, list[str]] = {}
    _check_notice(notice, errors)
    return kept_save(notice, errors=errors)


def notice_update(*, user: User, notice: PublicNotice, **changes: Any) -> PublicNotice:
    """Change a notice's days (before any of its households has gone on to the next step) or
    record the objections raised during it."""
    require_monitor(user, "public_notice")
    kept_ensure_visible(PublicNotice, user, notice)
    if "objections" in changes:
        changes["objections"] = _text(changes["objections"])
    dates_changed = any(
        name in changes and changes[name] != getattr(notice, name)
        for name in ("start_date", "end_date")
    )
    kept_apply(notice, changes, {"start_date", "end_date", "objections"})
    errors: dict[str, list[str]] = {}
    _check_notice(notice, errors)
    if dates_changed:
        appraisals = list(notice.steps.all())
        for appraisal in appraisals:
            if appraisal.done_on > notice.start_date:
                errors.setdefault("start_date", []).append(
                    _("已登记的民主评议（%(day)s）晚于新的开始日期。")
                    % {"day": appraisal.done_on.isoformat()}
                )
                break
        moved_on = MonitoringStep.objects.filter(
            procedure=notice.purpose,
            kind=StepKind.TOWNSHIP_REVIEW,
            done_on__lte=notice.end_date,
        )
        if notice.purpose == Procedure.REMOVAL:
            moved_on = moved_on.filter(removal_id__in=[s.removal_id for s in appraisals])
        else:
            moved_on = moved_on.filter(case_id__in=[s.case_id for s in appraisals])
        if moved_on.exists():
            errors.setdefault("end_date", []).append(
                _("已有户在公示结束后进入下一环节，不能把结束日期改到那之后。")
            )
    return kept_save(notice, errors=errors)


def notice_delete(*, user: User, notice: PublicNotice) -> None:
    require_monitor(user, "public_notice")
    kept_ensure_visible(PublicNotice, user, notice)
    count = notice.steps.count()
    if count:
        raise ValidationError(
            {"__all__": [_("公示已列入%(count)d户，不能删除。") % {"count": count}]}
        )
    notice.delete()


def notice_add_cases(
    *,
    user: User,
    notice: PublicNotice,
    cases: Iterable[MonitoringCase],
    appraised_on: datetime.date | None = None,
    note: str = "",
) -> list[MonitoringStep]:
    """Record the village appraisal of several households at once, on this notice: each case's
    appraisal step (identification, or its removal in progress), all or none."""
    require_monitor(user, "village_appraisal")
    kept_ensure_visible(PublicNotice, user, notice)
    chosen = list(cases)
    if not chosen:
        raise ValidationError({"cases": [_("请至少选择一户。")]})
    steps = []
    with transaction.atomic():
        for case in chosen:
            try:
                if notice.purpose == Procedure.REMOVAL:
                    removal = case.removals.filter(status=RemovalStatus.IN_PROGRESS).first()
                    if removal is None:
                        raise ValidationError({"__all__": [_("没有进行中的风险消除程序。")]})
                    steps.append(
                        removal_step_record(
                            user=user,
                            removal=removal,
                            kind=StepKind.APPRAISAL,
                            done_on=appraised_on,
                            notice=notice,
                            note=note,
                        )
                    )
                else:
                    steps.append(
                        case_step_record(
                            user=user,
                            case=case,
                            kind=StepKind.APPRAISAL,
                            done_on=appraised_on,
                            notice=notice,
                            note=note,
                        )
                    )
            except ValidationError as exc:
                messages = [f"{case.household.head_name}：{m}" for m in exc.messages]
                raise ValidationError({"cases": messages}) from exc
    return steps


# --- the yearly review of the original registered households ---------------------------------
# Township staff of the household's township and county reviewers review (the rule of
# "monitoring_case": an "at risk" outcome is where a monitoring case starts).
REVIEW_FIRST_YEAR = 2021  # the transition period's first year
REVIEW_EDITABLE = {"outcome", "note", "decided_on"}


def may_review(user: Any) -> bool:
    return may_monitor(user, "monitoring_case")


def _check_review(review: HouseholdReview, errors: dict[str, list[str]]) -> None:
    if review.outcome not in ReviewOutcome.values:
        errors.setdefault("outcome", []).append(_("请选择评议结果。"))
    this_year = _today().year
    if review.year > this_year:
        errors.setdefault("year", []).append(_("不能评议今年以后的年度。"))
    elif review.year < REVIEW_FIRST_YEAR:
        errors.setdefault("year", []).append(
            _("年度评议自 %(year)d 年起。") % {"year": REVIEW_FIRST_YEAR}
        )
    _check_day(review.decided_on, "day", errors)
    if review.decided_on and review.year <= this_year and review.decided_on.year < review.year:
        errors.setdefault("day", []).append(_("评议日期不能早于所评议的年度。"))


def _review_followup(user: User, review: HouseholdReview) -> None:
    """An "at risk" review raises a screening clue for the household's township, unless the
    household already has an open case or an undecided clue (then says which)."""
    if review.outcome != ReviewOutcome.AT_RISK or review.followup:
        return
    household = review.household
    if MonitoringCase.objects.filter(household=household, status__in=OPEN_CASE_STATUSES).exists():
        review.followup = ReviewFollowup.OPEN_CASE
        return
    if RiskClue.objects.filter(household=household, decided_on__isnull=True).exists():
        review.followup = ReviewFollowup.OPEN_CLUE
        return
    risk = review.note or _("%(year)d 年度评议：存在返贫风险") % {"year": review.year}
    review.clue = clue_record(
        user=user,
        household=household,
        channel=ClueChannel.SCREENING,
        risk=risk,
        received_on=review.decided_on,
    )
    review.followup = ReviewFollowup.CLUE_RAISED


def review_record(
    *,
    user: User,
    household: Household,
    year: int,
    outcome: str,
    note: str = "",
    day: datetime.date | None = None,
) -> HouseholdReview:
    """Record a registered household's review of a year. A second review of the same household
    and year changes the first (review_update)."""
    require_monitor(user, "monitoring_case")
    kept_ensure_visible(Household, user, household)
    existing = HouseholdReview.objects.filter(household=household, year=year).first()
    if existing is not None:
        return review_update(
            user=user, review=existing, outcome=outcome, note=note, decided_on=day or _today()
        )
    errors: dict[str, list[str]] = {}
    if household.status not in REGISTERED_STATUSES:
        errors.setdefault("household", []).append(
            _("年度评议只针对建档立卡户，一般农户请登记风险线索。")
        )
    review = HouseholdReview(
        household=household,
        year=year,
        outcome=outcome,
        note=_text(note),
        decided_by=user,
        decided_on=day or _today(),
    )
    _check_review(review, errors)
    review.fill_place()
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _review_followup(user, review)
        return kept_save(review, unique_error=("year", str(REVIEW_DUPLICATE)))


REVIEW_DUPLICATE = gettext_lazy("该户这一年度已评议，请修改原记录。")


def review_update(*, user: User, review: HouseholdReview, **changes: Any) -> HouseholdReview:
    """Change a review (its outcome, note or day); who changed it becomes who decided. Turning
    it to "at risk" raises the clue as a new review would."""
    require_monitor(user, "monitoring_case")
    kept_ensure_visible(HouseholdReview, user, review)
    if "day" in changes:
        changes["decided_on"] = changes.pop("day") or _today()
    if "note" in changes:
        changes["note"] = _text(changes["note"])
    kept_apply(review, changes, REVIEW_EDITABLE)
    review.decided_by = user
    errors: dict[str, list[str]] = {}
    _check_review(review, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _review_followup(user, review)
        return kept_save(review)
