"""The ledgers for superiors (DOMAIN.md, "The ledgers for superiors").

An exporter is a class that, for a user, a region and a period, says how many rows it will
write and yields its sheets: a header, then rows fetched in chunks from
`values_list(...).iterator(chunk_size=...)` (tuples, not model objects: PERFORMANCE.md measured
0.6 s per 100k rows against 2.8 s). Whatever a row needs from other tables (helpers, visit counts,
incomes) is fetched per chunk with `household_id IN (...)`, so memory stays flat however large
the region. `ledgers.writer.LedgerWriter` turns the sheets into the workbook.

Every query starts from `Model.objects.visible_to(user)`; `user=None` is the command line run
by an operator on the server, which sees everything.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from functools import cached_property

from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import Comparison, Indicator, IndicatorResult, SubjectKind, UnitAssessment
from cadres.models import ReserveCadre, TalentAssignment, Term
from core.idcard import mask_id_number, mask_phone
from households.models import (
    AssistanceTrack,
    CreditStatus,
    Household,
    HouseholdPairing,
    IncomeRecord,
    MeasureStatus,
    Plan,
    PovertyCause,
    PovertyStatus,
    Visit,
    VisitKind,
)
from inspections.models import RectificationItem, RectificationStatus
from ledgers.models import LedgerKind
from ledgers.periods import LedgerPeriod
from ledgers.writer import Column, Kind, LedgerWriter, Sheet
from monitoring.models import (
    PROCEDURE_STEPS,
    CaseStatus,
    Category,
    ClueChannel,
    ClueOutcome,
    Department,
    HouseholdFinance,
    LabourCapacity,
    MonitoringCase,
    MonitoringMeasure,
    MonitoringStep,
    Procedure,
    RiskClue,
    RiskType,
    step_label,
)
from monitoring.models import MeasureKind as MonitoringMeasureKind
from monitoring.selectors import acceptance_deadline, clue_deadline, range_for
from pairing.models import Pairing, Unit, UnitKind
from villages.models import Region, RegionLevel, Village, VillageIncome

# The roster columns (ledgers.importers reads them back by these names).
COL_VILLAGE_CODE = "村区划代码"
COL_HEAD_NAME = "户主姓名"
COL_ID_NUMBER = "户主身份证号"
COL_SIZE = "家庭人口数"
COL_PHONE = "联系电话"
COL_CAUSE = "致贫原因"
COL_TRACK = "帮扶类型"
COL_KEY = "重点困难户"
COL_INCOME = "年人均纯收入（元）"
COL_EXIT_YEAR = "脱贫年度"

YES, NO = "是", "否"


def chunked(iterable: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def person_name(last: str | None, first: str | None, username: str | None) -> str:
    return f"{last or ''}{first or ''}".strip() or (username or "")


def labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


class Exporter(ABC):
    """One ledger for one region and period, as seen by one user."""

    kind: str = ""
    name: str = ""
    chunk_size = 2000

    def __init__(
        self,
        *,
        user,
        region: Region,
        period: LedgerPeriod,
        mask_ids: bool = False,
        today: datetime.date | None = None,
    ) -> None:
        self.user = user
        self.region = region
        self.period = period
        self.today = today or timezone.localdate()
        # Masked unless the role may see full numbers; anyone may ask for masked ones.
        self.mask_ids = mask_ids or (user is not None and not user.can_view_full_id)

    # --- what every ledger shares -----------------------------------------------------------------
    def scoped(self, model):
        if self.user is None:
            return model.objects.all()
        return model.objects.visible_to(self.user)

    @property
    def as_of(self) -> datetime.date:
        return self.period.as_of(self.today)

    @property
    def region_path(self) -> str:
        return self.region.path

    @cached_property
    def region_label(self) -> str:
        names = [r.name for r in self.region.ancestors() if r.level != RegionLevel.PROVINCE]
        return "".join(names) or self.region.name

    @property
    def title(self) -> str:
        return _("%(region)s%(ledger)s（%(period)s）") % {
            "region": self.region_label,
            "ledger": self.name,
            "period": self.period.label,
        }

    def subtitle(self) -> str:
        producer = str(self.user) if self.user is not None else _("系统管理员（命令行）")
        parts = [
            _("区划：%(name)s（%(code)s）") % {"name": self.region_label, "code": self.region.code},
            _("期间：%(start)s 至 %(end)s")
            % {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            _("制表日期：%(date)s") % {"date": f"{self.today:%Y年%m月%d日}"},
            _("制表人：%(name)s") % {"name": producer},
        ]
        if self.kind in (
            LedgerKind.PAIRING,
            LedgerKind.VISIT,
            LedgerKind.MONITORING,
            LedgerKind.RISK_CLUE,
        ):
            parts.append(_("身份证号：已脱敏") if self.mask_ids else _("身份证号：完整"))
        return "　　".join(parts)

    @property
    def filename(self) -> str:
        return f"{self.name}_{self.region.name}_{self.period.key}.xlsx"

    def id_number(self, value: str | None) -> str:
        if not value:
            return ""
        return mask_id_number(value) if self.mask_ids else value

    def phone(self, value: str | None) -> str:
        # Phones are personal data too: masked whenever ID numbers are (issue 8).
        if not value:
            return ""
        return mask_phone(value) if self.mask_ids else value

    def region_columns(self) -> list[Column]:
        columns = []
        if self.region.level == RegionLevel.PROVINCE:
            columns.append(Column(_("市（州）"), width=12))
        columns += [
            Column(_("县（区）"), width=12),
            Column(_("乡镇（街道）"), width=14),
            Column(_("村"), width=14),
        ]
        return columns

    def region_lookups(self, village: str) -> list[str]:
        """values_list lookups of the region columns, from a village relation (`village__`)."""
        lookups = []
        if self.region.level == RegionLevel.PROVINCE:
            lookups.append(f"{village}county__parent__name")
        return [*lookups, f"{village}county__name", f"{village}township__name", f"{village}name"]

    # --- what each ledger defines ---------------------------------------------------------------
    @abstractmethod
    def count(self) -> int:
        """The data rows the ledger will hold (decides between download and background job)."""

    @abstractmethod
    def sheets(self) -> list[Sheet]:
        """The sheets, each a header and a stream of rows."""

    # --- writing --------------------------------------------------------------------------------
    def write(self, target, *, on_progress=None, progress_every: int = 2000) -> int:
        """Write the workbook to `target` (a path or binary file); returns the data rows."""
        writer = LedgerWriter(
            title=self.title,
            subtitle=self.subtitle(),
            on_progress=on_progress,
            progress_every=progress_every,
        )
        rows = 0
        for sheet in self.sheets():
            rows += writer.add_sheet(sheet)
        writer.save(target)
        return rows


class PairingLedger(Exporter):
    """结对帮扶台账: one row per household, with the roster columns (so a full-ID ledger can be
    fed back to the roster importer unchanged), the responsible helpers and their units, the
    period's credited visits and the one-household-one-plan."""

    kind = LedgerKind.PAIRING
    name = "结对帮扶台账"

    def households(self):
        return self.scoped(Household).filter(path__startswith=self.region_path)

    def count(self) -> int:
        return self.households().count()

    def sheets(self) -> list[Sheet]:
        columns = [
            *self.region_columns(),
            Column(COL_VILLAGE_CODE, Kind.CODE, width=15),
            Column(COL_HEAD_NAME, width=10),
            Column(COL_ID_NUMBER, Kind.CODE, width=21),
            Column(COL_SIZE, Kind.INT, width=8, total=True),
            Column(COL_PHONE, Kind.CODE, width=14),
            Column(COL_CAUSE, width=12),
            Column(COL_TRACK, width=12),
            Column(COL_KEY, width=8),
            Column(COL_INCOME, Kind.MONEY, width=13),
            Column(COL_EXIT_YEAR, Kind.YEAR, width=8),
            Column(_("贫困状态"), width=10),
            Column(_("帮扶责任人"), width=14),
            Column(_("帮扶单位"), width=24),
            Column(_("%(period)s走访次数") % {"period": self.period.label}, Kind.INT, total=True),
            Column(_("最近走访日期"), Kind.DATE),
            Column(_("一户一策"), width=9),
            Column(_("帮扶措施（项）"), Kind.INT, width=9, total=True),
            Column(_("已完成措施（项）"), Kind.INT, width=9, total=True),
        ]
        return [
            Sheet(
                self.name,
                columns,
                self.rows(),
                count_unit=_("户"),
                freeze_columns=len(self.region_columns()) + 2,
            )
        ]

    def rows(self) -> Iterator[tuple]:
        causes, tracks, statuses = (
            labels(PovertyCause),
            labels(AssistanceTrack),
            labels(PovertyStatus),
        )
        as_of, start, end, year = self.as_of, self.period.start, self.period.end, self.period.year
        planned, not_planned = _("已制定"), _("未制定")
        households = (
            self.households()
            .order_by("path", "head_name", "id")
            .values_list(
                "id",
                *self.region_lookups("village__"),
                "village__region__code",
                "head_name",
                "head_id_number",
                "size",
                "phone",
                "cause",
                "track",
                "key_difficulty",
                "exit_year",
                "status",
            )
        )
        regions = len(self.region_lookups(""))
        for batch in chunked(households.iterator(chunk_size=self.chunk_size), self.chunk_size):
            ids = [row[0] for row in batch]
            helpers: dict[int, list[str]] = defaultdict(list)
            units: dict[int, list[str]] = defaultdict(list)
            pairings = (
                HouseholdPairing.objects.in_force(as_of)
                .filter(household_id__in=ids)
                .order_by("start_date", "id")
                .values_list("household_id", "helper__name", "unit__name", "helper__unit__name")
            )
            for household_id, helper, unit, helper_unit in pairings:
                if helper not in helpers[household_id]:
                    helpers[household_id].append(helper)
                unit = unit or helper_unit
                if unit and unit not in units[household_id]:
                    units[household_id].append(unit)
            visits = {
                household_id: (n, last)
                for household_id, n, last in Visit.objects.counted()
                .filter(household_id__in=ids, visited_on__gte=start, visited_on__lte=end)
                .order_by()
                .values("household_id")
                .annotate(n=Count("*"), last=Max("visited_on"))
                .values_list("household_id", "n", "last")
            }
            incomes = dict(
                IncomeRecord.objects.filter(household_id__in=ids, year=year).values_list(
                    "household_id", "per_capita_net_income"
                )
            )
            plans = {
                household_id: (total, done)
                for household_id, total, done in Plan.objects.filter(household_id__in=ids)
                .order_by()
                .annotate(
                    total=Count("measures"),
                    done=Count("measures", filter=Q(measures__status=MeasureStatus.DONE)),
                )
                .values_list("household_id", "total", "done")
            }
            for row in batch:
                household_id = row[0]
                (
                    code,
                    head_name,
                    id_number,
                    size,
                    phone,
                    cause,
                    track,
                    key_difficulty,
                    exit_year,
                    status,
                ) = row[1 + regions :]
                n_visits, last_visit = visits.get(household_id, (0, None))
                plan = plans.get(household_id)
                yield (
                    *row[1 : 1 + regions],
                    code,
                    head_name,
                    self.id_number(id_number),
                    size,
                    self.phone(phone),
                    causes.get(cause, cause),
                    tracks.get(track, track),
                    YES if key_difficulty else NO,
                    incomes.get(household_id),
                    exit_year,
                    statuses.get(status, status),
                    "、".join(helpers.get(household_id, ())),
                    "、".join(units.get(household_id, ())),
                    n_visits,
                    last_visit,
                    planned if plan else not_planned,
                    plan[0] if plan else 0,
                    plan[1] if plan else 0,
                )


