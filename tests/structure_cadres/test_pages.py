"""The permission trio on every cadre page: the keeper creates, changes and ends; a reader in
scope reads but every write is refused (403) and changes nothing; someone outside the scope gets
404 and changes nothing; anonymous is sent to log in. Plus the pages' own parts: recall with
its reason, the replacement page, the end-of-term assessment, the liaison by village, the
helpers of a coordinator's own unit only, and refusals that say to end instead of delete."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Model
from django.urls import reverse

from cadres.models import Cadre, CadreKind, Term
from tests.factories import CadreFactory, HouseholdFactory, HouseholdPairingFactory
from tests.structure_cadres.kinds import KINDS, kind_id, who

pytestmark = pytest.mark.django_db


def url(kind, action, obj=None) -> str:
    args = [obj.pk] if obj is not None else []
    return reverse(f"cadres:{kind.name}_{action}", args=args)


def post_value(value):
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [post_value(v) for v in value]
    if hasattr(value, "__iter__") and not isinstance(value, str):
        return [post_value(v) for v in value]
    return "" if value is None else value


def edit_data(client, kind, obj) -> dict:
    """The edit form as the browser would send it back unchanged."""
    response = client.get(url(kind, "edit", obj))
    assert response.status_code == 200
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = post_value(value)
    return data


def assert_sent_to_login(response):
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def snapshot(obj) -> dict:
    return {
        f.attname: getattr(type(obj).objects.get(pk=obj.pk), f.attname) for f in obj._meta.fields
    }


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_keeper_creates_changes_and_sees_the_history(client, world, people, kind):
    client.force_login(who(world, people, kind.keeper))
    before = kind.model.objects.count()
    response = client.post(url(kind, "create"), kind.create(world, people))
    assert response.status_code == 302, response.context["form"].errors
    assert kind.model.objects.count() == before + 1

    obj = kind.record(world, people)
    data = edit_data(client, kind, obj)
    data.update(kind.change)
    response = client.post(url(kind, "edit", obj), data)
    assert response.status_code == 302, response.context["form"].errors
    obj.refresh_from_db()
    assert kind.check(obj) == kind.expected

    detail = client.get(url(kind, "detail", obj))
    assert detail.status_code == 200
    assert any(line.action == "修改" for line in detail.context["history"])


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_reader_in_scope_reads_but_cannot_write(client, world, people, kind):
    obj = kind.record(world, people)
    before = snapshot(obj)
    client.force_login(who(world, people, kind.reader))
    listing = client.get(url(kind, "list"))
    assert listing.status_code == 200
    assert url(kind, "detail", obj) in listing.content.decode()
    detail = client.get(url(kind, "detail", obj))
    assert detail.status_code == 200
    assert detail.context["edit_url"] is None
    count = kind.model.objects.count()
    assert client.get(url(kind, "create")).status_code == 403
    assert client.post(url(kind, "create"), kind.create(world, people)).status_code == 403
    assert client.post(url(kind, "edit", obj), kind.change).status_code == 403
    assert client.post(url(kind, "delete", obj)).status_code == 403
    assert client.post(url(kind, "end", obj), {"day": "2026-01-01"}).status_code == 403
    assert kind.model.objects.count() == count
    assert snapshot(obj) == before


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_outsider_gets_404_and_changes_nothing(client, world, people, kind):
    obj = kind.record(world, people)
    before = snapshot(obj)
    client.force_login(who(world, people, kind.outsider))
    assert url(kind, "detail", obj) not in client.get(url(kind, "list")).content.decode()
    for action in ("detail", "edit", "end", "delete"):
        assert client.get(url(kind, action, obj)).status_code == 404, action
    assert client.post(url(kind, "edit", obj), kind.change).status_code == 404
    assert client.post(url(kind, "end", obj), {"day": "2026-01-01"}).status_code == 404
    assert client.post(url(kind, "delete", obj)).status_code == 404
    assert snapshot(obj) == before
    assert type(obj).objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_anonymous_is_sent_to_log_in(client, world, people, kind):
    obj = kind.record(world, people)
    for action in ("list", "create"):
        assert_sent_to_login(client.get(url(kind, action)))
    for action in ("detail", "edit", "end", "delete"):
        assert_sent_to_login(client.get(url(kind, action, obj)))


def test_a_keeper_outside_the_scope_cannot_create_there(client, world, people):
    """The far county's reviewer keeps terms, but not in this county: the choices do not offer
    its villages and cadres, and a forged post creates nothing."""
    client.force_login(people.far_reviewer)
    form = client.get(reverse("cadres:term_create")).context["form"]
    assert world.village_a not in form.fields["village"].queryset
    count = Term.objects.count()
    response = client.post(
        reverse("cadres:term_create"),
        {
            "cadre": people.a.stationed.pk,
            "village": world.village_a.pk,
            "role": "stationed",
            "start_date": "2025-01-01",
            "end_date": "2026-12-31",
        },
    )
    assert response.status_code == 200  # the form refuses the choices
    assert Term.objects.count() == count


def test_hub_lists_the_groups(client, world, people):
    client.force_login(world.reviewer)
    groups = client.get(reverse("structure")).context["groups"]
    people_group = {str(item["label"]) for item in groups["干部与工作队"]}
    assert {"干部", "帮扶责任人", "驻村任期", "驻村工作队", "年度考核", "工作经费"} <= people_group
    village_group = {str(item["label"]) for item in groups["村级组织与人才"]}
    assert village_group >= {"三人联络", "后备干部", "下派人才"}


# --- terms: recall, replacement, assessment -----------------------------------------------------
def test_recall_page_needs_a_reason_and_ends_the_term_that_day(client, world, people):
    term = people.a.term
    client.force_login(world.reviewer)
    page = reverse("cadres:term_end", args=[term.pk])
    refused = client.post(page, {"day": "2026-03-01", "reason": ""})
    assert refused.status_code == 200
    assert "请填写召回原因。" in refused.context["form"].errors["reason"]
    term.refresh_from_db()
    assert term.recalled_on is None
    response = client.post(page, {"day": "2026-03-01", "reason": "身体原因"})
    assert response.status_code == 302
    term.refresh_from_db()
    assert (term.recalled_on, term.end_date, term.recall_reason) == (
        datetime.date(2026, 3, 1),
        datetime.date(2026, 3, 1),
        "身体原因",
    )


def test_replacement_page_links_both_terms_with_the_approving_reviewer(client, world, people):
    term = people.a.term
    successor = CadreFactory(
        name="接任书记", kind=CadreKind.FIRST_SECRETARY, home_region=world.village_a.region
    )
    client.force_login(world.reviewer)
    page = reverse("cadres:term_replace", args=[term.pk])
    assert successor in client.get(page).context["form"].fields["cadre"].queryset
    response = client.post(page, {"cadre": successor.pk, "day": "2026-05-01", "reason": "工作调动"})
    assert response.status_code == 302
    new = Term.objects.get(cadre=successor)
    term.refresh_from_db()
    assert term.end_date == datetime.date(2026, 4, 30)
    assert new.replaces == term and new.approved_by == world.reviewer
    assert (new.start_date, new.end_date) == (
        datetime.date(2026, 5, 1),
        datetime.date(2027, 12, 31),
    )
    detail = client.get(reverse("cadres:term_detail", args=[term.pk]))
    adjustments = detail.context["sections"][0]
    assert adjustments.rows[0][0][1] == "接任书记"
    assert adjustments.add_url is None  # replaced once: no second replacement offered


def test_replacement_and_assessment_pages_are_the_reviewers(client, world, people):
    term = people.a.term
    client.force_login(world.staff_a)
    assert client.get(reverse("cadres:term_replace", args=[term.pk])).status_code == 403
    assert (
        client.post(
            reverse("cadres:term_assess", args=[term.pk]), {"grade": "excellent"}
        ).status_code
        == 403
    )
    client.force_login(world.staff_b)
    assert client.get(reverse("cadres:term_replace", args=[term.pk])).status_code == 404
    assert client.get(reverse("cadres:term_assess", args=[term.pk])).status_code == 404
    term.refresh_from_db()
    assert term.assessment == ""


def test_end_of_term_assessment_page(client, world, people):
    term = people.a.term
    client.force_login(world.reviewer)
    page = reverse("cadres:term_assess", args=[term.pk])
    response = client.post(page, {"grade": "excellent", "note": "成效明显"})
    assert response.status_code == 302
    term.refresh_from_db()
    assert (term.assessment, term.assessment_note) == ("excellent", "成效明显")
    detail = client.get(reverse("cadres:term_detail", args=[term.pk]))
    assert "成效明显" in detail.content.decode()


# --- deleting what others refer to ---------------------------------------------------------------
def test_a_cadre_with_a_term_cannot_be_deleted_and_the_page_says_to_end(client, world, people):
    client.force_login(world.reviewer)
    cadre = people.a.secretary
    response = client.post(reverse("cadres:cadre_delete", args=[cadre.pk]))
    assert response.status_code == 400
    text = response.context["refusal"]
    assert "驻村任期" in text and "离任日期" in text
    assert Cadre.objects.filter(pk=cadre.pk).exists()
    ended = client.post(reverse("cadres:cadre_end", args=[cadre.pk]), {"day": "2026-06-30"})
    assert ended.status_code == 302
    cadre.refresh_from_db()
    assert cadre.left_on == datetime.date(2026, 6, 30)


def test_a_team_with_members_cannot_be_deleted(client, world, people):
    client.force_login(world.reviewer)
    team = people.a.team
    response = client.post(reverse("cadres:work_team_delete", args=[team.pk]))
    assert response.status_code == 400
    assert "工作队成员" in response.context["refusal"]
    assert "期满日期" in response.context["refusal"]


def test_an_unreferenced_grade_is_deleted(client, world, people):
    client.force_login(world.reviewer)
    grade = people.a.grade
    assert client.post(reverse("cadres:grade_delete", args=[grade.pk])).status_code == 302
    assert not type(grade).objects.filter(pk=grade.pk).exists()


# --- a unit's helpers ------------------------------------------------------------------------
def test_coordinator_keeps_only_their_own_units_helpers(client, world, people):
    """Another unit's helper paired in the unit's village is readable as a cadre, but not among
    the unit's helpers: its helper pages are 404 and nothing changes."""
    other = world.helper_b
    HouseholdPairingFactory(household=HouseholdFactory(village=world.village_a), helper=other)
    client.force_login(world.coordinator)
    listing = client.get(reverse("cadres:helper_list")).content.decode()
    assert reverse("cadres:helper_detail", args=[world.helper_a.pk]) in listing
    assert reverse("cadres:helper_detail", args=[other.pk]) not in listing
    assert client.get(reverse("cadres:cadre_detail", args=[other.pk])).status_code == 200
    for action in ("detail", "edit", "end", "delete"):
        page = reverse(f"cadres:helper_{action}", args=[other.pk])
        assert client.get(page).status_code == 404, action
    assert (
        client.post(reverse("cadres:helper_edit", args=[other.pk]), {"name": "改名"}).status_code
        == 404
    )
    other.refresh_from_db()
    assert other.name == "帮扶人乙"


