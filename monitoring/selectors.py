"""Reads of monitoring against relapse, and the rules every reader shares: one definition each
of a clue's deadline, an application's deadline, the range that applies to a household in a
year, a notice's length, the next step of a procedure, the conditions of a risk removal and the
screening of a township. The pages, the API, and later the reminders, indicators and ledgers all
ask here, so they cannot disagree.

The deadlines and the notice minimums are defaults a county sets for itself: each is a module
constant that a Django setting of the same name prefixed with MONITORING_ overrides (read at
each call, so a test or a deployment can change it)."""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.scope import scope_of
from households.models import REGISTERED_STATUSES, Household, IncomeRecord, PovertyStatus
from monitoring.models import (
    OPEN_CASE_STATUSES,
    PROCEDURE_STEPS,
    CaseStatus,
    Category,
    ClueChannel,
    HouseholdFinance,
    HouseholdReview,
    LabourCapacity,
    MonitoringCase,
    MonitoringMeasure,
    MonitoringRange,
    MonitoringStep,
    Procedure,
    PublicNotice,
    RemovalStatus,
    ReviewOutcome,
    RigidExpenseState,
    RiskClue,
    RiskRemoval,
    StepKind,
    step_label,
)
from villages.models import Region, Village

if TYPE_CHECKING:
    from accounts.models import User

# --- the county's figures (defaults; settings MONITORING_<NAME> override them) -----------------
APPLICATION_ACCEPT_DAYS = 2  # a household's application accepted by the township within …
CLUE_DECIDE_DAYS = 15  # every clue decided within … days of being received
CLUE_REMINDER_DAY = 10  # an undecided clue is brought to the township's attention on day …
IDENTIFICATION_NOTICE_MIN_DAYS = 5  # the identification's public notice lasts at least …
REMOVAL_NOTICE_MIN_DAYS = 7  # the removal's public notice lasts at least …
REMOVAL_INCOME_AFTER_MONTHS = 6  # income assessed at least … months after the decision
SCREENING_MARGIN = Decimal("1.5")  # screening lists incomes up to … × the range
SCREENING_DROP_SHARE = Decimal("0.3")  # … or a fall of at least this share on the year before


def figure(name: str) -> Any:
    """The setting MONITORING_<name>, or the module's default."""
    return getattr(settings, f"MONITORING_{name}", globals()[name])


def application_accept_days() -> int:
    return int(figure("APPLICATION_ACCEPT_DAYS"))


def clue_decide_days() -> int:
    return int(figure("CLUE_DECIDE_DAYS"))


def clue_reminder_day() -> int:
    return int(figure("CLUE_REMINDER_DAY"))


def notice_minimum_days(purpose: str) -> int:
    if purpose == Procedure.REMOVAL:
        return int(figure("REMOVAL_NOTICE_MIN_DAYS"))
    return int(figure("IDENTIFICATION_NOTICE_MIN_DAYS"))


def removal_income_after_months() -> int:
    return int(figure("REMOVAL_INCOME_AFTER_MONTHS"))


def screening_margin() -> Decimal:
    return Decimal(str(figure("SCREENING_MARGIN")))


def screening_drop_share() -> Decimal:
    return Decimal(str(figure("SCREENING_DROP_SHARE")))


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (the last day of the month when it has fewer days)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


# --- deadlines: the one rule each -----------------------------------------------------------
def days_between(start: datetime.date, end: datetime.date) -> int:
    """Days elapsed from `start` to `end`: received on the 1st and decided on the 16th is 15
    days. The services store this number when a clue is accepted or decided."""
    return (end - start).days


@dataclass(frozen=True)
class Deadline:
    """Where a thing stands against its deadline: `limit` days from `start`; `done_on` when it
    was done (then the days are those it took). Day `limit` is on time, day `limit + 1` late."""

    start: datetime.date
    limit: int
    done_on: datetime.date | None
    days_elapsed: int

    @property
    def late(self) -> bool:
        return self.days_elapsed > self.limit

    @property
    def done(self) -> bool:
        return self.done_on is not None

    @property
    def due_on(self) -> datetime.date:
        return self.start + datetime.timedelta(days=self.limit)

    @property
    def days_left(self) -> int:
        return self.limit - self.days_elapsed

    @property
    def days_over(self) -> int:
        return max(0, self.days_elapsed - self.limit)