class VisitLedger(Exporter):
    """走访台账: one row per visit in the period, credited or not (the column says which)."""

    kind = LedgerKind.VISIT
    name = "走访台账"

    def visits(self):
        qs = self.scoped(Visit).filter(
            visited_on__gte=self.period.start, visited_on__lte=self.period.end
        )
        # The (township, visited_on) and (village, visited_on) indexes serve these filters.
        if self.region.level == RegionLevel.VILLAGE:
            return qs.filter(village__region=self.region)
        if self.region.level == RegionLevel.TOWNSHIP:
            return qs.filter(township=self.region)
        townships = Region.objects.filter(
            path__startswith=self.region_path, level=RegionLevel.TOWNSHIP
        ).values("id")
        return qs.filter(township_id__in=townships)

    def count(self) -> int:
        return self.visits().count()

    def sheets(self) -> list[Sheet]:
        columns = [
            *self.region_columns(),
            Column(COL_HEAD_NAME, width=10),
            Column(COL_ID_NUMBER, Kind.CODE, width=21),
            Column(_("走访人"), width=10),
            Column(_("走访人单位"), width=22),
            Column(_("走访方式"), width=14),
            Column(_("走访日期"), Kind.DATE),
            Column(_("了解情况与帮扶内容"), Kind.LONG_TEXT, width=40),
            Column(_("发现的问题"), Kind.LONG_TEXT, width=28),
            Column(_("考核计入"), width=10),
            Column(_("不计入或待审核原因"), width=20),
            Column(_("填报时间"), Kind.DATETIME),
        ]
        return [
            Sheet(
                self.name,
                columns,
                self.rows(),
                count_unit=_("次"),
                freeze_columns=len(self.region_columns()) + 1,
            )
        ]

    def rows(self) -> Iterator[tuple]:
        kinds, credits = labels(VisitKind), labels(CreditStatus)
        village_visit = _("（到村走访）")
        visits = (
            self.visits()
            .order_by("path", "visited_on", "id")
            .values_list(
                *self.region_lookups("village__"),
                "household__head_name",
                "household__head_id_number",
                "helper__name",
                "helper__unit__name",
                "kind",
                "visited_on",
                "learned",
                "problems",
                "credit_status",
                "credit_reason",
                "created_at",
            )
        )
        regions = len(self.region_lookups(""))
        for row in visits.iterator(chunk_size=self.chunk_size):
            (
                head_name,
                id_number,
                helper,
                unit,
                kind,
                visited_on,
                learned,
                problems,
                credit,
                reason,
                created_at,
            ) = row[regions:]
            yield (
                *row[:regions],
                head_name or village_visit,
                self.id_number(id_number),
                helper,
                unit,
                kinds.get(kind, kind),
                visited_on,
                learned,
                problems,
                credits.get(credit, credit),
                reason,
                created_at,
            )


