"""A small world with something in every ledger: visits, incomes, plans, reserve cadres,
talents, a first secretary, indicator results, unit assessments and rectification items."""

import datetime
from decimal import Decimal

from assessments.models import Indicator, IndicatorResult, UnitAssessment
from cadres.models import ReserveCadre, TalentAssignment
from households.models import CreditStatus, IncomeRecord, MeasureStatus
from inspections.models import RectificationItem, RectificationStatus
from tests.factories import (
    CadreFactory,
    HouseholdFactory,
    HouseholdPairingFactory,
    MeasureFactory,
    PlanFactory,
    TermFactory,
    VillageIncomeFactory,
    VisitFactory,
)

FORMULA_NAME = '=HYPERLINK("http://evil.example","点我")'


def fill(world) -> dict:
    a, b = world.household_a, world.household_b
    formula = HouseholdFactory(
        village=world.village_a,
        head_name=FORMULA_NAME,
        key_difficulty=True,
        exit_year=2020,
        phone="+8613900000000",
    )
    HouseholdPairingFactory(household=formula, helper=world.helper_a)
    IncomeRecord.objects.create(household=a, year=2026, per_capita_net_income=Decimal("8234.50"))
    IncomeRecord.objects.create(household=a, year=2025, per_capita_net_income=Decimal("6000"))
    plan = PlanFactory(household=a)
    MeasureFactory(plan=plan, status=MeasureStatus.DONE)
    MeasureFactory(plan=plan)
    VisitFactory(household=a, helper=world.helper_a, visited_on=datetime.date(2026, 3, 2))
    VisitFactory(household=a, helper=world.helper_a, visited_on=datetime.date(2026, 5, 10))
    VisitFactory(
        household=a,
        helper=world.helper_a,
        visited_on=datetime.date(2026, 5, 10),
        credit_status=CreditStatus.NOT_COUNTED,
        credit_reason="同日重复走访",
        learned="了解\x07情况",
    )
    VisitFactory(household=a, helper=world.helper_a, visited_on=datetime.date(2025, 12, 30))
    VisitFactory(household=b, helper=world.helper_b, visited_on=datetime.date(2026, 4, 1))

    for year, amount in ((2024, 12000), (2025, 18000), (2026, 25000)):
        VillageIncomeFactory(village=world.village_a, year=year, amount=Decimal(amount))
    for name in ("后备甲", "后备乙"):
        ReserveCadre.objects.create(
            village=world.village_a, name=name, added_on=datetime.date(2025, 6, 1)
        )
    ReserveCadre.objects.create(
        village=world.village_a,
        name="已退出",
        added_on=datetime.date(2024, 6, 1),
        left_on=datetime.date(2025, 1, 1),
    )
    TalentAssignment.objects.create(
        cadre=CadreFactory(name="农技员"),
        village=world.village_a,
        specialty="农技",
        start_date=datetime.date(2025, 1, 1),
    )
    TermFactory(
        village=world.village_a,
        cadre=CadreFactory(name="第一书记甲", kind="first_secretary"),
        dispatching_unit=world.unit,
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2027, 12, 31),
    )

    indicator = Indicator.objects.get(code="HH-VISIT-YEAR")
    for household, met in ((a, True), (formula, False), (b, False)):
        IndicatorResult.objects.create(
            indicator=indicator,
            period="2026",
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 12, 31),
            subject_kind="household",
            subject_id=household.pk,
            subject_label=household.head_name,
            path=household.path,
            township_id=household.township_id,
            village_id=household.village_id,
            household=household,
            unit=world.unit if household != b else None,
            value=Decimal(2),
            threshold=Decimal(4),
            met=met,
            shortfall=Decimal(0 if met else 2),
        )
    UnitAssessment.objects.create(
        unit=world.unit,
        year=2026,
        met_share=Decimal("0.5000"),
        earned_grade="excellent",
        capped=True,
        cap_reasons=["驻村干部年度考核不称职"],
        final_grade="competent",
    )

    RectificationItem.objects.create(
        village=world.village_a,
        household=a,
        problem="走访记录不全",
        task="补齐走访记录",
        responsible_unit=world.unit,
        deadline=datetime.date(2026, 1, 31),
        status=RectificationStatus.OPEN,
    )
    RectificationItem.objects.create(
        village=world.village_b,
        problem="=1+1 阵地未挂牌",
        task="挂牌",
        deadline=datetime.date(2026, 12, 31),
    )
    return {"formula": formula}
