"""One rule, one place: every reader of "counted visits" and of the yearly visit target gives
the engine's figure on hand-computed households (issue "One rule, one place").

The household 张三 in 甲村, in the year 2026 (today frozen at 2026-12-31, so the pace for 4 a
year is 4):
- helper 甲 paired 2026-01-01 … 2026-06-30; helper 乙 takes over from 2026-07-01, but the
  handover is entered late (after 乙's first visit was logged);
- 甲 visits on 03-10 (counts) and on 07-01, the day after 甲's pairing ended (does not);
- 乙 visits on 07-01, the day 乙's pairing starts (counts once the handover is entered);
- 丙, never paired with the household, visits on 08-01 (does not count);
- 乙's visit of 09-15 is held for review (located far from the village), then accepted.
Counted: 3. Every reader below must say 3.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Role
from assessments import engine
from assessments.models import Indicator, IndicatorOverride
from assessments.periods import parse_period
from assessments.selectors import lagging_results
from assessments.services import period_evaluate
from home.filters import HouseholdFilter
from home.selectors import behind_pace, household_detail, households_decorate, village_detail
from households.models import CreditStatus, HouseholdPairing, PairingRule, Visit
from households.services import (
    household_pairing_record,
    household_pairing_update,
    visit_record,
    visit_review,
)
from ledgers.periods import parse_period as ledger_period
from ledgers.services import ledger_exporter
from notifications.services import reminders_collect
from tests.factories import CadreFactory, HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 31)
EXPECTED = 3


@pytest.fixture
def case(world):
    with time_machine.travel(datetime.datetime(2026, 12, 31, 10, tzinfo=datetime.UTC), tick=False):
        village = world.village_a
        village.latitude, village.longitude = Decimal("32.2"), Decimal("106.3")
        village.save()
        household = HouseholdFactory(village=village, head_name="张三丰")
        helper_1 = CadreFactory(name="帮扶人一", unit=world.unit, home_region=village.region)
        helper_2 = CadreFactory(name="帮扶人二", unit=world.unit, home_region=village.region)
        stranger = CadreFactory(name="未结对人", unit=world.unit, home_region=village.region)
        UserFactory(username="helper2", role=Role.CADRE, cadre=helper_2)
        staff = world.staff_a
        first = household_pairing_record(
            user=staff, household=household, helper=helper_1, start_date=datetime.date(2026, 1, 1)
        )
        household_pairing_update(user=staff, pairing=first, end_date=datetime.date(2026, 6, 30))

        def visit(helper, day, **extra):
            return visit_record(
                user=staff,
                household=household,
                helper=helper,
                visited_on=day,
                learned="了解生产生活情况",
                **extra,
            )

        counted_march = visit(helper_1, datetime.date(2026, 3, 10))
        after_end = visit(helper_1, datetime.date(2026, 7, 1))
        handover_day = visit(helper_2, datetime.date(2026, 7, 1))
        assert handover_day.credit_status == CreditStatus.NOT_COUNTED  # not paired yet
        assert handover_day.pairing_rule == PairingRule.NOT_PAIRED
        household_pairing_record(
            user=staff, household=household, helper=helper_2, start_date=datetime.date(2026, 7, 1)
        )
        never_paired = visit(stranger, datetime.date(2026, 8, 1))
        held = visit(
            helper_2,
            datetime.date(2026, 9, 15),
            latitude=Decimal("33.2"),
            longitude=Decimal("106.3"),
        )
        assert held.credit_status == CreditStatus.REVIEW
        visit_review(user=world.reviewer, visit=held, accept=True)
        yield {
            "world": world,
            "household": household,
            "visits": {
                "counted_march": counted_march,
                "after_end": after_end,
                "handover_day": handover_day,
                "never_paired": never_paired,
                "held": held,
            },
        }


def _engine_value(household) -> Decimal:
    indicator = Indicator.objects.get(code="HH-VISIT-YEAR")
    results, _problems = engine.evaluate(
        period=parse_period("2026"), today=TODAY, indicators=[indicator]
    )
    return next(r.row.value for r in results if r.row.household_id == household.pk)


def test_the_service_decides_each_visit_once(case):
    visits = {name: Visit.objects.get(pk=v.pk) for name, v in case["visits"].items()}
    assert visits["counted_march"].credit_status == CreditStatus.CREDITED
    assert visits["after_end"].credit_status == CreditStatus.NOT_COUNTED
    assert visits["after_end"].pairing_rule == PairingRule.AFTER_END
    assert "2026-06-30" in visits["after_end"].credit_reason
    # Re-credited by the late handover, in the pairing service's transaction.
    assert visits["handover_day"].credit_status == CreditStatus.CREDITED
    assert visits["handover_day"].household_pairing.helper.name == "帮扶人二"
    assert visits["never_paired"].pairing_rule == PairingRule.NOT_PAIRED
    assert visits["held"].credit_status == CreditStatus.CREDITED
    assert Visit.objects.filter(household=case["household"]).counted().count() == EXPECTED


def _household_page(case):
    page = household_detail(user=case["world"].reviewer, pk=case["household"].pk)
    line = next(i for i in page.indicators if i.code == "HH-VISIT-YEAR")
    return int(line.value.split("/")[0])


def _household_list(case):
    (row,) = households_decorate([case["household"]], today=TODAY)
    return row.visits_this_year


def _behind_pace(case):
    rows, pace = behind_pace(user=case["world"].reviewer, today=TODAY)
    assert pace.required == 4
    row = rows.get(pk=case["household"].pk)  # 3 < 4: behind
    return row.visits_counted


def _reminder(case):
    reminders = reminders_collect(on=TODAY, kinds=["yearly_pace"])
    mine = [r for r in reminders if r.subject_key == f"household:{case['household'].pk}"]
    assert mine, "the household is behind the pace and its helper is reminded"
    return int(mine[0].title.rsplit("已走访 ", 1)[1].split(" 次")[0])


def _api(case, client):
    client.force_login(case["world"].reviewer)
    response = client.get(f"/api/v1/households/{case['household'].pk}/")
    assert response.status_code == 200
    return response.json()["visits_this_year"]


def _pairing_ledger(case):
    world = case["world"]
    exporter = ledger_exporter(
        user=world.reviewer, kind="pairing", region=world.county, period=ledger_period("2026")
    )
    titles = [str(column.title) for column in exporter.sheets()[0].columns]
    visits = next(i for i, title in enumerate(titles) if "走访次数" in title)
    for row in exporter.rows():
        if case["household"].head_name in [str(cell) for cell in row]:
            return int(row[visits])
    raise AssertionError("household not in the pairing ledger")


def _village_page(case):
    page = village_detail(user=case["world"].reviewer, pk=case["household"].village_id)
    row = next(h for h in page.households if h.pk == case["household"].pk)
    return row.visits_this_year


READERS = {
    "household page": _household_page,
    "household list": _household_list,
    "behind-pace list": _behind_pace,
    "reminder": _reminder,
    "pairing ledger": _pairing_ledger,
    "village page": _village_page,
}


@pytest.mark.parametrize("reader", list(READERS))
def test_every_reader_agrees_with_the_engine(case, reader):
    with time_machine.travel(datetime.datetime(2026, 12, 31, 10, tzinfo=datetime.UTC), tick=False):
        assert _engine_value(case["household"]) == EXPECTED
        assert READERS[reader](case) == EXPECTED


def test_the_api_agrees_with_the_engine(case, client):
    with time_machine.travel(datetime.datetime(2026, 12, 31, 10, tzinfo=datetime.UTC), tick=False):
        assert _api(case, client) == EXPECTED == _engine_value(case["household"])


def test_the_pace_filter_uses_the_same_count(case):
    with time_machine.travel(datetime.datetime(2026, 12, 31, 10, tzinfo=datetime.UTC), tick=False):
        qs = HouseholdFilter({"overdue": "pace"}, queryset=type(case["household"]).objects.all()).qs
        assert case["household"] in qs  # 3 counted < pace 4


def test_ending_a_pairing_early_takes_its_visits_out_in_the_same_transaction(case):
    with time_machine.travel(datetime.datetime(2026, 12, 31, 10, tzinfo=datetime.UTC), tick=False):
        second = HouseholdPairing.objects.get(household=case["household"], helper__name="帮扶人二")
        household_pairing_update(
            user=case["world"].staff_a, pairing=second, end_date=datetime.date(2026, 9, 1)
        )
        held = Visit.objects.get(pk=case["visits"]["held"].pk)
        assert held.credit_status == CreditStatus.NOT_COUNTED
        assert held.pairing_rule == PairingRule.AFTER_END
        assert _engine_value(case["household"]) == EXPECTED - 1 == _household_list(case)


class TestRegionOverride:
    """A county's override of the yearly visit target to 6 moves the household page, the
    reminders and the dashboard's results alike."""

    @pytest.fixture
    def override(self, case):
        indicator = Indicator.objects.get(code="HH-VISIT-YEAR")
        return IndicatorOverride.objects.create(
            indicator=indicator, region=case["world"].county, threshold=Decimal("6")
        )

    def test_household_page(self, case, override):
        with time_machine.travel(
            datetime.datetime(2026, 12, 31, 10, tzinfo=datetime.UTC), tick=False
        ):
            page = household_detail(user=case["world"].reviewer, pk=case["household"].pk)
            line = next(i for i in page.indicators if i.code == "HH-VISIT-YEAR")
            assert line.value == "3 / 6 次"
            assert "按进度至今应不少于 6 次" in line.note

    def test_reminder(self, case, override):
        reminders = reminders_collect(on=TODAY, kinds=["yearly_pace"])
        mine = [r for r in reminders if r.subject_key == f"household:{case['household'].pk}"]
        assert mine and "每年走访贫困户 6 遍以上" in mine[0].body
        assert "应走访 6 次" in mine[0].body

    def test_engine_results(self, case, override):
        indicator = Indicator.objects.get(code="HH-VISIT-YEAR")
        results, _ = engine.evaluate(
            period=parse_period("2026"), today=TODAY, indicators=[indicator]
        )
        mine = next(r for r in results if r.row.household_id == case["household"].pk)
        assert mine.threshold == Decimal("6") and not mine.met

    def test_dashboard(self, case, override):
        """The dashboard reads stored results: its lagging list shows the override's target."""
        world = case["world"]
        period_evaluate(period=parse_period("2026"), region=world.county, today=TODAY)
        indicator = Indicator.objects.get(code="HH-VISIT-YEAR")
        lagging = lagging_results(
            user=world.reviewer,
            period=parse_period("2026"),
            indicator=indicator,
            region=world.county,
        )
        mine = lagging.get(household=case["household"])
        assert (mine.value, mine.threshold, mine.shortfall) == (3, 6, 3)

    def test_behind_pace_list(self, case, override):
        rows, pace = behind_pace(user=case["world"].reviewer, today=TODAY)
        assert pace.target == Decimal("6") and pace.required == 6
        assert rows.get(pk=case["household"].pk).pace_required == 6

    def test_a_household_outside_the_county_keeps_the_catalogue_target(self, case, override):
        from tests.factories import VillageFactory, make_county, make_township

        other = VillageFactory(township=make_township(make_county("别县"), "别镇"))
        household = HouseholdFactory(village=other)
        page = household_detail(user=case["world"].admin, pk=household.pk)
        line = next(i for i in page.indicators if i.code == "HH-VISIT-YEAR")
        assert line.value.endswith("/ 4 次")