class VillageLedger(Exporter):
    """村级台账: one row per village: poor/difficult status and exit, the Party branch, venue,
    industries, collective income for the period's year and the two before, reserve cadres,
    dispatched talents, the first secretary, pairing units and households on the roster."""

    kind = LedgerKind.VILLAGE
    name = "村级台账"
    chunk_size = 1000

    def villages(self):
        return self.scoped(Village).filter(path__startswith=self.region_path)

    def count(self) -> int:
        return self.villages().count()

    @property
    def income_years(self) -> list[int]:
        year = self.period.year
        return [year - 2, year - 1, year]

    def sheets(self) -> list[Sheet]:
        columns = [
            *self.region_columns(),
            Column(_("村区划代码"), Kind.CODE, width=15),
            Column(_("建档立卡贫困村"), width=9),
            Column(_("困难村"), width=8),
            Column(_("计划退出年度"), Kind.YEAR, width=9),
            Column(_("实际退出年度"), Kind.YEAR, width=9),
            Column(_("退出情况"), width=12),
            Column(_("村党组织"), width=20),
            Column(_("党组织书记"), width=10),
            Column(_("第一书记"), width=10),
            Column(_("第一书记派出单位"), width=22),
            Column(_("活动阵地面积（㎡）"), Kind.DECIMAL, width=11),
            Column(_("主导产业"), width=20),
            *[
                Column(_("%(year)d年集体经济收入（元）") % {"year": y}, Kind.MONEY, total=True)
                for y in self.income_years
            ],
            Column(_("后备干部（人）"), Kind.INT, width=9, total=True),
            Column(_("下派人才（人）"), Kind.INT, width=9, total=True),
            Column(_("结对帮扶单位"), width=28),
            Column(_("建档贫困户（户）"), Kind.INT, width=10, total=True),
            Column(_("户籍人口（人）"), Kind.INT, width=10, total=True),
        ]
        return [
            Sheet(
                self.name,
                columns,
                self.rows(),
                count_unit=_("个村"),
                freeze_columns=len(self.region_columns()),
            )
        ]

    def rows(self) -> Iterator[tuple]:
        as_of, start, end, year = self.as_of, self.period.start, self.period.end, self.period.year
        years = self.income_years
        exited, overdue, not_yet, not_poor = (
            _("已退出"),
            _("未按期退出"),
            _("未退出"),
            _("非贫困村"),
        )
        villages = (
            self.villages()
            .order_by("path")
            .values_list(
                "id",
                *self.region_lookups(""),
                "region__code",
                "is_poor_village",
                "is_difficult_village",
                "planned_exit_year",
                "exit_year",
                "branch_name",
                "branch_secretary",
                "venue_area_m2",
                "leading_industries",
                "population",
            )
        )
        regions = len(self.region_lookups(""))
        for batch in chunked(villages.iterator(chunk_size=self.chunk_size), self.chunk_size):
            ids = [row[0] for row in batch]
            incomes = {
                (village_id, y): amount
                for village_id, y, amount in VillageIncome.objects.filter(
                    village_id__in=ids, year__in=years
                ).values_list("village_id", "year", "amount")
            }
            reserves = dict(
                ReserveCadre.objects.filter(village_id__in=ids, added_on__lte=as_of)
                .filter(Q(left_on__isnull=True) | Q(left_on__gt=as_of))
                .order_by()
                .values("village_id")
                .annotate(n=Count("*"))
                .values_list("village_id", "n")
            )
            talents = dict(
                TalentAssignment.objects.in_force(as_of)
                .filter(village_id__in=ids)
                .order_by()
                .values("village_id")
                .annotate(n=Count("*"))
                .values_list("village_id", "n")
            )
            secretaries: dict[int, tuple[str, str]] = {}
            for village_id, cadre, unit in (
                Term.objects.in_force(as_of)
                .filter(village_id__in=ids, role=Term.TermRole.FIRST_SECRETARY)
                .order_by("start_date", "id")
                .values_list("village_id", "cadre__name", "dispatching_unit__name")
            ):
                secretaries[village_id] = (cadre, unit or "")
            pairing_units: dict[int, list[str]] = defaultdict(list)
            for village_id, unit in (
                Pairing.objects.overlapping(start, end)
                .filter(village_id__in=ids)
                .order_by("start_date", "id")
                .values_list("village_id", "lead_unit__name")
            ):
                if unit not in pairing_units[village_id]:
                    pairing_units[village_id].append(unit)
            households = dict(
                Household.objects.filter(village_id__in=ids)
                .order_by()
                .values("village_id")
                .annotate(n=Count("*"))
                .values_list("village_id", "n")
            )
            for row in batch:
                village_id = row[0]
                (
                    code,
                    is_poor,
                    is_difficult,
                    planned,
                    exit_year,
                    branch,
                    secretary,
                    venue,
                    industries,
                    population,
                ) = row[1 + regions :]
                if not (is_poor or is_difficult):
                    exit_status = not_poor
                elif exit_year:
                    exit_status = exited
                elif planned and planned <= year:
                    exit_status = overdue
                else:
                    exit_status = not_yet
                first_secretary, dispatching_unit = secretaries.get(village_id, ("", ""))
                yield (
                    *row[1 : 1 + regions],
                    code,
                    YES if is_poor else NO,
                    YES if is_difficult else NO,
                    planned,
                    exit_year,
                    exit_status,
                    branch,
                    secretary,
                    first_secretary,
                    dispatching_unit,
                    venue,
                    industries,
                    *[incomes.get((village_id, y)) for y in years],
                    reserves.get(village_id, 0),
                    talents.get(village_id, 0),
                    "、".join(pairing_units.get(village_id, ())),
                    households.get(village_id, 0),
                    population,
                )