def _deadline(
    start: datetime.date,
    limit: int,
    done_on: datetime.date | None,
    today: datetime.date | None,
) -> Deadline:
    end = done_on or today or timezone.localdate()
    return Deadline(
        start=start, limit=limit, done_on=done_on, days_elapsed=days_between(start, end)
    )


def clue_deadline(clue: RiskClue, today: datetime.date | None = None) -> Deadline:
    """The clue's decision against CLUE_DECIDE_DAYS from the day it was received."""
    return _deadline(clue.received_on, clue_decide_days(), clue.decided_on, today)


def acceptance_deadline(clue: RiskClue, today: datetime.date | None = None) -> Deadline | None:
    """An application's acceptance against APPLICATION_ACCEPT_DAYS (None for other channels)."""
    if clue.channel != ClueChannel.APPLICATION:
        return None
    return _deadline(clue.received_on, application_accept_days(), clue.accepted_on, today)


def case_deadline(case: MonitoringCase, today: datetime.date | None = None) -> Deadline:
    """A case's identification against the clue's deadline, from the day its clue was received
    to the county's decision (or to the day it was found not identified)."""
    done = case.decided_on or (case.closed_on if case.status == CaseStatus.NOT_IDENTIFIED else None)
    return _deadline(case.received_on, clue_decide_days(), done, today)


def clues_late(
    queryset: QuerySet[RiskClue], today: datetime.date | None = None
) -> QuerySet[RiskClue]:
    """`clue_deadline(...).late` as a query: decided in more than the limit, or undecided and
    already past it."""
    today = today or timezone.localdate()
    limit = clue_decide_days()
    return queryset.filter(
        Q(decided_on__isnull=False, decision_days__gt=limit)
        | Q(decided_on__isnull=True, received_on__lt=today - datetime.timedelta(days=limit))
    )


def cases_late(
    queryset: QuerySet[MonitoringCase], today: datetime.date | None = None
) -> QuerySet[MonitoringCase]:
    """`case_deadline(...).late` as a query: identified or found not identified in more than
    the limit, or still identifying and already past it."""
    today = today or timezone.localdate()
    limit = clue_decide_days()
    return queryset.filter(
        Q(identification_days__gt=limit)
        | Q(
            status=CaseStatus.IDENTIFYING,
            received_on__lt=today - datetime.timedelta(days=limit),
        )
    )


def clues_acceptance_late(
    queryset: QuerySet[RiskClue], today: datetime.date | None = None
) -> QuerySet[RiskClue]:
    """`acceptance_deadline(...).late` as a query (applications only)."""
    today = today or timezone.localdate()
    limit = application_accept_days()
    return queryset.filter(channel=ClueChannel.APPLICATION).filter(
        Q(accepted_on__isnull=False, acceptance_days__gt=limit)
        | Q(
            accepted_on__isnull=True,
            decided_on__isnull=True,
            received_on__lt=today - datetime.timedelta(days=limit),
        )
    )


def clues_undecided_on_day(
    queryset: QuerySet[RiskClue], day: int, today: datetime.date | None = None
) -> QuerySet[RiskClue]:
    """Undecided clues on exactly their `day`-th day today (the reminders' day-10 rule)."""
    today = today or timezone.localdate()
    return queryset.filter(
        decided_on__isnull=True, received_on=today - datetime.timedelta(days=day)
    )


# --- the monitoring range -----------------------------------------------------------------------
def _path_codes(path: str) -> list[str]:
    return [code for code in path.split("/") if code]


def ranges_by_year(path: str) -> dict[int, MonitoringRange]:
    """For a region path (a household's, a village's): the range of each year that applies
    there, the deepest region's figure winning. One query."""
    rows = MonitoringRange.objects.filter(region__code__in=_path_codes(path)).select_related(
        "region"
    )
    best: dict[int, MonitoringRange] = {}
    for row in rows:
        current = best.get(row.year)
        if current is None or len(row.region.path) > len(current.region.path):
            best[row.year] = row
    return best


def range_for(path: str, year: int) -> MonitoringRange | None:
    """The monitoring range that applies at a region path in a year (None: none is set)."""
    return ranges_by_year(path).get(year)


