"""Deterministic demo data: one county for a laptop demo, or a province for benchmarks.

Everything is built with bulk inserts and with the denormalised columns (region paths, township,
pinyin initials) computed here, so a province of 200,000 households and 2,000,000 visits loads
in minutes. The same seed and the same `today` always give the same data. Some units, villages,
helpers and leaders are deliberately behind their targets so dashboards and reminders have
something to show.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from pypinyin import Style, lazy_pinyin
from stdnum.cn import ric

from accounts.models import Role, User
from cadres.models import (
    Cadre,
    CadreKind,
    Coverage,
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
from core.idcard import known_area_codes, validate_id_number
from households.models import (
    AssistanceTrack,
    CreditStatus,
    Household,
    HouseholdPairing,
    IncomeRecord,
    Measure,
    MeasureStatus,
    Member,
    Plan,
    PovertyCause,
    PovertyStatus,
    Visit,
    VisitKind,
)
from ledgers.models import Frequency, LedgerKind, LedgerSubscription, PeriodRule
from monitoring.models import (
    CaseStatus,
    Category,
    ClueChannel,
    ClueOutcome,
    Department,
    HouseholdFinance,
    LabourCapacity,
    MeasureKind,
    MonitoringCase,
    MonitoringMeasure,
    MonitoringRange,
    MonitoringStep,
    Procedure,
    PublicNotice,
    RemovalKind,
    RemovalStatus,
    RigidExpenseState,
    RiskClue,
    RiskRemoval,
    RiskType,
    StepKind,
)
from monitoring.models import (
    MeasureStatus as MonitoringMeasureStatus,
)
from pairing.models import (
    LeaderLevel,
    Meeting,
    MeetingKind,
    OrgKind,
    Pairing,
    PairingKind,
    PairingParticipant,
    PartyDay,
    PartyOrganisation,
    Project,
    ProjectKind,
    ProjectStatus,
    StudyTrip,
    Training,
    TrainingKind,
    Unit,
    UnitKind,
)
from periods import rules as period_rules
from villages.models import Region, RegionLevel, Village, VillageIncome

DEMO_PASSWORD = "Demo-2026-pw"
DEMO_CADRE_HOUSEHOLDS = 4  # households the demo cadre (a first secretary) helps in person

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严覃武"
)
GIVEN = list(
    "国华建明永春秀英兰芳玉海军平志强伟文勇杰娟霞红德成福贵富兴安秋桂珍荣山林松德清光友勤学俊丽琴雪梅燕云凤翠宝忠义礼智信仁和顺发财"
)
TOWNSHIP_NAMES = [
    "东河镇",
    "普济镇",
    "嘉川镇",
    "木门镇",
    "白水镇",
    "尚武镇",
    "黄洋镇",
    "米仓山镇",
    "龙凤镇",
    "高阳镇",
    "三江镇",
    "张华镇",
]
VILLAGE_WORDS = list("青石花桥柏林松坪龙泉凤凰金银水田新民红星光明和平团结长岭双河白岩黄坪马鞍大坝")
INDUSTRIES = [
    "茶叶",
    "中药材",
    "生猪养殖",
    "核桃",
    "猕猴桃",
    "黄牛养殖",
    "食用菌",
    "乡村旅游",
    "蔬菜",
    "油茶",
]
UNIT_NAMES = [
    ("国网四川省电力公司旺苍供电公司", UnitKind.ENTERPRISE),
    ("东方电气集团东方汽轮机有限公司", UnitKind.ENTERPRISE),
    ("四川省交通投资集团", UnitKind.ENTERPRISE),
    ("中国农业银行广元分行", UnitKind.FINANCIAL),
    ("四川省农业农村厅", UnitKind.ORGAN),
    ("广元市财政局", UnitKind.ORGAN),
    ("西南交通大学", UnitKind.UNIVERSITY),
    ("广元市中心医院", UnitKind.HOSPITAL),
    ("四川移动广元分公司", UnitKind.ENTERPRISE),
    ("中国邮政储蓄银行广元分行", UnitKind.FINANCIAL),
    ("广元市自然资源局", UnitKind.ORGAN),
    ("四川省烟草公司广元市公司", UnitKind.ENTERPRISE),
]
DEPARTMENTS = [
    "县农业农村局",
    "县教育局",
    "县卫生健康局",
    "县住房城乡建设局",
    "县人力资源社会保障局",
    "县水利局",
]
LEARNED = [
    "了解家庭收入和务工情况，宣讲产业扶持政策。",
    "查看住房安全情况，核实饮水安全，帮助联系维修。",
    "询问子女上学情况，落实教育资助。",
    "了解家庭成员身体状况，协助办理慢病卡。",
    "帮助联系养殖技术员，指导生猪防疫。",
    "宣传医疗保障政策，核对参保情况。",
    "协调务工岗位信息，鼓励外出就业。",
    "检查一户一策措施进度，商议下一步安排。",
]
PROBLEMS = [
    "",
    "",
    "",
    "房屋漏雨需维修。",
    "饮水管道冻裂。",
    "子女学费有困难。",
    "慢病报销未到账。",
    "缺少产业启动资金。",
]
MEASURES = [
    "发展生猪养殖5头",
    "申请小额扶贫贷款",
    "安排公益性岗位",
    "落实危房改造",
    "办理慢性病门诊",
    "参加种植技术培训",
    "推荐外出务工",
    "落实教育资助",
]


@dataclass
class Scale:
    name: str
    counties: int
    townships_per_county: int
    villages_per_township: tuple[int, int]
    households_per_village: tuple[int, int]
    units: int
    helper_households: int  # households per helper
    visits_per_household: float  # for a full year
    members: bool


SCALES = {
    "small": Scale("small", 1, 3, (3, 4), (12, 18), 6, 6, 14, True),
    "demo": Scale("demo", 1, 6, (7, 9), (50, 70), 12, 6, 14, True),
    "province": Scale("province", 30, 10, (15, 19), (36, 44), 500, 7, 12.6, False),
}


def _valid_id(number: str) -> bool:
    """The product's own rule (core/idcard.py), as forms, imports and the API apply it."""
    try:
        validate_id_number(number)
    except ValidationError:
        return False
    return True


def _first_friday(year: int, month: int) -> datetime.date:
    day = datetime.date(year, month, 1)
    return day + datetime.timedelta(days=(4 - day.weekday()) % 7)


