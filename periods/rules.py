"""THE lock rule (issue 16): a record dated in a locked reporting period is not created,
changed or deleted, by anyone and by any path.

A township's period is locked when
- it is approved (审核通过) — until a reviewer reopens it; or
- it expired: from the Nth day after its last day on (N = the county's `lock_days`, otherwise
  settings.PERIOD_LOCK_DAYS), approved or not — unless a reviewer reopened it, then it is open
  through `reopened_until` (PERIOD_REOPEN_DAYS days).
The edge, precisely: October ends on 10-31; with N = 45 a record of October is editable through
12-14 (the 44th day after the end) and locked from 12-15 (the 45th) on.

Only periods that end on or after settings.PERIOD_LOCK_START are governed (reporting through the
product began then; months before it were reported on paper and are not locked by it).
A yearly record (a household's or a village's income of a year) is placed on the year's last
day: it locks with the period that contains 31 December.

`ensure_open(place, day)` is the rule; `guard` applies it to a model instance (its stored state,
so a date moved out of a locked period is refused, and its new state, so a date moved into one
is refused too); `locked_townships(start, end)` tells the assessment which townships' results of
a period are frozen."""

from __future__ import annotations

import contextlib
import contextvars
import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import pre_delete, pre_save
from django.utils import timezone
from django.utils.translation import gettext as _

from periods.models import Granularity, PeriodSetting, PeriodState, ReportingPeriod
from villages.models import Region, RegionLevel, Village

# --- periods as dates --------------------------------------------------------------------------


def _month_end(year: int, month: int) -> datetime.date:
    if month == 12:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)


def bounds(granularity: str, day: datetime.date) -> tuple[str, datetime.date, datetime.date]:
    """(label, first day, last day) of the period of `granularity` containing `day`. Labels are
    the assessment's (2026-10, 2026-Q4, 2026), so a period's results are found by its label."""
    if granularity == Granularity.YEAR:
        return f"{day.year}", datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31)
    if granularity == Granularity.QUARTER:
        q = (day.month - 1) // 3 + 1
        start = datetime.date(day.year, 3 * q - 2, 1)
        return f"{day.year}-Q{q}", start, _month_end(day.year, 3 * q)
    start = day.replace(day=1)
    return f"{day.year}-{day.month:02d}", start, _month_end(day.year, day.month)


def next_start(granularity: str, end: datetime.date) -> datetime.date:
    return end + datetime.timedelta(days=1)


