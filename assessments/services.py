"""Writes of the assessments app: running an evaluation, storing its results and roll-ups, and
grading units under the bundled rule (三捆绑, 001), and a region's own thresholds
(`threshold_set`, `threshold_record`, `threshold_update`, `threshold_clear`, kept by reviewers).

`evaluation_start` + `evaluation_execute` are what the management command, the Celery task and
the dashboard's "re-evaluate" button call; `period_evaluate` does the work, reads and writes, in
one transaction, so a reader sees either the old results of a period or the new ones, never a
mixture.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from auditlog.context import auditlog_value, set_actor
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Model, Q
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import current_request
from assessments import engine, storing
from assessments.models import (
    Comparison,
    EvaluationRun,
    Indicator,
    IndicatorOverride,
    IndicatorResult,
    PeriodKind,
    ResultRollup,
    UnitAssessment,
    VisitMonth,
)
from assessments.periods import Period, PeriodError, parse_period
from cadres.models import Grade, Term, WorkTeamMember, YearlyGrade
from core.kept import kept_ensure_visible, kept_require, kept_save
from households.models import CreditStatus, Visit, VisitKind
from pairing.models import Pairing, PairingParticipant
from periods.rules import locked_townships
from villages.models import Region, RegionLevel

if TYPE_CHECKING:
    from accounts.models import User

    # The tables the evaluation writes in bulk.
    _Stored = TypeVar("_Stored", IndicatorResult, ResultRollup, VisitMonth)

BATCH = 5000

# A unit's yearly grade from the share of its indicators met (mean over indicators of the share
# of its subjects meeting each): a product decision, documented in README "Assessments".
GRADE_BANDS = [
    (Decimal("0.90"), "excellent"),
    (Decimal("0.75"), "competent"),
    (Decimal("0.60"), "basic"),
]
GRADE_ORDER = ["excellent", "competent", "basic", "incompetent"]
# The bundled rule caps a unit at "competent": it "cannot be rated excellent" (不能评先评优).
CAPPED_GRADE = "competent"


@dataclass
class EvaluationSummary:
    period: str
    results: int = 0
    seconds: float = 0.0
    by_indicator: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    unit_assessments: int = 0


# --- runs ------------------------------------------------------------------------------------
def _region_for(region_code: str | None) -> Region | None:

    if not region_code:
        return None
    region = Region.objects.filter(code=region_code.strip()).first()
    if region is None:
        raise ValidationError({"region": _("区划代码“%(code)s”不存在。") % {"code": region_code}})
    return region


def _stale_runs_fail() -> None:
    """A run still 'running' after the task's hard time limit died with its worker."""
    limit = getattr(settings, "CELERY_TASK_TIME_LIMIT", 2100)
    cutoff = timezone.now() - datetime.timedelta(seconds=limit + 60)
    EvaluationRun.objects.filter(status=EvaluationRun.Status.RUNNING, started_at__lt=cutoff).update(
        status=EvaluationRun.Status.FAILED, error=_("计算超时或进程中断。")
    )


def evaluation_start(
    *, period: str, region_code: str | None = None, requested_by: User | None = None
) -> EvaluationRun:
    """Record that an evaluation of a period (and region) is under way. Only one may run for the
    same period and region: a second request gets a clear error instead of a second run."""
    try:
        parsed = parse_period(period)
    except PeriodError as exc:
        raise ValidationError({"period": str(exc)}) from exc
    region = _region_for(region_code)
    _stale_runs_fail()
    try:
        with transaction.atomic():
            return EvaluationRun.objects.create(
                period=parsed.label, region=region, requested_by=requested_by
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("%(period)s 的考核结果正在计算中，请稍后刷新查看。") % {"period": parsed.label}
        ) from exc


def evaluation_execute(*, run: EvaluationRun, today: datetime.date | None = None) -> EvaluationRun:
    """Run a recorded evaluation and close its record (done or failed, with the time taken)."""
    started = time.monotonic()
    try:
        summary = period_evaluate(
            period=parse_period(run.period),
            region=run.region,
            today=today,
        )
    except Exception as exc:
        run.status = EvaluationRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.seconds = round(time.monotonic() - started, 2)
        run.save(update_fields=["status", "error", "seconds"])
        raise
    run.status = EvaluationRun.Status.DONE
    run.results = summary.results
    run.seconds = round(time.monotonic() - started, 2)
    run.error = "\n".join(summary.problems)[:2000]
    run.save(update_fields=["status", "results", "seconds", "error"])
    return run


