"""The kept records of the households app on top of the shared world: township A (staff_a,
household 张三 paired with 帮扶人甲 of the unit the coordinator keeps, the unit paired with 甲村)
and township B (staff_b, household 李四 paired with 帮扶人乙 of another unit)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from households.models import IncomeRecord, Member
from tests.factories import CadreFactory, MeasureFactory, PlanFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@dataclass
class Kept:
    successor: object  # a helper of the same unit, visible in township A
    other_unit_helper: object  # a helper of another unit, visible in township A
    member_a: object
    income_a: object
    plan_a: object
    measure_a: object
    member_b: object
    income_b: object
    plan_b: object
    measure_b: object


@pytest.fixture
def kept(world) -> Kept:
    successor = CadreFactory(name="接替人丙", unit=world.unit, home_region=world.village_a.region)
    other = CadreFactory(name="外单位丁", home_region=world.village_a.region)
    plan_a = PlanFactory(household=world.household_a, drawn_up_on=datetime.date(2026, 3, 1))
    plan_b = PlanFactory(household=world.household_b, drawn_up_on=datetime.date(2026, 3, 1))
    return Kept(
        successor=successor,
        other_unit_helper=other,
        member_a=Member.objects.create(
            household=world.household_a, name="张小三", relation=Member.Relation.CHILD
        ),
        income_a=IncomeRecord.objects.create(
            household=world.household_a, year=2025, per_capita_net_income=5200
        ),
        plan_a=plan_a,
        measure_a=MeasureFactory(
            plan=plan_a, content="发展养殖", deadline=datetime.date(2026, 9, 30)
        ),
        member_b=Member.objects.create(
            household=world.household_b, name="李小四", relation=Member.Relation.CHILD
        ),
        income_b=IncomeRecord.objects.create(
            household=world.household_b, year=2025, per_capita_net_income=4800
        ),
        plan_b=plan_b,
        measure_b=MeasureFactory(
            plan=plan_b, content="技能培训", deadline=datetime.date(2026, 9, 30)
        ),
    )
