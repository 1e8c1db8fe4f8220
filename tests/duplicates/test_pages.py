"""The 重复户 pages: the permission trio, both households side by side, the confirm page's dry
run, merge and undo by POST, the household form's 仍然保存 and the query pin."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from core.idcard import mask_id_number
from households.models import Household, HouseholdMerge, Member
from tests.factories import HouseholdFactory, make_id_number

pytestmark = pytest.mark.django_db
LIST = "households:duplicates"
MERGE = "households:duplicate_merge"


def test_reviewer_sees_both_households_side_by_side(client, world, dups):
    client.force_login(world.reviewer)
    page = client.get(reverse(LIST))
    assert page.status_code == 200
    html = page.content.decode()
    assert "同一身份证号登记在两户" in html
    assert "王小明" in html and "张小明" in html
    assert mask_id_number(dups.person) in html
    assert dups.person not in html  # never the full number
    assert f"?a={min(dups.a.pk, dups.b.pk)}&amp;b={max(dups.a.pk, dups.b.pk)}" in html


def test_township_staff_get_403_and_the_hub_links_the_page(client, world, dups):
    client.force_login(world.staff_a)
    assert client.get(reverse(LIST)).status_code == 403
    assert client.get(reverse(MERGE), {"a": dups.a.pk, "b": dups.b.pk}).status_code == 403
    client.force_login(world.reviewer)
    assert reverse(LIST) in client.get(reverse("structure")).content.decode()


def test_a_household_of_another_county_is_404_and_nothing_merged(client, world, dups):
    client.force_login(world.reviewer)
    assert client.get(reverse(MERGE), {"a": dups.a.pk, "b": dups.far.pk}).status_code == 404
    response = client.post(
        reverse(MERGE), {"a": dups.a.pk, "b": dups.far.pk, "kept": dups.a.pk, "reason": "重复"}
    )
    assert response.status_code == 404
    assert not HouseholdMerge.objects.exists()


def test_confirm_page_dry_run_then_merge_and_undo(client, world, dups):
    client.force_login(world.reviewer)
    page = client.get(reverse(MERGE), {"a": dups.a.pk, "b": dups.b.pk, "kept": dups.a.pk})
    html = page.content.decode()
    assert "将 王小明户 并入 张三户" in html
    assert "家庭成员" in html
    # no reason: the error next to the field, nothing written
    refused = client.post(reverse(MERGE), {"a": dups.a.pk, "b": dups.b.pk, "kept": dups.a.pk})
    assert refused.status_code == 400
    assert "这个字段是必填项" in refused.content.decode() or "必填" in refused.content.decode()
    assert Household.objects.get(pk=dups.b.pk).merged_into_id is None
    done = client.post(
        reverse(MERGE),
        {"a": dups.a.pk, "b": dups.b.pk, "kept": dups.a.pk, "reason": "入户核实为同一户"},
    )
    assert done.status_code == 302 and done["Location"] == reverse(
        "households:detail", args=[dups.a.pk]
    )
    assert Household.objects.get(pk=dups.b.pk).merged_into_id == dups.a.pk
    # closed: off the household list (and the pickers built on it)
    listed = client.get(reverse("households:list")).content.decode()
    assert reverse("households:detail", args=[dups.b.pk]) not in listed
    assert reverse("households:detail", args=[dups.a.pk]) in listed
    merge = HouseholdMerge.objects.get()
    history = client.get(reverse(LIST)).content.decode()
    assert "撤销合并" in history and "入户核实为同一户" in history
    # township staff may not undo
    client.force_login(world.staff_a)
    assert client.post(reverse("households:duplicate_undo", args=[merge.pk])).status_code == 403
    client.force_login(world.reviewer)
    undone = client.post(reverse("households:duplicate_undo", args=[merge.pk]))
    assert undone.status_code == 302
    assert Household.objects.get(pk=dups.b.pk).merged_into_id is None
    assert Member.objects.filter(household=dups.b, relation="head").exists()


def test_keeping_the_second_household_merges_the_first_into_it(client, world, dups):
    client.force_login(world.reviewer)
    page = client.get(reverse(MERGE), {"a": dups.a.pk, "b": dups.b.pk, "kept": dups.b.pk})
    html = page.content.decode()
    assert "将 张三户 并入 王小明户" in html
    checked = re.findall(r'<input[^>]*name="kept"[^>]*>', html)
    assert [i for i in checked if "checked" in i] == [
        i for i in checked if f'value="{dups.b.pk}"' in i
    ]
    client.post(
        reverse(MERGE), {"a": dups.a.pk, "b": dups.b.pk, "kept": dups.b.pk, "reason": "重复"}
    )
    assert Household.objects.get(pk=dups.a.pk).merged_into_id == dups.b.pk


def test_list_queries_do_not_grow_with_findings(client, world, dups, django_assert_max_num_queries):
    for n in range(8):
        number = make_id_number("510821", 1950 + n)
        h = HouseholdFactory(village=world.village_b, head_name=f"重{n}", phone="")
        Member.objects.create(household=dups.a, name=f"重{n}", relation="other", id_number=number)
        Member.objects.create(household=h, name=f"重{n}", relation="head", id_number=number)
    from households.merge import merge_households

    for n in range(3):  # the history does not add queries per merge either
        a = HouseholdFactory(village=world.village_a, head_name=f"并{n}", phone="")
        b = HouseholdFactory(village=world.village_a, head_name=f"入{n}", phone="")
        merge_households(world.reviewer, a, b, "重复")
    client.force_login(world.reviewer)
    with django_assert_max_num_queries(20):
        page = client.get(reverse(LIST))
    assert page.content.decode().count("dup-finding") == 9
    assert page.content.decode().count("merge-row") == 3


def test_an_undo_refused_says_why(client, world, dups):
    from households.merge import merge_households
    from households.models import IncomeRecord

    merge = merge_households(world.reviewer, dups.a, dups.b, "重复")
    IncomeRecord.objects.create(household=dups.b, year=2024, per_capita_net_income=1)
    client.force_login(world.reviewer)
    page = client.post(reverse("households:duplicate_undo", args=[merge.pk]), follow=True)
    assert "合并后又有收入记录登记到已注销的户。" in page.content.decode()
    assert Household.objects.get(pk=dups.b.pk).merged_into_id == dups.a.pk


def test_household_form_warns_and_saves_with_the_box_ticked(client, world, dups):
    client.force_login(world.staff_b)
    data = {
        "village": world.village_b.pk,
        "head_name": "钱七",
        "head_id_number": make_id_number("510821", 1972),
        "phone": dups.a.phone,
        "size": 2,
        "cause": "illness",
        "track": "industry",
        "status": "poor",
    }
    warned = client.post(reverse("households:create"), data)
    html = warned.content.decode()
    assert "联系电话与已在测试县的其他地方登记的户主相同" in html
    assert "钱七" in html  # the data is kept
    assert not Household.objects.filter(head_name="钱七").exists()
    saved = client.post(reverse("households:create"), {**data, "confirm_duplicates": "on"})
    assert saved.status_code == 302
    assert Household.objects.filter(head_name="钱七").exists()