def indicators_evaluate(
    *,
    period: str,
    region_code: str | None = None,
    requested_by: User | None = None,
    today: datetime.date | None = None,
) -> EvaluationRun:
    """Start and run an evaluation in this process (the management command, tests)."""
    run = evaluation_start(period=period, region_code=region_code, requested_by=requested_by)
    return evaluation_execute(run=run, today=today)


# --- the evaluation --------------------------------------------------------------------------
def period_evaluate(
    *,
    period: Period,
    region: Region | None = None,
    today: datetime.date | None = None,
    indicators: list[Indicator] | None = None,
) -> EvaluationSummary:
    """Compute and store every result of the period (limited to a region's subtree when given),
    replacing what the period had there, then rebuild its roll-ups; for a year also the visit
    trend and the units' grades. All in one transaction."""
    collecting = gc.isenabled()
    gc.disable()  # see engine.evaluate: a million acyclic objects, nothing for the collector
    try:
        return _period_evaluate(period=period, region=region, today=today, indicators=indicators)
    finally:
        if collecting:
            gc.enable()


def _period_evaluate(
    *,
    period: Period,
    region: Region | None,
    today: datetime.date | None,
    indicators: list[Indicator] | None,
) -> EvaluationSummary:
    started = time.monotonic()
    today = today or timezone.localdate()
    region_path = region.path if region is not None else ""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The grouped counts of a province (200,000 households) spilled to disk with the
            # default 4 MB of work memory; this transaction only may use more.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
        counts, problems = results_store(
            period=period, region_path=region_path, today=today, indicators=indicators
        )
        summary = EvaluationSummary(
            period=period.label, results=sum(counts.values()), problems=problems
        )
        summary.by_indicator = dict(sorted(counts.items()))
        if period.kind in (PeriodKind.YEAR, PeriodKind.MONTH):
            visit_months_refresh(period=period, region_path=region_path, today=today)
        if period.kind == PeriodKind.YEAR:
            summary.unit_assessments = unit_assessments_grade(year=period.start.year, today=today)
    summary.seconds = round(time.monotonic() - started, 2)
    return summary


def results_store(
    *,
    period: Period,
    region_path: str,
    today: datetime.date,
    indicators: list[Indicator] | None,
) -> tuple[dict[str, int], list[str]]:
    """Compute and store the period's results (within the region; of the given indicators or
    of all) and rebuild its roll-ups, set-based in the database (assessments/storing.py), in
    the caller's transaction. Returns the results per indicator code and the problems met."""
    stage = storing.ResultStage(
        period=period,
        region_path=region_path,
        indicator_ids=None if indicators is None else [i.id for i in indicators],
        # A township whose reporting period is locked keeps its stored figures.
        keep_township_ids=sorted(locked_townships(period.start, period.end, today=today)),
    )
    try:
        counts, problems = engine.evaluate_into(
            stage, period=period, today=today, region_path=region_path, indicators=indicators
        )
        stage.replace()
    finally:
        stage.close()
    storing.rollups_rebuild(period_label=period.label)
    return counts, problems


def _copy_rows(model: type[_Stored], columns: list[str], rows: Iterable[tuple[object, ...]]) -> int:
    """Insert tuples into a model's table: COPY on PostgreSQL (a province's 600,000 results in
    seconds, PERFORMANCE.md), batched bulk_create elsewhere."""
    count = 0
    if connection.vendor == "postgresql":
        return _copy_lines(model, columns, ("\t".join(map(_copy_text, row)) for row in rows))
    attnames = {f.column: f.attname for f in model._meta.concrete_fields}
    batch = []
    for row in rows:
        batch.append(model(**{attnames[c]: v for c, v in zip(columns, row, strict=True)}))
        if len(batch) >= BATCH:
            model.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)
        count += len(batch)
    return count


def _copy_lines(model: type[Model], columns: list[str], lines: Iterable[str]) -> int:
    """Stream lines of COPY text into a model's table (PostgreSQL only)."""
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy,
    ):
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= BATCH:
                copy.write("\n".join(chunk) + "\n")
                count += len(chunk)
                chunk = []
        if chunk:
            copy.write("\n".join(chunk) + "\n")
            count += len(chunk)
    return count


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: object) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, datetime.date):  # dates and aware datetimes
        return value.isoformat()
    return str(value)