def ranges_applying_to(user: User) -> QuerySet[MonitoringRange]:
    """The ranges a user reads: those kept in their scope and those of the regions above it
    (a province's range applies to every township under it)."""
    scope = scope_of(user)
    if scope.nothing:
        return MonitoringRange.objects.none()
    if scope.everything:
        return MonitoringRange.objects.all()
    if scope.region_path is not None:
        return MonitoringRange.objects.filter(
            Q(region__path__startswith=scope.region_path)
            | Q(region__code__in=_path_codes(scope.region_path))
        )
    paths = Village.objects.filter(id__in=scope.village_ids()).values_list("path", flat=True)
    codes = {code for path in paths for code in _path_codes(path)}
    return MonitoringRange.objects.filter(region__code__in=codes)


# --- notices --------------------------------------------------------------------------------
def notice_days(start: datetime.date, end: datetime.date) -> int:
    """A notice's length, both ends included: from the 1st to the 5th is 5 days."""
    return (end - start).days + 1


def notice_is_running(notice: PublicNotice, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    return notice.start_date <= today <= notice.end_date


def notices_running(
    queryset: QuerySet[PublicNotice], today: datetime.date | None = None
) -> QuerySet[PublicNotice]:
    """`notice_is_running` as a query."""
    today = today or timezone.localdate()
    return queryset.filter(start_date__lte=today, end_date__gte=today)


def notice_rows(notice: PublicNotice) -> list[MonitoringStep]:
    """The households on a notice, in the order of their village group and head's name."""
    return list(
        notice.steps.select_related("case", "case__household", "removal").order_by(
            "case__household__group_name", "case__household__head_name", "id"
        )
    )


def notice_list(user: User) -> QuerySet[PublicNotice]:
    return (
        PublicNotice.objects.visible_to(user)
        .select_related("village", "township")
        .annotate(households=Count("steps"))
    )


# --- steps ------------------------------------------------------------------------------------
def next_step(procedure: str, done: list[str] | set[str]) -> str | None:
    """The first step of the procedure not done yet (None when all are)."""
    for kind in PROCEDURE_STEPS[procedure]:
        if kind not in done:
            return kind
    return None


def identification_steps(case: MonitoringCase) -> list[MonitoringStep]:
    return sorted(
        (s for s in case.steps.all() if s.procedure == Procedure.IDENTIFICATION),
        key=lambda s: PROCEDURE_STEPS[Procedure.IDENTIFICATION].index(s.kind),
    )


def removal_steps(removal: RiskRemoval) -> list[MonitoringStep]:
    return sorted(
        removal.steps.all(), key=lambda s: PROCEDURE_STEPS[Procedure.REMOVAL].index(s.kind)
    )


@dataclass
class StepLine:
    """A step of a procedure as the case page shows it: done (with its row), next, or later."""

    kind: str
    label: str
    step: MonitoringStep | None
    is_next: bool


def step_lines(procedure: str, steps: list[MonitoringStep], *, running: bool) -> list[StepLine]:
    done = {s.kind: s for s in steps}
    upcoming = next_step(procedure, set(done)) if running else None
    return [
        StepLine(
            kind=kind,
            label=step_label(procedure, kind),
            step=done.get(kind),
            is_next=kind == upcoming,
        )
        for kind in PROCEDURE_STEPS[procedure]
    ]


# --- the household's category and income ------------------------------------------------------
def category_refusal(household: Household, category: str) -> str | None:
    """Why the household cannot be of this category (None when it can): 脱贫不稳定户 exited
    poverty, 边缘易致贫户 was never registered poor, 突发严重困难户 may be either."""
    registered = household.exit_year is not None or household.status in (
        PovertyStatus.POOR,
        PovertyStatus.EXITED,
    )
    if category == Category.UNSTABLE and not (
        household.exit_year is not None or household.status == PovertyStatus.EXITED
    ):
        return _("“脱贫不稳定户”应是已脱贫的户；该户没有脱贫记录。")
    if category == Category.MARGINAL and registered:
        return _("“边缘易致贫户”应是从未建档立卡的一般农户；该户是建档立卡户。")
    return None


@dataclass(frozen=True)
class Income:
    year: int
    amount: Decimal
    assessed_on: datetime.date | None  # None: from the household's income records


def latest_income(household: Household) -> Income | None:
    """The household's latest per-capita net income: the monitoring's yearly account where it
    has one for the latest year, otherwise the household's income records."""
    finance = HouseholdFinance.objects.filter(household=household).order_by("-year").first()
    record = IncomeRecord.objects.filter(household=household).order_by("-year").first()
    if finance is not None and (record is None or finance.year >= record.year):
        return Income(finance.year, finance.per_capita_net_income, finance.assessed_on)
    if record is not None:
        return Income(record.year, record.per_capita_net_income, None)
    return None


def identification_income_refusal(case: MonitoringCase) -> str | None:
    """At the county's decision: a 脱贫不稳定户 or 边缘易致贫户 must have its income within the
    range (a household above it whose expenses jumped is a 突发严重困难户)."""
    if case.category == Category.SUDDEN:
        return None
    income = latest_income(case.household)
    if income is None:
        return None
    applying = range_for(case.household.path, income.year)
    if applying is None or income.amount <= applying.amount:
        return None
    return _(
        "该户%(year)s年人均纯收入%(income)s元，高于监测范围%(range)s元，不符合“%(category)s”的"
        "条件；收入高于监测范围但刚性支出骤增或收入骤减的，应识别为“突发严重困难户”。"
    ) % {
        "year": income.year,
        "income": income.amount,
        "range": applying.amount,
        "category": Category(case.category).label,
    }


# --- risk removal: its conditions -------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """One condition of a risk removal: whether it holds and, when not, why."""

    key: str
    label: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "ok": self.ok, "detail": self.detail}


