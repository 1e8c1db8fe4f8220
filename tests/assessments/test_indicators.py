"""Hand-computed cases for every indicator of the catalogue, at the boundaries: exactly 4 visits
and 3, a visit on 31 December and one on 1 January, a helper changed in mid-year, a visit held
for review. Each test builds the records, works out the expected figure by hand (in the
comments) and checks what the evaluation stored."""

import datetime
from decimal import Decimal

import pytest

from assessments.catalogue import CATALOGUE
from cadres.models import (
    Cadre,
    CadreKind,
    Coverage,
    FieldDay,
    ReserveCadre,
    TalentAssignment,
    WorkingFund,
)
from households.models import CreditStatus, HouseholdPairing, Plan, PovertyStatus, VisitKind
from households.services import visits_recredit
from inspections.models import SpotCheckDraw, SpotCheckItem
from pairing.models import (
    LeaderLevel,
    MeetingKind,
    Pairing,
    PairingKind,
    PairingParticipant,
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
    PartyOrganisationFactory,
    TermFactory,
    TrainingFactory,
    UnitFactory,
    VillageFactory,
    VillageIncomeFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def test_every_catalogue_indicator_has_a_case_here():
    """The tests below name every code of the catalogue (keeps this file complete)."""
    with open(__file__, encoding="utf-8") as handle:
        source = handle.read()
    # Monitoring against relapse (MON-*) has its cases in tests/monitoring_indicators/.
    missing = [row[0] for row in CATALOGUE if f'"{row[0]}"' not in source]
    assert [code for code in missing if not code.startswith("MON-")] == []


# --- HH-VISIT-YEAR ----------------------------------------------------------------------------
def test_exactly_four_visits_meet_the_yearly_rule_31_december_counts_1_january_does_not(
    world, evaluate
):
    hh, helper = world.household_a, world.helper_a
    for day in (D(2026, 3, 2), D(2026, 6, 1), D(2026, 9, 1), D(2026, 12, 31)):
        VisitFactory(household=hh, helper=helper, visited_on=day)
    VisitFactory(household=hh, helper=helper, visited_on=D(2027, 1, 1))  # next year
    VisitFactory(household=hh, helper=helper, visited_on=D(2025, 12, 31))  # last year
    results = evaluate("2026")
    # Mar 2, Jun 1, Sep 1, Dec 31 = 4 visits; the threshold is 4.
    a = results[("HH-VISIT-YEAR", hh.id)]
    assert (a.value, a.threshold, a.met, a.shortfall) == (4, 4, True, 0)
    assert a.helper_id == helper.id and a.unit_id == world.unit.id
    assert a.household_id == hh.id and a.village_id == world.village_a.id
    assert a.township_id == world.township_a.id
    # Household B was never visited: 0 of 4, four short.
    b = results[("HH-VISIT-YEAR", world.household_b.id)]
    assert (b.value, b.met, b.shortfall) == (0, False, 4)


def test_three_visits_fall_one_short_and_1_january_counts_for_its_own_year(world, evaluate):
    hh, helper = world.household_a, world.helper_a
    for day in (D(2026, 1, 1), D(2026, 5, 5), D(2026, 8, 8)):
        VisitFactory(household=hh, helper=helper, visited_on=day)
    VisitFactory(household=hh, helper=helper, visited_on=D(2025, 12, 31))
    a = evaluate("2026")[("HH-VISIT-YEAR", hh.id)]
    assert (a.value, a.met, a.shortfall) == (3, False, 1)


def test_a_visit_held_for_review_counts_only_once_accepted(world, evaluate):
    hh, helper = world.household_a, world.helper_a
    for day in (D(2026, 2, 1), D(2026, 4, 1), D(2026, 6, 1)):
        VisitFactory(household=hh, helper=helper, visited_on=day)
    held = VisitFactory(
        household=hh, helper=helper, visited_on=D(2026, 8, 1), credit_status=CreditStatus.REVIEW
    )
    VisitFactory(
        household=hh, helper=helper, visited_on=D(2026, 9, 1), credit_status=CreditStatus.REJECTED
    )
    assert evaluate("2026")[("HH-VISIT-YEAR", hh.id)].value == 3  # the held one waits
    held.credit_status = CreditStatus.CREDITED
    held.save()
    a = evaluate("2026")[("HH-VISIT-YEAR", hh.id)]
    assert (a.value, a.met) == (4, True)  # accepted: 3 + 1; the rejected one never counts


def test_a_helper_changed_mid_year_is_judged_on_both_halves(world, evaluate):
    hh = HouseholdFactory(village=world.village_a, head_name="王五")
    old, new = CadreFactory(name="原帮扶人"), CadreFactory(name="新帮扶人")
    HouseholdPairingFactory(
        household=hh, helper=old, start_date=D(2025, 1, 1), end_date=D(2026, 6, 30)
    )
    HouseholdPairingFactory(household=hh, helper=new, start_date=D(2026, 7, 1))
    VisitFactory(household=hh, helper=old, visited_on=D(2026, 2, 1))
    VisitFactory(household=hh, helper=old, visited_on=D(2026, 5, 1))
    VisitFactory(household=hh, helper=new, visited_on=D(2026, 8, 1))
    VisitFactory(household=hh, helper=new, visited_on=D(2026, 11, 1))
    # The former helper after the handover: not the responsible helper that day, not counted.
    VisitFactory(household=hh, helper=old, visited_on=D(2026, 9, 1))
    # Someone never paired with the household: not counted either.
    VisitFactory(household=hh, helper=CadreFactory(), visited_on=D(2026, 10, 1))
    # The factory writes visits as data; the visit service applies the pairing rule (the engine
    # only reads the visits' credit status).
    visits_recredit(household_id=hh.id)
    results = evaluate("2026")
    r = results[("HH-VISIT-YEAR", hh.id)]
    # 2 visits by the old helper in January–June + 2 by the new one in July–December = 4.
    assert (r.value, r.met) == (4, True)
    assert r.helper_id == new.id and r.unit_id == new.unit_id  # attributed to who answers now
    paired = results[("HH-PAIRED", hh.id)]
    assert (paired.value, paired.met) == (1, True)  # only the new helper is in force on 31 Dec


# --- HH-VISIT-WEEKLY --------------------------------------------------------------------------
def test_weekly_home_visit_by_the_pairings_helper_within_the_iso_week(world, evaluate):
    # 2026-W38 runs from Monday 14 to Sunday 20 September.
    pairing_a = HouseholdPairing.objects.get(household=world.household_a)
    pairing_b = HouseholdPairing.objects.get(household=world.household_b)
    VisitFactory(household=world.household_a, helper=world.helper_a, visited_on=D(2026, 9, 20))
    VisitFactory(
        household=world.household_b,
        helper=world.helper_b,
        visited_on=D(2026, 9, 15),
        kind=VisitKind.PHONE,  # a phone call is not a home visit
    )
    VisitFactory(household=world.household_b, helper=world.helper_b, visited_on=D(2026, 9, 21))
    newcomer = HouseholdFactory(village=world.village_a)
    late = HouseholdPairingFactory(household=newcomer, start_date=D(2026, 9, 16))
    results = evaluate("2026-W38")
    a = results[("HH-VISIT-WEEKLY", pairing_a.id)]
    assert (a.value, a.met, a.helper_id, a.household_id) == (
        1,
        True,
        world.helper_a.id,
        world.household_a.id,
    )
    b = results[("HH-VISIT-WEEKLY", pairing_b.id)]
    assert (b.value, b.met, b.shortfall) == (0, False, 1)  # phone on Tue, home visit next Monday
    # Paired on Wednesday: not in force for the whole week, not judged this week.
    assert ("HH-VISIT-WEEKLY", late.id) not in results
    assert {code for code, _ in results} == {"HH-VISIT-WEEKLY"}


# --- HH-PAIRED and HH-PLAN --------------------------------------------------------------------
def test_paired_households_and_one_household_one_plan(world, evaluate):
    ended = HouseholdFactory(village=world.village_a, head_name="赵六")
    HouseholdPairingFactory(household=ended, start_date=D(2025, 1, 1), end_date=D(2026, 6, 30))
    unpaired = HouseholdFactory(village=world.village_b, head_name="钱七")
    exited = HouseholdFactory(village=world.village_b, status=PovertyStatus.EXITED)
    monitored = HouseholdFactory(village=world.village_b, status=PovertyStatus.MONITORED)
    Plan.objects.create(household=world.household_a, drawn_up_on=D(2026, 3, 1))
    Plan.objects.create(household=monitored, drawn_up_on=D(2027, 2, 1))  # after the year
    results = evaluate("2026")
    assert results[("HH-PAIRED", world.household_a.id)].value == 1
    assert (results[("HH-PAIRED", ended.id)].value, results[("HH-PAIRED", ended.id)].met) == (
        0,
        False,
    )
    assert results[("HH-PAIRED", unpaired.id)].met is False
    assert (
        results[("HH-PAIRED", exited.id)].value == 0
    )  # exited households are still on the register
    plan = results[("HH-PLAN", world.household_a.id)]
    assert (plan.value, plan.met) == (1, True)
    assert results[("HH-PLAN", world.household_b.id)].met is False
    assert results[("HH-PLAN", monitored.id)].value == 0  # drawn up after 31 December
    assert ("HH-PLAN", exited.id) not in results  # not a low-income household any more


# --- ORG-REP-VISIT ----------------------------------------------------------------------------
def test_organisation_representatives_visit_once_a_year(world, evaluate):
    pairing_a = Pairing.objects.get(village=world.village_a)
    pairing_b = PairingFactory(village=world.village_b)
    VisitFactory(
        household=None,
        village=world.village_a,
        helper=world.helper_a,
        org_pairing=pairing_a,
        kind=VisitKind.ORG_GROUP,
        visited_on=D(2026, 5, 1),
    )
    VisitFactory(
        household=None,
        village=world.village_b,
        helper=world.helper_b,
        org_pairing=pairing_b,
        kind=VisitKind.ORG_GROUP,
        visited_on=D(2026, 5, 1),
        credit_status=CreditStatus.REVIEW,
    )
    results = evaluate("2026")
    a = results[("ORG-REP-VISIT", pairing_a.id)]
    assert (a.value, a.met, a.pairing_id, a.unit_id) == (1, True, pairing_a.id, world.unit.id)
    b = results[("ORG-REP-VISIT", pairing_b.id)]
    assert (b.value, b.met) == (0, False)


# --- units ------------------------------------------------------------------------------------
@pytest.fixture
def units(world):
    """world.unit leads village A's pairing and the county's designated pairing; `behind`
    leads village B's; `participant` takes part in the designated pairing."""
    behind = UnitFactory(name="落后单位")
    PairingFactory(lead_unit=behind, village=world.village_b)
    participant = UnitFactory(name="参与单位")
    designated = PairingFactory(
        kind=PairingKind.DESIGNATED, lead_unit=world.unit, village=None, region=world.county
    )
    PairingParticipant.objects.create(
        pairing=designated, organisation=PartyOrganisationFactory(unit=participant)
    )
    return world.unit, behind, participant


def test_unit_meetings_research_night_schools_and_study_trips(world, units, evaluate):
    good, behind, participant = units
    village = world.village_a

    def meeting(unit, kind, day, level=LeaderLevel.OTHER):
        MeetingFactory(unit=unit, kind=kind, held_on=day, leader_level=level, village=village)

    meeting(good, MeetingKind.RESEARCH, D(2026, 3, 1), LeaderLevel.PRINCIPAL)
    meeting(good, MeetingKind.RESEARCH, D(2026, 10, 1), LeaderLevel.PRINCIPAL)
    meeting(behind, MeetingKind.RESEARCH, D(2026, 3, 1), LeaderLevel.PRINCIPAL)
    meeting(behind, MeetingKind.RESEARCH, D(2026, 4, 1), LeaderLevel.DEPUTY)  # not the principal
    for day in (D(2026, 1, 1), D(2026, 4, 1), D(2026, 7, 1), D(2026, 12, 31)):
        meeting(good, MeetingKind.SPECIAL, day)
    for day in (D(2026, 2, 1), D(2026, 5, 1), D(2026, 8, 1), D(2027, 1, 1)):
        meeting(behind, MeetingKind.SPECIAL, day)  # the fourth is next year's
    meeting(good, MeetingKind.JOINT, D(2026, 3, 3))
    meeting(good, MeetingKind.JOINT, D(2026, 9, 9))
    meeting(behind, MeetingKind.JOINT, D(2026, 9, 9))
    for day in (D(2026, 3, 1), D(2026, 6, 1), D(2026, 9, 1), D(2026, 12, 1)):
        TrainingFactory(unit=good, kind=TrainingKind.NIGHT_SCHOOL, held_on=day, village=village)
    for day in (D(2026, 3, 1), D(2026, 6, 1), D(2026, 9, 1)):
        TrainingFactory(unit=behind, kind=TrainingKind.NIGHT_SCHOOL, held_on=day, village=village)
    TrainingFactory(
        unit=behind, kind=TrainingKind.TWO_COMMITTEES, held_on=D(2026, 10, 1), village=village
    )
    StudyTrip.objects.create(
        unit=good, village=village, started_on=D(2026, 6, 6), destination="浙江安吉余村"
    )
    StudyTrip.objects.create(
        unit=behind, village=village, started_on=D(2025, 6, 6), destination="贵州塘约村"
    )
    results = evaluate("2026")

    def value(code, unit):
        r = results[(code, unit.id)]
        return r.value, r.met

    assert value("UNIT-LEADER-VISIT", good) == (2, True)
    assert value("UNIT-LEADER-VISIT", behind) == (1, False)
    assert value("UNIT-SPECIAL-MEETING", good) == (4, True)
    assert value("UNIT-SPECIAL-MEETING", behind) == (3, False)
    assert value("UNIT-NIGHT-SCHOOL", good) == (4, True)
    assert value("UNIT-NIGHT-SCHOOL", behind) == (3, False)  # a two-committees course is not one
    assert value("UNIT-STUDY-TRIP", good) == (1, True)
    assert value("UNIT-STUDY-TRIP", behind) == (0, False)
    # Joint meetings are asked of lead units of designated / 1+1+1+N pairings only.
    assert value("LEAD-JOINT-MEETING", good) == (2, True)
    assert ("LEAD-JOINT-MEETING", behind.id) not in results
    # A participating unit is a helping unit too.
    assert value("UNIT-NIGHT-SCHOOL", participant) == (0, False)
    # A unit's result sits where all its pairings are: village B is in township B.
    assert results[("UNIT-STUDY-TRIP", behind.id)].path == world.village_b.path
    assert results[("UNIT-STUDY-TRIP", good.id)].path == world.county.path


def test_deputy_research_each_quarter(world, units, evaluate):
    good, behind, _participant = units
    MeetingFactory(
        unit=good,
        kind=MeetingKind.RESEARCH,
        leader_level=LeaderLevel.DEPUTY,
        held_on=D(2026, 8, 10),
    )
    MeetingFactory(
        unit=behind,
        kind=MeetingKind.RESEARCH,
        leader_level=LeaderLevel.DEPUTY,
        held_on=D(2026, 10, 1),
    )
    q3 = evaluate("2026-Q3")
    assert (q3[("UNIT-DEPUTY-VISIT", good.id)].value, q3[("UNIT-DEPUTY-VISIT", good.id)].met) == (
        1,
        True,
    )
    assert q3[("UNIT-DEPUTY-VISIT", behind.id)].value == 0  # 1 October is the fourth quarter
    q4 = evaluate("2026-Q4")
    assert q4[("UNIT-DEPUTY-VISIT", behind.id)].met is True


# --- villages ---------------------------------------------------------------------------------
def test_village_income_reserve_cadres_talents_venue_and_rotation_training(world, evaluate):
    a, b = world.village_a, world.village_b
    rich = VillageFactory(township=world.township_a, name="富村", is_poor_village=False)
    VillageIncomeFactory(village=a, year=2026, amount=Decimal("20000.00"))
    VillageIncomeFactory(village=b, year=2026, amount=Decimal("19999.99"))
    VillageIncomeFactory(village=b, year=2025, amount=Decimal("50000.00"))  # another year
    for name, added, left in (
        ("甲一", D(2025, 6, 1), None),
        ("甲二", D(2026, 12, 31), None),
        ("甲三", D(2025, 6, 1), D(2026, 6, 1)),  # left in June
    ):
        ReserveCadre.objects.create(village=a, name=name, added_on=added, left_on=left)
    ReserveCadre.objects.create(village=b, name="乙一", added_on=D(2025, 6, 1))
    talent = CadreFactory(kind=CadreKind.TALENT)
    TalentAssignment.objects.create(
        cadre=talent, village=a, specialty="农业技术", start_date=D(2026, 1, 1)
    )
    TalentAssignment.objects.create(
        cadre=CadreFactory(kind=CadreKind.TALENT),
        village=b,
        specialty="畜牧兽医",
        start_date=D(2025, 1, 1),
        end_date=D(2026, 5, 31),
    )
    a.venue_area_m2 = Decimal("90")
    a.save()
    b.venue_area_m2 = Decimal("89.5")
    b.save()
    TrainingFactory(
        village=a,
        kind=TrainingKind.ROTATION,
        held_on=D(2026, 4, 1),
        attendance=5,
        village_cadres_trained=3,
    )
    TrainingFactory(
        village=b,
        kind=TrainingKind.TWO_COMMITTEES,
        held_on=D(2026, 4, 1),
        attendance=5,
        village_cadres_trained=5,
    )
    results = evaluate("2026")

    def r(code, village):
        return results[(code, village.id)]

    assert (r("VILLAGE-COLLECTIVE-INCOME", a).value, r("VILLAGE-COLLECTIVE-INCOME", a).met) == (
        20000,
        True,
    )
    income_b = r("VILLAGE-COLLECTIVE-INCOME", b)
    assert (income_b.met, income_b.shortfall) == (False, Decimal("0.01"))
    assert ("VILLAGE-COLLECTIVE-INCOME", rich.id) not in results  # not a registered poor village
    # Reserve cadres on file on 31 December: 甲一 and 甲二 (甲三 left in June) = 2; 乙一 = 1.
    assert (r("VILLAGE-RESERVE-CADRES", a).value, r("VILLAGE-RESERVE-CADRES", a).met) == (2, True)
    assert (r("VILLAGE-RESERVE-CADRES", b).value, r("VILLAGE-RESERVE-CADRES", b).shortfall) == (
        1,
        1,
    )
    assert (r("VILLAGE-TALENT", a).value, r("VILLAGE-TALENT", b).value) == (1, 0)
    assert r("VILLAGE-VENUE", a).met is True
    assert (r("VILLAGE-VENUE", b).met, r("VILLAGE-VENUE", b).shortfall) == (False, Decimal("0.5"))
    assert r("VILLAGE-VENUE", rich).met is True  # every village has a venue to judge
    assert (r("VILLAGE-CADRE-TRAINING", a).value, r("VILLAGE-CADRE-TRAINING", a).met) == (3, True)
    assert r("VILLAGE-CADRE-TRAINING", b).value == 0  # not the yearly rotation
    # Village results are attributed to the village's organisation pairing and its lead unit.
    pairing_a = Pairing.objects.get(village=a)
    assert (r("VILLAGE-VENUE", a).pairing_id, r("VILLAGE-VENUE", a).unit_id) == (
        pairing_a.id,
        world.unit.id,
    )


# --- monthly duties ---------------------------------------------------------------------------
def _days(cadre, region, *days):
    for day in days:
        FieldDay.objects.create(cadre=cadre, region=region, day=day)


def test_leaders_departments_talents_and_the_fixed_party_day_in_a_month(world, evaluate):
    a, b = world.village_a, world.village_b
    since = D(2026, 1, 1)
    leader = CadreFactory(kind=CadreKind.TOWNSHIP_LEADER, name="乡镇领导甲", unit=None)
    short = CadreFactory(kind=CadreKind.TOWNSHIP_LEADER, name="乡镇领导乙", unit=None)
    cover_a = Coverage.objects.create(
        level=Coverage.Level.TOWNSHIP_LEADER, cadre=leader, region=a.region, start_date=since
    )
    cover_b = Coverage.objects.create(
        level=Coverage.Level.TOWNSHIP_LEADER, cadre=short, region=b.region, start_date=since
    )
    late = Coverage.objects.create(
        level=Coverage.Level.TOWNSHIP_LEADER,
        cadre=short,
        region=a.region,
        start_date=D(2026, 9, 10),
    )
    _days(leader, a.region, *(D(2026, 9, d) for d in (1, 2, 3, 8, 9, 10, 29, 30)))  # 8 days
    _days(leader, a.region, D(2026, 8, 31), D(2026, 10, 1))  # outside September
    _days(short, b.region, *(D(2026, 9, d) for d in (1, 2, 3, 4, 5, 6, 7)))  # 7 days
    _days(short, a.region, D(2026, 9, 20), D(2026, 9, 21))  # in another village
    county_leader = CadreFactory(kind=CadreKind.COUNTY_LEADER, unit=None)
    cover_t = Coverage.objects.create(
        level=Coverage.Level.COUNTY_LEADER,
        cadre=county_leader,
        region=world.township_a,
        start_date=since,
    )
    # 3 days at the township and 1 in one of its villages = 4 days in the township.
    _days(county_leader, world.township_a, D(2026, 9, 1), D(2026, 9, 2), D(2026, 9, 3))
    _days(county_leader, a.region, D(2026, 9, 30))
    _days(county_leader, world.township_b, D(2026, 9, 15))
    dept = UnitFactory(name="县农业农村局", kind="department")
    other_dept = UnitFactory(name="县水利局", kind="department")
    dept_cover_a = Coverage.objects.create(
        level=Coverage.Level.DEPARTMENT, unit=dept, region=a.region, start_date=since
    )
    dept_cover_b = Coverage.objects.create(
        level=Coverage.Level.DEPARTMENT, unit=dept, region=b.region, start_date=since
    )
    worker = CadreFactory(kind=CadreKind.DEPARTMENT, unit=dept)
    VisitFactory(
        household=None,
        village=a,
        helper=worker,
        kind=VisitKind.VILLAGE_WORK,
        visited_on=D(2026, 9, 30),
    )
    VisitFactory(
        household=None,
        village=b,
        helper=CadreFactory(kind=CadreKind.DEPARTMENT, unit=other_dept),  # not the covering one
        kind=VisitKind.VILLAGE_WORK,
        visited_on=D(2026, 9, 12),
    )
    talent = CadreFactory(kind=CadreKind.TALENT, unit=dept)
    assignment = TalentAssignment.objects.create(
        cadre=talent, village=a, specialty="农业技术", start_date=since
    )
    _days(talent, a.region, D(2026, 9, 1), D(2026, 9, 30))
    # The first Friday of September 2026 is the 4th.
    PartyDay.objects.create(village=a, held_on=D(2026, 9, 4), theme="主题党日")
    PartyDay.objects.create(village=b, held_on=D(2026, 9, 5), theme="主题党日")  # a Saturday

    results = evaluate("2026-09")

    def r(code, subject_id):
        res = results[(code, subject_id)]
        return res.value, res.met

    assert r("TOWNSHIP-LEADER-DAYS", cover_a.id) == (8, True)
    assert r("TOWNSHIP-LEADER-DAYS", cover_b.id) == (7, False)
    assert ("TOWNSHIP-LEADER-DAYS", late.id) not in results  # covering since 10 September only
    assert results[("TOWNSHIP-LEADER-DAYS", cover_a.id)].helper_id == leader.id
    assert r("COUNTY-LEADER-DAYS", cover_t.id) == (4, True)
    assert r("DEPT-MONTHLY-VISIT", dept_cover_a.id) == (1, True)
    assert r("DEPT-MONTHLY-VISIT", dept_cover_b.id) == (0, False)
    assert results[("DEPT-MONTHLY-VISIT", dept_cover_a.id)].unit_id == dept.id
    assert r("TALENT-DAYS", assignment.id) == (2, True)
    assert r("PARTY-DAY", a.id) == (1, True)
    assert r("PARTY-DAY", b.id) == (0, False)


def test_party_day_is_not_judged_before_the_months_first_friday(world, evaluate):
    # On Thursday 3 September 2026 the month's fixed Party day (Friday 4th) is still to come.
    results = evaluate("2026-09", today=D(2026, 9, 3))
    assert not [key for key in results if key[0] == "PARTY-DAY"]


# --- first secretaries' funds -----------------------------------------------------------------
def test_first_secretary_working_funds_for_the_year(world, evaluate):
    full = TermFactory(village=world.village_a, start_date=D(2025, 1, 1), end_date=D(2027, 1, 1))
    short = TermFactory(village=world.village_b, start_date=D(2025, 1, 1), end_date=D(2027, 1, 1))
    recalled = TermFactory(
        village=world.village_b,
        start_date=D(2025, 1, 1),
        end_date=D(2027, 1, 1),
        recalled_on=D(2025, 6, 1),
    )
    WorkingFund.objects.create(cadre=full.cadre, year=2026, amount=Decimal("6000"))
    WorkingFund.objects.create(cadre=full.cadre, year=2026, amount=Decimal("4000"))
    WorkingFund.objects.create(cadre=short.cadre, year=2026, amount=Decimal("9999"))
    WorkingFund.objects.create(cadre=short.cadre, year=2025, amount=Decimal("20000"))
    results = evaluate("2026")
    f = results[("SECRETARY-FUNDS", full.cadre_id)]
    assert (f.value, f.met, f.helper_id, f.village_id) == (
        10000,
        True,
        full.cadre_id,
        world.village_a.id,
    )
    s = results[("SECRETARY-FUNDS", short.cadre_id)]
    assert (s.value, s.met, s.shortfall) == (9999, False, 1)
    assert ("SECRETARY-FUNDS", recalled.cadre_id) not in results  # recalled the year before
    assert Cadre.objects.filter(pk=recalled.cadre_id).exists()


# --- spot checks ------------------------------------------------------------------------------
def test_spot_check_share_of_villages_in_the_quarters_live_draw(world, evaluate):
    draw = SpotCheckDraw.objects.create(region=world.county, quarter="2026Q3", seed=1)
    SpotCheckItem.objects.create(draw=draw, village=world.village_a, township=world.township_a)
    SpotCheckItem.objects.create(
        draw=draw, village=world.village_a, household=world.household_a, township=world.township_a
    )
    voided = SpotCheckDraw.objects.create(
        region=world.township_b, quarter="2026Q3", seed=2, voided=True
    )
    SpotCheckItem.objects.create(draw=voided, village=world.village_b, township=world.township_b)
    results = evaluate("2026-Q3")
    # The county has 2 villages and 1 of them is in the live draw: 50 %, the threshold.
    county = results[("SPOT-CHECK-RATE", world.county.id)]
    assert (county.value, county.threshold, county.met) == (50, 50, True)
    assert ("SPOT-CHECK-RATE", world.township_b.id) not in results  # its only draw was voided
    other_quarter = evaluate("2026-Q4")[("SPOT-CHECK-RATE", world.county.id)]
    assert (other_quarter.value, other_quarter.met) == (0, False)