def visit_months_refresh(*, period: Period, region_path: str = "", today: datetime.date) -> int:
    """Recount visits per township per month for the months of the period (the dashboard's
    trend), up to today."""

    end = min(period.end, today)
    if end < period.start:
        return 0
    first_month = period.start.replace(day=1)
    stale = VisitMonth.objects.filter(month__gte=first_month, month__lte=end)
    if region_path:
        stale = stale.filter(path__startswith=region_path)
    stale.delete()
    visits = Visit.objects.filter(visited_on__gte=period.start, visited_on__lte=end)
    if region_path:
        visits = visits.filter(path__startswith=region_path)
    credited = Visit.objects.counted_condition()
    rows = (
        visits.annotate(m=TruncMonth("visited_on"))
        .order_by()
        .values("township_id", "m")
        .annotate(
            n=Count("*"),
            credited=Count("pk", filter=credited),
            home=Count("pk", filter=credited & Q(kind=VisitKind.HOME)),
            held=Count("pk", filter=Q(credit_status=CreditStatus.REVIEW)),
        )
        .values_list("township_id", "m", "n", "credited", "home", "held")
    )
    paths = dict(Region.objects.filter(level=RegionLevel.TOWNSHIP).values_list("id", "path"))
    out = [
        (township_id, paths.get(township_id, ""), _as_date(month), n, credited_n, home, held)
        for township_id, month, n, credited_n, home, held in rows
    ]
    return _copy_rows(
        VisitMonth,
        ["township_id", "path", "month", "visits", "credited", "home_credited", "held"],
        out,
    )


def _as_date(value: datetime.date) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


# --- units and the bundled rule (三捆绑) -------------------------------------------------------
def earned_grade(share: Decimal) -> str:
    for floor, grade in GRADE_BANDS:
        if share >= floor:
            return grade
    return "incompetent"


def _late(planned: int | None, actual: int | None, year: int, today: datetime.date) -> bool:
    """Due by `year` and not done on schedule, and the lateness still stands in `year`: a
    village planned for 2024 that exited in 2025 caps its unit in 2024 and 2025, not 2026.
    While the planned year is still running, a village not yet exited is not late yet."""
    if not planned or planned > year:
        return False
    if actual is None:
        return not (planned == year and today.year <= year)
    return actual > planned and actual >= year