def removal_checks(case: MonitoringCase) -> list[Check]:
    """The conditions of a risk removal (DOMAIN.md, "Risk removed"), each with its reason:
    labour capacity (a household without it stays monitored after the safety net), the income
    of the last year above the range and assessed at least six months after the decision,
    large rigid expenses solved, the three guarantees and safe drinking water. Every page, the
    API and the services' refusals read this one list."""
    household = case.household
    checks = [
        Check(
            "labour",
            _("劳动能力"),
            case.labour_capacity != LabourCapacity.NONE,
            ""
            if case.labour_capacity != LabourCapacity.NONE
            else _("无劳动能力的户落实兜底保障措施后继续监测，暂不能消除风险。"),
        ),
    ]
    finance = (
        HouseholdFinance.objects.filter(household=household).order_by("-year").first()
        if case.decided_on is not None
        else None
    )
    label_income = _("上年度收入高于监测范围")
    label_expense = _("大额刚性支出已解决")
    if case.decided_on is None:
        checks.append(Check("income", label_income, False, _("尚未经县级审定为监测对象。")))
        checks.append(Check("expense", label_expense, False, _("尚未经县级审定为监测对象。")))
    elif finance is None or finance.year < case.decided_on.year:
        detail = _("尚未登记%(year)s年以来的年度收支情况。") % {"year": case.decided_on.year}
        checks.append(Check("income", label_income, False, detail))
        checks.append(Check("expense", label_expense, False, detail))
    else:
        problems = []
        applying = range_for(household.path, finance.year)
        if applying is None:
            problems.append(_("未设定%(year)s年度的监测范围。") % {"year": finance.year})
        elif finance.per_capita_net_income <= applying.amount:
            problems.append(
                _("%(year)s年人均纯收入%(income)s元，未高于监测范围%(range)s元。")
                % {
                    "year": finance.year,
                    "income": finance.per_capita_net_income,
                    "range": applying.amount,
                }
            )
        months = removal_income_after_months()
        earliest = add_months(case.decided_on, months)
        if finance.assessed_on < earliest:
            problems.append(
                _(
                    "收入核算日期（%(day)s）距县级审定（%(decided)s）不足%(months)d个月，"
                    "%(earliest)s以后重新核算。"
                )
                % {
                    "day": finance.assessed_on.isoformat(),
                    "decided": case.decided_on.isoformat(),
                    "months": months,
                    "earliest": earliest.isoformat(),
                }
            )
        checks.append(Check("income", label_income, not problems, "".join(problems)))
        solved = finance.rigid_state in (RigidExpenseState.NONE, RigidExpenseState.SOLVED)
        checks.append(
            Check(
                "expense",
                label_expense,
                solved,
                ""
                if solved
                else _("%(year)s年大额刚性支出（医疗、教育等）问题尚未解决。")
                % {"year": finance.year},
            )
        )
    missing = [
        str(label)
        for ok, label in (
            (household.food_clothing_ok, _("不愁吃不愁穿")),
            (household.education_ok, _("义务教育")),
            (household.medical_ok, _("基本医疗")),
            (household.housing_ok, _("住房安全")),
            (household.water_ok, _("饮水安全")),
        )
        if not ok
    ]
    checks.append(
        Check(
            "guarantees",
            _("“两不愁三保障”和饮水安全"),
            not missing,
            (_("尚未保障：%(items)s。") % {"items": "、".join(missing)}) if missing else "",
        )
    )
    return checks


