"""The three duplicate rules (households/duplicates.py), found on the reviewer's list and
refused or warned about at entry, with the other household named in scope terms."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from core.idcard import mask_id_number
from households import duplicates
from households.models import Household, Member
from households.services import household_record, household_update, member_record, member_update
from tests.factories import HouseholdFactory, make_id_number

pytestmark = pytest.mark.django_db


def pairs(user, kind):
    return {(f.first, f.second) for f in duplicates.findings(user, [kind])}


def fields(village, **extra):
    return {
        "village": village,
        "head_name": "钱七",
        "head_id_number": make_id_number("510821", 1970),
        "size": 3,
        "cause": "illness",
        "track": "industry",
        **extra,
    }


class TestFindings:
    def test_an_id_number_among_the_members_of_two_households(self, world, dups):
        found = duplicates.findings(world.reviewer, [duplicates.ID_NUMBER])
        assert [(f.first, f.second) for f in found] == [tuple(sorted([dups.a.pk, dups.b.pk]))]
        assert found[0].key == mask_id_number(dups.person)

    def test_two_members_not_heads_are_found_too(self, world, dups):
        number = make_id_number("510821", 1960)
        c = HouseholdFactory(village=world.village_a, head_name="孙八", phone="")
        Member.objects.create(household=c, name="孙老", relation="parent", id_number=number)
        Member.objects.create(household=dups.b, name="孙老", relation="other", id_number=number)
        assert tuple(sorted([c.pk, dups.b.pk])) in pairs(world.reviewer, duplicates.ID_NUMBER)

    def test_the_head_as_a_member_of_their_own_household_is_no_duplicate(self, world, dups):
        Member.objects.filter(household=dups.b, relation="head").update(id_number=dups.person)
        Member.objects.filter(household=dups.a, id_number=dups.person).delete()
        assert pairs(world.reviewer, duplicates.ID_NUMBER) == set()

    def test_same_head_name_and_birth_date_in_two_villages(self, world, dups):
        from stdnum.cn import ric

        from households.models import Household, Member

        number = dups.a.head_id_number
        # Two other people born the same day in the same county: sequence numbers nobody has.
        taken = set(Household.objects.values_list("head_id_number", flat=True)) | set(
            Member.objects.values_list("id_number", flat=True)
        )
        bodies = (number[:14] + f"{seq:03d}" for seq in range(999, 0, -1))
        free = (b + ric.calc_check_digit(b + "0") for b in bodies)
        twin, same = _two_free(free, taken)
        other = HouseholdFactory(
            village=world.village_b, head_name="张三", head_id_number=twin, phone=""
        )
        same_village = HouseholdFactory(
            village=world.village_a, head_name="张三", head_id_number=same, phone=""
        )
        found = pairs(world.reviewer, duplicates.NAME_BIRTH)
        assert tuple(sorted([dups.a.pk, other.pk])) in found
        assert tuple(sorted([same_village.pk, other.pk])) in found
        # The same village is not this rule's finding (two people of one name and birthday
        # in one village are told apart by the village's own roll).
        assert tuple(sorted([dups.a.pk, same_village.pk])) not in found

    def test_one_phone_for_the_heads_of_two_households(self, world, dups):
        world.household_b.phone = dups.a.phone
        world.household_b.save()
        assert pairs(world.reviewer, duplicates.PHONE) == {
            tuple(sorted([dups.a.pk, world.household_b.pk]))
        }

    def test_merged_households_are_not_found_again(self, world, dups):
        Household.objects.filter(pk=dups.b.pk).update(merged_into=dups.a)
        assert pairs(world.reviewer, duplicates.ID_NUMBER) == set()

    def test_scope_a_township_sees_its_own_findings_and_the_outside_only_by_place(
        self, world, dups
    ):
        # 甲镇 sees the finding (its household A is one side) …
        assert pairs(world.staff_a, duplicates.ID_NUMBER) == {tuple(sorted([dups.a.pk, dups.b.pk]))}
        sides = duplicates.sides(world.staff_a, [dups.a.pk, dups.b.pk])
        assert sides[dups.a.pk].inside and sides[dups.a.pk].members
        # … and B only as "registered in another township", without name, ID or link.
        assert not sides[dups.b.pk].inside
        assert sides[dups.b.pk].named.text == "已在测试县的其他地方登记"
        assert sides[dups.b.pk].named.url is None
        assert sides[dups.b.pk].members == []
        # A household of another county shares a phone: not the county reviewer's finding.
        dups.far.phone = "13600000003"
        dups.far.save()
        assert pairs(world.reviewer, duplicates.PHONE) == set()


class TestEntry:
    def test_a_member_id_registered_in_another_household_is_refused_naming_it(self, world, dups):
        with pytest.raises(ValidationError) as refused:
            member_record(
                user=world.reviewer,
                household=world.household_b,
                name="张小明",
                relation="other",
                id_number=dups.person.lower(),
            )
        # Registered as a member of 张三's household (the existing member rule names it) …
        assert refused.value.message_dict["id_number"] == [
            "该身份证号已登记为张三户的家庭成员张小明。"
        ]
        assert not Member.objects.filter(household=world.household_b, name="张小明").exists()

    def test_a_member_id_that_is_another_households_head_is_refused(self, world, dups):
        with pytest.raises(ValidationError) as refused:
            member_record(
                user=world.reviewer,
                household=world.household_b,
                name="张三",
                relation="other",
                id_number=dups.a.head_id_number,
            )
        assert "该身份证号已在甲镇甲村 张三户登记" in refused.value.message_dict["id_number"][0]

    def test_outside_scope_the_other_household_is_named_by_place_only(self, world, dups):
        with pytest.raises(ValidationError) as refused:
            member_record(
                user=world.staff_b,
                household=world.household_b,
                name="张小明",
                relation="other",
                id_number=dups.a.head_id_number,
            )
        message = refused.value.message_dict["id_number"][0]
        assert "已在测试县的其他地方登记" in message
        assert "张三" not in message

    def test_a_head_id_that_is_a_member_elsewhere_is_refused(self, world, dups):
        number = make_id_number("510821", 1985)
        Member.objects.create(household=dups.a, name="张二", relation="child", id_number=number)
        with pytest.raises(ValidationError) as refused:
            household_record(user=world.staff_b, **fields(world.village_b, head_id_number=number))
        assert "已在测试县的其他地方登记" in refused.value.message_dict["head_id_number"][0]
        assert not Household.objects.filter(head_id_number=number).exists()

    def test_editing_a_member_without_changing_the_number_is_not_refused(self, world, dups):
        member = Member.objects.get(household=dups.a, id_number=dups.person)
        member_update(user=world.staff_a, member=member, name="张晓明")
        assert Member.objects.get(pk=member.pk).name == "张晓明"

    def test_same_name_and_birth_warns_and_saves_when_confirmed(self, world, dups):
        number = dups.a.head_id_number
        from stdnum.cn import ric

        body = number[:14] + "997"
        twin = body + ric.calc_check_digit(body + "0")
        data = fields(world.village_b, head_name="张三", head_id_number=twin)
        with pytest.raises(ValidationError) as warned:
            household_record(user=world.staff_b, **data)
        text = " ".join(warned.value.message_dict["confirm_duplicates"])
        assert "户主姓名和出生日期与已在测试县的其他地方登记相同" in text
        assert "仍然保存" in text
        assert not Household.objects.filter(head_id_number=twin).exists()
        saved = household_record(user=world.staff_b, confirm_duplicates=True, **data)
        assert saved.pk

    def test_same_phone_warns_on_entry_and_on_change_of_phone_only(self, world, dups):
        with pytest.raises(ValidationError) as warned:
            household_record(user=world.reviewer, **fields(world.village_b, phone=dups.a.phone))
        assert (
            "联系电话与甲镇甲村 张三户的户主相同"
            in warned.value.message_dict["confirm_duplicates"][0]
        )
        saved = household_record(
            user=world.reviewer,
            confirm_duplicates=True,
            **fields(world.village_b, phone=dups.a.phone),
        )
        # A later change of another field does not ask again …
        household_update(user=world.reviewer, household=saved, size=5)
        # … a change to the phone of another household does.
        with pytest.raises(ValidationError):
            household_update(user=world.reviewer, household=world.household_b, phone=dups.a.phone)


def _two_free(numbers, taken: set) -> tuple[str, str]:
    found = []
    for candidate in numbers:
        if candidate not in taken:
            found.append(candidate)
            if len(found) == 2:
                return found[0], found[1]
    raise AssertionError("no free ID numbers")