def bundled_reasons(
    *, year: int, today: datetime.date | None = None, unit_ids: set[int] | None = None
) -> dict[int, list[dict]]:
    """Unit id -> the reasons the bundled rule caps it for the year (001 八): a stationed cadre
    it sent graded incompetent, a paired village not exited on schedule, an assisted county not
    delisted on schedule. Each reason names the record behind it and its region path."""

    today = today or timezone.localdate()
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    reasons: dict[int, list[dict]] = defaultdict(list)
    seen: set[tuple] = set()

    def add(unit_id: int | None, reason: dict[str, object]) -> None:
        key = (unit_id, reason["kind"], reason["id"])
        if unit_id is None or key in seen or (unit_ids is not None and unit_id not in unit_ids):
            return
        seen.add(key)
        reasons[unit_id].append(reason)

    # 1. Stationed cadres (terms, work teams) graded incompetent for the year.
    incompetent = YearlyGrade.objects.filter(year=year, grade=Grade.INCOMPETENT).values("cadre_id")
    terms = (
        Term.objects.filter(cadre_id__in=incompetent, dispatching_unit__isnull=False)
        .filter(start_date__lte=end, end_date__gte=start)
        .filter(Q(recalled_on__isnull=True) | Q(recalled_on__gte=start))
        .values_list(
            "dispatching_unit_id", "cadre_id", "cadre__name", "village__name", "village__path"
        )
    )
    for unit_id, cadre_id, name, village_name, path in terms:
        add(
            unit_id,
            {
                "kind": "cadre",
                "id": cadre_id,
                "name": name,
                "path": path,
                "text": _("驻村干部%(name)s（%(village)s）%(year)d年度考核为“不称职”")
                % {"name": name, "village": village_name, "year": year},
            },
        )
    members = (
        WorkTeamMember.objects.filter(
            cadre_id__in=incompetent, team__dispatching_unit__isnull=False
        )
        .filter(team__start_date__lte=end)
        .filter(Q(team__end_date__isnull=True) | Q(team__end_date__gte=start))
        .values_list("team__dispatching_unit_id", "cadre_id", "cadre__name", "team__name")
    )
    for unit_id, cadre_id, name, team_name in members:
        add(
            unit_id,
            {
                "kind": "cadre",
                "id": cadre_id,
                "name": name,
                "path": "",
                "text": _("驻村干部%(name)s（%(team)s）%(year)d年度考核为“不称职”")
                % {"name": name, "team": team_name, "year": year},
            },
        )

    # 2 and 3. Paired villages and assisted counties, for lead and participating units alike.
    pairings = Pairing.objects.overlapping(start, end)
    links = list(
        pairings.values_list(
            "lead_unit_id",
            "village_id",
            "village__name",
            "village__path",
            "village__planned_exit_year",
            "village__exit_year",
            "region_id",
            "region__name",
            "region__path",
            "region__level",
            "region__is_poverty_county",
            "region__planned_delist_year",
            "region__delisted_year",
        )
    )
    links += list(
        PairingParticipant.objects.filter(pairing__in=pairings.values("id"))
        .exclude(organisation__unit_id__isnull=True)
        .values_list(
            "organisation__unit_id",
            "pairing__village_id",
            "pairing__village__name",
            "pairing__village__path",
            "pairing__village__planned_exit_year",
            "pairing__village__exit_year",
            "pairing__region_id",
            "pairing__region__name",
            "pairing__region__path",
            "pairing__region__level",
            "pairing__region__is_poverty_county",
            "pairing__region__planned_delist_year",
            "pairing__region__delisted_year",
        )
    )
    for (
        unit_id,
        village_id,
        village_name,
        village_path,
        planned_exit,
        exit_year,
        region_id,
        region_name,
        region_path,
        level,
        poverty_county,
        planned_delist,
        delisted,
    ) in links:
        if village_id and _late(planned_exit, exit_year, year, today):
            add(
                unit_id,
                {
                    "kind": "village",
                    "id": village_id,
                    "name": village_name,
                    "path": village_path,
                    "text": _("结对村%(name)s计划%(planned)d年退出，%(actual)s")
                    % {
                        "name": village_name,
                        "planned": planned_exit,
                        "actual": _("至今未退出")
                        if exit_year is None
                        else _("%(y)d年才退出") % {"y": exit_year},
                    },
                },
            )
        if (
            level == RegionLevel.COUNTY
            and poverty_county
            and _late(planned_delist, delisted, year, today)
        ):
            add(
                unit_id,
                {
                    "kind": "county",
                    "id": region_id,
                    "name": region_name,
                    "path": region_path,
                    "text": _("帮扶县%(name)s计划%(planned)d年摘帽，%(actual)s")
                    % {
                        "name": region_name,
                        "planned": planned_delist,
                        "actual": _("至今未摘帽")
                        if delisted is None
                        else _("%(y)d年才摘帽") % {"y": delisted},
                    },
                },
            )
    return reasons


def unit_assessments_grade(*, year: int, today: datetime.date | None = None) -> int:
    """Grade every unit with results for the year: the share of its indicators met (yearly and
    snapshot results of the year, and the year's quarterly results), then the bundled rule."""
    labels = [str(year)] + [f"{year}-Q{q}" for q in range(1, 5)]
    per_indicator: dict[int, dict[int, list[int]]] = defaultdict(dict)
    rows = (
        IndicatorResult.objects.filter(period__in=labels, unit__isnull=False)
        .order_by()
        .values("unit_id", "indicator_id")
        .annotate(n=Count("*"), met_n=Count("pk", filter=Q(met=True)))
        .values_list("unit_id", "indicator_id", "n", "met_n")
    )
    for unit_id, indicator_id, n, met_n in rows:
        per_indicator[unit_id][indicator_id] = [n, met_n]
    reasons = bundled_reasons(year=year, today=today, unit_ids=set(per_indicator))
    assessments = []
    for unit_id, by_indicator in per_indicator.items():
        shares = [Decimal(met_n) / Decimal(n) for n, met_n in by_indicator.values() if n]
        share = (sum(shares, Decimal(0)) / len(shares)) if shares else Decimal(0)
        share = share.quantize(Decimal("0.0001"))
        earned = earned_grade(share)
        unit_reasons = reasons.get(unit_id, [])
        # Any reason caps the unit: whatever its results, "excellent" is out of reach this year.
        capped = bool(unit_reasons)
        final = (
            CAPPED_GRADE
            if capped and GRADE_ORDER.index(earned) < GRADE_ORDER.index(CAPPED_GRADE)
            else earned
        )
        assessments.append(
            UnitAssessment(
                unit_id=unit_id,
                year=year,
                met_share=share,
                earned_grade=earned,
                capped=capped,
                cap_reasons=unit_reasons,
                final_grade=final,
            )
        )
    UnitAssessment.objects.filter(year=year).delete()
    UnitAssessment.objects.bulk_create(assessments, batch_size=1000)
    return len(assessments)


