"""Reminders (DOMAIN.md, "The recurring jobs") and the daily digest.

Each rule below is one set-based function `rule(on) -> list[Reminder]`: a handful of queries,
never one per household. A reminder is a row of (recipient, kind, subject_key, period, …); they
are written with `bulk_create(ignore_conflicts=True)` against the unique key
(recipient, kind, subject_key, period), so the same thing is stored once for a person and a
period however often the job runs, is retried, or runs twice at the same moment.

The new reminders of a day are then folded into one digest per person and day (the bell and the
list show the digest, not one message per household), and the digest is what is e-mailed: one
mail per person per day, claimed with a conditional UPDATE of `emailed_at` before sending, so a
retry or a second worker never mails twice.

Only people with an active user account are reminded: a helper or cadre through `User.cadre`,
a unit through its coordinators (role coordinator, `unit`), a township through its staff, a
county through its reviewers. A person without an account gets nothing; one without an e-mail
address gets the reminder in the product only.

Thresholds come from the indicator catalogue (assessments.Indicator, editable by an
administrator, with per-region overrides); an indicator switched off switches its reminder off.
"""

from __future__ import annotations

import datetime
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Count, Model, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from assessments.periods import week_due
from assessments.selectors import Thresholds, pace_required
from cadres.models import Coverage, FieldDay, TalentAssignment, Term
from households.models import HouseholdPairing, Visit, VisitKind
from inspections.models import RectificationItem
from monitoring import selectors as monitoring
from monitoring.models import (
    CaseStatus,
    MonitoringCase,
    MonitoringStep,
    Procedure,
    PublicNotice,
    RemovalStatus,
    RiskClue,
    RiskRemoval,
    StepKind,
    step_label,
)
from notifications.models import Notification, NotificationKind
from pairing.models import (
    Meeting,
    MeetingKind,
    Pairing,
    PairingKind,
    PairingParticipant,
    StudyTrip,
    Training,
    TrainingKind,
    Unit,
)
from periods import rules as period_rules
from villages.models import VillageIncome

logger = logging.getLogger(__name__)

# Weekly visits are reminded from this weekday on (0 = Monday): Thursday leaves the helper
# Friday to Sunday to make the week's visit.
WEEKLY_VISIT_FROM_WEEKDAY = getattr(settings, "REMINDER_WEEKLY_FROM_WEEKDAY", 3)
# Days in the field are checked against the month's pace from this day of the month on.
FIELD_DAYS_FROM_DAY = getattr(settings, "REMINDER_FIELD_DAYS_FROM_DAY", 15)
# Cadres' terms are reminded when they end within this many days (issue: 60).
TERM_ENDING_DAYS = getattr(settings, "REMINDER_TERM_ENDING_DAYS", 60)
# From this month on, a unit's yearly counts are compared with the whole year's target.
UNIT_FULL_TARGET_FROM_MONTH = 10

DIGEST_SUBJECT = "digest"
# The order of the digest's sections: what is already late first.
DIGEST_ORDER: list[str] = [
    NotificationKind.RECTIFICATION_OVERDUE,
    NotificationKind.PERIOD_OVERDUE,
    NotificationKind.SUBMISSIONS_WAITING,
    NotificationKind.APPLICATION_UNACCEPTED,
    NotificationKind.CLUE_UNDECIDED,
    NotificationKind.TOWNSHIP_REVIEW,
    NotificationKind.NOTICE_ENDING,
    NotificationKind.TERM_ENDING,
    NotificationKind.PARTY_DAY,
    NotificationKind.WEEKLY_VISIT,
    NotificationKind.MONITORED_UNVISITED,
    NotificationKind.YEARLY_PACE,
    NotificationKind.FIELD_DAYS,
    NotificationKind.UNIT_ACTIVITIES,
    NotificationKind.VILLAGE_INCOME,
]
REMINDER_KINDS = [
    NotificationKind.WEEKLY_VISIT,
    NotificationKind.YEARLY_PACE,
    NotificationKind.FIELD_DAYS,
    NotificationKind.UNIT_ACTIVITIES,
    NotificationKind.VILLAGE_INCOME,
    NotificationKind.TERM_ENDING,
    NotificationKind.RECTIFICATION_OVERDUE,
    NotificationKind.PARTY_DAY,
    NotificationKind.CLUE_UNDECIDED,
    NotificationKind.APPLICATION_UNACCEPTED,
    NotificationKind.NOTICE_ENDING,
    NotificationKind.TOWNSHIP_REVIEW,
    NotificationKind.MONITORED_UNVISITED,
    NotificationKind.PERIOD_OVERDUE,
    NotificationKind.SUBMISSIONS_WAITING,
]


@dataclass(frozen=True)
class Reminder:
    recipient_id: int
    kind: str
    subject_key: str
    period: str
    title: str
    body: str = ""
    link: str = ""

    def as_model(self) -> Notification:
        return Notification(
            recipient_id=self.recipient_id,
            kind=self.kind,
            subject_key=self.subject_key[:100],
            period=self.period,
            title=self.title[:200],
            body=self.body,
            link=self.link[:300],
        )


