"""The threshold services: who may set and clear (the county Party-work department, inside its
scope), the value rules that follow the indicator's unit and comparison, the deepest region
winning as Thresholds reads it, and the trail every change leaves (security log, history)."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from accounts.models import SecurityEvent
from assessments.models import Indicator, IndicatorOverride
from assessments.selectors import Thresholds
from assessments.services import (
    threshold_clear,
    threshold_problems,
    threshold_record,
    threshold_set,
    threshold_update,
)

pytestmark = pytest.mark.django_db


def indicator(code="HH-VISIT-YEAR") -> Indicator:
    return Indicator.objects.get(code=code)


def events():
    return SecurityEvent.objects.filter(kind=SecurityEvent.Kind.THRESHOLD_CHANGE).order_by("pk")


# --- who -------------------------------------------------------------------------------------
class TestWho:
    def test_the_county_reviewer_sets_a_township_threshold(self, world):
        override = threshold_set(
            user=world.reviewer,
            indicator=indicator(),
            region=world.township_a,
            threshold=Decimal("6"),
            note="县委组织部文件",
        )
        assert (override.region, override.threshold, override.note) == (
            world.township_a,
            Decimal("6.00"),
            "县委组织部文件",
        )

    @pytest.mark.parametrize("role", ["staff_a", "cadre_user", "coordinator"])
    def test_other_roles_are_refused_and_nothing_changes(self, world, role):
        with pytest.raises(PermissionDenied):
            threshold_set(
                user=getattr(world, role),
                indicator=indicator(),
                region=world.township_a,
                threshold=6,
            )
        assert not IndicatorOverride.objects.exists()
        assert not events().exists()

    def test_a_region_outside_the_scope_is_404_and_nothing_changes(self, world):
        with pytest.raises(Http404):
            threshold_set(
                user=world.other_reviewer,
                indicator=indicator(),
                region=world.township_a,
                threshold=6,
            )
        # Nor above one's own region: the county's reviewer cannot set the prefecture's.
        with pytest.raises(Http404):
            threshold_set(
                user=world.reviewer,
                indicator=indicator(),
                region=world.county.parent,
                threshold=6,
            )
        # A township's reviewer keeps their township, not the county.
        with pytest.raises(Http404):
            threshold_set(
                user=world.reviewer_a, indicator=indicator(), region=world.county, threshold=6
            )
        assert not IndicatorOverride.objects.exists()
        assert not events().exists()

    def test_clearing_outside_the_scope_is_404_and_keeps_the_override(self, world):
        override = threshold_set(
            user=world.reviewer, indicator=indicator(), region=world.township_a, threshold=6
        )
        with pytest.raises(Http404):
            threshold_clear(user=world.other_reviewer, override=override)
        with pytest.raises(PermissionDenied):
            threshold_clear(user=world.staff_a, override=override)
        assert IndicatorOverride.objects.filter(pk=override.pk).exists()

    def test_the_administrator_sets_any_region(self, world):
        threshold_set(
            user=world.admin, indicator=indicator(), region=world.county.parent, threshold=5
        )
        assert Thresholds().get("HH-VISIT-YEAR", world.village_b.region.path) == Decimal("5")


# --- the value rules -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("HH-VISIT-YEAR", "-1", "达标值不能为负数。"),
        ("HH-VISIT-YEAR", "2.5", "该指标按整数计（次），达标值应为整数。"),
        ("HH-VISIT-YEAR", "0", "“不少于 0”等于没有要求（所有对象都达标），达标值应大于 0。"),
        ("VILLAGE-RESERVE-CADRES", "1.5", "该指标按整数计（人），达标值应为整数。"),
        ("SPOT-CHECK-RATE", "101", "百分比不能超过 100。"),
        ("TOWNSHIP-LEADER-DAYS", "32", "一个月最多 31 天，达标值不能超过 31。"),
        ("VILLAGE-COLLECTIVE-INCOME", "10000.005", "达标值最多保留两位小数。"),
        ("VILLAGE-COLLECTIVE-INCOME", "1000000000000", "达标值过大。"),
        ("HH-VISIT-YEAR", None, "请填写达标值。"),
        ("HH-VISIT-YEAR", "四次", "达标值应为数字。"),
    ],
)
def test_a_bad_value_is_refused_with_its_reason(world, code, value, message):
    with pytest.raises(ValidationError) as caught:
        threshold_set(
            user=world.reviewer, indicator=indicator(code), region=world.county, threshold=value
        )
    assert message in caught.value.message_dict["threshold"]
    assert not IndicatorOverride.objects.exists()


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("HH-VISIT-YEAR", "12"),
        ("SPOT-CHECK-RATE", "100"),
        ("SPOT-CHECK-RATE", "62.5"),
        ("TOWNSHIP-LEADER-DAYS", "31"),
        ("VILLAGE-COLLECTIVE-INCOME", "15000.50"),
        ("VILLAGE-VENUE", "80.5"),
        ("VILLAGE-RESERVE-CADRES", "3"),
    ],
)
def test_a_fitting_value_is_kept(world, code, value):
    threshold_set(
        user=world.reviewer, indicator=indicator(code), region=world.county, threshold=value
    )
    assert Thresholds().get(code, world.village_a.region.path) == Decimal(value)


def test_at_most_zero_is_a_requirement_where_the_comparison_is_at_most(world):
    item = indicator("SPOT-CHECK-RATE")
    item.comparison = "lte"
    assert threshold_problems(item, Decimal("0")) == []
    item.comparison = "gte"
    assert threshold_problems(item, Decimal("0")) != []


# --- the deepest region wins -----------------------------------------------------------------
def test_the_deepest_override_wins_and_clearing_falls_back(world):
    code = "HH-VISIT-YEAR"
    county = threshold_set(
        user=world.reviewer, indicator=indicator(), region=world.county, threshold=5
    )
    township = threshold_set(
        user=world.reviewer, indicator=indicator(), region=world.township_a, threshold=8
    )
    paths = world.village_a.region.path, world.village_b.region.path
    assert [Thresholds().get(code, p) for p in paths] == [Decimal("8"), Decimal("5")]
    threshold_clear(user=world.reviewer, override=township)
    assert [Thresholds().get(code, p) for p in paths] == [Decimal("5"), Decimal("5")]
    threshold_clear(user=world.reviewer, override=county)
    assert [Thresholds().get(code, p) for p in paths] == [Decimal("4"), Decimal("4")]


def test_setting_again_changes_the_regions_one_override(world):
    first = threshold_set(
        user=world.reviewer, indicator=indicator(), region=world.county, threshold=5
    )
    again = threshold_set(
        user=world.reviewer, indicator=indicator(), region=world.county, threshold=7
    )
    assert again.pk == first.pk and IndicatorOverride.objects.count() == 1
    assert Thresholds().get("HH-VISIT-YEAR", world.county.path) == Decimal("7")


def test_record_refuses_a_second_override_of_the_same_region(world):
    threshold_record(user=world.reviewer, indicator=indicator(), region=world.county, threshold=5)
    with pytest.raises(ValidationError) as caught:
        threshold_record(
            user=world.reviewer, indicator=indicator(), region=world.county, threshold=6
        )
    assert (
        "测试县已设置“贫困户全年走访次数”的阈值（5），请修改该设置。"
        in (caught.value.message_dict["region"])
    )
    assert IndicatorOverride.objects.get().threshold == Decimal("5")


def test_update_changes_the_value_and_note_only(world):
    override = threshold_set(
        user=world.reviewer, indicator=indicator(), region=world.county, threshold=5
    )
    threshold_update(user=world.reviewer, override=override, threshold=Decimal("6"), note="新文件")
    override.refresh_from_db()
    assert (override.threshold, override.note) == (Decimal("6.00"), "新文件")
    with pytest.raises(ValidationError) as caught:
        threshold_update(user=world.reviewer, override=override, region=world.township_a)
    assert "region" in caught.value.message_dict
    with pytest.raises(ValidationError):
        threshold_update(user=world.reviewer, override=override, threshold=Decimal("-2"))
    override.refresh_from_db()
    assert (override.region, override.threshold) == (world.county, Decimal("6.00"))


# --- the trail -------------------------------------------------------------------------------
def test_every_set_and_clear_is_in_the_security_log_with_who_where_what_old_and_new(world):
    override = threshold_set(
        user=world.reviewer, indicator=indicator(), region=world.township_a, threshold=5
    )
    threshold_set(user=world.reviewer, indicator=indicator(), region=world.township_a, threshold=6)
    threshold_clear(user=world.reviewer, override=override)
    rows = list(events())
    assert [r.detail["action"] for r in rows] == ["created", "changed", "deleted"]
    for row in rows:
        assert row.user == world.reviewer  # named although no request was being served
        assert row.region_code == world.township_a.code
        assert row.detail["indicator"] == "HH-VISIT-YEAR"
    assert rows[0].detail["changes"]["threshold"] == [None, "5.00"]
    assert rows[1].detail["changes"] == {"threshold": ["5.00", "6.00"]}
    assert rows[2].detail["threshold"] == "6.00"


def test_setting_the_same_value_again_writes_nothing(world):
    threshold_set(user=world.reviewer, indicator=indicator(), region=world.county, threshold=5)
    before = events().count(), LogEntry.objects.count()
    threshold_set(user=world.reviewer, indicator=indicator(), region=world.county, threshold="5.00")
    assert (events().count(), LogEntry.objects.count()) == before


def test_every_change_is_in_the_overrides_history_with_its_actor(world):
    override = threshold_set(
        user=world.reviewer, indicator=indicator(), region=world.county, threshold=5
    )
    threshold_set(user=world.admin, indicator=indicator(), region=world.county, threshold=6)
    threshold_clear(user=world.reviewer, override=override)
    entries = list(
        LogEntry.objects.get_for_model(IndicatorOverride)
        .filter(object_id=override.pk)
        .order_by("pk")
    )
    assert [e.action for e in entries] == [0, 1, 2]
    assert [e.actor for e in entries] == [world.reviewer, world.admin, world.reviewer]
    assert entries[1].changes["threshold"] == ["5.00", "6.00"]
    # The cleared override's entries still name its indicator and region.
    assert entries[2].serialized_data["fields"]["region"] == world.county.pk
    assert entries[2].serialized_data["fields"]["indicator"] == indicator().pk