class AssessmentSummary(Exporter):
    """考核汇总台账: the indicator results of the period (computed by the assessment engine)
    rolled up for the region, by township and by unit, and each unit's yearly assessment with
    the bundled-rule (三捆绑) outcome."""

    kind = LedgerKind.ASSESSMENT
    name = "考核汇总台账"

    def results(self):
        return self.scoped(IndicatorResult).filter(
            path__startswith=self.region_path,
            period_start__gte=self.period.start,
            period_end__lte=self.period.end,
        )

    def units(self):
        path = self.region_path
        in_region = (
            Q(region__path__startswith=path)
            | Q(led_pairings__path__startswith=path)
            | Q(organisations__participations__pairing__path__startswith=path)
            | Q(id__in=self.results().filter(unit__isnull=False).values("unit_id"))
        )
        return self.scoped(Unit).filter(in_region).distinct()

    def _overall(self):
        return (
            self.results()
            .order_by()
            .values("indicator_id", "period")
            .annotate(n=Count("*"), met_n=Count("id", filter=Q(met=True)))
            .order_by("indicator__code", "period")
            .values_list("indicator_id", "period", "n", "met_n")
        )

    def _by_township(self):
        return (
            self.results()
            .filter(township__isnull=False)
            .order_by()
            .values("indicator_id", "period", "township_id")
            .annotate(n=Count("*"), met_n=Count("id", filter=Q(met=True)))
            .order_by("indicator__code", "period", "township__path")
            .values_list("indicator_id", "period", "township_id", "n", "met_n")
        )

    def _by_unit(self):
        return (
            self.results()
            .filter(unit__isnull=False)
            .order_by()
            .values("unit_id", "indicator_id", "period")
            .annotate(n=Count("*"), met_n=Count("id", filter=Q(met=True)))
            .order_by("unit__name", "indicator__code", "period")
            .values_list("unit_id", "indicator_id", "period", "n", "met_n")
        )

    def _assessments(self):
        return (
            UnitAssessment.objects.filter(year=self.period.year, unit__in=self.units())
            .order_by("unit__name")
            .values_list(
                "unit__name",
                "unit__kind",
                "year",
                "met_share",
                "earned_grade",
                "capped",
                "cap_reasons",
                "final_grade",
            )
        )

    def count(self) -> int:
        return (
            self._overall().count()
            + self._by_township().count()
            + self._by_unit().count()
            + self._assessments().count()
        )

    @cached_property
    def indicators(self) -> dict[int, tuple]:
        comparisons = labels(Comparison)
        subjects = labels(SubjectKind)
        out = {}
        for (
            pk,
            code,
            name,
            subject,
            comparison,
            threshold,
            unit_label,
        ) in Indicator.objects.values_list(
            "id", "code", "name", "subject_kind", "comparison", "threshold", "unit_label"
        ):
            rule = f"{comparisons.get(comparison, '')}{threshold.normalize():f}{unit_label}"
            out[pk] = (code, name, subjects.get(subject, subject), rule)
        return out

    @staticmethod
    def _rate(n: int, met: int) -> Decimal | None:
        return (Decimal(met) / Decimal(n)).quantize(Decimal("0.0001")) if n else None

    def _indicator_columns(self) -> list[Column]:
        return [
            Column(_("指标代码"), Kind.CODE, width=27),
            Column(_("指标名称"), width=26),
            Column(_("考核对象"), width=14),
            Column(_("考核标准"), width=12),
            Column(_("考核期"), Kind.CODE, width=10),
        ]

    def _count_columns(self, subjects: str) -> list[Column]:
        return [
            Column(subjects, Kind.INT, width=9),
            Column(_("达标数"), Kind.INT, width=9),
            Column(_("未达标数"), Kind.INT, width=9),
            Column(_("达标率"), Kind.PERCENT, width=9),
        ]

    def sheets(self) -> list[Sheet]:
        indicators = self.indicators

        def overall():
            for indicator_id, period, n, met in self._overall():
                yield (*indicators[indicator_id], period, n, met, n - met, self._rate(n, met))

        def by_township():
            rows = list(self._by_township())
            township_ids = {row[2] for row in rows}
            names = {
                pk: (county, name)
                for pk, county, name in Region.objects.filter(id__in=township_ids).values_list(
                    "id", "parent__name", "name"
                )
            }
            for indicator_id, period, township_id, n, met in rows:
                county, township = names.get(township_id, ("", ""))
                yield (
                    county,
                    township,
                    *indicators[indicator_id],
                    period,
                    n,
                    met,
                    n - met,
                    self._rate(n, met),
                )

        def by_unit():
            rows = list(self._by_unit())
            unit_names = dict(
                Unit.objects.filter(id__in={row[0] for row in rows}).values_list("id", "name")
            )
            for unit_id, indicator_id, period, n, met in rows:
                yield (
                    unit_names.get(unit_id, ""),
                    *indicators[indicator_id],
                    period,
                    n,
                    met,
                    n - met,
                    self._rate(n, met),
                )

        def assessments():
            kinds = labels(UnitKind)
            grades = dict(UnitAssessment._meta.get_field("final_grade").flatchoices)
            for name, kind, year, share, earned, capped, reasons, final in self._assessments():
                yield (
                    name,
                    kinds.get(kind, kind),
                    year,
                    share,
                    str(grades.get(earned, earned)),
                    YES if capped else NO,
                    "；".join(_reason_text(r) for r in reasons or []),
                    str(grades.get(final, final)),
                )

        return [
            Sheet(
                _("指标汇总"),
                [*self._indicator_columns(), *self._count_columns(_("考核对象数"))],
                overall(),
                totals=False,
                freeze_columns=2,
            ),
            Sheet(
                _("按乡镇"),
                [
                    Column(_("县（区）"), width=12),
                    Column(_("乡镇（街道）"), width=14),
                    *self._indicator_columns(),
                    *self._count_columns(_("考核对象数")),
                ],
                by_township(),
                totals=False,
                freeze_columns=3,
            ),
            Sheet(
                _("按帮扶单位"),
                [
                    Column(_("帮扶单位"), width=26),
                    *self._indicator_columns(),
                    *self._count_columns(_("考核对象数")),
                ],
                by_unit(),
                totals=False,
                freeze_columns=2,
            ),
            Sheet(
                _("单位年度考核"),
                [
                    Column(_("帮扶单位"), width=26),
                    Column(_("单位类型"), width=10),
                    Column(_("年度"), Kind.YEAR, width=8),
                    Column(_("指标达标率"), Kind.PERCENT, width=10),
                    Column(_("按指标应得等次"), width=12),
                    Column(_("受三捆绑限制"), width=10),
                    Column(_("限制原因"), Kind.LONG_TEXT, width=40),
                    Column(_("最高可评等次"), width=12),
                ],
                assessments(),
                count_unit=_("个单位"),
                freeze_columns=1,
            ),
        ]


