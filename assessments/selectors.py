"""Reads of the assessments app. Dashboards read stored results and roll-ups (never recompute),
each in a fixed number of queries whatever the size of the region; every query starts from
`visible_to(user)`, so a township's reviewer never counts another township's subjects."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from accounts.scope import scope_of
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

INCOME_CODE = "VILLAGE-COLLECTIVE-INCOME"
INCOME_BANDS = [
    (None, Decimal("10000"), "1万元以下"),
    (Decimal("10000"), Decimal("20000"), "1万～2万元"),
    (Decimal("20000"), Decimal("30000"), "2万～3万元"),
    (Decimal("30000"), Decimal("50000"), "3万～5万元"),
    (Decimal("50000"), None, "5万元以上"),
]


# --- the reviewer's region and period ---------------------------------------------------------
def dashboard_period(text: str | None, *, today: datetime.date) -> tuple[Period, str | None]:
    """The period asked for, or the current year; with an error message for bad input."""
    if text:
        try:
            return parse_period(text), None
        except PeriodError as exc:
            return period_containing(PeriodKind.YEAR, today), str(exc)
    return period_containing(PeriodKind.YEAR, today), None


def dashboard_region(*, user, code: str | None):
    """The region a dashboard shows: the one asked for if the user may see it (404 otherwise),
    else the user's own region (the whole tree's root for an administrator)."""
    from villages.models import Region, RegionLevel

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


def breadcrumbs(*, user, region) -> list:
    """The region's ancestors the user may see, root first (one query)."""
    from villages.models import Region

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
        """A badge class: ok at 100 %, warn from 80 %, bad below."""
        if self.share >= 1:
            return "ok"
        return "warn" if self.share >= 0.8 else "bad"


def indicator_shares(*, user, period: Period, region) -> list[Share]:
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
        if self.mean_share >= 1:
            return "ok"
        return "warn" if self.mean_share >= 0.8 else "bad"