class DemoBuilder:
    def __init__(
        self,
        *,
        scale: str = "demo",
        seed: int = 2026,
        today: datetime.date | None = None,
        log=print,
    ):
        self.scale = SCALES[scale]
        self.rng = random.Random(seed)
        # The monitoring step draws from its own generator, so adding it left every other
        # step's data as it was for the same seed.
        self.monitoring_rng = random.Random(f"monitoring-{seed}")
        self.today = today or datetime.date.today()
        self.year = self.today.year
        self.year_start = datetime.date(self.year, 1, 1)
        self.log = log
        self.used_ids: set[str] = set()
        self.id_prefixes = self._valid_id_prefixes()
        self.batch = 5000

    # --- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _valid_id_prefixes() -> list[str]:
        """Sichuan's county codes (5101xx–5111xx) that python-stdnum's area data knows."""
        known = known_area_codes()
        return [str(code) for code in range(510100, 511200) if str(code) in known] or ["510100"]

    def person_name(self) -> str:
        given = self.rng.choice(GIVEN) + (
            self.rng.choice(GIVEN) if self.rng.random() < 0.75 else ""
        )
        return self.rng.choice(SURNAMES) + given

    def id_number(self, prefix: str, birth_year: int) -> str:
        """A unique number that core/idcard.py accepts: the area code is where the number was
        issued, so a head born in 1950 keeps the county's code even if it dates from 1985."""
        candidates = [prefix, *self.id_prefixes]
        while True:
            born = datetime.date(birth_year, 1, 1) + datetime.timedelta(
                days=self.rng.randrange(365)
            )
            serial = f"{self.rng.randrange(1000):03d}"
            for code in candidates:
                body = f"{code}{born:%Y%m%d}{serial}"
                number = body + ric.calc_check_digit(body + "0")
                if number not in self.used_ids and _valid_id(number):
                    self.used_ids.add(number)
                    return number

    def phone(self) -> str:
        return (
            "1" + self.rng.choice("3589") + "".join(str(self.rng.randrange(10)) for _ in range(9))
        )

    def date_between(self, start: datetime.date, end: datetime.date) -> datetime.date:
        span = (end - start).days
        return start + datetime.timedelta(days=self.rng.randrange(max(span, 0) + 1))

    def bulk(self, model, objects):
        return model.objects.bulk_create(objects, batch_size=self.batch)

    # --- the build -----------------------------------------------------------------------------
    def build(self) -> dict:
        # The demo writes its whole past at once: periods locked by expiry on the day it is
        # built would refuse it (periods/rules.py); the walk then locks October by approval.
        with transaction.atomic(), period_rules.writing_history():
            self.build_regions()
            self.build_units()
            self.build_pairings()
            self.build_cadres()
            self.build_households()
            self.build_activities()
            self.build_monitoring()
            self.build_users()
        self.build_visits()  # commits in chunks of its own
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        return self.summary()

    def summary(self) -> dict:
        return {
            "regions": Region.objects.count(),
            "villages": Village.objects.count(),
            "households": Household.objects.count(),
            "visits": Visit.objects.count(),
            "cadres": Cadre.objects.count(),
            "units": Unit.objects.count(),
        }

    def build_regions(self) -> None:
        s = self.scale
        self.log("区划与村…")
        province = Region(code="51", name="四川省", level=RegionLevel.PROVINCE, path="51/")
        province.save()
        prefecture = Region(
            code="5108", name="广元市", level=RegionLevel.PREFECTURE, parent=province
        )
        prefecture.save()
        counties = []
        for c in range(s.counties):
            code = "510821" if c == 0 else f"5108{50 + c:02d}"
            name = "旺苍县" if c == 0 else f"第{c + 1}示范县"
            county = Region(
                code=code,
                name=name,
                level=RegionLevel.COUNTY,
                parent=prefecture,
                is_poverty_county=True,
                planned_delist_year=2025 if c % 4 else 2024,
                delisted_year=None if c % 7 == 3 else 2024 if c % 4 == 0 else 2025,
            )
            counties.append(county)
        for county in counties:
            county.save()
        self.counties = counties
        townships, villages, groups = [], [], []
        for county in counties:
            for t in range(s.townships_per_county):
                name = TOWNSHIP_NAMES[t] if t < len(TOWNSHIP_NAMES) else f"第{t + 1}镇"
                code = f"{county.code}{101 + t:03d}"
                townships.append(
                    Region(
                        code=code,
                        name=name,
                        level=RegionLevel.TOWNSHIP,
                        parent=county,
                        path=f"{county.path}{code}/",
                    )
                )
        self.bulk(Region, townships)
        self.townships = list(Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code"))
        region_rows = []
        for township in self.townships:
            count = self.rng.randint(*s.villages_per_township)
            names = set()
            for v in range(count):
                while True:
                    name = self.rng.choice(VILLAGE_WORDS) + self.rng.choice(VILLAGE_WORDS) + "村"
                    if name not in names:
                        names.add(name)
                        break
                code = f"{township.code}{201 + v:03d}"
                region_rows.append(
                    Region(
                        code=code,
                        name=name,
                        level=RegionLevel.VILLAGE,
                        parent=township,
                        path=f"{township.path}{code}/",
                    )
                )
        self.bulk(Region, region_rows)
        village_regions = list(
            Region.objects.filter(level=RegionLevel.VILLAGE)
            .select_related("parent")
            .order_by("code")
        )
        township_by_id = {t.id: t for t in self.townships}
        for vr in village_regions:
            township = township_by_id[vr.parent_id]
            poor = self.rng.random() < 0.6
            planned = self.rng.choice([2024, 2025, 2026]) if poor else None
            exited = None
            if planned and planned < self.year:
                exited = planned if self.rng.random() < 0.85 else None
            villages.append(
                Village(
                    region=vr,
                    name=vr.name,
                    township=township,
                    county_id=township.parent_id,
                    path=vr.path,
                    is_poor_village=poor,
                    is_difficult_village=poor and self.rng.random() < 0.3,
                    planned_exit_year=planned,
                    exit_year=exited,
                    branch_name=f"{vr.name}党支部",
                    branch_secretary=self.person_name(),
                    venue_area_m2=Decimal(self.rng.choice([60, 80, 90, 120, 150, 200])),
                    leading_industries="、".join(self.rng.sample(INDUSTRIES, 2)),
                    population=self.rng.randint(800, 3000),
                    latitude=Decimal("32.23") + Decimal(self.rng.randrange(-3000, 3000)) / 10000,
                    longitude=Decimal("106.29") + Decimal(self.rng.randrange(-3000, 3000)) / 10000,
                )
            )
            if self.scale.members:
                for g in range(1, 4):
                    code = f"{vr.code}{g:03d}"
                    groups.append(
                        Region(
                            code=code,
                            name=f"{g}组",
                            level=RegionLevel.GROUP,
                            parent=vr,
                            path=f"{vr.path}{code}/",
                        )
                    )
        self.bulk(Region, groups)
        self.bulk(Village, villages)
        self.villages = list(Village.objects.order_by("path"))
        incomes = []
        for village in self.villages:
            base = self.rng.choice([8000, 15000, 22000, 30000, 45000, 60000])
            for year in (self.year - 2, self.year - 1, self.year):
                amount = base * (1 + 0.15 * (year - self.year + 2)) * self.rng.uniform(0.8, 1.2)
                incomes.append(
                    VillageIncome(
                        village=village,
                        year=year,
                        amount=Decimal(round(amount, 2)),
                        sources="村集体资产租赁、合作社分红",
                    )
                )
        self.bulk(VillageIncome, incomes)

    def build_units(self) -> None:
        self.log("帮扶单位与党组织…")
        units = []
        for i in range(self.scale.units):
            if i < len(UNIT_NAMES):
                name, kind = UNIT_NAMES[i]
            else:
                kind = self.rng.choice(list(UnitKind))
                name = f"第{i + 1}帮扶单位（{kind.label}）"
            units.append(
                Unit(
                    name=name,
                    kind=kind,
                    principal_leader=self.person_name(),
                    deputy_in_charge=self.person_name(),
                    coordinator_name=self.person_name(),
                    coordinator_phone=self.phone(),
                    region=self.counties[0].parent,
                )
            )
        for county in self.counties:
            for dept in DEPARTMENTS:
                units.append(
                    Unit(
                        name=f"{county.name}{dept[1:]}"
                        if len(self.counties) > 1
                        else f"旺苍{dept}",
                        kind=UnitKind.DEPARTMENT,
                        region=county,
                        principal_leader=self.person_name(),
                    )
                )
        self.bulk(Unit, units)
        self.units = list(Unit.objects.exclude(kind=UnitKind.DEPARTMENT).order_by("id"))
        self.departments = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT).order_by("id"))
        orgs = []
        for unit in self.units:
            orgs.append(
                PartyOrganisation(
                    name=f"{unit.name}党委",
                    kind=OrgKind.COMMITTEE,
                    unit=unit,
                    secretary=unit.principal_leader,
                    member_count=self.rng.randint(80, 600),
                )
            )
        self.bulk(PartyOrganisation, orgs)
        self.committees = {
            o.unit_id: o for o in PartyOrganisation.objects.filter(kind=OrgKind.COMMITTEE)
        }
        branches = []
        for unit in self.units:
            for b in range(2):
                branches.append(
                    PartyOrganisation(
                        name=f"{unit.name}第{b + 1}党支部",
                        kind=OrgKind.BRANCH,
                        unit=unit,
                        parent=self.committees[unit.id],
                        secretary=self.person_name(),
                        member_count=self.rng.randint(15, 60),
                    )
                )
        for village in self.villages:
            branches.append(
                PartyOrganisation(
                    name=village.branch_name,
                    kind=OrgKind.BRANCH,
                    village=village,
                    secretary=village.branch_secretary,
                    member_count=self.rng.randint(20, 70),
                )
            )
        self.bulk(PartyOrganisation, branches)
        self.village_branches = {
            o.village_id: o for o in PartyOrganisation.objects.filter(village__isnull=False)
        }
        self.unit_branches: dict[int, list[PartyOrganisation]] = {}
        for org in PartyOrganisation.objects.filter(kind=OrgKind.BRANCH, unit__isnull=False):
            self.unit_branches.setdefault(org.unit_id, []).append(org)

    def build_pairings(self) -> None:
        self.log("结对共建…")
        start = datetime.date(self.year - 2, 8, 1)
        end = datetime.date(self.year + 1, 7, 31)
        pairings, participants = [], []
        self.village_unit: dict[int, Unit] = {}
        for i, village in enumerate(self.villages):
            unit = self.units[i % len(self.units)]
            self.village_unit[village.id] = unit
            kind = PairingKind.ONE_PLUS if i % 5 == 0 else PairingKind.ORG_PAIRING
            pairings.append(
                Pairing(
                    kind=kind,
                    name=f"{unit.name}结对{village.name}",
                    lead_unit=unit,
                    lead_organisation=self.committees[unit.id],
                    region_id=village.region_id,
                    village=village,
                    village_organisation=self.village_branches[village.id],
                    path=village.path,
                    special_action="党建引领产业振兴专项行动"
                    if kind == PairingKind.ONE_PLUS
                    else "",
                    three_year_plan="三年内村集体经济收入稳定在2万元以上，贫困户全部稳定脱贫。",
                    start_date=start,
                    end_date=end,
                )
            )
        for c, county in enumerate(self.counties):
            lead = self.units[c % len(self.units)]
            pairings.append(
                Pairing(
                    kind=PairingKind.DESIGNATED,
                    name=f"{county.name}定点帮扶",
                    lead_unit=lead,
                    lead_organisation=self.committees[lead.id],
                    region=county,
                    path=county.path,
                    start_date=start,
                    end_date=end,
                )
            )
        self.bulk(Pairing, pairings)
        self.pairings = list(Pairing.objects.order_by("id"))
        self.village_pairing = {p.village_id: p for p in self.pairings if p.village_id}
        for p in self.pairings:
            if p.kind in (PairingKind.ONE_PLUS, PairingKind.DESIGNATED):
                others = [
                    u
                    for u in self.rng.sample(self.units, min(3, len(self.units)))
                    if u.id != p.lead_unit_id
                ]
                for u in others[:2]:
                    participants.append(
                        PairingParticipant(pairing=p, organisation=self.unit_branches[u.id][0])
                    )
        self.bulk(PairingParticipant, participants)

    def build_cadres(self) -> None:
        self.log("干部、工作队与包联…")
        s = self.scale
        cadres: list[Cadre] = []
        per_unit_helpers = max(
            4,
            -(
                -sum(s.households_per_village)
                // 2
                * len(self.villages)
                // (s.helper_households * len(self.units))
            ),
        )
        for unit in self.units:
            for _ in range(per_unit_helpers):
                cadres.append(
                    Cadre(
                        name=self.person_name(),
                        kind=CadreKind.HELPER,
                        unit=unit,
                        party_organisation=self.rng.choice(self.unit_branches[unit.id]),
                        phone=self.phone(),
                        position=self.rng.choice(["科员", "主任科员", "部门经理", "工程师"]),
                    )
                )
        for village in self.villages:
            unit = self.village_unit[village.id]
            cadres.append(
                Cadre(
                    name=self.person_name(),
                    kind=CadreKind.FIRST_SECRETARY,
                    unit=unit,
                    phone=self.phone(),
                    home_region_id=village.region_id,
                    position="第一书记",
                )
            )
        for township in self.townships:
            cadres.append(
                Cadre(
                    name=self.person_name(),
                    kind=CadreKind.COUNTY_LEADER,
                    home_region_id=township.parent_id,
                    position="副县长",
                    phone=self.phone(),
                )
            )
            for _ in range(2):
                cadres.append(
                    Cadre(
                        name=self.person_name(),
                        kind=CadreKind.TOWNSHIP_LEADER,
                        home_region=township,
                        position=self.rng.choice(["党委副书记", "副镇长", "人大主席"]),
                        phone=self.phone(),
                    )
                )
        for i, village in enumerate(self.villages):
            if i % 3 == 0:
                cadres.append(
                    Cadre(
                        name=self.person_name(),
                        kind=CadreKind.TALENT,
                        home_region_id=village.region_id,
                        unit=self.departments[i % len(self.departments)],
                        position="农技员",
                    )
                )
        for i in range(0, len(self.villages), 2):
            unit = self.village_unit[self.villages[i].id]
            for _ in range(2):
                cadres.append(
                    Cadre(
                        name=self.person_name(),
                        kind=CadreKind.STATIONED,
                        unit=unit,
                        phone=self.phone(),
                        home_region_id=self.villages[i].region_id,
                        position="驻村工作队员",
                    )
                )
        self.bulk(Cadre, cadres)
        all_cadres = list(Cadre.objects.order_by("id"))
        self.helpers_by_unit: dict[int, list[Cadre]] = {}
        self.secretary_by_village: dict[int, Cadre] = {}
        village_by_region = {v.region_id: v for v in self.villages}
        county_leaders, township_leaders, talents, stationed = [], [], [], []
        for cadre in all_cadres:
            if cadre.kind == CadreKind.HELPER:
                self.helpers_by_unit.setdefault(cadre.unit_id, []).append(cadre)
            elif cadre.kind == CadreKind.FIRST_SECRETARY:
                self.secretary_by_village[village_by_region[cadre.home_region_id].id] = cadre
            elif cadre.kind == CadreKind.COUNTY_LEADER:
                county_leaders.append(cadre)
            elif cadre.kind == CadreKind.TOWNSHIP_LEADER:
                township_leaders.append(cadre)
            elif cadre.kind == CadreKind.TALENT:
                talents.append(cadre)
            elif cadre.kind == CadreKind.STATIONED:
                stationed.append(cadre)
        self.county_leaders, self.township_leaders, self.talents = (
            county_leaders,
            township_leaders,
            talents,
        )

        term_start = datetime.date(self.year - 1, 1, 10)
        terms, grades, funds = [], [], []
        for v_index, (village_id, secretary) in enumerate(self.secretary_by_village.items()):
            # A few terms end within the next 60 days, so the reminder has something to say.
            end = (
                self.today + datetime.timedelta(days=45)
                if v_index % 11 == 0
                else datetime.date(self.year + 1, 1, 9)
            )
            terms.append(
                Term(
                    cadre=secretary,
                    village_id=village_id,
                    role=Term.TermRole.FIRST_SECRETARY,
                    dispatching_unit_id=secretary.unit_id,
                    start_date=term_start,
                    end_date=end,
                )
            )
            grades.append(
                YearlyGrade(
                    cadre=secretary,
                    year=self.year - 1,
                    grade=Grade.INCOMPETENT
                    if v_index % 17 == 5
                    else self.rng.choice([Grade.EXCELLENT, Grade.COMPETENT, Grade.COMPETENT]),
                )
            )
            amount = 12000 if v_index % 6 else 6000  # every sixth first secretary is short of funds
            funds.append(
                WorkingFund(
                    cadre=secretary,
                    year=self.year,
                    amount=Decimal(amount),
                    source="派出单位",
                    granted_on=datetime.date(self.year, 3, 1),
                )
            )
        self.bulk(Term, terms)
        self.bulk(YearlyGrade, grades)
        self.bulk(WorkingFund, funds)

        teams, members = [], []
        team_villages: list[list[Village]] = []
        for i in range(0, len(self.villages), 2):
            pair = self.villages[i : i + 2]
            unit = self.village_unit[pair[0].id]
            teams.append(
                WorkTeam(
                    name=f"{pair[0].name}驻村工作队",
                    dispatching_unit=unit,
                    start_date=term_start,
                    end_date=datetime.date(self.year + 1, 1, 9),
                )
            )
            team_villages.append(pair)
        self.bulk(WorkTeam, teams)
        teams = list(WorkTeam.objects.order_by("id"))
        through = WorkTeam.villages.through
        links = []
        stationed_iter = iter(stationed)
        for team, pair in zip(teams, team_villages, strict=True):
            for v in pair:
                links.append(through(workteam_id=team.id, village_id=v.id))
            members.append(
                WorkTeamMember(
                    team=team,
                    cadre=self.secretary_by_village[pair[0].id],
                    role=WorkTeamMember.TeamRole.LEADER,
                )
            )
            for _ in range(2):
                members.append(WorkTeamMember(team=team, cadre=next(stationed_iter)))
        through.objects.bulk_create(links, batch_size=self.batch)
        self.bulk(WorkTeamMember, members)

        coverages, liaisons, reserves, talent_rows = [], [], [], []
        cov_start = datetime.date(self.year - 1, 1, 1)
        for i, township in enumerate(self.townships):
            coverages.append(
                Coverage(
                    level=Coverage.Level.COUNTY_LEADER,
                    cadre=county_leaders[i],
                    region=township,
                    start_date=cov_start,
                )
            )
        tl_by_township: dict[int, list[Cadre]] = {}
        for cadre in township_leaders:
            tl_by_township.setdefault(cadre.home_region_id, []).append(cadre)
        self.village_leader: dict[int, Cadre] = {}
        for i, village in enumerate(self.villages):
            leader = tl_by_township[village.township_id][i % 2]
            self.village_leader[village.id] = leader
            coverages.append(
                Coverage(
                    level=Coverage.Level.TOWNSHIP_LEADER,
                    cadre=leader,
                    region_id=village.region_id,
                    start_date=cov_start,
                )
            )
            dept = [d for d in self.departments if d.region_id == village.county_id]
            coverages.append(
                Coverage(
                    level=Coverage.Level.DEPARTMENT,
                    unit=dept[i % len(dept)],
                    region_id=village.region_id,
                    start_date=cov_start,
                )
            )
            unit = self.village_unit[village.id]
            secretary = self.secretary_by_village[village.id]
            liaisons += [
                Liaison(
                    village=village,
                    role=Liaison.LiaisonRole.VILLAGE,
                    name=village.branch_secretary,
                    phone=self.phone(),
                ),
                Liaison(
                    village=village,
                    role=Liaison.LiaisonRole.CADRE,
                    name=secretary.name,
                    cadre=secretary,
                    phone=secretary.phone,
                ),
                Liaison(
                    village=village,
                    role=Liaison.LiaisonRole.ENTERPRISE,
                    name=unit.coordinator_name,
                    unit=unit,
                    phone=unit.coordinator_phone,
                ),
            ]
            for _ in range(self.rng.choice([0, 1, 2, 2, 3])):
                reserves.append(
                    ReserveCadre(
                        village=village,
                        name=self.person_name(),
                        gender=self.rng.choice("男女"),
                        birth_year=self.rng.randint(1988, 2001),
                        education=self.rng.choice(["高中", "大专", "本科"]),
                        is_party_member=self.rng.random() < 0.5,
                        added_on=datetime.date(self.year - 1, 6, 1),
                        file_notes="一人一档：培养计划、考察记录。",
                    )
                )
        village_by_region_id = {v.region_id: v for v in self.villages}
        for talent in talents:
            talent_rows.append(
                TalentAssignment(
                    cadre=talent,
                    village=village_by_region_id[talent.home_region_id],
                    specialty=self.rng.choice(["农业技术", "畜牧兽医", "乡村规划", "电子商务"]),
                    start_date=cov_start,
                )
            )
        self.bulk(Coverage, coverages)
        self.bulk(Liaison, liaisons)
        self.bulk(ReserveCadre, reserves)
        self.bulk(TalentAssignment, talent_rows)

    def build_households(self) -> None:
        self.log("贫困户、成员、一户一策与结对…")
        s = self.scale
        causes = list(PovertyCause)
        cause_weights = [30, 14, 10, 4, 5, 3, 12, 9, 8, 3, 2]
        households = []
        for village in self.villages:
            prefix = self.rng.choice(self.id_prefixes) if s.name == "province" else "510821"
            for _ in range(self.rng.randint(*s.households_per_village)):
                name = self.person_name()
                status = self.rng.choices(
                    [PovertyStatus.EXITED, PovertyStatus.POOR, PovertyStatus.MONITORED],
                    [70, 20, 10],
                )[0]
                households.append(
                    Household(
                        village=village,
                        township_id=village.township_id,
                        path=village.path,
                        group_name=f"{self.rng.randint(1, 3)}组",
                        head_name=name,
                        name_initials="".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower(),
                        head_id_number=self.id_number(prefix, self.rng.randint(1945, 1995)),
                        phone=self.phone(),
                        size=self.rng.randint(1, 6),
                        cause=self.rng.choices(causes, cause_weights)[0],
                        track=self.rng.choice(list(AssistanceTrack)),
                        key_difficulty=self.rng.random() < 0.08,
                        status=status,
                        registered_year=self.rng.choice([2014, 2015, 2016]),
                        exit_year=self.rng.choice([2019, 2020])
                        if status == PovertyStatus.EXITED
                        else None,
                        medical_ok=self.rng.random() > 0.03,
                        housing_ok=self.rng.random() > 0.03,
                        address=f"{village.name}{self.rng.randint(1, 3)}组{self.rng.randint(1, 80)}号",
                    )
                )
        # The household a newcomer is told to look for: typing `zs` in township1 finds 张三.
        households[0].head_name, households[0].name_initials = "张三", "zs"
        self.bulk(Household, households)
        self.households = list(
            Household.objects.order_by("id").values_list(
                "id", "village_id", "size", "head_id_number", "head_name"
            )
        )
        self.log(f"  {len(self.households)} 户")

        members, incomes, plans = [], [], []
        for hh_id, _village_id, size, id_number, name in self.households:
            if s.members:
                members.append(
                    Member(
                        household_id=hh_id,
                        name=name,
                        relation=Member.Relation.HEAD,
                        id_number=id_number,
                        birth_year=int(id_number[6:10]),
                    )
                )
                for m in range(size - 1):
                    relation = Member.Relation.SPOUSE if m == 0 else Member.Relation.CHILD
                    members.append(
                        Member(
                            household_id=hh_id,
                            name=self.person_name(),
                            relation=relation,
                            birth_year=self.rng.randint(1950, 2020),
                            health=self.rng.choice(["健康", "健康", "慢性病", "残疾"]),
                        )
                    )
            for year in (self.year - 1, self.year):
                incomes.append(
                    IncomeRecord(
                        household_id=hh_id,
                        year=year,
                        per_capita_net_income=Decimal(self.rng.randint(4500, 16000)),
                    )
                )
            if self.rng.random() < 0.9:
                plans.append(
                    Plan(
                        household_id=hh_id,
                        summary="产业增收与政策保障相结合",
                        drawn_up_on=datetime.date(self.year - 1, 3, 1),
                    )
                )
        if s.members:
            members.append(self.registered_twice())
        self.bulk(Member, members)
        self.bulk(IncomeRecord, incomes)
        self.bulk(Plan, plans)

        # Pair households with helpers of the village's unit; some households change helper on
        # 1 July (the mid-year change the evaluation must judge fairly), a few have none.
        pairings = []
        start = datetime.date(self.year - 2, 8, 1)
        mid = datetime.date(self.year, 7, 1)
        cursor_by_unit: dict[int, int] = {}
        self.pairing_helper: dict[int, int] = {}
        # The demo cadre (the first secretary of the first township's first village) is also
        # the helper of a few households of their village, so their working day has visits.
        demo_village = next(v for v in self.villages if v.township_id == self.townships[0].id)
        secretary = self.secretary_by_village[demo_village.id]
        secretary_households = 0
        for hh_id, village_id, *_ in self.households:
            roll = self.rng.random()
            if village_id == demo_village.id and secretary_households < DEMO_CADRE_HOUSEHOLDS:
                secretary_households += 1
                pairings.append(
                    HouseholdPairing(
                        household_id=hh_id,
                        helper=secretary,
                        unit=self.village_unit[village_id],
                        start_date=start,
                    )
                )
                continue
            if roll < 0.02:
                continue  # not paired: HH-PAIRED has someone to find
            unit = self.village_unit[village_id]
            helpers = self.helpers_by_unit[unit.id]
            idx = cursor_by_unit.get(unit.id, 0)
            cursor_by_unit[unit.id] = idx + 1
            helper = helpers[(idx // s.helper_households) % len(helpers)]
            if roll < 0.07 and self.today > mid:
                successor = helpers[(idx // s.helper_households + 1) % len(helpers)]
                pairings.append(
                    HouseholdPairing(
                        household_id=hh_id,
                        helper=helper,
                        unit=unit,
                        start_date=start,
                        end_date=mid - datetime.timedelta(days=1),
                    )
                )
                pairings.append(
                    HouseholdPairing(
                        household_id=hh_id, helper=successor, unit=unit, start_date=mid
                    )
                )
            else:
                pairings.append(
                    HouseholdPairing(household_id=hh_id, helper=helper, unit=unit, start_date=start)
                )
        self.bulk(HouseholdPairing, pairings)

        measures = []
        plan_rows = Plan.objects.values_list("id", "household_id")
        helper_of = dict(
            HouseholdPairing.objects.filter(end_date__isnull=True).values_list(
                "household_id", "helper_id"
            )
        )
        for plan_id, hh_id in plan_rows:
            for content in self.rng.sample(MEASURES, 2):
                deadline = self.date_between(
                    datetime.date(self.year, 3, 1), datetime.date(self.year, 12, 31)
                )
                done = deadline < self.today and self.rng.random() < 0.7
                measures.append(
                    Measure(
                        plan_id=plan_id,
                        content=content,
                        owner_id=helper_of.get(hh_id),
                        deadline=deadline,
                        status=MeasureStatus.DONE
                        if done
                        else self.rng.choice([MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS]),
                        done_on=deadline if done else None,
                    )
                )
        self.bulk(Measure, measures)

    def build_visits(self) -> None:
        """A year of visits: diligent helpers every week or two, some every month or so, a few
        rarely (behind the 4-a-year pace). Chunked so a province never holds 2 million rows."""
        self.log("走访记录…")
        s = self.scale
        period_start = datetime.date(self.year - 1, 12, 1)
        village_of = {hh_id: village_id for hh_id, village_id, *_ in self.households}
        village_info = {v.id: (v.township_id, v.path) for v in self.villages}
        diligence: dict[int, float] = {}
        rows = HouseholdPairing.objects.order_by("id").values_list(
            "household_id", "helper_id", "start_date", "end_date", "id"
        )
        per_year = s.visits_per_household
        batch: list[Visit] = []
        total = 0
        for hh_id, helper_id, start, end, pairing_id in rows.iterator(chunk_size=20000):
            if helper_id not in diligence:
                diligence[helper_id] = self.rng.choices([1.0, 0.45, 0.12], [70, 22, 8])[0]
            first = max(start, period_start)
            last = min(end or self.today, self.today)
            if last < first:
                continue
            days = (last - first).days + 1
            expected = per_year * diligence[helper_id] * days / 365
            count = int(expected) + (1 if self.rng.random() < expected - int(expected) else 0)
            village_id = village_of[hh_id]
            township_id, path = village_info[village_id]
            used_days = set()
            for _ in range(count):
                day = first + datetime.timedelta(days=self.rng.randrange(days))
                if day in used_days:
                    continue
                used_days.add(day)
                # The day lies within this pairing's span, so the visit service's pairing
                # rule (households/services.py, pairing_verdict) would credit it too; a few are
                # held for review as photo checks hold them.
                status, reason = CreditStatus.CREDITED, ""
                if self.rng.random() < 0.004:
                    status, reason = CreditStatus.REVIEW, "照片拍摄时间与走访日期相差超过1天"
                batch.append(
                    Visit(
                        household_id=hh_id,
                        village_id=village_id,
                        township_id=township_id,
                        path=path,
                        helper_id=helper_id,
                        household_pairing_id=pairing_id,
                        kind=VisitKind.HOME if self.rng.random() < 0.85 else VisitKind.PHONE,
                        visited_on=day,
                        learned=self.rng.choice(LEARNED),
                        problems=self.rng.choice(PROBLEMS),
                        credit_status=status,
                        credit_reason=reason,
                    )
                )
            if len(batch) >= 50000:
                total += self._flush_visits(batch)
                batch = []
                self.log(f"  {total} 条走访")
        # Organisation representatives' group visits to their paired villages (ORG-REP-VISIT);
        # every seventh pairing has not been this year.
        for i, pairing in enumerate(p for p in self.pairings if p.village_id):
            if i % 7 == 3:
                continue
            township_id, path = village_info[pairing.village_id]
            helper = self.helpers_by_unit[pairing.lead_unit_id][0]
            batch.append(
                Visit(
                    village_id=pairing.village_id,
                    township_id=township_id,
                    path=path,
                    helper_id=helper.id,
                    org_pairing=pairing,
                    kind=VisitKind.ORG_GROUP,
                    visited_on=self.date_between(self.year_start, self.today),
                    learned="结对党组织代表到村开展主题党日并走访农户。",
                )
            )
        # County departments' monthly working visits to the villages they cover.
        dept_cadres = {}
        for talent in self.talents:
            dept_cadres.setdefault(talent.unit_id, talent)
        for i, village in enumerate(self.villages):
            township_id, path = village_info[village.id]
            dept = [d for d in self.departments if d.region_id == village.county_id][
                i % len([d for d in self.departments if d.region_id == village.county_id])
            ]
            helper = dept_cadres.get(dept.id)
            if helper is None:
                continue
            for month in range(1, self.today.month + 1):
                if (i + month) % 9 == 0:
                    continue  # a missed month
                day = datetime.date(self.year, month, self.rng.randint(1, 28))
                if day <= self.today:
                    batch.append(
                        Visit(
                            village_id=village.id,
                            township_id=township_id,
                            path=path,
                            helper_id=helper.id,
                            kind=VisitKind.VILLAGE_WORK,
                            visited_on=day,
                            learned="部门包村工作走访，调研产业项目。",
                        )
                    )
        total += self._flush_visits(batch)
        self.log(f"  共 {total} 条走访")

    def _flush_visits(self, batch: list[Visit]) -> int:
        with transaction.atomic():
            Visit.objects.bulk_create(batch, batch_size=self.batch)
        return len(batch)

    def registered_twice(self) -> Member:
        """One person registered in two households (一人多户) for the 重复户 walk: the head of
        a household of the second township is also a member (子女) of a household of the
        first; the county reviewer finds and merges them (households/duplicates.py)."""
        township_of = {v.id: v.township_id for v in self.villages}
        first, second = self.townships[0].id, self.townships[1].id
        host = [h for h in self.households if township_of[h[1]] == first][1]
        head = next(h for h in self.households if township_of[h[1]] == second)
        return Member(
            household_id=host[0],
            name=head[4],
            relation=Member.Relation.CHILD,
            id_number=head[3],
            birth_year=int(head[3][6:10]),
        )

    def build_activities(self) -> None:
        self.log("培训、会议、固定党日、考察、在岗天数与项目…")
        trainings, meetings, party_days, trips, field_days, projects = [], [], [], [], [], []
        months = range(1, self.today.month + 1)
        unit_villages: dict[int, list[Village]] = {}
        for village in self.villages:
            unit_villages.setdefault(self.village_unit[village.id].id, []).append(village)
        lead_unit_ids = {
            p.lead_unit_id
            for p in self.pairings
            if p.kind in (PairingKind.ONE_PLUS, PairingKind.DESIGNATED)
        }
        for u_index, unit in enumerate(self.units):
            villages = unit_villages.get(unit.id) or [self.villages[u_index % len(self.villages)]]
            lagging = u_index % 4 == 3  # every fourth unit is behind on everything
            for n in range(2 if lagging else self.rng.randint(4, 6)):
                trainings.append(
                    Training(
                        kind=TrainingKind.NIGHT_SCHOOL,
                        title=f"农民夜校第{n + 1}讲：{self.rng.choice(INDUSTRIES)}技术",
                        held_on=self.date_between(self.year_start, self.today),
                        village=self.rng.choice(villages),
                        unit=unit,
                        audience="贫困户、村民",
                        lecturer=self.person_name(),
                        attendance=self.rng.randint(20, 60),
                    )
                )
            for n in range(2 if lagging else self.rng.randint(4, 5)):
                meetings.append(
                    Meeting(
                        kind=MeetingKind.SPECIAL,
                        title=f"专题研究定点帮扶工作会议（第{n + 1}次）",
                        held_on=self.date_between(self.year_start, self.today),
                        unit=unit,
                        village=villages[0],
                        attendance=self.rng.randint(8, 20),
                        leader_level=LeaderLevel.PRINCIPAL,
                    )
                )
            for _ in range(1 if lagging else 2):
                meetings.append(
                    Meeting(
                        kind=MeetingKind.RESEARCH,
                        title="主要负责人到村督导调研",
                        held_on=self.date_between(self.year_start, self.today),
                        unit=unit,
                        village=self.rng.choice(villages),
                        leader_level=LeaderLevel.PRINCIPAL,
                        attendance=6,
                    )
                )
            for q in range(4):
                q_start = datetime.date(self.year, 3 * q + 1, 1)
                if q_start > self.today or (lagging and q == 1):
                    continue
                q_end = min(self.today, datetime.date(self.year, 3 * q + 3, 28))
                meetings.append(
                    Meeting(
                        kind=MeetingKind.RESEARCH,
                        title="分管负责人到村调研指导",
                        held_on=self.date_between(q_start, q_end),
                        unit=unit,
                        village=self.rng.choice(villages),
                        leader_level=LeaderLevel.DEPUTY,
                        attendance=4,
                    )
                )
            if unit.id in lead_unit_ids:
                for n in range(1 if lagging else 2):
                    meetings.append(
                        Meeting(
                            kind=MeetingKind.JOINT,
                            title=f"牵头单位与参与单位、县联席会议（第{n + 1}次）",
                            held_on=self.date_between(self.year_start, self.today),
                            unit=unit,
                            village=villages[0],
                            attendance=15,
                        )
                    )
            if not lagging:
                trips.append(
                    StudyTrip(
                        unit=unit,
                        village=villages[0],
                        started_on=self.date_between(self.year_start, self.today),
                        days=3,
                        destination=self.rng.choice(["浙江安吉余村", "贵州塘约村", "四川战旗村"]),
                        participants=self.rng.randint(10, 25),
                        content="学习村集体经济发展经验",
                    )
                )
        for v_index, village in enumerate(self.villages):
            unit = self.village_unit[village.id]
            if v_index % 6 != 2:
                trainings.append(
                    Training(
                        kind=TrainingKind.ROTATION,
                        title="村干部年度轮训",
                        held_on=self.date_between(self.year_start, self.today),
                        village=village,
                        audience="村两委干部",
                        attendance=8,
                        village_cadres_trained=6,
                    )
                )
            trainings.append(
                Training(
                    kind=TrainingKind.TWO_COMMITTEES,
                    title="村两委能力提升培训",
                    held_on=self.date_between(self.year_start, self.today),
                    village=village,
                    unit=unit,
                    audience="村两委干部",
                    attendance=10,
                    village_cadres_trained=7,
                )
            )
            for month in months:
                friday = _first_friday(self.year, month)
                if friday > self.today or (v_index + month) % 8 == 0:
                    continue
                held = (
                    friday if (v_index + month) % 5 else friday + datetime.timedelta(days=1)
                )  # some not on the Friday
                party_days.append(
                    PartyDay(
                        village=village,
                        held_on=held,
                        theme="学习党的创新理论，推进乡村振兴",
                        attendance=self.rng.randint(12, 40),
                    )
                )
            projects.append(
                Project(
                    pairing=self.village_pairing[village.id],
                    unit=unit,
                    village=village,
                    name=f"{village.name}{self.rng.choice(INDUSTRIES)}产业项目",
                    kind=ProjectKind.INDUSTRY,
                    year=self.year,
                    direct_funds=Decimal(self.rng.randint(5, 50) * 10000),
                    coordinated_funds=Decimal(self.rng.randint(0, 30) * 10000),
                    status=self.rng.choice(list(ProjectStatus)),
                )
            )
        # Days in the field: township leaders in their villages, county leaders in their townships,
        # talents in their villages. Some fall short, on purpose.
        first_month = max(1, self.today.month - 2)
        region_of_village = {v.id: v.region_id for v in self.villages}
        # Positions, not ids, pick the laggards: ids differ between databases, the data must not.
        for index, (village_id, leader) in enumerate(self.village_leader.items()):
            region_id = region_of_village[village_id]
            for month in range(first_month, self.today.month + 1):
                target = self.rng.choice([9, 10, 8, 6]) if index % 5 else 4
                field_days += self._days_in_month(leader.id, region_id, month, target)
        for i, township in enumerate(self.townships):
            leader = self.county_leaders[i]
            for month in range(first_month, self.today.month + 1):
                field_days += self._days_in_month(leader.id, township.id, month, 5 if i % 3 else 3)
        for index, talent in enumerate(self.talents):
            for month in range(first_month, self.today.month + 1):
                field_days += self._days_in_month(
                    talent.id, talent.home_region_id, month, 3 if index % 4 else 1
                )
        self.bulk(Training, trainings)
        self.bulk(Meeting, meetings)
        self.bulk(PartyDay, party_days)
        self.bulk(StudyTrip, trips)
        self.bulk(Project, projects)
        # Township leaders cover two villages each, so drop same-day duplicates before inserting.
        seen, unique_days = set(), []
        for row in field_days:
            key = (row.cadre_id, row.day)
            if key not in seen:
                seen.add(key)
                unique_days.append(row)
        self.bulk(FieldDay, unique_days)

    def _days_in_month(
        self, cadre_id: int, region_id: int, month: int, count: int
    ) -> list[FieldDay]:
        first = datetime.date(self.year, month, 1)
        last_day = (
            datetime.date(self.year + (month == 12), month % 12 + 1, 1) - datetime.timedelta(days=1)
        ).day
        days = sorted(self.rng.sample(range(1, last_day + 1), min(count, last_day)))
        return [
            FieldDay(
                cadre_id=cadre_id,
                region_id=region_id,
                day=first.replace(day=d),
                note="入村开展工作",
            )
            for d in days
            if first.replace(day=d) <= self.today
        ]

    # --- monitoring against relapse ----------------------------------------------------------
    DEMO_DOCUMENT = "monitoring/demo/signed-form.pdf"
    # A one-page PDF: the signed authorisation / home-check form every demo home check shows.
    DEMO_PDF = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    MONITORING_RANGES = {0: Decimal("7300"), 1: Decimal("7100"), 2: Decimal("6900")}

    def build_monitoring(self) -> None:
        """The first county's monitoring (DOMAIN.md "After 2020"): the province's range for
        this year and the two before, clues in every state (some past their deadline), a case
        at each step with a notice running, a case decided with measures and a helper in
        force, a household without labour capacity whose removal is refused for now, a
        household identified again after an earlier removal, and a few ordinary households
        (一般农户) that were never registered poor. Dates count back from `today`; the rules
        the services check (order of steps, notice minimums, the removal's conditions) hold."""
        self.log("防止返贫监测…")
        # Names, ID numbers and phones come from the monitoring's own generator.
        main_rng, self.rng = self.rng, self.monitoring_rng
        try:
            self._build_monitoring()
        finally:
            self.rng = main_rng

    def _build_monitoring(self) -> None:
        rng = self.rng
        today = self.today
        year = self.year

        def ago(days: int) -> datetime.date:
            return today - datetime.timedelta(days=days)

        def on(years_back: int, month: int, day: int) -> datetime.date:
            return datetime.date(year - years_back, month, day)

        province = Region.objects.filter(level=RegionLevel.PROVINCE).order_by("id").first()
        assert province is not None
        self.bulk(
            MonitoringRange,
            [
                MonitoringRange(
                    region=province,
                    year=year - back,
                    amount=amount,
                    basis=f"{province.name}{year - back}年防止返贫监测范围通知",
                )
                for back, amount in self.MONITORING_RANGES.items()
            ],
        )
        if not default_storage.exists(self.DEMO_DOCUMENT):
            default_storage.save(self.DEMO_DOCUMENT, ContentFile(self.DEMO_PDF))

        county = self.counties[0]
        townships = [t for t in self.townships if t.parent_id == county.id]
        t1 = townships[0]
        t2 = townships[1] if len(townships) > 1 else t1
        village1 = next(v for v in self.villages if v.township_id == t1.id)

        # A few ordinary households (never registered poor) with their members and income.
        ordinary = []
        for n in range(3):
            name = self.person_name()
            ordinary.append(
                Household(
                    village=village1,
                    township_id=village1.township_id,
                    path=village1.path,
                    group_name=f"{n + 1}组",
                    head_name=name,
                    name_initials="".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower(),
                    head_id_number=self.id_number("510821", 1960 + 5 * n),
                    phone=self.phone(),
                    size=3,
                    status=PovertyStatus.ORDINARY,
                    address=f"{village1.name}{n + 1}组{20 + n}号",
                )
            )
        self.bulk(Household, ordinary)
        ordinary = list(Household.objects.filter(status=PovertyStatus.ORDINARY).order_by("id"))
        members, incomes = [], []
        for household in ordinary:
            members.append(
                Member(
                    household=household,
                    name=household.head_name,
                    relation=Member.Relation.HEAD,
                    id_number=household.head_id_number,
                    birth_year=int(household.head_id_number[6:10]),
                )
            )
            members.append(
                Member(
                    household=household,
                    name=self.person_name(),
                    relation=Member.Relation.CHILD,
                    id_number=self.id_number("510821", 1990),
                    birth_year=1990,
                    health="慢性病",
                )
            )
            incomes.append(
                IncomeRecord(
                    household=household, year=year - 1, per_capita_net_income=Decimal("6800")
                )
            )
        self.bulk(Member, members)
        self.bulk(IncomeRecord, incomes)

        # Registered households of the first township that exited poverty and have a helper in
        # force today (a decided case needs one), then any others for the clues.
        paired = set(
            HouseholdPairing.objects.in_force(today)
            .filter(household__township=t1)
            .values_list("household_id", flat=True)
        )
        registered = list(
            Household.objects.filter(township=t1)
            .exclude(status=PovertyStatus.ORDINARY)
            .order_by("id")
        )
        exited = [h for h in registered if h.status == PovertyStatus.EXITED and h.id in paired]
        others = [h for h in registered if h not in exited]
        in_t2 = list(
            Household.objects.filter(township=t2)
            .exclude(status=PovertyStatus.ORDINARY)
            .order_by("id")[:4]
        )
        take = iter(exited)
        spare = iter(others + exited[12:])

        def names(count: int = 1) -> str:
            return "、".join(sorted({self.person_name() for _ in range(count + 1)})[:count])

        clues: list[RiskClue] = []
        steps: list[tuple[MonitoringCase, list[MonitoringStep]]] = []
        measures: list[MonitoringMeasure] = []
        finances: list[HouseholdFinance] = []

        def place(row, household: Household):
            row.household = household
            row.village_id = household.village_id
            row.township_id = household.township_id
            row.path = household.path
            return row

        def clue(
            household: Household,
            channel: str,
            received: datetime.date,
            risk: str,
            *,
            accepted: datetime.date | None = None,
            decided: datetime.date | None = None,
            outcome: str = "",
            reason: str = "",
            case: MonitoringCase | None = None,
            member: Member | None = None,
            department: str = Department.MEDICAL_INSURANCE,
        ) -> RiskClue:
            if channel == ClueChannel.APPLICATION and decided is not None and accepted is None:
                accepted = decided
            row = place(
                RiskClue(
                    channel=channel,
                    department=department if channel == ClueChannel.DEPARTMENT else "",
                    risk=risk,
                    received_on=received,
                    accepted_on=accepted,
                    acceptance_days=(accepted - received).days if accepted else None,
                    decided_on=decided,
                    decision_days=(decided - received).days if decided else None,
                    outcome=outcome,
                    decision_reason=reason,
                    case=case,
                    member=member,
                ),
                household,
            )
            clues.append(row)
            return row

        notices: dict[tuple, PublicNotice] = {}

        def notice(village_id: int, purpose: str, start: datetime.date, days: int) -> PublicNotice:
            key = (village_id, purpose, start)
            if key not in notices:
                village = next(v for v in self.villages if v.id == village_id)
                row = PublicNotice(
                    village=village,
                    township_id=village.township_id,
                    path=village.path,
                    purpose=purpose,
                    start_date=start,
                    end_date=start + datetime.timedelta(days=days - 1),
                )
                notices[key] = row
            return notices[key]

        def case(
            household: Household,
            category: str,
            labour: str,
            risks: list[str],
            received: datetime.date,
            days: list[datetime.date],
            *,
            notice_days: int = 5,
            status: str = CaseStatus.IDENTIFYING,
            closed: datetime.date | None = None,
            close_reason: str = "",
        ) -> MonitoringCase:
            """A case with its identification steps done on `days` (in order)."""
            order = [
                StepKind.HOME_CHECK,
                StepKind.DATA_COMPARISON,
                StepKind.APPRAISAL,
                StepKind.TOWNSHIP_REVIEW,
                StepKind.COUNTY_DECISION,
            ]
            decided = days[4] if len(days) == 5 else None
            if decided is not None and status == CaseStatus.IDENTIFYING:
                status = CaseStatus.MONITORED
            row = place(
                MonitoringCase(
                    category=category,
                    risk_types=[code for code in RiskType.values if code in risks],
                    labour_capacity=labour,
                    status=status,
                    received_on=received,
                    opened_on=received + datetime.timedelta(days=1) if days else received,
                    decided_on=decided,
                    identification_days=(
                        ((decided or closed) - received).days if (decided or closed) else None
                    ),
                    closed_on=closed,
                    closed_at_step=order[len(days)] if status == CaseStatus.NOT_IDENTIFIED else "",
                    close_reason=close_reason,
                ),
                household,
            )
            rows = []
            for kind, day in zip(order, days, strict=False):
                rows.append(
                    MonitoringStep(
                        procedure=Procedure.IDENTIFICATION,
                        kind=kind,
                        done_on=day,
                        checkers=names(2) if kind == StepKind.HOME_CHECK else "",
                        document=self.DEMO_DOCUMENT if kind == StepKind.HOME_CHECK else "",
                        notice=notice(
                            household.village_id, Procedure.IDENTIFICATION, day, notice_days
                        )
                        if kind == StepKind.APPRAISAL
                        else None,
                        note="经核实情况属实" if kind == StepKind.HOME_CHECK else "",
                    )
                )
            steps.append((row, rows))
            return row

        # Clues that have not reached a case: in every state, some past their deadline.
        a1, a2, s1, d1, n1, n2 = (next(spare) for _ in range(6))
        clue(a1, ClueChannel.APPLICATION, ago(1), "家中老人住院，医疗费用支出大")
        clue(a2, ClueChannel.APPLICATION, ago(4), "务工收入中断")  # not accepted after 2 days
        clue(s1, ClueChannel.SCREENING, ago(5), "入户排查发现收入明显下降", accepted=None)
        warned = next(m for m in members if m.household_id == ordinary[2].id and m.health)
        clue(
            ordinary[2], ClueChannel.DEPARTMENT, ago(20), "住院自付费用超过2万元", member=warned
        )  # past its 15 days, undecided
        clue(d1, ClueChannel.DEPARTMENT, ago(9), "残疾等级变更", department=Department.DISABLED)
        clue(
            n1,
            ClueChannel.SCREENING,
            ago(30),
            "产业收入波动",
            decided=ago(25),
            outcome=ClueOutcome.NOT_IDENTIFIED,
            reason="经核实收入高于监测范围，无返贫风险",
        )
        clue(
            n2,
            ClueChannel.APPLICATION,
            ago(40),
            "房屋受损",
            accepted=ago(39),
            decided=ago(20),  # decided late (20 days)
            outcome=ClueOutcome.NOT_IDENTIFIED,
            reason="房屋已由保险理赔修复",
        )
        for household in in_t2[:2]:
            clue(household, ClueChannel.SCREENING, ago(rng.randint(2, 12)), "因灾农作物减产")

        # A case at each step of the identification.
        marginal = case(
            ordinary[0], Category.MARGINAL, LabourCapacity.CAPABLE, ["illness"], ago(3), []
        )
        clue(
            ordinary[0],
            ClueChannel.APPLICATION,
            ago(3),
            "家庭成员患重病",
            accepted=ago(2),
            case=marginal,
        )
        compared = case(
            ordinary[1],
            Category.SUDDEN,
            LabourCapacity.WEAK,
            ["accident"],
            ago(8),
            [ago(6), ago(5)],
        )
        clue(ordinary[1], ClueChannel.SCREENING, ago(8), "意外事故致劳动力受伤", case=compared)
        household = next(spare)
        checked = case(
            household, Category.SUDDEN, LabourCapacity.CAPABLE, ["disaster"], ago(7), [ago(6)]
        )
        clue(household, ClueChannel.SCREENING, ago(7), "因灾房屋受损", case=checked)
        for received, days, span in (
            (ago(12), [ago(10), ago(9), ago(3)], 7),  # the notice runs to today + 3
            (ago(16), [ago(14), ago(13), ago(12)], 5),  # a township review waiting (late)
            (ago(14), [ago(13), ago(12), ago(11), ago(5)], 5),  # the county's decision waiting
        ):
            household = next(take)
            row = case(
                household,
                Category.UNSTABLE,
                LabourCapacity.CAPABLE,
                ["unstable_work"],
                received,
                days,
                notice_days=span,
            )
            clue(household, ClueChannel.SCREENING, received, "务工就业不稳定", case=row)
        household = next(take)
        stopped = case(
            household,
            Category.UNSTABLE,
            LabourCapacity.CAPABLE,
            ["industry_failure"],
            ago(60),
            [ago(58)],
            status=CaseStatus.NOT_IDENTIFIED,
            closed=ago(57),
            close_reason="县级数据比对：该户家庭成员有稳定工资性收入",
        )
        clue(
            household,
            ClueChannel.SCREENING,
            ago(60),
            "产业项目失败",
            decided=ago(57),
            outcome=ClueOutcome.NOT_IDENTIFIED,
            reason=stopped.close_reason,
            case=stopped,
        )

        # Decided and monitored: development measures and a helper in force.
        household = next(take)
        decided_days = [ago(118), ago(117), ago(115), ago(109), ago(108)]
        monitored = case(
            household,
            Category.UNSTABLE,
            LabourCapacity.CAPABLE,
            ["illness", "unstable_work"],
            ago(120),
            decided_days,
        )
        clue(
            household,
            ClueChannel.DEPARTMENT,
            ago(120),
            "医保部门预警：住院费用较高",
            decided=ago(108),
            outcome=ClueOutcome.IDENTIFIED,
            case=monitored,
        )
        measures += [
            MonitoringMeasure(
                case=monitored,
                kind=MeasureKind.EMPLOYMENT,
                content="推荐到县内工业园区务工",
                start_date=ago(112),
                responsible=self.person_name(),
                before_decision=True,  # 先帮后认: help started before the decision
            ),
            MonitoringMeasure(
                case=monitored,
                kind=MeasureKind.SKILLS,
                content="参加电工技能培训",
                start_date=ago(100),
                end_date=ago(70),
                responsible=self.person_name(),
                status=MonitoringMeasureStatus.DONE,
            ),
        ]
        finances.append(
            HouseholdFinance(
                household=household,
                year=year,
                per_capita_net_income=Decimal("6300"),
                medical_expense=Decimal("18000"),
                rigid_state=RigidExpenseState.UNSOLVED,
                assessed_on=ago(110),
            )
        )

        # Without labour capacity: the safety net in force, every other condition met, so a
        # removal is refused "for now" only for the labour capacity.
        household = next(take)
        household.food_clothing_ok = household.education_ok = household.medical_ok = True
        household.housing_ok = household.water_ok = True
        household.save()
        received = on(1, 2, 20)
        no_labour = case(
            household,
            Category.UNSTABLE,
            LabourCapacity.NONE,
            ["lack_labour", "illness"],
            received,
            [on(1, 2, 22), on(1, 2, 23), on(1, 2, 25), on(1, 3, 3), on(1, 3, 10)],
        )
        clue(
            household,
            ClueChannel.SCREENING,
            received,
            "家中无劳动力，主要成员长期患病",
            decided=on(1, 3, 10),
            outcome=ClueOutcome.IDENTIFIED,
            case=no_labour,
        )
        measures += [
            MonitoringMeasure(
                case=no_labour,
                kind=MeasureKind.MINIMUM_LIVING,
                content="纳入农村低保",
                start_date=on(1, 3, 15),
                responsible=self.person_name(),
            ),
            MonitoringMeasure(
                case=no_labour,
                kind=MeasureKind.MEDICAL_AID,
                content="大病医疗救助",
                start_date=on(1, 3, 20),
                responsible=self.person_name(),
            ),
        ]
        finances.append(
            HouseholdFinance(
                household=household,
                year=year - 1,
                per_capita_net_income=Decimal("9800"),
                rigid_state=RigidExpenseState.SOLVED,
                assessed_on=on(1, 12, 15),
            )
        )

        # Identified again after an earlier removal: a case closed by a stable removal two
        # years ago, and a new one decided this year.
        household = next(take)
        earlier = case(
            household,
            Category.UNSTABLE,
            LabourCapacity.CAPABLE,
            ["disaster"],
            on(2, 3, 1),
            [on(2, 3, 3), on(2, 3, 4), on(2, 3, 6), on(2, 3, 12), on(2, 3, 14)],
            status=CaseStatus.REMOVED,
            closed=on(1, 2, 5),
        )
        clue(
            household,
            ClueChannel.SCREENING,
            on(2, 3, 1),
            "洪灾致房屋和农田受损",
            decided=on(2, 3, 14),
            outcome=ClueOutcome.IDENTIFIED,
            case=earlier,
        )
        measures.append(
            MonitoringMeasure(
                case=earlier,
                kind=MeasureKind.INDUSTRY,
                content="发展核桃种植",
                start_date=on(2, 4, 1),
                end_date=on(1, 2, 5),
                responsible=self.person_name(),
                status=MonitoringMeasureStatus.DONE,
            )
        )
        finances.append(
            HouseholdFinance(
                household=household,
                year=year - 2,
                per_capita_net_income=Decimal("11200"),
                rigid_state=RigidExpenseState.NONE,
                assessed_on=on(2, 12, 10),
            )
        )
        again_received = ago(45)
        again_days = [again_received + datetime.timedelta(days=n) for n in (2, 3, 5, 11, 15)]
        again = case(
            household,
            Category.UNSTABLE,
            LabourCapacity.CAPABLE,
            ["illness"],
            again_received,
            again_days,
        )
        clue(
            household,
            ClueChannel.DEPARTMENT,
            again_received,
            "医保部门预警：家庭成员患大病",
            decided=again_days[4],
            outcome=ClueOutcome.IDENTIFIED,
            case=again,
        )
        finances.append(
            HouseholdFinance(
                household=household,
                year=year,
                per_capita_net_income=Decimal("6600"),
                medical_expense=Decimal("26000"),
                rigid_state=RigidExpenseState.UNSOLVED,
                assessed_on=again_days[1],
            )
        )
        measures.append(
            MonitoringMeasure(
                case=again,
                kind=MeasureKind.MEDICAL_AID,
                content="大病医疗救助和慢病签约服务",
                start_date=again_days[0],
                responsible=self.person_name(),
                before_decision=True,
            )
        )

        # Write: notices, cases, their steps, the removal and its steps, clues, measures.
        self.bulk(PublicNotice, list(notices.values()))
        self.bulk(MonitoringCase, [row for row, _steps in steps])
        removal_notice = notice(household.village_id, Procedure.REMOVAL, on(1, 1, 20), 7)
        removal_notice.save()
        removal = RiskRemoval(
            case=earlier,
            kind=RemovalKind.STABLE,
            status=RemovalStatus.REMOVED,
            proposed_on=on(1, 1, 15),
            checks=[],
            decided_on=on(1, 2, 5),
        )
        removal.save()
        step_rows = []
        for row, rows in steps:
            for step in rows:
                step.case = row
                step_rows.append(step)
        for kind, day in (
            (StepKind.HOME_CHECK, on(1, 1, 18)),
            (StepKind.APPRAISAL, on(1, 1, 20)),
            (StepKind.TOWNSHIP_REVIEW, on(1, 1, 28)),
            (StepKind.COUNTY_DECISION, on(1, 2, 5)),
        ):
            step_rows.append(
                MonitoringStep(
                    case=earlier,
                    removal=removal,
                    procedure=Procedure.REMOVAL,
                    kind=kind,
                    done_on=day,
                    checkers=names(2) if kind == StepKind.HOME_CHECK else "",
                    document=self.DEMO_DOCUMENT if kind == StepKind.HOME_CHECK else "",
                    notice=removal_notice if kind == StepKind.APPRAISAL else None,
                )
            )
        self.bulk(MonitoringStep, step_rows)
        self.bulk(RiskClue, clues)
        self.bulk(MonitoringMeasure, measures)
        self.bulk(HouseholdFinance, finances)
        self.log(f"  {len(clues)} 条线索，{len(steps)} 个监测对象，{len(ordinary)} 户一般农户")

    def build_users(self) -> None:
        self.log("演示账户…")
        password = make_password(DEMO_PASSWORD)
        county = self.counties[0]
        t1, t2 = self.townships[0], self.townships[1]
        village = next(v for v in self.villages if v.township_id == t1.id)
        secretary = self.secretary_by_village[village.id]
        unit = self.village_unit[village.id]
        users = [
            User(
                username="admin",
                first_name="管理员",
                role=Role.ADMIN,
                is_staff=True,
                is_superuser=True,
                password=password,
            ),
            User(
                username="reviewer",
                last_name="组织部",
                first_name="审核员",
                role=Role.REVIEWER,
                region=county,
                password=password,
            ),
            User(
                username="city_reviewer",
                last_name="市委",
                first_name="组织部",
                role=Role.REVIEWER,
                region=county.parent,
                password=password,
            ),
            User(
                username="township1",
                last_name=t1.name,
                first_name="工作人员",
                role=Role.TOWNSHIP_STAFF,
                region=t1,
                password=password,
            ),
            User(
                username="township2",
                last_name=t2.name,
                first_name="工作人员",
                role=Role.TOWNSHIP_STAFF,
                region=t2,
                password=password,
            ),
            User(
                username="cadre",
                last_name=secretary.name,
                role=Role.CADRE,
                cadre=secretary,
                password=password,
            ),
            User(
                username="coordinator",
                last_name=unit.coordinator_name or "联络人",
                role=Role.COORDINATOR,
                unit=unit,
                password=password,
            ),
        ]
        for user in users:
            user.save()
        # 台账定期报送 (issue 16): the county's visit ledger of last month, on the 1st of each
        # month, to the city's mailbox; `send_scheduled_ledgers --today 2026-12-01` sends
        # November's.
        LedgerSubscription.objects.create(
            kind=LedgerKind.VISIT,
            region=county,
            period_rule=PeriodRule.LAST_MONTH,
            frequency=Frequency.MONTHLY,
            day=1,
            recipients="superior@example.cn",
            start_date=self.today.replace(day=1),
            created_by=users[1],
        )


DEMO_USERS = [
    ("admin", "系统管理员（全部数据，可进入系统管理）"),
    ("reviewer", "县委组织部审核人员（全县）"),
    ("city_reviewer", "市委组织部审核人员（全市）"),
    ("township1", "东河镇工作人员（仅本镇）"),
    ("township2", "普济镇工作人员（仅本镇）"),
    ("cadre", "第一书记（所驻村和结对户）"),
    ("coordinator", "帮扶单位联络人（本单位结对）"),
]