def _reason_text(reason) -> str:
    """A cap reason as the engine stored it: a sentence, or a dict with one."""
    if isinstance(reason, dict):
        for key in ("message", "reason", "label", "text"):
            if reason.get(key):
                return str(reason[key])
        return "，".join(f"{k}：{v}" for k, v in reason.items())
    return str(reason)


class RectificationLedger(Exporter):
    """督查整改台账: every rectification item live during the period (registered by its end and
    not closed before its start), with the problem, task, responsibility, deadline and closing."""

    kind = LedgerKind.RECTIFICATION
    name = "督查整改台账"

    def items(self):
        return (
            self.scoped(RectificationItem)
            .filter(village__path__startswith=self.region_path)
            .filter(created_at__date__lte=self.period.end)
            .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=self.period.start))
        )

    def count(self) -> int:
        return self.items().count()

    def sheets(self) -> list[Sheet]:
        columns = [
            *self.region_columns(),
            Column(COL_HEAD_NAME, width=10),
            Column(_("问题来源"), width=14),
            Column(_("督查日期"), Kind.DATE),
            Column(_("督查人"), width=10),
            Column(_("问题清单"), Kind.LONG_TEXT, width=32),
            Column(_("任务清单"), Kind.LONG_TEXT, width=32),
            Column(_("责任单位"), width=22),
            Column(_("责任人"), width=10),
            Column(_("整改时限"), Kind.DATE),
            Column(_("整改状态"), width=11),
            Column(_("提交销号时间"), Kind.DATETIME),
            Column(_("销号日期"), Kind.DATE),
            Column(_("销号人"), width=10),
            Column(_("逾期情况"), width=10),
            Column(_("登记日期"), Kind.DATE),
        ]
        return [
            Sheet(
                self.name,
                columns,
                self.rows(),
                count_unit=_("项"),
                freeze_columns=len(self.region_columns()),
            )
        ]

    def rows(self) -> Iterator[tuple]:
        statuses = labels(RectificationStatus)
        overdue_open, overdue_closed = _("已逾期"), _("逾期销号")
        daily = _("日常督查")
        today = self.today
        items = (
            self.items()
            .order_by("village__path", "deadline", "id")
            .values_list(
                *self.region_lookups("village__"),
                "household__head_name",
                "inspection__item__draw__quarter",
                "inspection__inspected_on",
                "inspection__inspector__last_name",
                "inspection__inspector__first_name",
                "inspection__inspector__username",
                "problem",
                "task",
                "responsible_unit__name",
                "responsible_person__last_name",
                "responsible_person__first_name",
                "responsible_person__username",
                "deadline",
                "status",
                "submitted_at",
                "closed_on",
                "closed_by__last_name",
                "closed_by__first_name",
                "closed_by__username",
                "created_at",
            )
        )
        regions = len(self.region_lookups(""))
        for row in items.iterator(chunk_size=self.chunk_size):
            (
                head_name,
                quarter,
                inspected_on,
                i_last,
                i_first,
                i_user,
                problem,
                task,
                unit,
                r_last,
                r_first,
                r_user,
                deadline,
                status,
                submitted_at,
                closed_on,
                c_last,
                c_first,
                c_user,
                created_at,
            ) = row[regions:]
            if status == RectificationStatus.CLOSED:
                overdue = overdue_closed if closed_on and closed_on > deadline else NO
            else:
                overdue = overdue_open if deadline < today else NO
            if quarter:
                source = _("%(quarter)s季度抽查") % {"quarter": quarter}
            elif inspected_on:
                source = daily
            else:
                source = _("直接登记")
            yield (
                *row[:regions],
                head_name,
                source,
                inspected_on,
                person_name(i_last, i_first, i_user),
                problem,
                task,
                unit,
                person_name(r_last, r_first, r_user),
                deadline,
                statuses.get(status, status),
                submitted_at,
                closed_on,
                person_name(c_last, c_first, c_user),
                overdue,
                timezone.localtime(created_at).date() if created_at else None,
            )