def child_shares(
    *, user, period: Period, region, indicator: Indicator | None = None
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


def unit_ranking(*, user, period: Period, region, limit: int | None = None, offset: int = 0):
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


def unit_indicator_shares(*, user, unit, year: int) -> list[dict]:
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


def unit_own_results(*, user, unit, year: int):
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


def visible_reasons(*, user, assessment: UnitAssessment) -> tuple[list[dict], int]:
    """The bundled-rule reasons a user may read in full, and how many others there are (a
    reason about a village outside a township reviewer's township is counted, not named)."""
    scope = scope_of(user)
    own_unit = getattr(user, "role", "") == "coordinator" and user.unit_id == assessment.unit_id
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
def visit_trend(*, user, region, year: int) -> list[dict]:
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
        r = by_month.get(month) or {}
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


def income_distribution(*, user, year: int, region) -> dict:
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
def lagging_results(*, user, period: Period, indicator: Indicator, region, unit_id=None):
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


def _reverse(name: str, *args, fallback: str) -> str:
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


def result_for(*, user, pk: int) -> IndicatorResult:
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


def result_records(*, user, result: IndicatorResult) -> Records:
    """The records a result was computed from (one query), within the user's scope."""
    from cadres.models import FieldDay, ReserveCadre, TalentAssignment, WorkingFund
    from households.models import HouseholdPairing, Plan, Visit
    from pairing.models import Meeting, PartyDay, StudyTrip, Training

    metric = result.indicator.metric
    start, end = result.period_start, result.period_end
    if metric in ("visits", "home_visits"):
        visits = (
            Visit.objects.visible_to(user)
            .filter(household_id=result.household_id, visited_on__gte=start, visited_on__lte=end)
            .select_related("helper")
            .order_by("visited_on", "id")
        )
        if metric == "home_visits":
            visits = visits.filter(helper_id=result.helper_id)
        spans = list(
            HouseholdPairing.objects.filter(household_id=result.household_id).values_list(
                "helper_id", "start_date", "end_date"
            )
        )

        def counted(visit) -> str:
            if visit.credit_status != "credited":
                return _("否：%(status)s") % {"status": visit.get_credit_status_display()}
            if metric == "home_visits" and visit.kind != "home":
                return _("否：不是入户走访")
            paired = any(
                helper == visit.helper_id
                and start <= visit.visited_on
                and (end is None or end >= visit.visited_on)
                for helper, start, end in spans
            )
            return _("是") if paired else _("否：走访人当天不是该户帮扶责任人")

        return Records(
            _("走访记录"),
            [_("日期"), _("走访人"), _("方式"), _("计入本指标"), _("说明")],
            [
                [v.visited_on, v.helper.name, v.get_kind_display(), counted(v), v.credit_reason]
                for v in visits[:RECORD_LIMIT]
            ],
            _("只有“计入考核”且走访人当天是该户帮扶责任人的走访才计数；周指标只计入户走访。"),
        )
    if metric == "helpers_in_force":
        pairings = (
            HouseholdPairing.objects.visible_to(user)
            .filter(household_id=result.household_id)
            .select_related("helper", "unit")
            .order_by("start_date")
        )
        return Records(
            _("结对帮扶责任人"),
            [_("帮扶责任人"), _("单位"), _("结对日期"), _("解除日期")],
            [[p.helper.name, p.unit or "", p.start_date, p.end_date or ""] for p in pairings],
        )
    if metric == "has_plan":
        plan = Plan.objects.visible_to(user).filter(household_id=result.household_id).first()
        rows = [[plan.drawn_up_on, plan.summary]] if plan else []
        return Records(_("一户一策"), [_("制定日期"), _("帮扶思路")], rows)
    if metric == "org_rep_visits":
        visits = (
            Visit.objects.visible_to(user)
            .filter(org_pairing_id=result.subject_id, visited_on__gte=start, visited_on__lte=end)
            .select_related("helper")
            .order_by("visited_on")
        )
        return Records(
            _("结对党组织代表走访"),
            [_("日期"), _("走访人"), _("是否计入考核"), _("内容")],
            [
                [v.visited_on, v.helper.name, v.get_credit_status_display(), v.learned]
                for v in visits[:RECORD_LIMIT]
            ],
        )
    meeting_kinds = {
        "principal_research": ("research", "principal"),
        "deputy_research": ("research", "deputy"),
        "special_meetings": ("special", None),
        "joint_meetings": ("joint", None),
    }
    if metric in meeting_kinds:
        kind, level = meeting_kinds[metric]
        meetings = Meeting.objects.visible_to(user).filter(
            unit_id=result.subject_id, kind=kind, held_on__gte=start, held_on__lte=end
        )
        if level:
            meetings = meetings.filter(leader_level=level)
        meetings = meetings.select_related("village").order_by("held_on")
        return Records(
            _("会议与调研"),
            [_("日期"), _("主题"), _("村"), _("带队领导")],
            [
                [m.held_on, m.title, m.village.name, m.get_leader_level_display()]
                for m in meetings[:RECORD_LIMIT]
            ],
        )
    if metric in ("night_schools", "cadre_trainings"):
        trainings = Training.objects.visible_to(user).filter(held_on__gte=start, held_on__lte=end)
        if metric == "night_schools":
            trainings = trainings.filter(unit_id=result.subject_id, kind="night_school")
        else:
            trainings = trainings.filter(village_id=result.village_id, kind="rotation")
        trainings = trainings.select_related("village").order_by("held_on")
        return Records(
            _("培训"),
            [_("日期"), _("主题"), _("村"), _("参训人数"), _("其中村干部")],
            [
                [t.held_on, t.title, t.village.name, t.attendance, t.village_cadres_trained]
                for t in trainings[:RECORD_LIMIT]
            ],
        )
    if metric == "study_trips":
        trips = (
            StudyTrip.objects.visible_to(user)
            .filter(unit_id=result.subject_id, started_on__gte=start, started_on__lte=end)
            .order_by("started_on")
        )
        return Records(
            _("外出学习考察"),
            [_("出发日期"), _("考察地点"), _("天数"), _("参加人数")],
            [[t.started_on, t.destination, t.days, t.participants] for t in trips[:RECORD_LIMIT]],
        )
    if metric == "collective_income":
        from villages.models import VillageIncome

        incomes = VillageIncome.objects.visible_to(user).filter(village_id=result.village_id)
        return Records(
            _("村集体经济收入"),
            [_("年度"), _("收入（元）"), _("收入来源")],
            [[i.year, i.amount, i.sources] for i in incomes.order_by("-year")],
            _("未填报当年收入的按 0 元计。"),
        )
    if metric == "reserve_cadres":
        reserves = ReserveCadre.objects.visible_to(user).filter(village_id=result.village_id)
        return Records(
            _("村级后备干部"),
            [_("姓名"), _("出生年份"), _("文化程度"), _("纳入日期"), _("退出日期")],
            [
                [r.name, r.birth_year or "", r.education, r.added_on, r.left_on or ""]
                for r in reserves.order_by("added_on")
            ],
        )
    if metric == "talents":
        talents = (
            TalentAssignment.objects.visible_to(user)
            .filter(village_id=result.village_id)
            .select_related("cadre")
            .order_by("start_date")
        )
        return Records(
            _("下派专业人才"),
            [_("姓名"), _("专业领域"), _("开始日期"), _("结束日期")],
            [[t.cadre.name, t.specialty, t.start_date, t.end_date or ""] for t in talents],
        )
    if metric == "venue_area":
        village = result.village
        return Records(
            _("村级活动阵地"),
            [_("村"), _("阵地面积（㎡）")],
            [
                [
                    village.name,
                    village.venue_area_m2 if village.venue_area_m2 is not None else _("未填报"),
                ]
            ]
            if village
            else [],
        )
    if metric == "first_friday_party_day":
        days = (
            PartyDay.objects.visible_to(user)
            .filter(village_id=result.subject_id, held_on__gte=start, held_on__lte=end)
            .order_by("held_on")
        )
        return Records(
            _("固定党日"),
            [_("日期"), _("主题"), _("参加党员人数"), _("是否每月第一个星期五")],
            [
                [d.held_on, d.theme, d.attendance, _("是") if d.on_first_friday else _("否")]
                for d in days
            ],
        )
    if metric == "field_days":
        days = (
            FieldDay.objects.visible_to(user)
            .filter(cadre_id=result.helper_id, day__gte=start, day__lte=end)
            .filter(region__path__startswith=result.path)
            .select_related("region")
            .order_by("day")
        )
        return Records(
            _("在岗天数"),
            [_("日期"), _("地点"), _("工作内容")],
            [[d.day, d.region.name, d.note] for d in days[:RECORD_LIMIT]],
        )
    if metric == "department_visits":
        visits = (
            Visit.objects.visible_to(user)
            .filter(
                village_id=result.village_id,
                kind="village_work",
                helper__unit_id=result.unit_id,
                visited_on__gte=start,
                visited_on__lte=end,
            )
            .select_related("helper")
            .order_by("visited_on")
        )
        return Records(
            _("部门到村工作走访"),
            [_("日期"), _("走访人"), _("是否计入考核"), _("内容")],
            [
                [v.visited_on, v.helper.name, v.get_credit_status_display(), v.learned]
                for v in visits[:RECORD_LIMIT]
            ],
        )
    if metric == "working_funds":
        funds = (
            WorkingFund.objects.visible_to(user)
            .filter(cadre_id=result.subject_id, year=end.year)
            .order_by("granted_on")
        )
        return Records(
            _("第一书记工作经费"),
            [_("年度"), _("金额（元）"), _("来源"), _("拨付日期")],
            [[f.year, f.amount, f.source, f.granted_on or ""] for f in funds],
        )
    if metric == "spot_check_share":
        from inspections.models import SpotCheckDraw

        quarter = f"{start.year}Q{(start.month - 1) // 3 + 1}"
        draws = (
            SpotCheckDraw.objects.visible_to(user)
            .filter(quarter=quarter)
            .select_related("region")
            .annotate(villages=Count("items__village", distinct=True))
            .order_by("drawn_at")
        )
        return Records(
            _("本季度抽查"),
            [_("抽查区划"), _("抽取时间"), _("抽中村数"), _("状态")],
            [
                [d.region.name, d.drawn_at, d.villages, _("已作废") if d.voided else _("有效")]
                for d in draws
            ],
        )
    return Records(_("依据"), [], [], _("该计算口径没有可列出的明细记录。"))


def recent_runs(*, limit: int = 5):
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


def last_evaluated(*, period: Period):
    return (
        EvaluationRun.objects.filter(period=period.label, status=EvaluationRun.Status.DONE)
        .order_by("-started_at")
        .first()
    )
