"""Reads of the assessments app. Dashboards read stored results and roll-ups (never recompute),
each in a fixed number of queries whatever the size of the region; every query starts from
`visible_to(user)`, so a township's reviewer never counts another township's subjects."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Floor
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from assessments.models import (
    EvaluationRun,
    Indicator,
    IndicatorResult,
    PeriodKind,
    ResultRollup,
    SubjectKind,
    UnitAssessment,
    VisitMonth,
)
from assessments.periods import Period, PeriodError, parse_period, period_containing
from assessments.status import share_level
from core.scope import Role, scope_of
from villages.models import Region, RegionLevel

if TYPE_CHECKING:
    from accounts.models import User
    from pairing.models import Unit

INCOME_CODE = "VILLAGE-COLLECTIVE-INCOME"
INCOME_BANDS = [
    (None, Decimal("10000"), "1万元以下"),
    (Decimal("10000"), Decimal("20000"), "1万～2万元"),
    (Decimal("20000"), Decimal("30000"), "2万～3万元"),
    (Decimal("30000"), Decimal("50000"), "3万～5万元"),
    (Decimal("50000"), None, "5万元以上"),
]


# --- thresholds: the one resolver ---------------------------------------------------------------
class Thresholds:
    """The threshold of an indicator for a subject's region: the catalogue's figure, or the
    override of the deepest region on the subject's path (a township's beats its county's);
    None when the indicator is switched off. The engine, the reminders, the household and
    village pages, the lists' filters and the home pages all ask here, so a county's override
    moves every figure at once. Overrides carry no period: a period's stored results keep the
    threshold they were judged against. Load once per request or job (two queries)."""

    def __init__(self, codes: Iterable[str] | None = None) -> None:
        indicators = Indicator.objects.all()
        if codes is not None:
            indicators = indicators.filter(code__in=list(codes))
        self.by_code: dict[str, tuple[int, Decimal, bool]] = {}
        self.overrides: dict[str, dict[str, Decimal]] = defaultdict(dict)
        # One query: each indicator with its overrides (a LEFT JOIN, NULLs when none).
        for pk, code, threshold, active, path, local in indicators.order_by().values_list(
            "id", "code", "threshold", "active", "overrides__region__path", "overrides__threshold"
        ):
            self.by_code[code] = (pk, threshold, active)
            if path is not None:
                self.overrides[code][path] = local
        self.code_of = {pk: code for code, (pk, _t, _a) in self.by_code.items()}
        self._cache: dict[tuple[str, str], Decimal] = {}

    def get(self, code: str, path: str = "") -> Decimal | None:
        """The threshold for a subject at `path` ("" for the catalogue's own figure); None when
        the indicator is off or not in the catalogue."""
        found = self.by_code.get(code)
        if found is None or not found[2]:
            return None
        return self.resolve(code, path)

    def for_indicator(self, indicator_id: int, path: str) -> Decimal:
        """The engine's question: the threshold of an indicator it evaluates (active or not)."""
        return self.resolve(self.code_of[indicator_id], path)

    def resolve(self, code: str, path: str) -> Decimal:
        overrides = self.overrides.get(code)
        if not overrides or not path:
            return self.by_code[code][1]
        key = (code, path)
        found = self._cache.get(key)
        if found is None:
            found = self.by_code[code][1]
            for prefix in path_prefixes(path):  # shallow to deep: the deepest match wins
                if prefix in overrides:
                    found = overrides[prefix]
            self._cache[key] = found
        return found

    def expression(self, code: str, path_field: str = "path") -> Expression:
        """The same answer as `get` for every row of a queryset, as a database expression over
        the row's region path (the household list's "behind pace" filter)."""
        base = self.get(code)
        if base is None:
            return Value(None, output_field=DecimalField())
        return self._expression(code, path_field, base)

    def evaluated_expression(self, code: str, path_field: str = "path") -> Expression:
        """`for_indicator` as a database expression: the engine's threshold of an indicator it
        evaluates (active or not), for the results it computes in the database."""
        return self._expression(code, path_field, self.by_code[code][1])

    def _expression(self, code: str, path_field: str, base: Decimal) -> Expression:
        whens = [
            When(**{f"{path_field}__startswith": prefix}, then=Value(threshold))
            for prefix, threshold in sorted(
                self.overrides.get(code, {}).items(), key=lambda item: -len(item[0])
            )
        ]
        if not whens:
            return Value(base, output_field=DecimalField())
        return Case(*whens, default=Value(base), output_field=DecimalField())


def path_prefixes(path: str) -> list[str]:
    """'51/5108/510821/' -> ['51/', '51/5108/', '51/5108/510821/']."""
    out, acc = [], ""
    for segment in path.split("/"):
        if segment:
            acc += segment + "/"
            out.append(acc)
    return out


def pace_required(today: datetime.date, target: Decimal | int) -> int:
    """Counted visits a household should have had by today to be on pace for `target` a year
    (HH-VISIT-YEAR): target × the elapsed fraction of the year, rounded down."""
    start = datetime.date(today.year, 1, 1)
    days_in_year = (datetime.date(today.year + 1, 1, 1) - start).days
    elapsed = (today - start).days + 1
    return int(Decimal(target) * elapsed // days_in_year)


def pace_expression(today: datetime.date, target: Expression) -> Expression:
    """`pace_required` as a database expression over a per-row target."""
    start = datetime.date(today.year, 1, 1)
    days_in_year = (datetime.date(today.year + 1, 1, 1) - start).days
    elapsed = (today - start).days + 1
    return Floor(ExpressionWrapper(target * Value(elapsed) / Value(days_in_year), DecimalField()))


# --- the reviewer's region and period ---------------------------------------------------------
def dashboard_period(text: str | None, *, today: datetime.date) -> tuple[Period, str | None]:
    """The period asked for, or the current year; with an error message for bad input."""
    if text:
        try:
            return parse_period(text), None
        except PeriodError as exc:
            return period_containing(PeriodKind.YEAR, today), str(exc)
    return period_containing(PeriodKind.YEAR, today), None


def dashboard_region(*, user: User, code: str | None) -> Region:
    """The region a dashboard shows: the one asked for if the user may see it (404 otherwise),
    else the user's own region (the whole tree's root for an administrator)."""

    visible = Region.objects.visible_to(user).exclude(level=RegionLevel.GROUP)
    if code:
        region = visible.filter(code=code).select_related("parent").first()
        if region is None:
            raise Http404(_("区划不存在或不在您的管辖范围内。"))
        return region
    if user.region_id and not scope_of(user).everything:
        return visible.select_related("parent").get(pk=user.region_id)
    region = visible.filter(parent__isnull=True).order_by("code").first()
    if region is None:
        raise Http404(_("尚未建立行政区划。"))
    return region


def breadcrumbs(*, user: User, region: Region) -> list[Region]:
    """The region's ancestors the user may see, root first (one query)."""

    codes = [c for c in region.path.split("/") if c]
    rows = {r.code: r for r in Region.objects.visible_to(user).filter(code__in=codes)}
    return [rows[c] for c in codes if c in rows]


# --- indicator shares ---------------------------------------------------------------------------
@dataclass
class Share:
    indicator: Indicator
    subjects: int
    met: int
    value_sum: Decimal = Decimal(0)

    @property
    def share(self) -> float:
        return self.met / self.subjects if self.subjects else 0.0

    @property
    def lagging(self) -> int:
        return self.subjects - self.met

    @property
    def percent(self) -> str:
        return f"{100 * self.share:.1f}%"

    @property
    def average(self) -> Decimal | None:
        return (self.value_sum / self.subjects).quantize(Decimal("0.1")) if self.subjects else None

    @property
    def level(self) -> str:
        """A badge class: ok at 100 %, warn from 80 %, bad below (assessments.status)."""
        return share_level(self.share)


def indicator_shares(*, user: User, period: Period, region: Region) -> list[Share]:
    """For each indicator evaluated in the period, how many subjects in the region meet it."""
    rows = (
        ResultRollup.objects.visible_to(user)
        .filter(period=period.label, region=region, unit__isnull=True)
        .select_related("indicator")
        .order_by("indicator__code")
    )
    return [Share(r.indicator, r.subjects, r.met, r.value_sum) for r in rows]


@dataclass
class ChildRow:
    region: object
    shares: dict[int, Share] = field(default_factory=dict)

    @property
    def subjects(self) -> int:
        return sum(s.subjects for s in self.shares.values())

    @property
    def lagging(self) -> int:
        return sum(s.lagging for s in self.shares.values())

    @property
    def mean_share(self) -> float:
        values = [s.share for s in self.shares.values() if s.subjects]
        return sum(values) / len(values) if values else 0.0

    @property
    def percent(self) -> str:
        return f"{100 * self.mean_share:.1f}%"

    @property
    def level(self) -> str:
        return share_level(self.mean_share)


def child_shares(
    *, user: User, period: Period, region: Region, indicator: Indicator | None = None
) -> list[ChildRow]:
    """The region's children, each with its shares (of one indicator, or of all)."""
    rows = (
        ResultRollup.objects.visible_to(user)
        .filter(period=period.label, parent=region, unit__isnull=True)
        .select_related("region", "indicator")
        .order_by("region__code", "indicator__code")
    )
    if indicator is not None:
        rows = rows.filter(indicator=indicator)
    children: dict[int, ChildRow] = {}
    for r in rows:
        child = children.setdefault(r.region_id, ChildRow(region=r.region))
        child.shares[r.indicator_id] = Share(r.indicator, r.subjects, r.met, r.value_sum)
    return list(children.values())


# --- units ------------------------------------------------------------------------------------------
@dataclass
class UnitRank:
    unit_id: int
    name: str
    indicators: int
    subjects: int
    met: int
    score: float
    grade: UnitAssessment | None = None

    @property
    def percent(self) -> str:
        return f"{100 * self.score:.1f}%"

    @property
    def level(self) -> str:
        if self.score >= 0.9:
            return "ok"
        return "warn" if self.score >= 0.75 else "bad"


def unit_ranking(
    *, user: User, period: Period, region: Region, limit: int | None = None, offset: int = 0
) -> tuple[list[UnitRank], int]:
    """Units with subjects in the region, ranked by the mean share of their indicators met
    (the lowest first: the page is for finding who lags). Returns (rows, total)."""
    per_indicator_share = Cast(F("met"), FloatField()) / Cast(F("subjects"), FloatField())
    base = (
        ResultRollup.objects.visible_to(user)
        .filter(period=period.label, region=region, unit__isnull=False, subjects__gt=0)
        .order_by()
        .values("unit_id")
    )
    ranked = base.annotate(
        name=F("unit__name"),
        indicators=Count("*"),
        subjects_n=Sum("subjects"),
        met_n=Sum("met"),
        score=Sum(per_indicator_share) / Count("*"),
    ).order_by("score", "unit__name")
    total = None
    if limit is not None:
        total = base.aggregate(n=Count("unit_id", distinct=True))["n"]
        ranked = ranked[offset : offset + limit]
    rows = [
        UnitRank(
            unit_id=r["unit_id"],
            name=r["name"] or "",
            indicators=r["indicators"],
            subjects=r["subjects_n"],
            met=r["met_n"],
            score=float(r["score"] or 0),
        )
        for r in ranked
    ]
    if period.kind == PeriodKind.YEAR and rows:
        grades = UnitAssessment.objects.filter(
            year=period.start.year, unit_id__in=[r.unit_id for r in rows]
        )
        by_unit = {g.unit_id: g for g in grades}
        for row in rows:
            row.grade = by_unit.get(row.unit_id)
    return rows, (len(rows) if total is None else total)


def unit_indicator_shares(*, user: User, unit: Unit, year: int) -> list[dict]:
    """A unit's results for a year, per indicator (its households, villages, pairings and its
    own unit-level results; the year's quarters for quarterly indicators), within the user's
    scope."""
    labels = [str(year)] + [f"{year}-Q{q}" for q in range(1, 5)]
    rows = (
        IndicatorResult.objects.visible_to(user)
        .filter(unit=unit, period__in=labels)
        .order_by()
        .values("indicator_id", "indicator__code", "indicator__name", "indicator__subject_kind")
        .annotate(n=Count("*"), met_n=Count("pk", filter=Q(met=True)))
        .order_by("indicator__code")
    )
    out = []
    for r in rows:
        share = r["met_n"] / r["n"] if r["n"] else 0.0
        out.append(
            {
                "code": r["indicator__code"],
                "name": r["indicator__name"],
                "subject_kind": SubjectKind(r["indicator__subject_kind"]).label,
                "subjects": r["n"],
                "met": r["met_n"],
                "lagging": r["n"] - r["met_n"],
                "percent": f"{100 * share:.1f}%",
                "level": "ok" if share >= 1 else ("warn" if share >= 0.8 else "bad"),
            }
        )
    return out


def unit_own_results(*, user: User, unit: Unit, year: int) -> QuerySet[IndicatorResult]:
    """The unit's unit-level results (meetings, night schools…) for the year and its quarters."""
    labels = [str(year)] + [f"{year}-Q{q}" for q in range(1, 5)]
    return (
        IndicatorResult.objects.visible_to(user)
        .filter(
            subject_kind__in=[SubjectKind.UNIT, SubjectKind.LEAD_UNIT],
            subject_id=unit.id,
            period__in=labels,
        )
        .select_related("indicator")
        .order_by("indicator__code", "period")
    )


def visible_reasons(*, user: User, assessment: UnitAssessment) -> tuple[list[dict], int]:
    """The bundled-rule reasons a user may read in full, and how many others there are (a
    reason about a village outside a township reviewer's township is counted, not named)."""
    scope = scope_of(user)
    own_unit = user.role == Role.COORDINATOR and user.unit_id == assessment.unit_id
    if scope.everything or own_unit:
        return list(assessment.cap_reasons), 0
    prefix = scope.region_path
    shown, hidden = [], 0
    for reason in assessment.cap_reasons:
        if prefix is not None and reason.get("path", "").startswith(prefix):
            shown.append(reason)
        else:
            hidden += 1
    return shown, hidden


# --- trend and income ---------------------------------------------------------------------------
def visit_trend(*, user: User, region: Region, year: int) -> list[dict]:
    """Visits per month of the year in the region (from the monthly roll-up)."""
    rows = (
        VisitMonth.objects.visible_to(user)
        .filter(
            path__startswith=region.path,
            month__gte=datetime.date(year, 1, 1),
            month__lte=datetime.date(year, 12, 1),
        )
        .order_by()
        .values("month")
        .annotate(
            visits=Sum("visits"),
            credited=Sum("credited"),
            home=Sum("home_credited"),
            held=Sum("held"),
        )
        .order_by("month")
    )
    by_month = {r["month"]: r for r in rows}
    out = []
    for m in range(1, 13):
        month = datetime.date(year, m, 1)
        r: Mapping[str, object] = by_month.get(month) or {}
        out.append(
            {
                "month": month,
                "label": _("%(m)d月") % {"m": m},
                "visits": r.get("visits") or 0,
                "credited": r.get("credited") or 0,
                "home": r.get("home") or 0,
                "held": r.get("held") or 0,
            }
        )
    return out


def income_distribution(*, user: User, year: int, region: Region) -> dict:
    """Registered poor villages of the region by collective income band, against the line."""
    results = IndicatorResult.objects.visible_to(user).filter(
        period=str(year), indicator__code=INCOME_CODE, path__startswith=region.path
    )
    aggregates = {}
    for i, (low, high, _label) in enumerate(INCOME_BANDS):
        condition = Q()
        if low is not None:
            condition &= Q(value__gte=low)
        if high is not None:
            condition &= Q(value__lt=high)
        aggregates[f"band{i}"] = Count("pk", filter=condition)
        aggregates[f"band{i}_met"] = Count("pk", filter=condition & Q(met=True))
    aggregates["total"] = Count("*")
    aggregates["met"] = Count("pk", filter=Q(met=True))
    counts = results.aggregate(**aggregates)
    bands = []
    for i, (_low, _high, label) in enumerate(INCOME_BANDS):
        n, met_n = counts[f"band{i}"], counts[f"band{i}_met"]
        bands.append({"label": label, "villages": n, "met": met_n, "below": n - met_n})
    return {"bands": bands, "total": counts["total"], "met": counts["met"]}


# --- lagging subjects and the records behind a result --------------------------------------------
def lagging_results(
    *,
    user: User,
    period: Period,
    indicator: Indicator,
    region: Region,
    unit_id: int | None = None,
) -> QuerySet[IndicatorResult]:
    """The subjects in the region that do not meet the indicator, in region order (township by
    township, village by village, as the ledgers read); each row says how far behind it is."""
    qs = (
        IndicatorResult.objects.visible_to(user)
        .filter(period=period.label, indicator=indicator, met=False, path__startswith=region.path)
        .select_related("township", "village", "unit", "helper")
        .order_by("path", "subject_label")
    )
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    return qs


def _reverse(name: str, *args: object, fallback: str) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the page belongs to an app that has not been built yet
        return fallback


def subject_url(result: IndicatorResult) -> str:
    """Where a subject's own page is: the household, the village, the unit's assessment, or
    the result's own page with the records behind it."""
    if result.household_id and result.subject_kind in (
        SubjectKind.HOUSEHOLD,
        SubjectKind.HOUSEHOLD_HELPER,
    ):
        return _reverse(
            "households:detail", result.household_id, fallback=f"/households/{result.household_id}/"
        )
    if result.subject_kind in (SubjectKind.VILLAGE, SubjectKind.VILLAGE_BRANCH):
        return _reverse(
            "villages:detail",
            result.subject_id,
            fallback=reverse("assessments:result", args=[result.pk]),
        )
    if result.subject_kind in (SubjectKind.UNIT, SubjectKind.LEAD_UNIT):
        return (
            reverse("assessments:unit", args=[result.subject_id])
            + f"?year={result.period_end.year}"
        )
    return reverse("assessments:result", args=[result.pk])


def result_for(*, user: User, pk: int) -> IndicatorResult:
    result = (
        IndicatorResult.objects.visible_to(user)
        .select_related("indicator", "township", "village", "unit", "helper", "household")
        .filter(pk=pk)
        .first()
    )
    if result is None:
        raise Http404(_("考核结果不存在或不在您的管辖范围内。"))
    return result


@dataclass
class Records:
    """The records behind a result, as a small table: headers and rows of cells."""

    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""


RECORD_LIMIT = 200


def result_records(*, user: User, result: IndicatorResult) -> Records:
    """The records a result was computed from, within the user's scope: asked of the result's
    metric (assessments/engine.py), which lists them by the same rules it computes them with."""
    # engine.py imports this module (Thresholds) at load time, so this one reads it lazily.
    from assessments.engine import METRICS

    metric = METRICS.get(result.indicator.metric)
    if metric is None:
        return Records(_("依据"), [], [], _("该计算口径没有可列出的明细记录。"))
    return metric.records(user=user, result=result)


def recent_runs(*, limit: int = 5) -> list[EvaluationRun]:
    return list(EvaluationRun.objects.select_related("region").order_by("-started_at")[:limit])


def known_periods(*, limit: int = 24) -> list[str]:
    """Periods that have been evaluated, newest first (for the period picker)."""
    labels = (
        EvaluationRun.objects.filter(status=EvaluationRun.Status.DONE)
        .order_by()
        .values_list("period", flat=True)
        .distinct()
    )
    return sorted(set(labels), reverse=True)[:limit]


def last_evaluated(*, period: Period) -> EvaluationRun | None:
    return (
        EvaluationRun.objects.filter(period=period.label, status=EvaluationRun.Status.DONE)
        .order_by("-started_at")
        .first()
    )