class MonitoringCaseLedger(Exporter):
    """监测对象台账: one row per monitored household in the period (a case decided by the
    period's end and not closed before its start): category, risk types, labour capacity, the
    date of each identification step, the helpers and units and the measures in force on "as
    of", the year's per-capita net income against the year's monitoring range, and the status."""

    kind = LedgerKind.MONITORING
    name = "监测对象台账"

    def cases(self):
        return (
            self.scoped(MonitoringCase)
            .filter(path__startswith=self.region_path)
            .filter(decided_on__isnull=False, decided_on__lte=self.period.end)
            .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=self.period.start))
        )

    def count(self) -> int:
        return self.cases().count()

    def sheets(self) -> list[Sheet]:
        year = self.period.year
        steps = PROCEDURE_STEPS[Procedure.IDENTIFICATION]
        columns = [
            *self.region_columns(),
            Column(COL_HEAD_NAME, width=10),
            Column(COL_ID_NUMBER, Kind.CODE, width=21),
            Column(COL_SIZE, Kind.INT, width=8, total=True),
            Column(_("监测对象类别"), width=13),
            Column(_("风险类型"), width=18),
            Column(_("劳动能力"), width=12),
            Column(_("线索接报日期"), Kind.DATE),
            *[
                Column(step_label(Procedure.IDENTIFICATION, kind), Kind.DATE, width=12)
                for kind in steps
            ],
            Column(_("帮扶责任人"), width=14),
            Column(_("帮扶单位"), width=24),
            Column(_("帮扶措施"), Kind.LONG_TEXT, width=36),
            Column(_("%(year)d年人均纯收入（元）") % {"year": year}, Kind.MONEY, width=13),
            Column(_("%(year)d年监测范围（元）") % {"year": year}, Kind.MONEY, width=13),
            Column(_("收入是否高于监测范围"), width=10),
            Column(_("监测状态"), width=12),
            Column(_("风险消除日期"), Kind.DATE),
        ]
        return [
            Sheet(
                self.name,
                columns,
                self.rows(),
                count_unit=_("户"),
                freeze_columns=len(self.region_columns()) + 1,
            )
        ]

    def rows(self) -> Iterator[tuple]:
        categories, capacities, statuses = (
            labels(Category),
            labels(LabourCapacity),
            labels(CaseStatus),
        )
        measure_kinds = labels(MonitoringMeasureKind)
        risk_types = labels(RiskType)
        steps = PROCEDURE_STEPS[Procedure.IDENTIFICATION]
        as_of, year = self.as_of, self.period.year
        unknown = _("未设定")
        ranges: dict[str, Decimal | None] = {}
        cases = (
            self.cases()
            .order_by("path", "household__head_name", "id")
            .values_list(
                "id",
                "household_id",
                *self.region_lookups("village__"),
                "household__head_name",
                "household__head_id_number",
                "household__size",
                "category",
                "risk_types",
                "labour_capacity",
                "received_on",
                "status",
                "closed_on",
                "path",
            )
        )
        regions = len(self.region_lookups(""))
        for batch in chunked(cases.iterator(chunk_size=self.chunk_size), self.chunk_size):
            case_ids = [row[0] for row in batch]
            household_ids = [row[1] for row in batch]
            done: dict[int, dict[str, datetime.date]] = defaultdict(dict)
            for case_id, kind, done_on in MonitoringStep.objects.filter(
                case_id__in=case_ids, procedure=Procedure.IDENTIFICATION
            ).values_list("case_id", "kind", "done_on"):
                done[case_id][kind] = done_on
            helpers: dict[int, list[str]] = defaultdict(list)
            units: dict[int, list[str]] = defaultdict(list)
            for household_id, helper, unit, helper_unit in (
                HouseholdPairing.objects.in_force(as_of)
                .filter(household_id__in=household_ids)
                .order_by("start_date", "id")
                .values_list("household_id", "helper__name", "unit__name", "helper__unit__name")
            ):
                if helper not in helpers[household_id]:
                    helpers[household_id].append(helper)
                unit = unit or helper_unit
                if unit and unit not in units[household_id]:
                    units[household_id].append(unit)
            measures: dict[int, list[str]] = defaultdict(list)
            for case_id, kind, content in (
                MonitoringMeasure.objects.in_force(as_of)
                .filter(case_id__in=case_ids)
                .order_by("start_date", "id")
                .values_list("case_id", "kind", "content")
            ):
                measures[case_id].append(f"{measure_kinds.get(kind, kind)}：{content}")
            incomes = dict(
                IncomeRecord.objects.filter(household_id__in=household_ids, year=year).values_list(
                    "household_id", "per_capita_net_income"
                )
            )
            # The monitoring's own yearly account wins over the household's income record.
            incomes.update(
                HouseholdFinance.objects.filter(
                    household_id__in=household_ids, year=year
                ).values_list("household_id", "per_capita_net_income")
            )
            for row in batch:
                case_id, household_id = row[0], row[1]
                (
                    head_name,
                    id_number,
                    size,
                    category,
                    risks,
                    capacity,
                    received_on,
                    status,
                    closed_on,
                    path,
                ) = row[2 + regions :]
                if path not in ranges:
                    applying = range_for(path, year)
                    ranges[path] = applying.amount if applying else None
                amount = ranges[path]
                income = incomes.get(household_id)
                if income is None or amount is None:
                    above = unknown if amount is None else ""
                else:
                    above = YES if income > amount else NO
                yield (
                    *row[2 : 2 + regions],
                    head_name,
                    self.id_number(id_number),
                    size,
                    categories.get(category, category),
                    "、".join(risk_types.get(r, r) for r in risks or []),
                    capacities.get(capacity, capacity),
                    received_on,
                    *[done[case_id].get(kind) for kind in steps],
                    "、".join(helpers.get(household_id, ())),
                    "、".join(units.get(household_id, ())),
                    "；".join(measures.get(case_id, ())),
                    income,
                    amount,
                    above,
                    statuses.get(status, status),
                    closed_on if status == CaseStatus.REMOVED else None,
                )


