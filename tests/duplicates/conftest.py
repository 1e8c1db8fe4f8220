"""Duplicate households on top of the shared world (county 测试县: 甲镇 甲村 张三, 乙镇 乙村 李四;
a reviewer of the county), plus a household in another county, outside everyone's scope here."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from households.models import Member
from tests.factories import (
    HouseholdFactory,
    VillageFactory,
    make_county,
    make_id_number,
    make_township,
)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Dups:
    person: str  # the ID number registered in two households
    a: object  # 张三's household (甲村): the person is its member 张小明
    b: object  # the person is the head of this household (乙村, 王小明)
    far: object  # a household in another county (外县 丙镇 丙村)


@pytest.fixture
def dups(world) -> Dups:
    person = make_id_number("510821", 1990)
    # The factory gives every household one phone: here each has its own unless a test says.
    world.household_a.phone, world.household_b.phone = "13600000001", "13600000002"
    world.household_a.save()
    world.household_b.save()
    b = HouseholdFactory(
        village=world.village_b, head_name="王小明", head_id_number=person, phone="13700000001"
    )
    Member.objects.create(household=b, name="王小明", relation=Member.Relation.HEAD)
    Member.objects.create(
        household=world.household_a, name="张小明", relation=Member.Relation.CHILD, id_number=person
    )
    far_village = VillageFactory(township=make_township(make_county("外县"), "丙镇"), name="丙村")
    far = HouseholdFactory(village=far_village, head_name="赵六", phone="13700000009")
    return Dups(person=person, a=world.household_a, b=b, far=far)