# --- a region's own thresholds (指标阈值（本地）) -------------------------------------------------
# Kept by the county Party-work department for its subtree (core/keepers.py kind "threshold").
# `Thresholds` (assessments/selectors.py) is the one reader: the deepest override on a subject's
# path wins. Every change lands in the security log (accounts/signals.py writes a
# THRESHOLD_CHANGE row for each save and delete of an override: who, region, indicator,
# old → new) and in the override's change history (auditlog, assessments/apps.py). Stored
# results keep the threshold they were judged by; the dashboards follow at the next evaluation
# (nightly, or the dashboard's button), the live pages (pace, reminders) at once.
THRESHOLD_FIELDS = {"threshold", "note"}
THRESHOLD_MAX = Decimal(10) ** 12  # the column holds 14 digits, two of them decimals
# Units counted in whole numbers (visits, people, days, meetings; a blank unit is a count too).
WHOLE_UNITS = {"次", "人", "天", "个", "户", "名", ""}
# The days a period can have, for thresholds counted in days.
PERIOD_DAYS: dict[str, int] = {
    PeriodKind.WEEK: 7,
    PeriodKind.MONTH: 31,
    PeriodKind.QUARTER: 92,
    PeriodKind.YEAR: 366,
    PeriodKind.SNAPSHOT: 366,
}


def threshold_problems(indicator: Indicator, value: Decimal | int | str | None) -> list[str]:
    """What is wrong with `value` as the indicator's threshold, in Chinese (empty: fine). The
    rules follow the indicator's comparison and unit: no negative figure, a whole number for a
    count, at most 100 for a percentage, at most the period's days for days, and never
    "at least 0" (everyone would meet it: that is no requirement at all)."""
    if value is None or value == "":
        return [_("请填写达标值。")]
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except ArithmeticError:
            return [_("达标值应为数字。")]
    if not value.is_finite():
        return [_("达标值应为数字。")]
    problems = []
    unit = indicator.unit_label.strip()
    if value < 0:
        problems.append(_("达标值不能为负数。"))
    elif value == 0 and indicator.comparison == Comparison.GTE:
        problems.append(_("“不少于 0”等于没有要求（所有对象都达标），达标值应大于 0。"))
    if value >= THRESHOLD_MAX:
        problems.append(_("达标值过大。"))
    if value != value.quantize(Decimal("0.01")):
        problems.append(_("达标值最多保留两位小数。"))
    if unit == "%" and value > 100:
        problems.append(_("百分比不能超过 100。"))
    if unit in WHOLE_UNITS and value != value.to_integral_value():
        problems.append(
            _("该指标按整数计（%(unit)s），达标值应为整数。") % {"unit": unit or _("个数")}
        )
    days = PERIOD_DAYS.get(indicator.period_kind)
    if unit == "天" and days is not None and value > days:
        problems.append(
            _("一个%(period)s最多 %(days)d 天，达标值不能超过 %(days)d。")
            % {"period": indicator.get_period_kind_display(), "days": days}
        )
    return problems