class RiskClueLedger(Exporter):
    """风险线索台账: every risk clue received in the period: its channel (and department), the
    household, the days it was received, accepted and decided, the days each took (stored by the
    services) and whether it was late against monitoring.selectors' deadlines."""

    kind = LedgerKind.RISK_CLUE
    name = "风险线索台账"

    def clues(self):
        return (
            self.scoped(RiskClue)
            .filter(path__startswith=self.region_path)
            .filter(received_on__gte=self.period.start, received_on__lte=self.period.end)
        )

    def count(self) -> int:
        return self.clues().count()

    def sheets(self) -> list[Sheet]:
        columns = [
            *self.region_columns(),
            Column(COL_HEAD_NAME, width=10),
            Column(COL_ID_NUMBER, Kind.CODE, width=21),
            Column(_("线索来源"), width=13),
            Column(_("预警部门"), width=14),
            Column(_("风险情况"), Kind.LONG_TEXT, width=30),
            Column(_("接报日期"), Kind.DATE),
            Column(_("受理日期"), Kind.DATE),
            Column(_("受理用时（天）"), Kind.INT, width=9),
            Column(_("受理是否逾期"), width=10),
            Column(_("办结日期"), Kind.DATE),
            Column(_("办结结果"), width=14),
            Column(_("办结用时（天）"), Kind.INT, width=9),
            Column(_("办结是否逾期"), width=10),
        ]
        return [
            Sheet(
                self.name,
                columns,
                self.rows(),
                count_unit=_("条"),
                freeze_columns=len(self.region_columns()) + 1,
            )
        ]

    def rows(self) -> Iterator[tuple]:
        channels, departments, outcomes = (
            labels(ClueChannel),
            labels(Department),
            labels(ClueOutcome),
        )
        late_label, pending_label = _("逾期"), _("未办结")
        clues = (
            self.clues()
            .order_by("path", "received_on", "id")
            .values_list(
                *self.region_lookups("village__"),
                "household__head_name",
                "household__head_id_number",
                "channel",
                "department",
                "risk",
                "received_on",
                "accepted_on",
                "acceptance_days",
                "decided_on",
                "outcome",
                "decision_days",
            )
        )
        regions = len(self.region_lookups(""))
        for row in clues.iterator(chunk_size=self.chunk_size):
            (
                head_name,
                id_number,
                channel,
                department,
                risk,
                received_on,
                accepted_on,
                acceptance_days,
                decided_on,
                outcome,
                decision_days,
            ) = row[regions:]
            # The deadlines are monitoring.selectors' (an unsaved clue carries the dates).
            clue = RiskClue(
                channel=channel,
                received_on=received_on,
                accepted_on=accepted_on,
                decided_on=decided_on,
            )
            decision = clue_deadline(clue, self.today)
            acceptance = acceptance_deadline(clue, self.today)
            if acceptance is None:
                accepted_late = ""
            elif acceptance.late:
                accepted_late = late_label
            else:
                accepted_late = NO if acceptance.done else pending_label
            decided_late = late_label if decision.late else (NO if decision.done else pending_label)
            yield (
                *row[:regions],
                head_name,
                self.id_number(id_number),
                channels.get(channel, channel),
                departments.get(department, department),
                risk,
                received_on,
                accepted_on,
                acceptance_days,
                accepted_late,
                decided_on,
                outcomes.get(outcome, outcome),
                decision_days,
                decided_late,
            )


EXPORTERS: dict[str, type[Exporter]] = {
    LedgerKind.PAIRING: PairingLedger,
    LedgerKind.VISIT: VisitLedger,
    LedgerKind.VILLAGE: VillageLedger,
    LedgerKind.ASSESSMENT: AssessmentSummary,
    LedgerKind.RECTIFICATION: RectificationLedger,
    LedgerKind.MONITORING: MonitoringCaseLedger,
    LedgerKind.RISK_CLUE: RiskClueLedger,
}


def exporter_for(kind: str, **kwargs) -> Exporter:
    return EXPORTERS[kind](**kwargs)