def test_coordinator_adds_a_helper_to_their_own_unit_and_deactivates_one(client, world, people):
    client.force_login(world.coordinator)
    form = client.get(reverse("cadres:helper_create")).context["form"]
    assert "unit" not in form.fields  # always their own unit
    client.post(reverse("cadres:helper_create"), {"name": "新党员", "phone": "13600001111"})
    helper = Cadre.objects.get(name="新党员")
    assert (helper.unit, helper.kind) == (world.unit, CadreKind.HELPER)
    response = client.post(
        reverse("cadres:helper_end", args=[world.helper_a.pk]), {"day": "2026-02-01"}
    )
    assert response.status_code == 302
    world.helper_a.refresh_from_db()
    assert world.helper_a.left_on == datetime.date(2026, 2, 1)
    inactive = client.get(reverse("cadres:helper_list"), {"active": "false"}).content.decode()
    assert reverse("cadres:helper_detail", args=[world.helper_a.pk]) in inactive
    active = client.get(reverse("cadres:helper_list"), {"active": "true"}).content.decode()
    assert reverse("cadres:helper_detail", args=[world.helper_a.pk]) not in active


# --- phones ------------------------------------------------------------------------------------
def test_phones_are_masked_for_roles_that_may_not_see_them(client, world, people):
    secretary = people.a.secretary  # 13911112222
    client.force_login(world.staff_a)
    listing = client.get(reverse("cadres:cadre_list")).content.decode()
    detail = client.get(reverse("cadres:cadre_detail", args=[secretary.pk])).content.decode()
    edit_helper = client.get(reverse("cadres:helper_detail", args=[world.helper_a.pk]))
    for page in (listing, detail, edit_helper.content.decode()):
        assert "13911112222" not in page and "13800138000" not in page
    assert "139****2222" in listing and "139****2222" in detail
    client.force_login(world.coordinator)
    form = client.get(reverse("cadres:helper_edit", args=[world.helper_a.pk])).context["form"]
    assert form["phone"].value() == ""  # masked: left empty keeps the number
    assert "138****8000" in form.fields["phone"].help_text
    client.force_login(world.reviewer)
    assert (
        "13911112222"
        in client.get(reverse("cadres:cadre_detail", args=[secretary.pk])).content.decode()
    )


