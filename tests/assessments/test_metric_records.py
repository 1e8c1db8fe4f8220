"""Each metric is one class that computes results (`rows`) and lists the records behind one
result (`records`): for a small hand-built case, the records marked as counted add up to the
stored value of every result, and every metric the catalogue names has a class."""

import datetime
from decimal import Decimal

import pytest

from assessments.catalogue import CATALOGUE
from assessments.engine import METRICS, Metric, counted_header
from assessments.models import IndicatorResult
from assessments.selectors import Records, result_records
from cadres.models import CadreKind, Coverage, FieldDay, ReserveCadre, TalentAssignment, WorkingFund
from households.models import CreditStatus, HouseholdPairing, Plan, VisitKind
from households.services import visits_recredit
from pairing.models import (
    LeaderLevel,
    MeetingKind,
    Pairing,
    PairingKind,
    PartyDay,
    StudyTrip,
    TrainingKind,
)
from tests.factories import (
    CadreFactory,
    HouseholdFactory,
    HouseholdPairingFactory,
    MeetingFactory,
    PairingFactory,
    TermFactory,
    TrainingFactory,
    UnitFactory,
    VillageIncomeFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date

# Metrics whose value is a sum over the counted records (the column summed), not their number.
SUMMED = {
    "collective_income": "收入（元）",
    "cadre_trainings": "其中村干部",
    "working_funds": "金额（元）",
}
# Metrics whose value is a measure, not made of records: nothing to mark as counted.
MEASURED = {"venue_area", "spot_check_share"}


def test_every_catalogue_metric_has_a_class_in_the_registry():
    names = {row[3] for row in CATALOGUE}
    assert sorted(names - set(METRICS)) == []
    assert all(isinstance(METRICS[name], Metric) for name in names)
    assert all(METRICS[name].name == name for name in names)


def _counted_total(metric: str, records: Records) -> Decimal:
    """What the records marked as counted add up to: their number, or the summed column's sum."""
    column = records.headers.index(counted_header())
    counted = [row for row in records.rows if row[column] == "是"]
    if metric in SUMMED:
        summed = records.headers.index(SUMMED[metric])
        return sum((Decimal(row[summed]) for row in counted), Decimal(0))
    return Decimal(len(counted))


def _build_year(world) -> None:
    hh, helper, unit = world.household_a, world.helper_a, world.unit
    # HH-VISIT-YEAR: three counted visits, one held for review, a phone call (counts for the
    # yearly rule), a former helper's visit after the handover and a stranger's visit.
    for day in (D(2026, 2, 2), D(2026, 5, 5), D(2026, 8, 8)):
        VisitFactory(household=hh, helper=helper, visited_on=day)
    VisitFactory(household=hh, helper=helper, visited_on=D(2026, 3, 3), kind=VisitKind.PHONE)
    VisitFactory(
        household=hh, helper=helper, visited_on=D(2026, 4, 4), credit_status=CreditStatus.REVIEW
    )
    VisitFactory(household=hh, helper=helper, visited_on=D(2027, 1, 1))  # next year
    moved = HouseholdFactory(village=world.village_a, head_name="王五")
    old, new = CadreFactory(name="原帮扶人"), CadreFactory(name="新帮扶人")
    HouseholdPairingFactory(household=moved, helper=old, end_date=D(2026, 6, 30))
    HouseholdPairingFactory(household=moved, helper=new, start_date=D(2026, 7, 1))
    VisitFactory(household=moved, helper=old, visited_on=D(2026, 3, 1))
    VisitFactory(household=moved, helper=old, visited_on=D(2026, 9, 1))  # after the handover
    VisitFactory(household=moved, helper=new, visited_on=D(2026, 9, 2))
    VisitFactory(household=moved, helper=CadreFactory(), visited_on=D(2026, 10, 1))
    visits_recredit(household_id=moved.id)
    # HH-PAIRED: a second helper in force on 31 December; HH-PLAN: household A's plan.
    HouseholdPairingFactory(household=hh, helper=CadreFactory(name="第二帮扶人"))
    Plan.objects.create(household=hh, drawn_up_on=D(2026, 3, 1))
    # ORG-REP-VISIT: a counted visit, one held for review, one before its pairing started.
    pairing_a = Pairing.objects.get(village=world.village_a)
    late = PairingFactory(village=world.village_b, start_date=D(2026, 6, 1))
    for pairing, day, status in (
        (pairing_a, D(2026, 5, 1), CreditStatus.CREDITED),
        (pairing_a, D(2026, 6, 1), CreditStatus.REVIEW),
        (late, D(2026, 3, 1), CreditStatus.CREDITED),
        (late, D(2026, 7, 1), CreditStatus.CREDITED),
    ):
        VisitFactory(
            household=None,
            village=pairing.village,
            helper=helper,
            org_pairing=pairing,
            kind=VisitKind.ORG_GROUP,
            visited_on=day,
            credit_status=status,
        )
    # Units: world.unit also leads a designated pairing (so it is a lead unit).
    PairingFactory(kind=PairingKind.DESIGNATED, lead_unit=unit, village=None, region=world.county)
    village = world.village_a
    for kind, level, day in (
        (MeetingKind.RESEARCH, LeaderLevel.PRINCIPAL, D(2026, 3, 1)),
        (MeetingKind.RESEARCH, LeaderLevel.PRINCIPAL, D(2026, 10, 1)),
        (MeetingKind.RESEARCH, LeaderLevel.DEPUTY, D(2026, 4, 1)),
        (MeetingKind.SPECIAL, LeaderLevel.OTHER, D(2026, 1, 1)),
        (MeetingKind.SPECIAL, LeaderLevel.OTHER, D(2027, 1, 1)),  # next year
        (MeetingKind.JOINT, LeaderLevel.OTHER, D(2026, 9, 9)),
    ):
        MeetingFactory(unit=unit, kind=kind, leader_level=level, held_on=day, village=village)
    for day in (D(2026, 3, 1), D(2026, 6, 1)):
        TrainingFactory(unit=unit, kind=TrainingKind.NIGHT_SCHOOL, held_on=day, village=village)
    TrainingFactory(unit=unit, kind=TrainingKind.TWO_COMMITTEES, held_on=D(2026, 6, 2))
    StudyTrip.objects.create(
        unit=unit, village=village, started_on=D(2026, 6, 6), destination="余村"
    )
    StudyTrip.objects.create(
        unit=unit, village=village, started_on=D(2025, 6, 6), destination="塘约"
    )
    # Villages.
    VillageIncomeFactory(village=village, year=2026, amount=Decimal("21000.50"))
    VillageIncomeFactory(village=village, year=2025, amount=Decimal("50000"))
    for name, added, left in (
        ("甲一", D(2025, 6, 1), None),
        ("甲二", D(2026, 12, 31), None),
        ("甲三", D(2025, 6, 1), D(2026, 6, 1)),
    ):
        ReserveCadre.objects.create(village=village, name=name, added_on=added, left_on=left)
    talent = CadreFactory(kind=CadreKind.TALENT)
    TalentAssignment.objects.create(
        cadre=talent, village=village, specialty="农业技术", start_date=D(2026, 1, 1)
    )
    TalentAssignment.objects.create(
        cadre=CadreFactory(kind=CadreKind.TALENT),
        village=village,
        specialty="畜牧兽医",
        start_date=D(2025, 1, 1),
        end_date=D(2026, 5, 31),
    )
    for kind, trained in ((TrainingKind.ROTATION, 3), (TrainingKind.ROTATION, 2)):
        TrainingFactory(
            village=village, kind=kind, held_on=D(2026, 4, 1), village_cadres_trained=trained
        )
    TrainingFactory(
        village=village,
        kind=TrainingKind.TWO_COMMITTEES,
        held_on=D(2026, 4, 1),
        village_cadres_trained=9,
    )
    # SECRETARY-FUNDS.
    term = TermFactory(village=village)
    WorkingFund.objects.create(cadre=term.cadre, year=2026, amount=Decimal("6000"))
    WorkingFund.objects.create(cadre=term.cadre, year=2026, amount=Decimal("4000.5"))
    WorkingFund.objects.create(cadre=term.cadre, year=2025, amount=Decimal("20000"))


def _build_week_and_month(world) -> None:
    hh, helper = world.household_a, world.helper_a
    # 2026-W38 (14–20 September): a home visit, a phone call, a home visit held for review.
    VisitFactory(household=hh, helper=helper, visited_on=D(2026, 9, 14))
    VisitFactory(household=hh, helper=helper, visited_on=D(2026, 9, 15), kind=VisitKind.PHONE)
    VisitFactory(
        household=hh, helper=helper, visited_on=D(2026, 9, 16), credit_status=CreditStatus.REVIEW
    )
    # 2026-09: leaders' days, a department's visits, the fixed Party day.
    a = world.village_a
    leader = CadreFactory(kind=CadreKind.TOWNSHIP_LEADER, unit=None)
    Coverage.objects.create(
        level=Coverage.Level.TOWNSHIP_LEADER,
        cadre=leader,
        region=a.region,
        start_date=D(2026, 1, 1),
    )
    for day in (D(2026, 9, 1), D(2026, 9, 2), D(2026, 10, 1)):
        FieldDay.objects.create(cadre=leader, region=a.region, day=day)
    FieldDay.objects.create(cadre=leader, region=world.village_b.region, day=D(2026, 9, 3))
    dept = UnitFactory(name="县农业农村局", kind="department")
    Coverage.objects.create(
        level=Coverage.Level.DEPARTMENT, unit=dept, region=a.region, start_date=D(2026, 1, 1)
    )
    worker = CadreFactory(kind=CadreKind.DEPARTMENT, unit=dept)
    for day, status in (
        (D(2026, 9, 10), CreditStatus.CREDITED),
        (D(2026, 9, 11), CreditStatus.CREDITED),
        (D(2026, 9, 12), CreditStatus.REVIEW),
    ):
        VisitFactory(
            household=None,
            village=a,
            helper=worker,
            kind=VisitKind.VILLAGE_WORK,
            visited_on=day,
            credit_status=status,
        )
    PartyDay.objects.create(village=a, held_on=D(2026, 9, 4), theme="主题党日")  # first Friday
    PartyDay.objects.create(village=a, held_on=D(2026, 9, 11), theme="补开")


def test_the_records_marked_counted_add_up_to_each_results_value(world, evaluate):
    _build_year(world)
    _build_week_and_month(world)
    checked: dict[str, int] = {}
    for period in ("2026", "2026-Q2", "2026-09", "2026-W38"):
        evaluate(period)
    results = IndicatorResult.objects.select_related("indicator", "village").order_by("pk")
    for result in results:
        metric = result.indicator.metric
        records = result_records(user=world.admin, result=result)
        if metric in MEASURED:
            assert counted_header() not in records.headers
            continue
        total = _counted_total(metric, records)
        assert total == result.value, (result.indicator.code, result.subject_label, records)
        if result.value:
            checked[metric] = checked.get(metric, 0) + 1
    # Every metric with records was checked on at least one result with a value. The
    # monitoring metrics need monitoring data this world has none of; their records are
    # checked against their values in tests/monitoring_indicators/.
    monitoring = {
        "clues_decided_in_time",
        "notice_minimum_days",
        "monitored_helper_measure",
        "monitored_visits",
    }
    assert monitoring <= set(METRICS)
    assert sorted(set(METRICS) - MEASURED - monitoring - set(checked)) == []


def test_visit_records_say_why_a_visit_does_not_count(world, evaluate):
    _build_year(world)
    _build_week_and_month(world)
    year = evaluate("2026")
    moved = HouseholdPairing.objects.get(helper__name="新帮扶人").household
    records = result_records(user=world.admin, result=year[("HH-VISIT-YEAR", moved.id)])
    column = records.headers.index(counted_header())
    # The visit service kept the former helper's and the stranger's visits out; the records
    # read that from the visits themselves.
    assert [row[column] for row in records.rows] == ["是", "否：不计入考核", "是", "否：不计入考核"]
    assert year[("HH-VISIT-YEAR", moved.id)].value == 2
    pairing = HouseholdPairing.objects.get(household=world.household_a, helper=world.helper_a)
    week = evaluate("2026-W38")[("HH-VISIT-WEEKLY", pairing.id)]
    records = result_records(user=world.admin, result=week)
    column = records.headers.index(counted_header())
    assert [row[column] for row in records.rows] == ["是", "否：不是入户走访", "否：待审核"]
    assert week.value == 1
