"""The pages through which township staff keep households, members, incomes, plans, measures
and pairings: the permission trio on every page (the keeper can; a reader in scope reads but
may not write — 403; another township — 404, nothing changes; anonymous — the login page),
and each page doing what it says."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from households.models import (
    Household,
    HouseholdPairing,
    IncomeRecord,
    Measure,
    MeasureStatus,
    Member,
    Plan,
    PovertyStatus,
)
from tests.factories import HouseholdFactory, HouseholdPairingFactory, make_id_number

pytestmark = pytest.mark.django_db

D = datetime.date


def pairing_a(world):
    return HouseholdPairing.objects.get(household=world.household_a, helper=world.helper_a)


def object_pages(world, kept):
    """(name, url, writes) of every page about one record of township A."""
    h = world.household_a.pk
    p = pairing_a(world).pk
    return [
        ("household page", reverse("households:detail", args=[h]), False),
        ("household edit", reverse("households:edit", args=[h]), True),
        ("household exit", reverse("households:exit", args=[h]), True),
        ("household delete", reverse("households:delete", args=[h]), True),
        ("member add", reverse("households:member_create", args=[h]), True),
        ("member edit", reverse("households:member_edit", args=[kept.member_a.pk]), True),
        ("member delete", reverse("households:member_delete", args=[kept.member_a.pk]), True),
        ("income add", reverse("households:income_create", args=[h]), True),
        ("income edit", reverse("households:income_edit", args=[kept.income_a.pk]), True),
        ("income delete", reverse("households:income_delete", args=[kept.income_a.pk]), True),
        ("plan", reverse("households:plan", args=[h]), False),
        ("plan edit", reverse("households:plan_edit", args=[h]), True),
        ("plan delete", reverse("households:plan_delete", args=[h]), True),
        ("measure add", reverse("households:measure_create", args=[h]), True),
        ("measure edit", reverse("households:measure_edit", args=[kept.measure_a.pk]), True),
        ("measure delete", reverse("households:measure_delete", args=[kept.measure_a.pk]), True),
        ("pairing", reverse("households:pairing_detail", args=[p]), False),
        ("pairing edit", reverse("households:pairing_edit", args=[p]), True),
        ("pairing handover", reverse("households:pairing_handover", args=[p]), True),
        ("pairing end", reverse("households:pairing_end", args=[p]), True),
        ("pairing delete", reverse("households:pairing_delete", args=[p]), True),
        ("pairing assign", reverse("households:pairing_create") + f"?household={h}", True),
        ("reassign", reverse("households:pairing_reassign") + f"?helper={world.helper_a.pk}", True),
    ]


LIST_PAGES = [
    ("pairing list", "households:pairing_list", False),
    ("coverage", "households:coverage", False),
    ("household create", "households:create", True),
    ("pairing pick", "households:pairing_create", True),
    ("reassign pick", "households:pairing_reassign", True),
]


def test_object_pages_trio(world, kept, client):
    pages = object_pages(world, kept)
    for name, url, _writes in pages:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, name
    client.force_login(world.staff_b)
    for name, url, _writes in pages:
        assert client.get(url).status_code == 404, name
    client.force_login(world.staff_a)
    for name, url, _writes in pages:
        assert client.get(url).status_code == 200, name
    client.force_login(world.reviewer)  # reviewers may correct
    for name, url, _writes in pages:
        assert client.get(url).status_code == 200, name
    client.force_login(world.cadre_user)  # reads their household, keeps nothing of it
    for name, url, writes in pages:
        assert client.get(url).status_code == (403 if writes else 200), name


def test_list_pages_trio(world, kept, client):
    for name, url_name, _writes in LIST_PAGES:
        response = client.get(reverse(url_name))
        assert response.status_code == 302, name
    client.force_login(world.cadre_user)
    for name, url_name, writes in LIST_PAGES:
        assert client.get(reverse(url_name)).status_code == (403 if writes else 200), name
    client.force_login(world.staff_a)
    for name, url_name, _writes in LIST_PAGES:
        assert client.get(reverse(url_name)).status_code == 200, name


def test_lists_show_nothing_of_another_township(world, kept, client):
    client.force_login(world.staff_b)
    pairings = client.get(reverse("households:pairing_list")).content.decode()
    assert "李四" in pairings and "张三" not in pairings
    HouseholdFactory(village=world.village_a, head_name="未结对甲")
    HouseholdFactory(village=world.village_b, head_name="未结对乙")
    coverage = client.get(reverse("households:coverage")).content.decode()
    assert "未结对乙" in coverage and "未结对甲" not in coverage and "甲村" not in coverage
    found = client.get(reverse("households:pairing_reassign") + "?q=帮扶人").content.decode()
    assert "帮扶人乙" in found and "帮扶人甲" not in found


def test_other_township_posts_change_nothing(world, kept, client):
    client.force_login(world.staff_b)
    for name, url, writes in object_pages(world, kept):
        if writes:
            assert client.post(url, {"day": "2026-07-01", "name": "x"}).status_code == 404, name
    assert Household.objects.filter(pk=world.household_a.pk, status=PovertyStatus.POOR).exists()
    assert Member.objects.filter(pk=kept.member_a.pk).exists()
    assert pairing_a(world).end_date is None
    assert HouseholdPairing.objects.count() == 2


def test_readers_posts_are_refused(world, kept, client):
    client.force_login(world.cadre_user)
    for name, url, writes in object_pages(world, kept):
        if writes:
            assert client.post(url, {"day": "2026-07-01"}).status_code == 403, name
    assert pairing_a(world).end_date is None
    assert Member.objects.filter(pk=kept.member_a.pk).exists()


# --- what the pages do ---------------------------------------------------------------------------
def test_staff_register_and_correct_a_household(world, client):
    client.force_login(world.staff_a)
    number = make_id_number()
    data = {
        "village": world.village_a.pk,
        "head_name": "王五",
        "head_id_number": number,
        "size": "4",
        "cause": "illness",
        "track": "industry",
        "status": "poor",
        "food_clothing_ok": "on",
        "education_ok": "on",
        "medical_ok": "on",
        "housing_ok": "on",
    }
    response = client.post(reverse("households:create"), data)
    household = Household.objects.get(head_id_number=number)
    assert response.status_code == 302 and response.url == reverse(
        "households:detail", args=[household.pk]
    )
    assert household.water_ok is False  # unticked: not assured
    # Editing: the ID number field is left empty (shown masked), so the number stays.
    page = client.get(reverse("households:edit", args=[household.pk])).content.decode()
    assert number not in page
    response = client.post(
        reverse("households:edit", args=[household.pk]),
        {**data, "head_id_number": "", "size": "5", "water_ok": "on"},
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert (household.size, household.water_ok, household.head_id_number) == (5, True, number)
    page = client.get(reverse("households:detail", args=[household.pk])).content.decode()
    assert "修改记录" in page and "家庭人口数" in page  # the change history shows the change


def test_a_taken_id_number_is_shown_next_to_its_field(world, client):
    client.force_login(world.staff_a)
    response = client.post(
        reverse("households:create"),
        {
            "village": world.village_a.pk,
            "head_name": "王五",
            "head_id_number": world.household_a.head_id_number,
            "size": "4",
            "cause": "illness",
            "track": "industry",
            "status": "poor",
        },
    )
    assert response.status_code == 200
    assert "该身份证号已登记为甲村 张三户的户主。" in response.content.decode()


def test_exit_instead_of_delete(world, client):
    client.force_login(world.staff_a)
    url = reverse("households:delete", args=[world.household_a.pk])
    response = client.post(url)
    assert response.status_code == 400
    assert "不能删除" in response.content.decode()
    response = client.post(
        reverse("households:exit", args=[world.household_a.pk]), {"day": "2026-06-30"}
    )
    assert response.status_code == 302
    world.household_a.refresh_from_db()
    assert (world.household_a.status, world.household_a.exit_year) == ("exited", 2026)


def test_members_and_incomes_on_the_household_page(world, kept, client):
    client.force_login(world.staff_a)
    h = world.household_a.pk
    response = client.post(
        reverse("households:member_create", args=[h]),
        {"name": "张二妹", "relation": "child", "birth_year": "2010", "education": "初中"},
    )
    assert response.status_code == 302
    member = Member.objects.get(name="张二妹")
    client.post(
        reverse("households:member_edit", args=[member.pk]),
        {"name": "张二妹", "relation": "child", "birth_year": "2011", "works_away": "on"},
    )
    member.refresh_from_db()
    assert (member.birth_year, member.works_away) == (2011, True)
    response = client.post(
        reverse("households:income_create", args=[h]),
        {"year": "2025", "per_capita_net_income": "7000"},
    )
    assert "该户 2025 年已有收入记录" in response.content.decode()
    client.post(
        reverse("households:income_create", args=[h]),
        {"year": "2026", "per_capita_net_income": "7000"},
    )
    assert IncomeRecord.objects.filter(household_id=h, year=2026).exists()
    page = client.get(reverse("households:detail", args=[h])).content.decode()
    for text in ("张二妹", "7000", "添加家庭成员", "填报收入", "交接", "新增结对"):
        assert text in page, text
    client.post(reverse("households:member_delete", args=[member.pk]))
    assert not Member.objects.filter(pk=member.pk).exists()


def test_a_reader_sees_no_buttons(world, kept, client):
    client.force_login(world.cadre_user)
    page = client.get(reverse("households:detail", args=[world.household_a.pk])).content.decode()
    for text in ("添加家庭成员", "填报收入", "修改信息", "新增结对", "/handover/"):
        assert text not in page, text


def test_plan_and_measures(world, client):
    client.force_login(world.staff_a)
    h = world.household_a.pk
    assert "尚未制定一户一策" in client.get(reverse("households:plan", args=[h])).content.decode()
    today = datetime.date.today()
    response = client.post(
        reverse("households:plan_create", args=[h]),
        {"summary": "产业增收", "drawn_up_on": today.isoformat()},
    )
    assert response.status_code == 302
    plan = Plan.objects.get(household_id=h)
    response = client.post(
        reverse("households:measure_create", args=[h]),
        {
            "content": "发展生猪养殖",
            "owner": world.helper_a.pk,
            "deadline": "2026-12-31",
            "status": "in_progress",
        },
    )
    assert response.status_code == 302
    measure = Measure.objects.get(plan=plan)
    assert (measure.owner, measure.status) == (world.helper_a, MeasureStatus.IN_PROGRESS)
    client.post(
        reverse("households:measure_edit", args=[measure.pk]),
        {"content": "发展生猪养殖", "deadline": "2026-12-31", "status": "done"},
    )
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.DONE and measure.done_on == today
    page = client.get(reverse("households:plan", args=[h])).content.decode()
    assert "发展生猪养殖" in page and "已完成" in page and "修改记录" in page


def test_the_visit_form_marks_a_measure_done(world, kept, client):
    client.force_login(world.cadre_user)
    url = reverse("households:visit_create") + f"?household={world.household_a.pk}"
    page = client.get(url).content.decode()
    assert "发展养殖" in page and "measure_done" in page
    import uuid

    response = client.post(
        url,
        {
            "household": world.household_a.pk,
            "submission_token": str(uuid.uuid4()),
            "visited_on": "2026-05-05",
            "kind": "home",
            "learned": "养殖场建成",
            "measure": kept.measure_a.pk,
            "measure_done": "on",
        },
    )
    assert response.status_code == 302
    kept.measure_a.refresh_from_db()
    assert (kept.measure_a.status, kept.measure_a.done_on) == ("done", D(2026, 5, 5))


def test_assign_hand_over_end_and_delete_pairings(world, kept, client):
    client.force_login(world.staff_a)
    household = HouseholdFactory(village=world.village_a, head_name="赵六")
    url = reverse("households:pairing_create")
    assert "赵六" in client.get(url + "?q=赵六").content.decode()
    response = client.post(
        url,
        {"household": household.pk, "helper": world.helper_a.pk, "start_date": "2026-01-01"},
    )
    assert response.status_code == 302
    pairing = HouseholdPairing.objects.get(household=household)
    # A second one for the same helper in force is refused, naming the first.
    response = client.post(
        url, {"household": household.pk, "helper": world.helper_a.pk, "start_date": "2026-03-01"}
    )
    assert "帮扶人甲 → 赵六户（2026-01-01 起）" in response.content.decode()
    # Hand over on a date before the start: refused, naming the pairing.
    handover = reverse("households:pairing_handover", args=[pairing.pk])
    response = client.post(handover, {"helper": kept.successor.pk, "day": "2025-12-01"})
    assert "须晚于原结对“帮扶人甲 → 赵六户（2026-01-01 起）”的结对日期" in response.content.decode()
    response = client.post(handover, {"helper": kept.successor.pk, "day": "2026-07-01"})
    assert response.status_code == 302
    pairing.refresh_from_db()
    new = HouseholdPairing.objects.get(household=household, helper=kept.successor)
    assert (pairing.end_date, new.start_date) == (D(2026, 6, 30), D(2026, 7, 1))
    detail = client.get(reverse("households:pairing_detail", args=[pairing.pk])).content.decode()
    assert "已解除" in detail and "2026-06-30" in detail and "修改记录" in detail
    client.post(reverse("households:pairing_end", args=[new.pk]), {"day": "2026-11-30"})
    new.refresh_from_db()
    assert new.end_date == D(2026, 11, 30)
    client.post(reverse("households:pairing_delete", args=[new.pk]))
    assert not HouseholdPairing.objects.filter(pk=new.pk).exists()


def test_the_pairing_list_filters(world, kept, client):
    client.force_login(world.reviewer)
    url = reverse("households:pairing_list")
    HouseholdPairingFactory(
        household=HouseholdFactory(village=world.village_a, head_name="赵六"),
        helper=kept.successor,
        start_date=D(2025, 1, 1),
        end_date=D(2025, 12, 31),
    )
    page = client.get(url).content.decode()
    assert "张三" in page and "李四" in page and "赵六" in page
    page = client.get(url + f"?village={world.village_b.pk}").content.decode()
    assert "李四" in page and "张三" not in page
    page = client.get(url + f"?helper={kept.successor.pk}").content.decode()
    assert "赵六" in page and "张三" not in page
    page = client.get(url + "?on=2026-06-01").content.decode()
    assert "赵六" not in page and "张三" in page
    page = client.get(url + "?on=2025-06-01&q=zl").content.decode()
    assert "赵六" in page and "张三" not in page


def test_coverage_counts_per_village(world, client):
    client.force_login(world.reviewer)
    lonely = HouseholdFactory(village=world.village_a, head_name="未结对户")
    ended = HouseholdFactory(village=world.village_a, head_name="结对已解除户")
    HouseholdPairingFactory(household=ended, end_date=D(2025, 12, 31))
    response = client.get(reverse("households:coverage"))
    page = response.content.decode()
    assert "未结对户" in page and "结对已解除户" in page and "张三" not in page
    (row,) = [v for v in response.context["villages"] if v.village_id == world.village_a.pk]
    assert (row.households, row.covered, row.uncovered) == (3, 1, 2)
    assert response.context["uncovered_total"] == 2
    # On a day the ended pairing was in force, that household is covered.
    response = client.get(reverse("households:coverage") + "?on=2025-06-01")
    assert [h.pk for h in response.context["households"]] == [lonely.pk]


def test_reassign_a_departing_helper_step_by_step(world, kept, client):
    client.force_login(world.staff_a)
    second = HouseholdFactory(village=world.village_a, head_name="赵六")
    HouseholdPairingFactory(household=second, helper=world.helper_a)
    url = reverse("households:pairing_reassign")
    picked = client.get(url + "?q=帮扶人甲").content.decode()
    assert f"?helper={world.helper_a.pk}" in picked and "结对中 2 户" in picked
    page = client.get(url + f"?helper={world.helper_a.pk}").content.decode()
    assert "张三" in page and "赵六" in page
    form = {"helper": world.helper_a.pk, "to_helper": kept.successor.pk, "day": "2026-09-01"}
    check = client.post(url, {**form, "action": "check"})
    assert check.status_code == 200 and "确认交接" in check.content.decode()
    assert HouseholdPairing.objects.filter(start_date=D(2026, 9, 1)).count() == 0  # a dry run
    own = HouseholdPairing.objects.get(household=second, helper=world.helper_a)
    done = client.post(
        url,
        {**form, "action": "confirm", f"to_{own.pk}": kept.other_unit_helper.pk},
    )
    assert done.status_code == 200
    text = done.content.decode()
    assert "交接完成" in text and "接替人丙" in text and "外单位丁" in text
    assert HouseholdPairing.objects.get(household=second, start_date=D(2026, 9, 1)).helper == (
        kept.other_unit_helper
    )
    assert not HouseholdPairing.objects.filter(helper=world.helper_a).in_force(D(2026, 9, 1))


def test_reassign_refusal_is_listed_and_nothing_changes(world, kept, client):
    client.force_login(world.staff_a)
    HouseholdPairingFactory(household=world.household_a, helper=kept.successor)
    response = client.post(
        reverse("households:pairing_reassign"),
        {
            "helper": world.helper_a.pk,
            "to_helper": kept.successor.pk,
            "day": "2026-09-01",
            "action": "confirm",
        },
    )
    assert response.status_code == 200
    assert "接替人丙 → 张三户（2025-01-01 起）" in response.content.decode()
    assert pairing_a(world).end_date is None


def test_the_hub_lists_the_household_pages(world, client):
    client.force_login(world.staff_a)
    page = client.get(reverse("structure")).content.decode()
    assert "贫困户与结对帮扶" in page
    for url_name in (
        "households:list",
        "households:create",
        "households:pairing_list",
        "households:pairing_create",
        "households:pairing_reassign",
        "households:coverage",
    ):
        assert reverse(url_name) in page, url_name
    client.force_login(world.cadre_user)
    page = client.get(reverse("structure")).content.decode()
    assert reverse("households:pairing_list") in page
    assert reverse("households:create") not in page