def test_a_masked_phone_left_empty_is_kept(client, world, people):
    client.force_login(world.coordinator)
    helper = world.helper_a
    data = edit_data(client, next(k for k in KINDS if k.name == "helper"), helper)
    assert data["phone"] == ""
    data["position"] = "主任"
    assert client.post(reverse("cadres:helper_edit", args=[helper.pk]), data).status_code == 302
    helper.refresh_from_db()
    assert (helper.phone, helper.position) == ("13800138000", "主任")


# --- the three-person liaison by village ----------------------------------------------------------
def test_liaison_by_village_shows_the_open_posts(client, world, people):
    client.force_login(world.staff_a)
    response = client.get(reverse("cadres:liaison_villages"))
    rows = {row["village"].pk: row for row in response.context["rows"]}
    assert world.village_b.pk not in rows
    row = rows[world.village_a.pk]
    assert not row["complete"]
    filled = [cell for cell in row["cells"] if cell["liaison"]]
    assert [cell["liaison"].name for cell in filled] == ["村联络人"]
    assert filled[0]["phone"] == "137****3333"
    open_posts = [cell["add_url"] for cell in row["cells"] if not cell["liaison"]]
    assert all(f"village={world.village_a.pk}" in link for link in open_posts)
    create = client.get(open_posts[0]).context["form"]
    assert create.initial["village"] == str(world.village_a.pk)


def test_the_cadre_page_sections(client, world, people):
    """The cadre's page: terms, team, grades, funds by year, paired households (the households
    app's reverse relation), field days."""
    client.force_login(world.reviewer)
    response = client.get(reverse("cadres:cadre_detail", args=[people.a.secretary.pk]))
    titles = [section.title for section in response.context["sections"]]
    assert titles == [
        "驻村任期",
        "驻村工作队",
        "年度考核",
        "工作经费（按年度）",
        "结对帮扶户",
        "在岗天数（最近）",
    ]
    funds = response.context["sections"][3]
    assert funds.rows[0][0][:2] == ["2026", "12,000.00"]
    helper = client.get(reverse("cadres:cadre_detail", args=[world.helper_a.pk]))
    households = next(s for s in helper.context["sections"] if s.title == "结对帮扶户")
    assert households.rows[0][1] == reverse("households:detail", args=[world.household_a.pk])