def removal_refusals(checks: list[Check]) -> list[str]:
    return [f"{check.label}：{check.detail}" for check in checks if not check.ok]


def removal_in_progress(case: MonitoringCase) -> RiskRemoval | None:
    return next((r for r in case.removals.all() if r.status == RemovalStatus.IN_PROGRESS), None)


# --- where a clue or a case stands ----------------------------------------------------------
def clue_state(clue: RiskClue) -> tuple[str, str]:
    """(code, label): awaiting acceptance, open (no case yet), identifying, or decided."""
    if clue.decided_on is not None:
        return "decided", str(clue.get_outcome_display())
    if clue.channel == ClueChannel.APPLICATION and clue.accepted_on is None:
        return "awaiting", str(_("待受理"))
    if clue.case_id is not None:
        return "identifying", str(_("识别中"))
    return "open", str(_("待启动识别"))


@dataclass(frozen=True)
class Stage:
    """Where a case stands, as its lists show it: what is waiting, for how many days (from the
    clue while identifying, from the decision while monitored), and whether it is late."""

    label: str
    days: int
    late: bool


def case_stage(case: MonitoringCase, today: datetime.date | None = None) -> Stage:
    """Its steps and removals prefetched (selectors.case_list)."""
    today = today or timezone.localdate()
    deadline = case_deadline(case, today)
    if case.status == CaseStatus.IDENTIFYING:
        upcoming = case_next_step(case)
        label = (
            _("待%(step)s") % {"step": step_label(Procedure.IDENTIFICATION, upcoming)}
            if upcoming
            else str(CaseStatus.IDENTIFYING.label)
        )
        return Stage(label, deadline.days_elapsed, deadline.late)
    if case.status == CaseStatus.MONITORED:
        removal = removal_in_progress(case)
        if removal is not None:
            upcoming = next_step(Procedure.REMOVAL, {s.kind for s in removal.steps.all()})
            label = _("风险消除：待%(step)s") % {
                "step": step_label(Procedure.REMOVAL, upcoming or StepKind.COUNTY_DECISION)
            }
            return Stage(label, days_between(removal.proposed_on, today), False)
        assert case.decided_on is not None  # a monitored case was decided
        return Stage(str(CaseStatus.MONITORED.label), days_between(case.decided_on, today), False)
    if case.status == CaseStatus.NOT_IDENTIFIED:
        return Stage(str(CaseStatus.NOT_IDENTIFIED.label), deadline.days_elapsed, deadline.late)
    end = case.closed_on or today
    return Stage(str(CaseStatus.REMOVED.label), days_between(case.decided_on or end, end), False)


# --- lists ------------------------------------------------------------------------------------
def clue_list(user: User) -> QuerySet[RiskClue]:
    return RiskClue.objects.visible_to(user).select_related(
        "household", "village", "township", "received_by", "case"
    )


def clue_detail(user: User) -> QuerySet[RiskClue]:
    return clue_list(user).select_related("member", "accepted_by", "decided_by")


def case_list(user: User) -> QuerySet[MonitoringCase]:
    """Cases with what `case_stage` reads, in three queries for any page."""
    return (
        MonitoringCase.objects.visible_to(user)
        .select_related("household", "village", "township")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=MonitoringStep.objects.filter(procedure=Procedure.IDENTIFICATION).order_by(
                    "done_on", "id"
                ),
            ),
            Prefetch(
                "removals",
                queryset=RiskRemoval.objects.filter(
                    status=RemovalStatus.IN_PROGRESS
                ).prefetch_related("steps"),
            ),
        )
    )


def case_detail(user: User) -> QuerySet[MonitoringCase]:
    return (
        MonitoringCase.objects.visible_to(user)
        .select_related("household", "village", "township", "opened_by")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=MonitoringStep.objects.select_related("recorded_by", "notice").order_by(
                    "done_on", "id"
                ),
            ),
            Prefetch(
                "removals",
                queryset=RiskRemoval.objects.select_related("proposed_by").order_by(
                    "-proposed_on", "-id"
                ),
            ),
            Prefetch("measures", queryset=MonitoringMeasure.objects.order_by("start_date", "id")),
            Prefetch("clues", queryset=RiskClue.objects.order_by("received_on", "id")),
        )
    )


