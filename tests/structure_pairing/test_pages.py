"""The structure's pages: the permission trio on each (the keeper writes; a reader in scope
reads and gets 403 on a write; an outsider gets 404 and nothing changes; anonymous users are
sent to log in), the organisation tree, the coordinator's own unit page, and list query counts
that do not grow with rows."""

from __future__ import annotations

import datetime
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from pairing.models import (
    Donation,
    OrgKind,
    Pairing,
    PairingParticipant,
    PairingYearPlan,
    PartyOrganisation,
    Project,
    Unit,
)
from tests.factories import (
    CadreFactory,
    HouseholdFactory,
    PairingFactory,
    PartyOrganisationFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def project_for(world, **fields):
    values = {
        "unit": world.unit,
        "village": world.village_a,
        "name": "养殖项目",
        "kind": "industry",
        "year": 2026,
    }
    values.update(fields)
    return Project.objects.create(**values)


def donation_for(world, **fields):
    values = {
        "unit": world.unit,
        "village": world.village_a,
        "donor": "王党员",
        "amount": 100,
        "donated_on": TODAY,
    }
    values.update(fields)
    return Donation.objects.create(**values)


# Each kind: the url name, how to make a side-A record, the form of a new one, a change, who
# keeps it, and a field to check that nothing changed.
def unit_case(world):
    return {
        "record": world.unit,
        "new": {"name": "新单位", "kind": "enterprise", "region": world.county.pk},
        "change": {"name": "测试帮扶单位", "kind": "organ", "region": world.county.pk},
        "field": "kind",
        "before": "enterprise",
        "after": "organ",
        "created": lambda: Unit.objects.filter(name="新单位").exists(),
    }


def organisation_case(world):
    committee = PartyOrganisationFactory(unit=world.unit, kind="committee", name="测试党委")
    return {
        "record": committee,
        "new": {
            "unit": world.unit.pk,
            "name": "第一党支部",
            "kind": "branch",
            "parent": committee.pk,
        },
        "change": {
            "unit": world.unit.pk,
            "name": "测试党委",
            "kind": "committee",
            "secretary": "李书记",
        },
        "field": "secretary",
        "before": "",
        "after": "李书记",
        "created": lambda: PartyOrganisation.objects.filter(
            name="第一党支部", parent=committee
        ).exists(),
    }


def pairing_case(world):
    form = {
        "kind": "org_pairing",
        "name": "新结对",
        "lead_unit": world.unit.pk,
        "village": world.village_a.pk,
        "start_date": "2026-01-01",
        "end_date": "2028-12-31",
    }
    change = {**form, "name": world.pairing.name, "special_action": "产业振兴"}
    change["start_date"], change["end_date"] = "2025-01-01", "2027-12-31"
    return {
        "record": world.pairing,
        "new": form,
        "change": change,
        "field": "special_action",
        "before": "",
        "after": "产业振兴",
        "created": lambda: Pairing.objects.filter(name="新结对").exists(),
    }


def project_case(world):
    form = {
        "unit": world.unit.pk,
        "village": world.village_a.pk,
        "name": "新项目",
        "kind": "industry",
        "year": "2026",
        "direct_funds": "1000",
        "coordinated_funds": "0",
        "status": "planned",
    }
    return {
        "record": project_for(world),
        "new": form,
        "change": {**form, "name": "养殖项目", "status": "done"},
        "field": "status",
        "before": "planned",
        "after": "done",
        "created": lambda: Project.objects.filter(name="新项目").exists(),
    }


def donation_case(world):
    form = {
        "unit": world.unit.pk,
        "village": world.village_a.pk,
        "donor": "新捐款人",
        "amount": "300",
        "donated_on": TODAY.isoformat(),
    }
    return {
        "record": donation_for(world),
        "new": form,
        "change": {**form, "donor": "王党员", "amount": "150"},
        "field": "amount",
        "before": 100,
        "after": 150,
        "created": lambda: Donation.objects.filter(donor="新捐款人").exists(),
    }


CASES = {
    "unit": (unit_case, "reviewer"),
    "organisation": (organisation_case, "reviewer"),
    "pairing": (pairing_case, "reviewer"),
    "project": (project_case, "coordinator"),
    "donation": (donation_case, "coordinator"),
}


def url(name, *args):
    return reverse(f"pairing:{name}", args=args)


def field_value(record, name):
    record.refresh_from_db()
    return getattr(record, name)


@pytest.mark.parametrize("kind", CASES)
def test_the_keeper_creates_and_changes(world, as_user, kind):
    make, keeper = CASES[kind]
    case = make(world)
    client = as_user(getattr(world, keeper))
    assert client.get(url(f"{kind}_create")).status_code == 200
    response = client.post(url(f"{kind}_create"), case["new"])
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert case["created"]()
    pk = case["record"].pk
    assert client.get(url(f"{kind}_edit", pk)).status_code == 200
    response = client.post(url(f"{kind}_edit", pk), case["change"])
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert field_value(case["record"], case["field"]) == case["after"]
    detail = client.get(url(f"{kind}_detail", pk))
    assert detail.status_code == 200
    assert "修改记录" in detail.content.decode()


@pytest.mark.parametrize("kind", CASES)
def test_a_reader_in_scope_reads_but_cannot_write(world, as_user, kind):
    make, _keeper = CASES[kind]
    case = make(world)
    client = as_user(world.staff_a)
    pk = case["record"].pk
    assert client.get(url(f"{kind}_list")).status_code == 200
    detail = client.get(url(f"{kind}_detail", pk))
    assert detail.status_code == 200
    assert url(f"{kind}_edit", pk) not in detail.content.decode()
    assert client.get(url(f"{kind}_create")).status_code == 403
    assert client.post(url(f"{kind}_create"), case["new"]).status_code == 403
    assert client.post(url(f"{kind}_edit", pk), case["change"]).status_code == 403
    assert not case["created"]()
    assert field_value(case["record"], case["field"]) == case["before"]


@pytest.mark.parametrize("kind", CASES)
@pytest.mark.parametrize("outsider", ["staff_b", "other_reviewer"])
def test_an_outsider_gets_404_and_nothing_changes(world, as_user, kind, outsider):
    make, _keeper = CASES[kind]
    case = make(world)
    client = as_user(getattr(world, outsider))
    pk = case["record"].pk
    assert client.get(url(f"{kind}_detail", pk)).status_code == 404
    assert client.get(url(f"{kind}_edit", pk)).status_code == 404
    assert client.post(url(f"{kind}_edit", pk), case["change"]).status_code == 404
    assert client.post(url(f"{kind}_delete", pk)).status_code == 404
    assert field_value(case["record"], case["field"]) == case["before"]
    listed = client.get(url(f"{kind}_list"))
    assert url(f"{kind}_detail", pk) not in listed.content.decode()


@pytest.mark.parametrize("kind", CASES)
def test_anonymous_users_are_sent_to_log_in(world, as_user, kind):
    make, _keeper = CASES[kind]
    case = make(world)
    client = as_user(None)
    for address in (url(f"{kind}_list"), url(f"{kind}_detail", case["record"].pk)):
        response = client.get(address)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_coordinator_reads_a_partners_project_but_does_not_change_it(world, as_user):
    partner = UnitFactory(region=world.county, name="伙伴单位")
    PairingFactory(lead_unit=partner, village=world.village_a)
    project = project_for(world, unit=partner, name="伙伴项目")
    client = as_user(world.coordinator)
    detail = client.get(url("project_detail", project.pk))
    assert detail.status_code == 200
    assert url("project_edit", project.pk) not in detail.content.decode()
    assert client.get(url("project_edit", project.pk)).status_code == 403
    assert client.post(url("project_edit", project.pk), {"name": "改"}).status_code == 403
    assert Project.objects.get(pk=project.pk).name == "伙伴项目"


def test_a_unit_kept_elsewhere_is_read_by_the_reviewer_without_an_edit_button(world, as_user):
    elsewhere = UnitFactory(region=world.other_county, name="外县企业")
    PairingFactory(lead_unit=elsewhere, village=world.village_a)
    client = as_user(world.reviewer)
    detail = client.get(url("unit_detail", elsewhere.pk))
    assert detail.status_code == 200
    assert url("unit_edit", elsewhere.pk) not in detail.content.decode()
    assert client.get(url("unit_edit", elsewhere.pk)).status_code == 403


# --- ending and deleting ------------------------------------------------------------------------
def test_a_referred_unit_is_refused_deletion_with_the_way_to_end_it(world, as_user):
    PartyOrganisationFactory(unit=world.unit, kind="committee", name="党委")
    client = as_user(world.reviewer)
    response = client.post(url("unit_delete", world.unit.pk))
    assert response.status_code == 400
    body = response.content.decode()
    assert "撤销日期" in body and url("unit_end", world.unit.pk) in body
    assert Unit.objects.filter(pk=world.unit.pk).exists()


def test_ending_a_unit_names_the_pairing_still_in_force(world, as_user):
    client = as_user(world.reviewer)
    response = client.post(url("unit_end", world.unit.pk), {"day": TODAY.isoformat()})
    assert response.status_code == 200
    assert world.pairing.name in response.content.decode()
    assert Unit.objects.get(pk=world.unit.pk).end_date is None


def test_a_pairing_is_ended_on_a_day(world, as_user):
    client = as_user(world.reviewer)
    response = client.post(url("pairing_end", world.pairing.pk), {"day": TODAY.isoformat()})
    assert response.status_code == 302
    assert Pairing.objects.get(pk=world.pairing.pk).end_date == TODAY


# --- the organisation tree ----------------------------------------------------------------
class TreeParser(HTMLParser):
    """(depth, name) of each organisation link inside the nested ul.org-tree lists."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.in_link = False
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "ul" and attrs.get("class") == "org-tree":
            self.depth += 1
        if tag == "a" and self.depth and "/pairing/organisations/" in attrs.get("href", ""):
            self.in_link = True

    def handle_endtag(self, tag):
        if tag == "ul" and self.depth:
            self.depth -= 1
        if tag == "a":
            self.in_link = False

    def handle_data(self, data):
        if self.in_link:
            self.found.append((self.depth, data))


def test_the_units_page_shows_its_organisations_as_a_tree(world, as_user):
    committee = PartyOrganisationFactory(unit=world.unit, kind=OrgKind.COMMITTEE, name="集团党委")
    general = PartyOrganisationFactory(
        unit=world.unit, kind=OrgKind.GENERAL_BRANCH, name="机关党总支", parent=committee
    )
    PartyOrganisationFactory(unit=world.unit, kind=OrgKind.BRANCH, name="甲党支部", parent=general)
    PartyOrganisationFactory(
        unit=world.unit, kind=OrgKind.BRANCH, name="乙党支部", parent=committee
    )
    PartyOrganisationFactory(
        unit=world.unit,
        kind=OrgKind.BRANCH,
        name="已撤支部",
        parent=committee,
        end_date=TODAY - datetime.timedelta(days=1),
    )
    response = as_user(world.staff_a).get(url("unit_detail", world.unit.pk))
    parser = TreeParser()
    parser.feed(response.content.decode())
    assert parser.found == [
        (1, "集团党委"),
        (2, "机关党总支"),
        (3, "甲党支部"),
        (2, "乙党支部"),
        (2, "已撤支部"),
    ]
    assert "已撤销" in response.content.decode()


def test_the_organisation_form_offers_parents_of_the_same_unit_only(world, as_user):
    mine = PartyOrganisationFactory(unit=world.unit, kind=OrgKind.COMMITTEE, name="本单位党委")
    other = UnitFactory(region=world.county)
    PartyOrganisationFactory(unit=other, kind=OrgKind.COMMITTEE, name="外单位党委")
    client = as_user(world.reviewer)
    body = client.get(url("organisation_create") + f"?unit={world.unit.pk}").content.decode()
    assert "本单位党委" in body and "外单位党委" not in body
    response = client.post(
        url("organisation_create") + f"?unit={world.unit.pk}",
        {"unit": world.unit.pk, "name": "新支部", "kind": "branch", "parent": mine.pk},
    )
    assert response.status_code == 302
    assert PartyOrganisation.objects.get(name="新支部").parent == mine


def test_a_wrong_parent_is_shown_next_to_the_field(world, as_user):
    branch = PartyOrganisationFactory(unit=world.unit, kind=OrgKind.BRANCH, name="某支部")
    response = as_user(world.reviewer).post(
        url("organisation_create"),
        {"unit": world.unit.pk, "name": "新总支", "kind": "general_branch", "parent": branch.pk},
    )
    assert response.status_code == 200
    assert "上级党组织“某支部”是党支部" in response.content.decode()
    assert not PartyOrganisation.objects.filter(name="新总支").exists()


# --- participants and yearly plans --------------------------------------------------------
def test_the_reviewer_adds_and_removes_a_participant(world, as_user):
    other = UnitFactory(region=world.county, name="参与单位")
    committee = PartyOrganisationFactory(unit=other, kind=OrgKind.COMMITTEE, name="参与单位党委")
    client = as_user(world.reviewer)
    assert client.get(url("participant_add", world.pairing.pk)).status_code == 200
    response = client.post(url("participant_add", world.pairing.pk), {"organisation": committee.pk})
    assert response.status_code == 302
    participant = PairingParticipant.objects.get(pairing=world.pairing)
    detail = client.get(url("pairing_detail", world.pairing.pk)).content.decode()
    assert "参与单位党委" in detail
    remove = url("participant_remove", world.pairing.pk, participant.pk)
    assert remove in detail
    assert client.post(remove).status_code == 302
    assert not PairingParticipant.objects.filter(pk=participant.pk).exists()
    history = client.get(url("pairing_detail", world.pairing.pk)).content.decode()
    assert "删除参与党组织：参与单位党委" in history


def test_participant_and_plan_pages_follow_the_trio(world, as_user):
    other = UnitFactory(region=world.county)
    committee = PartyOrganisationFactory(unit=other, kind=OrgKind.COMMITTEE)
    participant = PairingParticipant.objects.create(pairing=world.pairing, organisation=committee)
    plan = PairingYearPlan.objects.create(pairing=world.pairing, year=2026, content="计划")
    pk = world.pairing.pk
    addresses = [
        url("participant_add", pk),
        url("participant_remove", pk, participant.pk),
        url("year_plan_add", pk),
        url("year_plan_edit", pk, plan.pk),
    ]
    reader = as_user(world.staff_a)
    for address in addresses:
        assert reader.get(address).status_code == 403
        assert (
            reader.post(address, {"organisation": committee.pk, "delete": "1"}).status_code == 403
        )
    outsider = as_user(world.staff_b)
    for address in addresses:
        assert outsider.post(address, {"delete": "1"}).status_code == 404
    assert PairingParticipant.objects.filter(pk=participant.pk).exists()
    assert PairingYearPlan.objects.filter(pk=plan.pk).exists()


def test_the_reviewer_keeps_the_yearly_plans(world, as_user):
    client = as_user(world.reviewer)
    pk = world.pairing.pk
    response = client.post(url("year_plan_add", pk), {"year": "2026", "content": "全年计划"})
    assert response.status_code == 302
    plan = PairingYearPlan.objects.get(pairing=world.pairing, year=2026)
    refused = client.post(url("year_plan_add", pk), {"year": "2026", "content": "重复"})
    assert "已有工作计划" in refused.content.decode()
    response = client.post(
        url("year_plan_edit", pk, plan.pk), {"year": "2026", "content": "新计划"}
    )
    assert response.status_code == 302
    assert PairingYearPlan.objects.get(pk=plan.pk).content == "新计划"
    client.post(url("year_plan_edit", pk, plan.pk), {"delete": "1"})
    assert not PairingYearPlan.objects.filter(pk=plan.pk).exists()


# --- the coordinator's own unit ----------------------------------------------------------
def test_the_coordinators_unit_page_shows_coverage_helpers_and_the_assessment(world, as_user):
    HouseholdFactory(village=world.village_a, head_name="未结对户")
    project_for(world, name="本单位项目")
    donation_for(world, donor="赵党员")
    response = as_user(world.coordinator).get(url("my_unit"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "测试帮扶单位" in body
    assert "1 / 2 户有本单位帮扶责任人" in body and "50%" in body
    assert "帮扶人甲" in body and "138****8000" in body
    assert "本单位项目" in body and "赵党员" in body
    assert reverse("assessments:unit", args=[world.unit.pk]) in body


def test_only_a_coordinator_has_an_own_unit_page(world, as_user):
    assert as_user(world.reviewer).get(url("my_unit")).status_code == 404
    assert as_user(world.staff_a).get(url("my_unit")).status_code == 404
    response = as_user(None).get(url("my_unit"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_reviewers_see_helpers_full_phone_and_others_masked(world, as_user):
    reviewer = as_user(world.reviewer).get(url("unit_detail", world.unit.pk)).content.decode()
    assert "13800138000" in reviewer
    staff = as_user(world.staff_a).get(url("unit_detail", world.unit.pk)).content.decode()
    assert "13800138000" not in staff and "138****8000" in staff


def test_the_hub_lists_the_structure_pages_in_their_group(world, as_user):
    body = as_user(world.reviewer).get(reverse("structure")).content.decode()
    assert "帮扶单位与结对" in body
    for kind in CASES:
        assert url(f"{kind}_list") in body


# --- query counts ----------------------------------------------------------------------------
def _rows(world, kind, n):
    for i in range(n):
        unit = UnitFactory(region=world.county)
        if kind == "unit":
            continue
        if kind == "organisation":
            committee = PartyOrganisationFactory(unit=unit, kind="committee")
            PartyOrganisationFactory(unit=unit, kind="branch", parent=committee)
        elif kind == "pairing":
            PairingFactory(lead_unit=unit, village=world.village_a)
        elif kind == "project":
            PairingFactory(lead_unit=unit, village=world.village_a)
            project_for(world, unit=unit, name=f"项目{i}")
        elif kind == "donation":
            donation_for(world, donor=f"捐款人{i}")


def _count(client, address) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("kind", CASES)
def test_list_queries_do_not_grow_with_rows(world, as_user, kind):
    client = as_user(world.reviewer)
    _rows(world, kind, 1)
    one = _count(client, url(f"{kind}_list"))
    _rows(world, kind, 20)
    assert _count(client, url(f"{kind}_list")) == one
    assert one <= 12


def test_the_unit_page_queries_do_not_grow_with_its_records(world, as_user):
    client = as_user(world.reviewer)
    committee = PartyOrganisationFactory(unit=world.unit, kind="committee")
    project_for(world)
    donation_for(world)
    one = _count(client, url("unit_detail", world.unit.pk))
    for i in range(10):
        PartyOrganisationFactory(unit=world.unit, kind="branch", parent=committee)
        CadreFactory(unit=world.unit, name=f"帮扶人{i}")
        HouseholdFactory(village=world.village_a)
        project_for(world, name=f"项目{i}")
        donation_for(world, donor=f"捐款人{i}")
    assert _count(client, url("unit_detail", world.unit.pk)) == one


def test_a_coordinator_of_another_unit_does_not_see_this_units_page(world, as_user):
    other = UnitFactory(region=world.county)
    coordinator = UserFactory(username="coord_other", role=Role.COORDINATOR, unit=other)
    assert as_user(coordinator).get(url("unit_detail", world.unit.pk)).status_code == 404


def test_the_units_coordinator_phone_is_masked_for_roles_without_full_numbers(world, as_user):
    world.unit.coordinator_phone = "13912345678"
    world.unit.save()
    reviewer = as_user(world.reviewer).get(url("unit_detail", world.unit.pk)).content.decode()
    assert "13912345678" in reviewer
    staff = as_user(world.staff_a).get(url("unit_detail", world.unit.pk)).content.decode()
    assert "13912345678" not in staff and "139****5678" in staff
