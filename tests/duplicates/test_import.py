"""The roster import (名册导入) asks the same duplicate rules: a head whose ID number is a member
of another household is refused (nothing imported, the other household named in scope terms);
the same head name and birth date in another village, or the same phone, is listed as a warning
with the row's change, seen before 确认导入."""

from __future__ import annotations

import io

import pytest
from stdnum.cn import ric

from households.models import Household, Member
from ledgers.importers import COLUMNS, import_roster
from tests.factories import make_id_number
from tests.ledgers.conftest import roster_file

pytestmark = pytest.mark.django_db


def row(world, number, name="钱七", phone="13500000000", village=None):
    values = {
        "村区划代码": (village or world.village_b).region.code,
        "户主姓名": name,
        "户主身份证号": number,
        "家庭人口数": 3,
        "联系电话": phone,
        "致贫原因": "因病",
        "帮扶类型": "产业帮扶",
        "重点困难户": "否",
        "年人均纯收入（元）": 5000,
        "脱贫年度": None,
    }
    return [values[name] for name in COLUMNS]


def run(rows, user, dry_run=False):
    data = roster_file(rows)
    return import_roster(
        io.BytesIO(data), size=len(data), user=user, income_year=2026, dry_run=dry_run
    )


def test_a_head_registered_as_a_member_elsewhere_is_refused(world, dups):
    number = make_id_number("510821", 1988)
    Member.objects.create(household=dups.a, name="张二", relation="child", id_number=number)
    check = run(
        [row(world, number), row(world, make_id_number("510821", 1966), name="孙八")], world.staff_b
    )
    assert not check.ok
    assert [e.column for e in check.errors] == ["户主身份证号"]
    assert "已在测试县的其他地方登记" in check.errors[0].message
    assert not Household.objects.filter(head_name__in=["钱七", "孙八"]).exists()


def test_same_name_birth_and_phone_are_warnings_listed_with_the_change(world, dups):
    body = dups.a.head_id_number[:14] + "996"
    twin = body + ric.calc_check_digit(body + "0")
    check = run([row(world, twin, name="张三", phone=dups.a.phone)], world.reviewer, dry_run=True)
    assert check.ok and check.created == 1
    warnings = check.changes[0]["warnings"]
    assert warnings == [
        "户主姓名和出生日期与甲镇甲村 张三户相同，请核实是否重复登记。",
        "联系电话与甲镇甲村 张三户的户主相同，请核实是否重复登记。",
    ]
    assert check.warnings == 2
    # confirmed (the import proper): written
    check = run([row(world, twin, name="张三", phone=dups.a.phone)], world.reviewer)
    assert Household.objects.filter(head_id_number=twin).exists()


def test_reimporting_a_household_does_not_warn_about_itself(world, dups):
    first = run(
        [row(world, dups.b.head_id_number, name="王小明", phone=dups.b.phone)],
        world.reviewer,
        dry_run=True,
    )
    # B's head is the person registered in A too: the import refuses to confirm that either
    assert not first.ok
    number = make_id_number("510821", 1977)
    run([row(world, number, phone="13511111111")], world.reviewer)
    again = run(
        [row(world, number, phone="13511111111", name="钱七")], world.reviewer, dry_run=True
    )
    assert again.ok and again.warnings == 0