def case_next_step(case: MonitoringCase) -> str | None:
    """The case's next identification step (its steps prefetched), None when not identifying."""
    if case.status != CaseStatus.IDENTIFYING:
        return None
    return next_step(Procedure.IDENTIFICATION, {s.kind for s in identification_steps(case)})


def open_case_of(household: Household) -> MonitoringCase | None:
    return (
        MonitoringCase.objects.filter(household=household, status__in=OPEN_CASE_STATUSES)
        .order_by("-id")
        .first()
    )


def cases_at_appraisal(user: User, notice: PublicNotice) -> list[MonitoringCase]:
    """The cases of the notice's village waiting for their appraisal and notice: identifying
    cases whose data comparison is done, or monitored cases whose removal's home check is."""
    cases = MonitoringCase.objects.visible_to(user).filter(village=notice.village)
    if notice.purpose == Procedure.IDENTIFICATION:
        done = MonitoringStep.objects.filter(
            procedure=Procedure.IDENTIFICATION, kind=StepKind.DATA_COMPARISON
        ).values("case_id")
        noticed = MonitoringStep.objects.filter(
            procedure=Procedure.IDENTIFICATION, kind=StepKind.APPRAISAL
        ).values("case_id")
        cases = cases.filter(status=CaseStatus.IDENTIFYING, id__in=done).exclude(id__in=noticed)
    else:
        running = RiskRemoval.objects.filter(status=RemovalStatus.IN_PROGRESS)
        checked = MonitoringStep.objects.filter(
            removal__in=running, kind=StepKind.HOME_CHECK
        ).values("case_id")
        noticed = MonitoringStep.objects.filter(
            removal__in=running, kind=StepKind.APPRAISAL
        ).values("case_id")
        cases = cases.filter(status=CaseStatus.MONITORED, id__in=checked).exclude(id__in=noticed)
    return list(cases.select_related("household").order_by("household__group_name", "id"))


def index_counts(user: User, today: datetime.date | None = None) -> dict[str, int]:
    """The figures of the monitoring index page, in four queries."""
    today = today or timezone.localdate()
    clues = RiskClue.objects.visible_to(user)
    accept_cutoff = today - datetime.timedelta(days=application_accept_days())
    decide_cutoff = today - datetime.timedelta(days=clue_decide_days())
    counts = clues.aggregate(
        undecided=Count("id", filter=Q(decided_on__isnull=True)),
        late=Count("id", filter=Q(decided_on__isnull=True, received_on__lt=decide_cutoff)),
        awaiting=Count(
            "id",
            filter=Q(
                channel=ClueChannel.APPLICATION, accepted_on__isnull=True, decided_on__isnull=True
            ),
        ),
        awaiting_late=Count(
            "id",
            filter=Q(
                channel=ClueChannel.APPLICATION,
                accepted_on__isnull=True,
                decided_on__isnull=True,
                received_on__lt=accept_cutoff,
            ),
        ),
    )
    cases = MonitoringCase.objects.visible_to(user).aggregate(
        identifying=Count("id", filter=Q(status=CaseStatus.IDENTIFYING)),
        monitored=Count("id", filter=Q(status=CaseStatus.MONITORED)),
        removed=Count("id", filter=Q(status=CaseStatus.REMOVED)),
    )
    notices = PublicNotice.objects.visible_to(user).aggregate(
        running=Count("id", filter=Q(start_date__lte=today, end_date__gte=today))
    )
    removals = RiskRemoval.objects.visible_to(user).aggregate(
        removing=Count("id", filter=Q(status=RemovalStatus.IN_PROGRESS))
    )
    return {**counts, **cases, **notices, **removals}


# --- screening ----------------------------------------------------------------------------------
@dataclass
class ScreeningRow:
    household: Household
    year: int
    income: Decimal
    previous: Decimal | None
    range_amount: Decimal | None
    reasons: list[str] = field(default_factory=list)
    open_case: MonitoringCase | None = None
    open_clue: RiskClue | None = None

    @property
    def can_raise(self) -> bool:
        return self.open_case is None and self.open_clue is None


def screening_townships(user: User) -> QuerySet[Region]:
    return scope_of(user).regions(levels=["township"]).order_by("path")