def display(granularity: str, start: datetime.date) -> str:
    if granularity == Granularity.YEAR:
        return _("%(year)d年") % {"year": start.year}
    if granularity == Granularity.QUARTER:
        return _("%(year)d年第%(q)d季度") % {"year": start.year, "q": (start.month - 1) // 3 + 1}
    return _("%(year)d年%(month)d月") % {"year": start.year, "month": start.month}


def parse_label(granularity: str, label: str) -> tuple[datetime.date, datetime.date] | None:
    """The first and last day of a label of this granularity (None for a label that is not)."""
    try:
        if granularity == Granularity.YEAR:
            day = datetime.date(int(label), 1, 1)
        elif granularity == Granularity.QUARTER:
            year, q = label.split("-Q")
            day = datetime.date(int(year), 3 * int(q) - 2, 1)
        else:
            year, month = label.split("-")
            day = datetime.date(int(year), int(month), 1)
    except (ValueError, TypeError):
        return None
    got_label, start, end = bounds(granularity, day)
    return (start, end) if got_label == label else None


def lock_start() -> datetime.date:
    return datetime.date.fromisoformat(settings.PERIOD_LOCK_START)


def governed(end: datetime.date) -> bool:
    """Whether the lock governs a period ending on `end` (reporting began PERIOD_LOCK_START)."""
    return end >= lock_start()


# --- a county's choice -------------------------------------------------------------------------
@dataclass(frozen=True)
class CountyRule:
    granularity: str
    lock_days: int

    def expires_on(self, end: datetime.date) -> datetime.date:
        """The first locked day of a period ending on `end`."""
        return end + datetime.timedelta(days=self.lock_days)


def county_of(township: Region) -> Region | None:
    codes = [c for c in township.path.split("/") if c]
    return Region.objects.filter(level=RegionLevel.COUNTY, code__in=codes).first()


def _county_id(township: Region) -> int | None:
    """The county's id above a township (one query per township path and process: a path is
    made of division codes, which do not move)."""
    key = (township.pk, township.path)
    if key not in _COUNTY_IDS:
        county = county_of(township)
        _COUNTY_IDS[key] = county.pk if county else None
    return _COUNTY_IDS[key]


_COUNTY_IDS: dict[tuple[int, str], int | None] = {}


def county_rule(county_id: int | None) -> CountyRule:
    setting = PeriodSetting.objects.filter(county_id=county_id).first() if county_id else None
    days = settings.PERIOD_LOCK_DAYS
    if setting is not None and setting.lock_days is not None:
        days = setting.lock_days
    return CountyRule(setting.granularity if setting else Granularity.MONTH, days)


# --- the lock ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lock:
    township: str
    period: str  # as people read it: 2026年10月
    label: str
    expired: bool  # locked by expiry (else by approval)
    approved_by: str = ""
    approved_on: datetime.date | None = None
    expires_on: datetime.date | None = None
    lock_days: int = 0

    @property
    def message(self) -> str:
        if not self.expired:
            return _(
                "%(township)s%(period)s已由%(who)s于%(day)s审核通过并锁定，该期间的记录不能新增、"
                "修改或删除；如需更正，请审核人员重新开放该期间。"
            ) % {
                "township": self.township,
                "period": self.period,
                "who": self.approved_by,
                "day": self.approved_on.isoformat() if self.approved_on else "",
            }
        return _(
            "%(township)s%(period)s已于%(day)s自动锁定（期末后第%(days)d天），该期间的记录不能"
            "新增、修改或删除；如需更正，请审核人员重新开放该期间。"
        ) % {
            "township": self.township,
            "period": self.period,
            "day": self.expires_on.isoformat() if self.expires_on else "",
            "days": self.lock_days,
        }


def _user_name(user: Any) -> str:
    if user is None:
        return _("审核人员")
    return user.get_full_name() or user.username


def lock_of_row(
    row: ReportingPeriod | None,
    *,
    township: Region,
    rule: CountyRule,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date,
) -> Lock | None:
    """The lock of one period, from its row (None: never submitted) and its county's rule."""
    if not governed(end):
        return None
    period = display(rule.granularity, start)
    label = bounds(rule.granularity, start)[0]
    if row is not None and row.state == PeriodState.APPROVED:
        return Lock(
            township=township.name,
            period=period,
            label=label,
            expired=False,
            approved_by=_user_name(row.approved_by),
            approved_on=timezone.localdate(row.approved_at) if row.approved_at else None,
        )
    if row is not None and row.reopened_until is not None and today <= row.reopened_until:
        return None
    expires = rule.expires_on(end)
    if today >= expires:
        return Lock(
            township=township.name,
            period=period,
            label=label,
            expired=True,
            expires_on=expires,
            lock_days=rule.lock_days,
        )
    return None


def township_of(place: Any) -> Region | None:
    """The township of a region (township, village or group), a village, or a township id."""
    if place is None:
        return None
    if isinstance(place, int):
        return Region.objects.filter(pk=place, level=RegionLevel.TOWNSHIP).first()
    if isinstance(place, Village):
        return place.township if place.township_id else place.region.ancestor_of_level("township")
    if isinstance(place, Region):
        if place.level == RegionLevel.TOWNSHIP:
            return place
        if place.level in (RegionLevel.VILLAGE, RegionLevel.GROUP):
            codes = [c for c in place.path.split("/") if c]
            return Region.objects.filter(level=RegionLevel.TOWNSHIP, code__in=codes).first()
    return None


def lock_of(place: Any, day: datetime.date, *, today: datetime.date | None = None) -> Lock | None:
    """The lock on `day` in the township of `place` (None: the day's period is open)."""
    township = township_of(place)
    if township is None or day is None:
        return None
    today = today or timezone.localdate()
    rule = county_rule(_county_id(township))
    _label, start, end = bounds(rule.granularity, day)
    if not governed(end):
        return None
    row = (
        ReportingPeriod.objects.select_related("approved_by")
        .filter(township=township, start=start)
        .first()
    )
    return lock_of_row(row, township=township, rule=rule, start=start, end=end, today=today)


def ensure_open(place: Any, day: datetime.date, *, field: str | None = None) -> None:
    """THE rule: refuse (ValidationError naming the period and who approved it, or that it
    expired) a write of a record dated `day` in the township of `place` when its period is
    locked. `field` puts the message next to the field that dates the record."""
    lock = lock_of(place, day)
    if lock is not None:
        raise ValidationError({field: [lock.message]} if field else lock.message)


# --- the dated records -------------------------------------------------------------------------
def _year_end(year: int | None) -> datetime.date | None:
    return datetime.date(int(year), 12, 31) if year else None


def _village(obj: Any) -> Village | None:
    return obj.village if getattr(obj, "village_id", None) else None


def _household_village(obj: Any) -> Village | None:
    return obj.household.village if getattr(obj, "household_id", None) else None


def _region(obj: Any) -> Region | None:
    return obj.region if getattr(obj, "region_id", None) else None


# model label → (the field that dates it, how its day is read, where it is)
DATED: dict[str, tuple[str, Any, Any]] = {
    "pairing.Training": ("held_on", lambda o: o.held_on, _village),
    "pairing.Meeting": ("held_on", lambda o: o.held_on, _village),
    "pairing.PartyDay": ("held_on", lambda o: o.held_on, _village),
    "pairing.StudyTrip": ("started_on", lambda o: o.started_on, _village),
    "cadres.FieldDay": ("day", lambda o: o.day, _region),
    "households.Visit": ("visited_on", lambda o: o.visited_on, _village),
    "households.IncomeRecord": ("year", lambda o: _year_end(o.year), _household_village),
    "villages.VillageIncome": ("year", lambda o: _year_end(o.year), _village),
}


def _spec(instance: models.Model) -> tuple[str, Any, Any] | None:
    return DATED.get(instance._meta.label)


def _check(
    instance: models.Model, spec: tuple[str, Any, Any], done: set[tuple[Any, datetime.date]]
) -> None:
    field, read_day, read_place = spec
    day = read_day(instance)
    if not isinstance(day, datetime.date):
        return  # a missing or invalid date is the field validation's to report
    place = read_place(instance)
    key = (getattr(place, "pk", place), day)
    if key in done:  # the stored and the new record in the same place and day
        return
    done.add(key)
    ensure_open(place, day, field=field)


_suspended = contextvars.ContextVar("periods_lock_suspended", default=False)


@contextlib.contextmanager
def writing_history() -> Iterator[None]:
    """Only for the demo builder, which writes a whole past at once (on any date it is run):
    the lock does not apply inside. No page, import, API or admin path uses it."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


def guard(instance: models.Model, deleting: bool) -> None:
    """The lock applied to one record: the stored row (changing or deleting a record of a
    locked period) and, unless deleting, the new values (moving a record into one)."""
    spec = _spec(instance)
    if spec is None or _suspended.get():
        return
    done: set[tuple[Any, datetime.date]] = set()
    if instance.pk is not None:
        stored = type(instance)._base_manager.filter(pk=instance.pk).first()
        if stored is not None:
            _check(stored, spec, done)
    if not deleting:
        _check(instance, spec, done)


def _last_guard(sender: Any, instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # loading a fixture
        return
    guard(instance, False)


def _last_delete_guard(sender: Any, instance: models.Model, **kwargs: Any) -> None:
    guard(instance, True)


def connect_signals() -> None:
    """The last guard: nothing dated in a locked period is saved or deleted, whichever path the
    write took (lazy sender labels: periods sits below the apps that own these models)."""
    for label in DATED:
        pre_save.connect(_last_guard, sender=label, dispatch_uid=f"periods-lock-save-{label}")
        pre_delete.connect(
            _last_delete_guard, sender=label, dispatch_uid=f"periods-lock-delete-{label}"
        )


# --- sets of locks, for the assessment and for bulk readers ------------------------------------
def _townships_and_counties() -> tuple[list[Region], dict[int, int | None]]:
    """Every township and the id of its county, in one query."""
    regions = list(
        Region.objects.filter(level__in=[RegionLevel.COUNTY, RegionLevel.TOWNSHIP]).only(
            "id", "code", "path", "name", "level"
        )
    )
    counties = {r.code: r.pk for r in regions if r.level == RegionLevel.COUNTY}
    townships = [r for r in regions if r.level == RegionLevel.TOWNSHIP]
    out: dict[int, int | None] = {}
    for t in townships:
        codes = [c for c in t.path.split("/") if c]
        out[t.pk] = next((counties[c] for c in codes if c in counties), None)
    return townships, out


def locked_townships(
    start: datetime.date, end: datetime.date, *, today: datetime.date | None = None
) -> set[int]:
    """Townships whose every reporting period overlapping [start, end] is locked: their stored
    results of that assessment period are the locked figures and are not recomputed. A few
    queries whatever the number of townships."""
    today = today or timezone.localdate()
    if not governed(end):
        return set()
    townships, county_of_township = _townships_and_counties()
    if not townships:
        return set()
    settings_by_county = {s.county_id: s for s in PeriodSetting.objects.all()}
    rules: dict[int | None, CountyRule] = {}
    for county_id in set(county_of_township.values()):
        setting = settings_by_county.get(county_id) if county_id else None
        days = settings.PERIOD_LOCK_DAYS
        if setting is not None and setting.lock_days is not None:
            days = setting.lock_days
        rules[county_id] = CountyRule(setting.granularity if setting else Granularity.MONTH, days)
    rows = {
        (r.township_id, r.start): r
        for r in ReportingPeriod.objects.filter(start__lte=end, end__gte=start)
    }
    locked: set[int] = set()
    for township in townships:
        rule = rules[county_of_township[township.pk]]
        day, every = start, True
        while day <= end:
            _label, p_start, p_end = bounds(rule.granularity, day)
            row = rows.get((township.pk, p_start))
            if (
                lock_of_row(
                    row, township=township, rule=rule, start=p_start, end=p_end, today=today
                )
                is None
            ):
                every = False
                break
            day = p_end + datetime.timedelta(days=1)
        if every:
            locked.add(township.pk)
    return locked


def visit_is_locked(visit: Any, cache: dict[tuple[int, datetime.date], bool]) -> bool:
    """Whether a visit lies in a locked period (cached per township and day's period)."""
    key = (visit.village_id, visit.visited_on)
    if key not in cache:
        cache[key] = lock_of(visit.village, visit.visited_on) is not None
    return cache[key]


# --- deadlines: overdue periods and the reviewers' queue ----------------------------------------
NOT_SUBMITTED = (PeriodState.OPEN, PeriodState.RETURNED, PeriodState.REOPENED)


def due_on(end: datetime.date) -> datetime.date:
    """The last day to submit a period: PERIOD_SUBMIT_DAYS days after its end."""
    return end + datetime.timedelta(days=settings.PERIOD_SUBMIT_DAYS)


def is_overdue(
    state: str,
    end: datetime.date,
    today: datetime.date,
    reopened_until: datetime.date | None = None,
) -> bool:
    """THE overdue rule: a governed period not (re)submitted after its last day to submit; a
    reopened period after the last day of its reopening."""
    if not governed(end) or state not in NOT_SUBMITTED:
        return False
    if state == PeriodState.REOPENED and reopened_until is not None:
        return today > reopened_until
    return today > due_on(end)


@dataclass(frozen=True)
class Overdue:
    township_id: int
    township: str
    label: str
    period: str
    due_on: datetime.date


def overdue_periods(today: datetime.date, *, back: int = 3) -> list[Overdue]:
    """Each township's overdue periods among the last `back` ended ones (a few queries)."""
    townships, county_of_township = _townships_and_counties()
    settings_by_county = {s.county_id: s for s in PeriodSetting.objects.all()}
    rows = {
        (r.township_id, r.start): (r.state, r.reopened_until)
        for r in ReportingPeriod.objects.filter(end__lt=today).only(
            "township_id", "start", "state", "reopened_until"
        )
    }
    out: list[Overdue] = []
    for township in townships:
        county_id = county_of_township[township.pk]
        setting = settings_by_county.get(county_id) if county_id else None
        granularity = setting.granularity if setting else Granularity.MONTH
        _label, start, _end = bounds(granularity, today)
        day = start - datetime.timedelta(days=1)
        for _i in range(back):
            label, p_start, p_end = bounds(granularity, day)
            state, reopened_until = rows.get((township.pk, p_start), (PeriodState.OPEN, None))
            if is_overdue(state, p_end, today, reopened_until):
                out.append(
                    Overdue(
                        township.pk,
                        township.name,
                        label,
                        display(granularity, p_start),
                        due_on(p_end),
                    )
                )
            day = p_start - datetime.timedelta(days=1)
    return out


def waiting_submissions() -> list[ReportingPeriod]:
    """Submitted periods waiting for a reviewer, oldest first."""
    return list(
        ReportingPeriod.objects.filter(state=PeriodState.SUBMITTED)
        .select_related("township")
        .order_by("submitted_at", "id")
    )