@contextlib.contextmanager
def _acting(user: User) -> Iterator[None]:
    """Name `user` as the one who acts in the security log and the change history, also when
    the service runs outside a request (an import job, a shell) or behind a token the history's
    middleware did not see (the API authenticates after the middleware)."""
    with contextlib.ExitStack() as stack:
        if current_request.get() is None:
            request = HttpRequest()
            request.user = user
            stack.callback(current_request.reset, current_request.set(request))
        # auditlog's set_actor replaces the request's context and never puts it back: keep a
        # token of our own to restore it (or its absence), with the request's address.
        context = auditlog_value.get(None) or {}
        stack.callback(auditlog_value.reset, auditlog_value.set(context))
        stack.enter_context(
            set_actor(
                user,
                remote_addr=context.get("remote_addr"),
                remote_port=context.get("remote_port"),
            )
        )
        yield


def _threshold_scope(user: User, region: Region) -> None:
    """The keeper's role (403), then the region inside the user's scope (404)."""
    kept_require(user, "threshold")
    kept_ensure_visible(Region, user, region)


def threshold_set(
    *,
    user: User,
    indicator: Indicator,
    region: Region,
    threshold: Decimal | None,
    note: str = "",
) -> IndicatorOverride:
    """Set the region's own threshold for the indicator (it applies to the region and everything
    under it unless a deeper region sets its own): the override is created, or changed if the
    region already has one. Nothing is written (nor logged) when nothing changes."""
    _threshold_scope(user, region)
    with transaction.atomic():
        override = (
            IndicatorOverride.objects.select_for_update()
            .filter(indicator=indicator, region=region)
            .first()
        )
        if override is None:
            override = IndicatorOverride(indicator=indicator, region=region)
        return _threshold_save(user, override, {"threshold": threshold, "note": note or ""})


def threshold_record(
    *,
    user: User,
    indicator: Indicator,
    region: Region,
    threshold: Decimal | None,
    note: str = "",
) -> IndicatorOverride:
    """A new override (the API's create): refused, naming the existing one, when the region
    already has its own threshold for the indicator (change that one instead)."""
    _threshold_scope(user, region)
    existing = IndicatorOverride.objects.filter(indicator=indicator, region=region).first()
    if existing is not None:
        raise ValidationError(
            {
                "region": [
                    _("%(region)s已设置“%(indicator)s”的阈值（%(value)s），请修改该设置。")
                    % {
                        "region": region.name,
                        "indicator": indicator.name,
                        "value": threshold_text(existing.threshold),
                    }
                ]
            }
        )
    return threshold_set(
        user=user, indicator=indicator, region=region, threshold=threshold, note=note
    )


def threshold_update(
    *, user: User, override: IndicatorOverride, **changes: Any
) -> IndicatorOverride:
    """Change an override's threshold or note (its indicator and region stay: clear it and set
    another instead)."""
    _threshold_scope(user, override.region)
    unknown = set(changes) - THRESHOLD_FIELDS
    if unknown:
        raise ValidationError({name: [_("该字段不能修改。")] for name in sorted(unknown)})
    with transaction.atomic():
        current = _threshold_current(override)
        values = {"threshold": current.threshold, "note": current.note, **changes}
        return _threshold_save(user, current, values)


def threshold_clear(*, user: User, override: IndicatorOverride) -> None:
    """Remove a region's own threshold: the region then follows the next region up that has
    one, or the catalogue's figure."""
    _threshold_scope(user, override.region)
    with _acting(user), transaction.atomic():
        # The row as it is now, so the log records the value that is cleared.
        _threshold_current(override).delete()


def _threshold_current(override: IndicatorOverride) -> IndicatorOverride:
    """The override as stored now (locked until the transaction ends); 404 once it is gone."""
    current = (
        IndicatorOverride.objects.select_for_update()
        .select_related("indicator", "region")
        .filter(pk=override.pk)
        .first()
    )
    if current is None:
        raise Http404
    return current


def _threshold_save(
    user: User, override: IndicatorOverride, values: dict[str, Any]
) -> IndicatorOverride:
    threshold = values["threshold"]
    problems = threshold_problems(override.indicator, threshold)
    if problems:
        raise ValidationError({"threshold": problems})
    threshold = Decimal(threshold).quantize(Decimal("0.01"))
    note = (values.get("note") or "").strip()
    if override.pk is not None and override.threshold == threshold and override.note == note:
        return override
    override.threshold, override.note = threshold, note
    with _acting(user):
        return kept_save(
            override,
            unique_error=("region", _("该区划已设置该指标的阈值，请刷新后修改。")),
        )


def threshold_text(value: Decimal) -> str:
    """3.00 -> "3", 2.50 -> "2.5"."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