# --- small helpers ---------------------------------------------------------------------------
def iso_week(day: datetime.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def quarter_label(day: datetime.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _days_in_month(day: datetime.date) -> int:
    first_next = datetime.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return (first_next - datetime.timedelta(days=1)).day


def first_friday(year: int, month: int) -> datetime.date:
    day = datetime.date(year, month, 1)
    return day + datetime.timedelta(days=(4 - day.weekday()) % 7)


class _Links:
    """URL of an object's page by name, reversed once per name (other apps' pages may not be
    installed yet: then the reminder simply has no link)."""

    def __init__(self) -> None:
        self._patterns: dict[str, str | None] = {}

    def __call__(self, name: str, pk: int | None = None, query: str = "") -> str:
        if name not in self._patterns:
            try:
                self._patterns[name] = (
                    reverse(name, args=[987654321]) if pk is not None else reverse(name)
                )
            except NoReverseMatch:
                self._patterns[name] = None
        pattern = self._patterns[name]
        if pattern is None:
            return ""
        url = pattern.replace("987654321", str(pk)) if pk is not None else pattern
        return url + (f"?{query}" if query else "")


def _cadre_users() -> dict[int, int]:
    """cadre id → user id for every active user who is a cadre or helper."""
    return dict(
        User.objects.filter(is_active=True, cadre__isnull=False).values_list("cadre_id", "id")
    )


def _cadre_user_subquery() -> QuerySet[User, Mapping[str, object]]:
    return User.objects.filter(is_active=True, cadre__isnull=False).values("cadre_id")


def _coordinators() -> dict[int, list[int]]:
    """unit id → user ids of its active coordinators."""
    result: dict[int, list[int]] = defaultdict(list)
    for unit_id, user_id in User.objects.filter(
        is_active=True, role=Role.COORDINATOR, unit__isnull=False
    ).values_list("unit_id", "id"):
        result[unit_id].append(user_id)
    return result


def _region_users(role: str) -> dict[int, list[int]]:
    """region id → active users of this role whose scope is exactly that region."""
    result: dict[int, list[int]] = defaultdict(list)
    for region_id, user_id in User.objects.filter(
        is_active=True, role=role, region__isnull=False
    ).values_list("region_id", "id"):
        result[region_id].append(user_id)
    return result


def _region_users_by_path(role: str) -> dict[str, list[int]]:
    """region path → active users of this role whose scope is that region."""
    result: dict[str, list[int]] = defaultdict(list)
    for path, user_id in User.objects.filter(
        is_active=True, role=role, region__isnull=False
    ).values_list("region__path", "id"):
        result[path].append(user_id)
    return result


def _users_over(path: str, by_path: dict[str, list[int]]) -> list[int]:
    """Users whose region is `path` or one of its ancestors (a path is codes joined by '/')."""
    found: list[int] = []
    prefix = ""
    for code in path.strip("/").split("/"):
        prefix += code + "/"
        found.extend(by_path.get(prefix, ()))
    return found


def _fmt(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _n(value: Decimal | float | str) -> str:
    value = Decimal(value)
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"


# --- the rules -------------------------------------------------------------------------------
@dataclass
class _Pair:
    household_id: int
    helper_id: int
    unit_id: int | None
    head_name: str
    village_name: str
    helper_name: str
    path: str


def _responsible_pairings(on: datetime.date) -> QuerySet[HouseholdPairing]:
    """Household pairings in force whose helper has an account or whose unit has a coordinator:
    the people a household reminder can reach (the helper; the unit that sent the helper)."""
    coordinator_units = User.objects.filter(
        is_active=True, role=Role.COORDINATOR, unit__isnull=False
    ).values("unit_id")
    return HouseholdPairing.objects.in_force(on).filter(
        Q(helper_id__in=_cadre_user_subquery()) | Q(unit_id__in=coordinator_units)
    )


def _responsible_pairs(on: datetime.date) -> tuple[list[_Pair], dict[int, int], dict]:
    rows = (
        _responsible_pairings(on)
        .values_list(
            "household_id",
            "helper_id",
            "unit_id",
            "household__head_name",
            "household__village__name",
            "helper__name",
            "household__path",
        )
        .order_by("household_id", "helper_id")
    )
    return [_Pair(*row) for row in rows], _cadre_users(), _coordinators()


def _pair_recipients(pair: _Pair, users: dict[int, int], coordinators: dict) -> list[int]:
    recipients = list(coordinators.get(pair.unit_id, ()))
    if pair.helper_id in users:
        recipients.append(users[pair.helper_id])
    return recipients


def rule_weekly_visit(on: datetime.date, thresholds: Thresholds, links: _Links) -> list[Reminder]:
    """HH-VISIT-WEEKLY: a household whose responsible helper has no credited home visit in the
    ISO week (Monday to Sunday, both included) containing `on`; reminded from Thursday on, to
    the helper and the coordinators of the helper's unit; once per household, person and week."""
    if on.weekday() < WEEKLY_VISIT_FROM_WEEKDAY:
        return []
    if thresholds.get("HH-VISIT-WEEKLY") is None:
        return []
    due = week_due(on)  # the one definition of "this week" (assessments.periods)
    week_start, week_end = due.start, due.end
    pairs, users, coordinators = _responsible_pairs(on)
    if not pairs:
        return []
    visit_rows = (
        Visit.objects.counted()
        .filter(
            kind=VisitKind.HOME,
            household__isnull=False,
            visited_on__gte=week_start,
            visited_on__lte=week_end,
        )
        .filter(helper_id__in=_responsible_pairings(on).values("helper_id"))
        .values("household_id", "helper_id")
        .annotate(n=Count("*"))
        .values_list("household_id", "helper_id", "n")
        .order_by()
    )
    done = {(h, c): n for h, c, n in visit_rows}
    period = due.period.label  # 2026-W49, as iso_week(on) spells it
    reminders = []
    for pair in pairs:
        threshold = thresholds.get("HH-VISIT-WEEKLY", pair.path)
        if threshold is None or done.get((pair.household_id, pair.helper_id), 0) >= threshold:
            continue
        title = _("本周尚未入户走访：%(name)s（%(village)s，帮扶责任人%(helper)s）") % {
            "name": pair.head_name,
            "village": pair.village_name,
            "helper": pair.helper_name,
        }
        body = _("每周到户走访至少 %(n)s 次（003 三(三)）。%(due)s，尚未记录对该户的入户走访。") % {
            "n": _n(threshold),
            "due": due.sentence,
        }
        for user_id in _pair_recipients(pair, users, coordinators):
            reminders.append(
                Reminder(
                    recipient_id=user_id,
                    kind=NotificationKind.WEEKLY_VISIT,
                    subject_key=f"household:{pair.household_id}",
                    period=period,
                    title=title,
                    body=body,
                    link=links("households:detail", pair.household_id),
                )
            )
    return reminders


def rule_yearly_pace(on: datetime.date, thresholds: Thresholds, links: _Links) -> list[Reminder]:
    """HH-VISIT-YEAR: a paired household with fewer credited visits this year than the pace for
    the yearly target (⌊target × days gone / days in year⌋), to the helper and the coordinators
    of the helper's unit; once a month."""
    if thresholds.get("HH-VISIT-YEAR") is None:
        return []
    pairs, users, coordinators = _responsible_pairs(on)
    if not pairs:
        return []
    counts = dict(
        Visit.objects.counted()
        .filter(
            household__isnull=False,
            visited_on__gte=datetime.date(on.year, 1, 1),
            visited_on__lte=on,
        )
        .filter(household_id__in=_responsible_pairings(on).values("household_id"))
        .values("household_id")
        .annotate(n=Count("*"))
        .values_list("household_id", "n")
        .order_by()
    )
    period = f"{on:%Y-%m}"
    reminders = []
    for pair in pairs:
        target = thresholds.get("HH-VISIT-YEAR", pair.path)
        if target is None:
            continue
        expected = int(pace_required(on, target))
        have = counts.get(pair.household_id, 0)
        if expected < 1 or have >= expected:
            continue
        title = _("全年走访进度落后：%(name)s（%(village)s，今年已走访 %(have)d 次）") % {
            "name": pair.head_name,
            "village": pair.village_name,
            "have": have,
        }
        body = _(
            "每年走访贫困户 %(target)s 遍以上（003 三(二)）。按进度到今天应走访 %(expected)d 次，目前记入考核 %(have)d 次。帮扶责任人：%(helper)s。"
        ) % {"target": _n(target), "expected": expected, "have": have, "helper": pair.helper_name}
        for user_id in _pair_recipients(pair, users, coordinators):
            reminders.append(
                Reminder(
                    recipient_id=user_id,
                    kind=NotificationKind.YEARLY_PACE,
                    subject_key=f"household:{pair.household_id}",
                    period=period,
                    title=title,
                    body=body,
                    link=links("households:detail", pair.household_id),
                )
            )
    return reminders


def rule_field_days(on: datetime.date, thresholds: Thresholds, links: _Links) -> list[Reminder]:
    """TOWNSHIP-LEADER-DAYS, COUNTY-LEADER-DAYS, TALENT-DAYS: from the 15th, a leader or talent
    with fewer days in the covered region this month than the month's pace; to the person and
    the staff of the township concerned (who enter the days); once a month."""
    if on.day < FIELD_DAYS_FROM_DAY:
        return []
    users = _cadre_users()
    staff = _region_users_by_path(Role.TOWNSHIP_STAFF)
    # (subject key, cadre id, cadre name, covered region path, region name, indicator code)
    duties: list[tuple[str, int, str, str, str, str]] = []
    for cov_id, level, cadre_id, cadre_name, path, name in (
        Coverage.objects.in_force(on)
        .filter(
            cadre__isnull=False,
            level__in=[Coverage.Level.TOWNSHIP_LEADER, Coverage.Level.COUNTY_LEADER],
        )
        .values_list("id", "level", "cadre_id", "cadre__name", "region__path", "region__name")
    ):
        code = (
            "TOWNSHIP-LEADER-DAYS"
            if level == Coverage.Level.TOWNSHIP_LEADER
            else "COUNTY-LEADER-DAYS"
        )
        duties.append((f"coverage:{cov_id}", cadre_id, cadre_name, path, name, code))
    for ta_id, cadre_id, cadre_name, path, name in TalentAssignment.objects.in_force(
        on
    ).values_list("id", "cadre_id", "cadre__name", "village__path", "village__name"):
        duties.append((f"talent:{ta_id}", cadre_id, cadre_name, path, name, "TALENT-DAYS"))
    if not duties:
        return []
    wanted = {d[1] for d in duties}
    days_by_cadre: dict[int, list[tuple[str, datetime.date]]] = defaultdict(list)
    for cadre_id, path, day in FieldDay.objects.filter(
        day__gte=on.replace(day=1), day__lte=on
    ).values_list("cadre_id", "region__path", "day"):
        if cadre_id in wanted:
            days_by_cadre[cadre_id].append((path, day))
    fraction = Decimal(on.day) / Decimal(_days_in_month(on))
    period = f"{on:%Y-%m}"
    reminders = []
    for key, cadre_id, cadre_name, path, name, code in duties:
        target = thresholds.get(code, path)
        if target is None:
            continue
        expected = math.floor(target * fraction)
        have = len({day for p, day in days_by_cadre.get(cadre_id, ()) if p.startswith(path)})
        if expected < 1 or have >= expected:
            continue
        recipients = set(_users_over(path, staff))
        if cadre_id in users:
            recipients.add(users[cadre_id])
        for user_id in recipients:
            reminders.append(
                Reminder(
                    recipient_id=user_id,
                    kind=NotificationKind.FIELD_DAYS,
                    subject_key=key,
                    period=period,
                    title=_("%(cadre)s本月在%(place)s仅 %(have)d 天，每月应不少于 %(target)s 天")
                    % {"cadre": cadre_name, "place": name, "have": have, "target": _n(target)},
                    body=_(
                        "按进度到今天应在%(place)s %(expected)d 天，本月已登记 %(have)d 天（003 一、三）。请及时安排并登记在岗天数。"
                    )
                    % {"place": name, "expected": expected, "have": have},
                    link=links("cadres:field_days"),
                )
            )
    return reminders


UNIT_TARGETS = [
    # code, label (the target is the catalogue's, through Thresholds)
    ("UNIT-NIGHT-SCHOOL", gettext_lazy("农民夜校")),
    ("UNIT-SPECIAL-MEETING", gettext_lazy("专题会议")),
    ("LEAD-JOINT-MEETING", gettext_lazy("联席会议")),
    ("UNIT-STUDY-TRIP", gettext_lazy("外出学习考察")),
]


def rule_unit_activities(
    on: datetime.date, thresholds: Thresholds, links: _Links
) -> list[Reminder]:
    """A helping unit behind its yearly night-school, special-meeting, joint-meeting (lead units)
    or study-trip count: against the year's pace, and from October against the whole target;
    to the unit's coordinators, once a quarter per activity."""
    coordinators = _coordinators()
    if not coordinators:
        return []
    pairings = Pairing.objects.in_force(on)
    helping = set(pairings.values_list("lead_unit_id", flat=True)) | set(
        PairingParticipant.objects.filter(pairing__in=pairings).values_list(
            "organisation__unit_id", flat=True
        )
    )
    leads = set(
        pairings.filter(kind__in=[PairingKind.ONE_PLUS, PairingKind.DESIGNATED]).values_list(
            "lead_unit_id", flat=True
        )
    )
    unit_ids = [u for u in coordinators if u in helping]
    if not unit_ids:
        return []
    year_start = datetime.date(on.year, 1, 1)

    def counts(qs: QuerySet[Model], date_field: str) -> dict[int, int]:
        return dict(
            qs.filter(
                unit_id__in=unit_ids, **{f"{date_field}__gte": year_start, f"{date_field}__lte": on}
            )
            .values("unit_id")
            .annotate(n=Count("*"))
            .values_list("unit_id", "n")
        )

    done = {
        "UNIT-NIGHT-SCHOOL": counts(
            Training.objects.filter(kind=TrainingKind.NIGHT_SCHOOL), "held_on"
        ),
        "UNIT-SPECIAL-MEETING": counts(Meeting.objects.filter(kind=MeetingKind.SPECIAL), "held_on"),
        "LEAD-JOINT-MEETING": counts(Meeting.objects.filter(kind=MeetingKind.JOINT), "held_on"),
        "UNIT-STUDY-TRIP": counts(StudyTrip.objects.all(), "started_on"),
    }
    names = dict(Unit.objects.filter(id__in=unit_ids).values_list("id", "name"))
    full_year = on.month >= UNIT_FULL_TARGET_FROM_MONTH
    period = quarter_label(on)
    reminders = []
    for unit_id in unit_ids:
        for code, label in UNIT_TARGETS:
            if code == "LEAD-JOINT-MEETING" and unit_id not in leads:
                continue
            target = thresholds.get(code)
            if target is None:
                continue
            expected = int(target) if full_year else int(pace_required(on, target))
            have = done[code].get(unit_id, 0)
            if expected < 1 or have >= expected:
                continue
            for user_id in coordinators[unit_id]:
                reminders.append(
                    Reminder(
                        recipient_id=user_id,
                        kind=NotificationKind.UNIT_ACTIVITIES,
                        subject_key=f"unit:{unit_id}:{code}",
                        period=period,
                        title=_(
                            "%(unit)s %(label)s落后：今年已 %(have)d 次，全年应不少于 %(target)s 次"
                        )
                        % {
                            "unit": names.get(unit_id, ""),
                            "label": label,
                            "have": have,
                            "target": _n(target),
                        },
                        body=_("按进度到今天应组织%(label)s %(expected)d 次（001 三）。")
                        % {"label": label, "expected": expected},
                        link=links("pairing:activities"),
                    )
                )
    return reminders


def rule_village_income(on: datetime.date, thresholds: Thresholds, links: _Links) -> list[Reminder]:
    """VILLAGE-COLLECTIVE-INCOME: a registered poor village whose latest collective income
    (this year's figure, else last year's) is below the line; to its stationed cadres and the
    coordinators of the units paired with it; once a quarter."""

    if thresholds.get("VILLAGE-COLLECTIVE-INCOME") is None:
        return []
    latest: dict[int, tuple[int, Decimal, str, str]] = {}
    for village_id, year, amount, name, path in (
        VillageIncome.objects.filter(year__in=[on.year, on.year - 1], village__is_poor_village=True)
        .order_by("year")
        .values_list("village_id", "year", "amount", "village__name", "village__path")
    ):
        latest[village_id] = (year, amount, name, path)  # this year's overwrites last year's
    below = {}
    for village_id, (year, amount, name, path) in latest.items():
        line = thresholds.get("VILLAGE-COLLECTIVE-INCOME", path)
        if line is not None and amount < line:
            below[village_id] = (year, amount, name, line)
    if not below:
        return []
    users = _cadre_users()
    recipients: dict[int, set[int]] = defaultdict(set)
    for village_id, cadre_id in (
        Term.objects.in_force(on)
        .filter(village_id__in=below.keys(), cadre_id__in=_cadre_user_subquery())
        .values_list("village_id", "cadre_id")
    ):
        recipients[village_id].add(users[cadre_id])
    coordinators = _coordinators()
    for village_id, unit_id in (
        Pairing.objects.in_force(on)
        .filter(village_id__in=below.keys())
        .values_list("village_id", "lead_unit_id")
    ):
        recipients[village_id].update(coordinators.get(unit_id, ()))
    period = quarter_label(on)
    reminders = []
    for village_id, (year, amount, name, line) in below.items():
        for user_id in recipients.get(village_id, ()):
            reminders.append(
                Reminder(
                    recipient_id=user_id,
                    kind=NotificationKind.VILLAGE_INCOME,
                    subject_key=f"village:{village_id}:{year}",
                    period=period,
                    title=_("%(village)s %(year)d 年集体经济收入 %(amount)s 元，低于 %(line)s 元")
                    % {"village": name, "year": year, "amount": _n(amount), "line": _n(line)},
                    body=_("贫困村集体经济收入至少要达到 %(line)s 元以上（002 一(五)）。")
                    % {"line": _n(line)},
                    link=links("villages:detail", village_id),
                )
            )
    return reminders


def rule_term_ending(on: datetime.date, thresholds: Thresholds, links: _Links) -> list[Reminder]:
    """A stationed cadre's or first secretary's term ending within 60 days (the 60th day
    included); to the cadre and the dispatching unit's coordinators; once per term end date."""

    horizon = on + datetime.timedelta(days=TERM_ENDING_DAYS)
    users = _cadre_users()
    coordinators = _coordinators()
    reminders = []
    for term_id, cadre_id, cadre_name, village_id, village_name, unit_id, end in (
        Term.objects.in_force(on)
        .filter(end_date__gte=on, end_date__lte=horizon)
        .values_list(
            "id",
            "cadre_id",
            "cadre__name",
            "village_id",
            "village__name",
            "dispatching_unit_id",
            "end_date",
        )
    ):
        recipients = set(coordinators.get(unit_id, ()))
        if cadre_id in users:
            recipients.add(users[cadre_id])
        days = (end - on).days
        for user_id in recipients:
            reminders.append(
                Reminder(
                    recipient_id=user_id,
                    kind=NotificationKind.TERM_ENDING,
                    subject_key=f"term:{term_id}",
                    period=end.isoformat(),
                    title=_("%(cadre)s在%(village)s的驻村任期将于 %(end)s 届满（还有 %(days)d 天）")
                    % {
                        "cadre": cadre_name,
                        "village": village_name,
                        "end": _fmt(end),
                        "days": days,
                    },
                    body=_("请派出单位及早做好考核、轮换或续派衔接，确保驻村工作不断档。"),
                    link=links("villages:detail", village_id),
                )
            )
    return reminders


def rule_rectification_overdue(
    on: datetime.date, thresholds: Thresholds, links: _Links
) -> list[Reminder]:
    """A rectification item past its deadline and not closed: to the responsible person and
    the responsible unit's coordinators; after ESCALATE_TOWNSHIP_AFTER_DAYS also to the
    township's staff, after ESCALATE_COUNTY_AFTER_DAYS also to the county's reviewers; once a
    week per person while it stays overdue."""

    coordinators = _coordinators()
    township_staff = _region_users(Role.TOWNSHIP_STAFF)
    county_reviewers = _region_users(Role.REVIEWER)
    active_users = set(
        User.objects.filter(
            is_active=True,
            id__in=RectificationItem.objects.overdue(on).values("responsible_person_id"),
        ).values_list("id", flat=True)
    )
    township_after = settings.ESCALATE_TOWNSHIP_AFTER_DAYS
    county_after = settings.ESCALATE_COUNTY_AFTER_DAYS
    period = iso_week(on)
    reminders = []
    for (
        item_id,
        problem,
        deadline,
        person_id,
        unit_id,
        village_name,
        township_id,
        county_id,
    ) in RectificationItem.objects.overdue(on).values_list(
        "id",
        "problem",
        "deadline",
        "responsible_person_id",
        "responsible_unit_id",
        "village__name",
        "village__township_id",
        "village__county_id",
    ):
        late = (on - deadline).days
        recipients = set(coordinators.get(unit_id, ()))
        if person_id in active_users:
            recipients.add(person_id)
        if late >= township_after:
            recipients.update(township_staff.get(township_id, ()))
        if late >= county_after:
            recipients.update(county_reviewers.get(county_id, ()))
        short = problem if len(problem) <= 30 else problem[:30] + "…"
        for user_id in recipients:
            reminders.append(
                Reminder(
                    recipient_id=user_id,
                    kind=NotificationKind.RECTIFICATION_OVERDUE,
                    subject_key=f"rectification:{item_id}",
                    period=period,
                    title=_("整改逾期 %(days)d 天：%(village)s %(problem)s")
                    % {"days": late, "village": village_name, "problem": short},
                    body=_(
                        "整改时限为 %(deadline)s，至今未销号。请尽快整改并上传佐证、提交销号（004）。"
                    )
                    % {"deadline": _fmt(deadline)},
                    link=links("inspections:rectification_detail", item_id),
                )
            )
    return reminders


def rule_party_day(on: datetime.date, thresholds: Thresholds, links: _Links) -> list[Reminder]:
    """PARTY-DAY: the fixed Party day (the first Friday of the month, 003 二(二)) is tomorrow or
    today; to the cadres stationed in each village and to township staff; once a month."""
    if thresholds.get("PARTY-DAY") is None:
        return []
    friday = first_friday(on.year, on.month)
    if friday < on:  # this month's is past: look at next month's
        nxt = on.replace(day=1) + datetime.timedelta(days=32)
        friday = first_friday(nxt.year, nxt.month)
    if not (0 <= (friday - on).days <= 1):
        return []
    users = _cadre_users()
    staff = _region_users_by_path(Role.TOWNSHIP_STAFF)
    period = f"{friday:%Y-%m}"
    reminders = []
    for village_id, village_name, cadre_id in (
        Term.objects.in_force(on)
        .filter(cadre_id__in=_cadre_user_subquery())
        .values_list("village_id", "village__name", "cadre_id")
    ):
        reminders.append(
            Reminder(
                recipient_id=users[cadre_id],
                kind=NotificationKind.PARTY_DAY,
                subject_key=f"village:{village_id}",
                period=period,
                title=_("%(date)s（星期五）是%(village)s的固定党日")
                % {"date": _fmt(friday), "village": village_name},
                body=_(
                    "每月第一个星期五为固定党日（003 二(二)）。请组织党员按时参加，并在系统中登记。"
                ),
                link=links("pairing:activities"),
            )
        )
    for user_id in {u for users_ in staff.values() for u in users_}:
        reminders.append(
            Reminder(
                recipient_id=user_id,
                kind=NotificationKind.PARTY_DAY,
                subject_key="township",
                period=period,
                title=_("%(date)s（星期五）是固定党日") % {"date": _fmt(friday)},
                body=_(
                    "每月第一个星期五为固定党日（003 二(二)）。请提醒本镇各村党支部按时开展，并在系统中登记。"
                ),
                link=links("pairing:activities"),
            )
        )
    return reminders


# --- monitoring against relapse (issue 14) ----------------------------------------------------
# The deadlines are monitoring.selectors' (clue_reminder_day, clues_acceptance_late,
# case_deadline, notice_days …): these rules only say who is told and when.
# A monitored household not visited this month is reminded from this day of the month on.
MONITORED_VISIT_FROM_DAY = getattr(settings, "REMINDER_MONITORED_VISIT_FROM_DAY", 20)


def _township_staff_reminders(
    rows: Iterable[tuple[int, str, str, str, str]],
    kind: str,
    period: str,
) -> list[Reminder]:
    """(township id, subject key, title, body, link) → one reminder per township staff."""
    staff = _region_users(Role.TOWNSHIP_STAFF)
    return [
        Reminder(
            recipient_id=user_id,
            kind=kind,
            subject_key=subject,
            period=period,
            title=title,
            body=body,
            link=link,
        )
        for township_id, subject, title, body, link in rows
        for user_id in staff.get(township_id, ())
    ]


def rule_clue_undecided(on: datetime.date, thresholds: Thresholds, links: _Links) -> list[Reminder]:
    """A risk clue still undecided on its reminder day (the 10th by default,
    monitoring.selectors.clue_reminder_day); to the staff of its township; once per clue."""
    reminder_day = monitoring.clue_reminder_day()
    clues = monitoring.clues_undecided_on_day(
        RiskClue.objects.all(), reminder_day, today=on
    ).select_related("household", "village")
    rows = []
    for clue in clues:
        deadline = monitoring.clue_deadline(clue, on)
        rows.append(
            (
                clue.township_id,
                f"clue:{clue.pk}",
                _("风险线索已%(days)d天未办结：%(name)s（%(village)s）")
                % {
                    "days": deadline.days_elapsed,
                    "name": clue.household.head_name,
                    "village": clue.village.name,
                },
                _(
                    "线索于%(received)s接报（%(channel)s），应在%(limit)d天内办结，即%(due)s前。请尽快核实并办结。"
                )
                % {
                    "received": _fmt(clue.received_on),
                    "channel": clue.get_channel_display(),
                    "limit": deadline.limit,
                    "due": _fmt(deadline.due_on),
                },
                links("monitoring:clue_detail", clue.pk),
            )
        )
    return _township_staff_reminders(rows, NotificationKind.CLUE_UNDECIDED, on.isoformat())


def rule_application_unaccepted(
    on: datetime.date, thresholds: Thresholds, links: _Links
) -> list[Reminder]:
    """A household's own application not accepted within its deadline (2 days by default,
    monitoring.selectors.clues_acceptance_late); to the staff of its township; once a day while
    it waits."""
    clues = monitoring.clues_acceptance_late(
        RiskClue.objects.filter(accepted_on__isnull=True, decided_on__isnull=True), on
    ).select_related("household", "village")
    rows = []
    for clue in clues:
        deadline = monitoring.acceptance_deadline(clue, on)
        assert deadline is not None  # an application
        rows.append(
            (
                clue.township_id,
                f"clue:{clue.pk}",
                _("农户申报逾期%(over)d天未受理：%(name)s（%(village)s）")
                % {
                    "over": deadline.days_over,
                    "name": clue.household.head_name,
                    "village": clue.village.name,
                },
                _("该户于%(received)s自主申报，乡镇应在%(limit)d天内（%(due)s前）受理。")
                % {
                    "received": _fmt(clue.received_on),
                    "limit": deadline.limit,
                    "due": _fmt(deadline.due_on),
                },
                links("monitoring:clue_detail", clue.pk),
            )
        )
    return _township_staff_reminders(rows, NotificationKind.APPLICATION_UNACCEPTED, on.isoformat())


def rule_notice_ending(on: datetime.date, thresholds: Thresholds, links: _Links) -> list[Reminder]:
    """A public notice ending tomorrow or today; to the staff of its township (who record the
    objections and then the township review); once a day, so twice per notice."""
    tomorrow = on + datetime.timedelta(days=1)
    notices = (
        PublicNotice.objects.filter(end_date__in=[on, tomorrow], start_date__lte=on)
        .select_related("village")
        .order_by("id")
    )
    rows = []
    for notice in notices:
        values = {
            "village": notice.village.name,
            "title": notice.title,
            "end": _fmt(notice.end_date),
        }
        title = (
            _("%(village)s%(title)s今天（%(end)s）结束")
            if notice.end_date == on
            else _("%(village)s%(title)s明天（%(end)s）结束")
        ) % values
        days = monitoring.notice_days(notice.start_date, notice.end_date)
        minimum = monitoring.notice_minimum_days(notice.purpose)
        body = _(
            "公示期%(start)s至%(end)s，共%(days)d天。公示结束后请登记异议处理情况并进行乡镇审核。"
        ) % {
            "start": _fmt(notice.start_date),
            "end": _fmt(notice.end_date),
            "days": days,
        }
        if days < minimum:
            body += _("注意：公示不足%(minimum)d天。") % {"minimum": minimum}
        rows.append(
            (
                notice.township_id,
                f"notice:{notice.pk}",
                title,
                body,
                links("monitoring:notice_detail", notice.pk),
            )
        )
    return _township_staff_reminders(rows, NotificationKind.NOTICE_ENDING, on.isoformat())


def rule_township_review(
    on: datetime.date, thresholds: Thresholds, links: _Links
) -> list[Reminder]:
    """A case whose next step is the township review (of its identification, or of its risk
    removal in progress), once its notice has ended (the review may not come before); to the
    staff of its township; once a day while it waits."""
    cases = (
        MonitoringCase.objects.filter(
            Q(status=CaseStatus.IDENTIFYING)
            | Q(status=CaseStatus.MONITORED, removals__status=RemovalStatus.IN_PROGRESS)
        )
        .distinct()
        .select_related("household", "village")
        .prefetch_related(
            Prefetch("steps", queryset=MonitoringStep.objects.select_related("notice")),
            Prefetch(
                "removals",
                queryset=RiskRemoval.objects.filter(status=RemovalStatus.IN_PROGRESS),
            ),
        )
        .order_by("id")
    )
    rows = []
    for case in cases:
        removal = (
            monitoring.removal_in_progress(case) if case.status == CaseStatus.MONITORED else None
        )
        if removal is not None:
            steps = [s for s in case.steps.all() if s.removal_id == removal.pk]
            upcoming = monitoring.next_step(Procedure.REMOVAL, {s.kind for s in steps})
            procedure, subject = Procedure.REMOVAL, f"removal:{removal.pk}"
        else:
            steps = [s for s in case.steps.all() if s.procedure == Procedure.IDENTIFICATION]
            upcoming = monitoring.next_step(Procedure.IDENTIFICATION, {s.kind for s in steps})
            procedure, subject = Procedure.IDENTIFICATION, f"case:{case.pk}"
        if upcoming != StepKind.TOWNSHIP_REVIEW:
            continue
        appraisal = next((s for s in steps if s.kind == StepKind.APPRAISAL), None)
        if appraisal is None or (appraisal.notice and appraisal.notice.end_date >= on):
            continue  # the notice is still running: the review cannot be done yet
        label = step_label(procedure, StepKind.TOWNSHIP_REVIEW)
        values = {
            "step": label,
            "name": case.household.head_name,
            "village": case.village.name,
            "purpose": Procedure(procedure).label,
        }
        if procedure == Procedure.IDENTIFICATION:
            deadline = monitoring.case_deadline(case, on)
            body = _("线索接报已%(days)d天，应在%(limit)d天内（%(due)s前）完成识别。") % {
                "days": deadline.days_elapsed,
                "limit": deadline.limit,
                "due": _fmt(deadline.due_on),
            }
        else:
            body = _("村民主评议和公示已完成，请进行%(step)s。") % values
        rows.append(
            (
                case.township_id,
                subject,
                _("待%(step)s（%(purpose)s）：%(name)s（%(village)s）") % values,
                body,
                links("monitoring:case_detail", case.pk),
            )
        )
    return _township_staff_reminders(rows, NotificationKind.TOWNSHIP_REVIEW, on.isoformat())


def rule_monitored_unvisited(
    on: datetime.date, thresholds: Thresholds, links: _Links
) -> list[Reminder]:
    """MON-VISIT-MONTH: from the 20th, a monitored household (a case decided by `on`) with
    fewer counted visits this month than the threshold (1 while the indicator is not in the
    catalogue; none when it is switched off); to its helpers in force and the staff of its
    township; once a month."""
    code = "MON-VISIT-MONTH"
    if on.day < MONITORED_VISIT_FROM_DAY:
        return []
    if code in thresholds.by_code and thresholds.get(code) is None:
        return []  # switched off
    cases = list(
        MonitoringCase.objects.filter(status=CaseStatus.MONITORED, decided_on__lte=on)
        .order_by("household_id")
        .values_list("household_id", "township_id", "path", "household__head_name", "village__name")
    )
    if not cases:
        return []
    month_start = on.replace(day=1)
    monitored = MonitoringCase.objects.filter(
        status=CaseStatus.MONITORED, decided_on__lte=on
    ).values("household_id")
    visits = dict(
        Visit.objects.counted()
        .filter(household_id__in=monitored, visited_on__gte=month_start, visited_on__lte=on)
        .order_by()
        .values("household_id")
        .annotate(n=Count("*"))
        .values_list("household_id", "n")
    )
    users = _cadre_users()
    helpers: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for household_id, helper_id, helper_name in (
        HouseholdPairing.objects.in_force(on)
        .filter(household_id__in=monitored)
        .order_by("household_id", "helper_id")
        .values_list("household_id", "helper_id", "helper__name")
    ):
        helpers[household_id].append((helper_id, helper_name))
    staff = _region_users(Role.TOWNSHIP_STAFF)
    period = f"{on:%Y-%m}"
    reminders = []
    for household_id, township_id, path, head_name, village_name in cases:
        threshold = thresholds.get(code, path) if code in thresholds.by_code else Decimal(1)
        have = visits.get(household_id, 0)
        if threshold is None or have >= threshold:
            continue
        names = "、".join(name for _id, name in helpers.get(household_id, ())) or _("无")
        recipients = set(staff.get(township_id, ()))
        recipients.update(
            users[helper_id]
            for helper_id, _name in helpers.get(household_id, ())
            if helper_id in users
        )
        for user_id in recipients:
            reminders.append(
                Reminder(
                    recipient_id=user_id,
                    kind=NotificationKind.MONITORED_UNVISITED,
                    subject_key=f"household:{household_id}",
                    period=period,
                    title=_("监测户本月尚未走访：%(name)s（%(village)s，帮扶责任人%(helpers)s）")
                    % {"name": head_name, "village": village_name, "helpers": names},
                    body=_(
                        "监测户每月至少走访 %(n)s 次，本月（%(start)s起）已记入考核 %(have)d 次。"
                    )
                    % {"n": _n(threshold), "start": _fmt(month_start), "have": have},
                    link=links("households:detail", household_id),
                )
            )
    return reminders


def rule_period_overdue(on: datetime.date, thresholds: Thresholds, links: _Links) -> list[Reminder]:
    """A township's reporting period not submitted after its last day to submit
    (periods.rules.is_overdue); to the township's staff, once per period and day."""
    rows = [
        (
            item.township_id,
            f"period:{item.township_id}:{item.label}",
            _("%(period)s尚未报送（%(township)s）")
            % {"period": item.period, "township": item.township},
            _("应于%(due)s前报送，已逾期。请核对本期记录后报送县级审核。")
            % {"due": _fmt(item.due_on)},
            links("reporting:township", item.township_id),
        )
        for item in period_rules.overdue_periods(on)
    ]
    return _township_staff_reminders(rows, NotificationKind.PERIOD_OVERDUE, on.isoformat())


def rule_submissions_waiting(
    on: datetime.date, thresholds: Thresholds, links: _Links
) -> list[Reminder]:
    """Submitted periods waiting for review; to the reviewers over the township (its county
    and above), one reminder per reviewer and day naming how many wait."""
    waiting = period_rules.waiting_submissions()
    if not waiting:
        return []
    by_path = _region_users_by_path(Role.REVIEWER)
    per_user: dict[int, list] = defaultdict(list)
    for period in waiting:
        for user_id in _users_over(period.path, by_path):
            per_user[user_id].append(period)
    return [
        Reminder(
            recipient_id=user_id,
            kind=NotificationKind.SUBMISSIONS_WAITING,
            subject_key="submissions",
            period=on.isoformat(),
            title=_("%(n)d个报送待审核") % {"n": len(periods)},
            body="、".join(f"{p.township.name}{p.label}" for p in periods[:20]),
            link=links("reporting:index"),
        )
        for user_id, periods in per_user.items()
    ]


RULES: dict[str, Callable[[datetime.date, Thresholds, _Links], list[Reminder]]] = {
    NotificationKind.WEEKLY_VISIT: rule_weekly_visit,
    NotificationKind.YEARLY_PACE: rule_yearly_pace,
    NotificationKind.FIELD_DAYS: rule_field_days,
    NotificationKind.UNIT_ACTIVITIES: rule_unit_activities,
    NotificationKind.VILLAGE_INCOME: rule_village_income,
    NotificationKind.TERM_ENDING: rule_term_ending,
    NotificationKind.RECTIFICATION_OVERDUE: rule_rectification_overdue,
    NotificationKind.PARTY_DAY: rule_party_day,
    NotificationKind.CLUE_UNDECIDED: rule_clue_undecided,
    NotificationKind.APPLICATION_UNACCEPTED: rule_application_unaccepted,
    NotificationKind.NOTICE_ENDING: rule_notice_ending,
    NotificationKind.TOWNSHIP_REVIEW: rule_township_review,
    NotificationKind.MONITORED_UNVISITED: rule_monitored_unvisited,
    NotificationKind.PERIOD_OVERDUE: rule_period_overdue,
    NotificationKind.SUBMISSIONS_WAITING: rule_submissions_waiting,
}


# --- running the rules -----------------------------------------------------------------------
def reminders_collect(*, on: datetime.date, kinds: Iterable[str] | None = None) -> list[Reminder]:
    """What the rules say today (nothing written): for tests and `send_reminders --dry-run`."""
    kinds = list(kinds) if kinds else list(RULES)
    unknown = [k for k in kinds if k not in RULES]
    if unknown:
        raise ValueError(_("未知的提醒类型：%(kinds)s") % {"kinds": "、".join(unknown)})
    thresholds, links = Thresholds(), _Links()
    with translation.override(settings.LANGUAGE_CODE):
        reminders: dict[tuple[int, str, str, str], Reminder] = {}
        for kind in kinds:
            for r in RULES[kind](on, thresholds, links):
                reminders.setdefault((r.recipient_id, r.kind, r.subject_key, r.period), r)
    return list(reminders.values())


@dataclass
class RunResult:
    found: dict[str, int]
    new: dict[str, int]
    digests: int
    emailed: int = 0


def reminders_run(
    *, on: datetime.date | None = None, kinds: Iterable[str] | None = None
) -> RunResult:
    """Store today's reminders (each thing, person and period once) and fold the new ones into
    each person's digest for the day. Safe to run twice, or twice at the same moment."""
    on = on or timezone.localdate()
    reminders = reminders_collect(on=on, kinds=kinds)
    found: dict[str, int] = defaultdict(int)
    for reminder in reminders:
        found[reminder.kind] += 1
    Notification.objects.bulk_create(
        (r.as_model() for r in reminders), batch_size=2000, ignore_conflicts=True
    )
    new, digests = digests_fold(on=on)
    return RunResult(found=dict(found), new=new, digests=digests)


def digests_fold(*, on: datetime.date) -> tuple[dict[str, int], int]:
    """Attach every reminder not yet in a digest to its recipient's digest of `on` (created
    when missing), then rewrite those digests' title and body from all their items."""
    day = on.isoformat()
    unfolded = Notification.objects.filter(digest__isnull=True, kind__in=REMINDER_KINDS)
    new = dict(unfolded.values("kind").annotate(n=Count("*")).values_list("kind", "n").order_by())
    recipients = set(unfolded.values_list("recipient_id", flat=True).distinct().order_by())
    if not recipients:
        return new, 0
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=r,
                kind=NotificationKind.DIGEST,
                subject_key=DIGEST_SUBJECT,
                period=day,
                title=_("今日提醒"),
            )
            for r in recipients
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    digest_of = Notification.objects.filter(
        recipient_id=OuterRef("recipient_id"),
        kind=NotificationKind.DIGEST,
        subject_key=DIGEST_SUBJECT,
        period=day,
    ).values("id")[:1]
    unfolded.update(digest_id=Subquery(digest_of))
    # Only the digests that received items are rewritten (and become unread again); today's
    # digests are at most one per person, so reading them all and filtering here is cheap and
    # avoids an IN list of every recipient.
    digests = [
        d
        for d in Notification.objects.filter(
            kind=NotificationKind.DIGEST, subject_key=DIGEST_SUBJECT, period=day
        ).only("id", "recipient_id", "title", "body", "link", "read_at")
        if d.recipient_id in recipients
    ]
    _digests_rewrite(digests)
    return new, len(digests)


def _digests_rewrite(digests: list[Notification]) -> None:
    """Title and body of each digest (all of one day) from its items."""
    if not digests:
        return
    by_id = {d.pk: d for d in digests}
    items: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for digest_id, kind, title in (
        Notification.objects.filter(
            digest__kind=NotificationKind.DIGEST, digest__period=digests[0].period
        )
        .order_by("id")
        .values_list("digest_id", "kind", "title")
    ):
        if digest_id in by_id:
            items[digest_id].append((kind, title))
    for rows in items.values():
        rows.sort(key=lambda row: DIGEST_ORDER.index(row[0]))  # stable: by id within a kind
    labels = dict(NotificationKind.choices)
    for digest in digests:
        rows = items.get(digest.pk, [])
        by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, title in rows:
            by_kind[kind].append(title)
        parts = [f"{labels[k]} {len(v)} 项" for k, v in by_kind.items()]
        digest.title = (_("今日提醒 %(n)d 项：") % {"n": len(rows)} + "，".join(parts))[:200]
        lines = []
        for kind, titles in by_kind.items():
            lines.append(f"【{labels[kind]}】")
            lines.extend(f"· {t}" for t in titles[:50])
            if len(titles) > 50:
                lines.append(_("……另有 %(n)d 项，请在系统中查看。") % {"n": len(titles) - 50})
        digest.body = "\n".join(lines)
        digest.link = _Links()("notifications:detail", digest.pk)
        digest.read_at = None  # new items make it unread again
    Notification.objects.bulk_update(digests, ["title", "body", "link", "read_at"], batch_size=1000)


def digests_send(*, on: datetime.date | None = None) -> int:
    """E-mail each person's digest of the day once: claim it (conditional UPDATE of emailed_at),
    then send; a failed send gives the claim back so the next run tries again."""
    if not settings.REMINDER_EMAIL_ENABLED:
        return 0
    day = (on or timezone.localdate()).isoformat()
    pending = (
        Notification.objects.filter(
            kind=NotificationKind.DIGEST, period=day, emailed_at__isnull=True
        )
        .filter(recipient__is_active=True)
        .exclude(recipient__email="")
        .select_related("recipient")
    )
    sent = 0
    for digest in pending.iterator(chunk_size=500):
        claimed = Notification.objects.filter(pk=digest.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue  # another worker has it
        try:
            with translation.override(settings.LANGUAGE_CODE):
                send_mail(
                    subject=_("【结对帮扶】%(title)s") % {"title": digest.title},
                    message=digest.body
                    + "\n\n"
                    + _("请登录党建扶贫结对帮扶工作管理系统，在“提醒”中查看并处理。"),
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    recipient_list=[digest.recipient.email],
                )
        except Exception:
            logger.exception("reminder digest %s: e-mail failed, will retry", digest.pk)
            Notification.objects.filter(pk=digest.pk).update(emailed_at=None)
            continue
        sent += 1
    return sent


# --- reading and marking ---------------------------------------------------------------------
def notification_mark_read(*, user: User, notification: Notification) -> None:
    """Mark one of the user's own notifications read (a digest: with all its items)."""
    now = timezone.now()
    Notification.objects.filter(
        Q(pk=notification.pk) | Q(digest_id=notification.pk),
        recipient=user,
        read_at__isnull=True,
    ).update(read_at=now)


def notification_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