def screening_rows(
    *,
    user: User,
    township: Region,
    margin: Decimal | None = None,
    drop_share: Decimal | None = None,
) -> tuple[list[ScreeningRow], list[int]]:
    """The township's screening list (基层干部排查): households in the user's scope whose latest
    per-capita net income (households' income records) lies within the range, or above it by
    less than `margin` × the range, or fell by `drop_share` or more on the year before. Each row
    says why, and whether the household already has an open case or an undecided clue. Also the
    years whose range is not set (for those only the fall is screened). A fixed number of
    queries whatever the township's size."""
    margin = screening_margin() if margin is None else margin
    drop_share = screening_drop_share() if drop_share is None else drop_share
    households = Household.objects.visible_to(user).filter(township=township)
    incomes: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for household_id, year, amount in (
        IncomeRecord.objects.filter(household__in=households.values("id"))
        .order_by()
        .values_list("household_id", "year", "per_capita_net_income")
    ):
        incomes[household_id][year] = amount
    ranges = ranges_by_year(township.path)
    found: dict[int, tuple[int, Decimal, Decimal | None, Decimal | None, list[str]]] = {}
    unset: set[int] = set()
    for household_id, by_year in incomes.items():
        year = max(by_year)
        income = by_year[year]
        previous = by_year.get(year - 1)
        applying = ranges.get(year)
        reasons = []
        if applying is None:
            unset.add(year)
        elif income <= applying.amount:
            reasons.append(str(_("在监测范围内")))
        elif income <= applying.amount * margin:
            reasons.append(str(_("高于监测范围不足%(margin)s倍") % {"margin": margin.normalize()}))
        if previous and previous > 0 and (previous - income) / previous >= drop_share:
            share = int(((previous - income) / previous * 100).to_integral_value())
            reasons.append(str(_("较上年下降%(share)d%%") % {"share": share}))
        if reasons:
            found[household_id] = (
                year,
                income,
                previous,
                applying.amount if applying else None,
                reasons,
            )
    rows: list[ScreeningRow] = []
    if found:
        ids = list(found)
        open_cases = {
            case.household_id: case
            for case in MonitoringCase.objects.filter(
                household_id__in=ids, status__in=OPEN_CASE_STATUSES
            )
        }
        open_clues = {
            clue.household_id: clue
            for clue in RiskClue.objects.filter(household_id__in=ids, decided_on__isnull=True)
        }
        for household in Household.objects.filter(id__in=ids).select_related("village"):
            year, income, previous, range_amount, reasons = found[household.id]
            rows.append(
                ScreeningRow(
                    household=household,
                    year=year,
                    income=income,
                    previous=previous,
                    range_amount=range_amount,
                    reasons=reasons,
                    open_case=open_cases.get(household.id),
                    open_clue=open_clues.get(household.id),
                )
            )
    rows.sort(
        key=lambda row: (row.household.path, row.household.group_name, row.household.head_name)
    )
    return rows, sorted(unset)


# --- the yearly review of the original registered households ---------------------------------
def review_villages(user: User) -> QuerySet[Village]:
    """The villages whose review lists the user reads."""
    return Village.objects.visible_to(user).order_by("path", "name")


@dataclass
class ReviewRow:
    household: Household
    review: HouseholdReview | None


@dataclass
class ReviewList:
    rows: list[ReviewRow]
    counts: list[tuple[str, str, int]]  # (outcome, label, households)
    unreviewed: int


def review_list(user: User, village: Village, year: int) -> ReviewList:
    """Every registered household (建档立卡户) of the village in the user's scope with its review
    of the year, or None; and the counts per outcome. Two queries whatever the village's size."""
    households = list(
        Household.objects.visible_to(user)
        .filter(village=village, status__in=REGISTERED_STATUSES)
        .order_by("group_name", "head_name", "id")
    )
    reviews = {
        review.household_id: review
        for review in HouseholdReview.objects.visible_to(user)
        .filter(village=village, year=year)
        .select_related("decided_by")
    }
    rows = [ReviewRow(household=h, review=reviews.get(h.pk)) for h in households]
    tally: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.review is not None:
            tally[row.review.outcome] += 1
    counts = [(value, str(label), tally[value]) for value, label in ReviewOutcome.choices]
    return ReviewList(
        rows=rows, counts=counts, unreviewed=sum(1 for row in rows if row.review is None)
    )


def review_queryset(user: User) -> QuerySet[HouseholdReview]:
    return HouseholdReview.objects.visible_to(user).select_related(
        "household", "village", "decided_by"
    )
