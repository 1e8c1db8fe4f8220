"""The rules of the structure's services (pairing/services.py): who keeps what, scope, the
Party-organisation tree, pairings, participants, yearly plans, projects, donations, and
ending instead of deleting what records refer to."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from pairing import services
from pairing.models import (
    Donation,
    OrgKind,
    Pairing,
    PairingKind,
    PairingParticipant,
    PairingYearPlan,
    PartyOrganisation,
    Project,
    Unit,
)
from pairing.selectors import pairing_history
from tests.factories import (
    PairingFactory,
    PartyOrganisationFactory,
    UnitFactory,
    VillageFactory,
    make_township,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def messages_of(exc: ValidationError) -> str:
    return " ".join(message for messages in exc.value.message_dict.values() for message in messages)


def org(unit, kind, name, parent=None):
    return PartyOrganisationFactory(unit=unit, kind=kind, name=name, parent=parent)


# --- units ---------------------------------------------------------------------------------
def test_reviewer_records_a_unit_in_their_county(world):
    unit = services.unit_record(
        user=world.reviewer, name=" 县供电公司 ", kind="enterprise", region=world.county
    )
    assert unit.name == "县供电公司" and unit.region == world.county


@pytest.mark.parametrize("who", ["staff_a", "coordinator", "cadre_user"])
def test_other_roles_cannot_record_a_unit(world, who):
    with pytest.raises(PermissionDenied):
        services.unit_record(
            user=getattr(world, who), name="某单位", kind="enterprise", region=world.county
        )
    assert not Unit.objects.filter(name="某单位").exists()


def test_a_unit_outside_the_reviewers_county_is_not_found(world):
    with pytest.raises(Http404):
        services.unit_record(
            user=world.reviewer, name="外县单位", kind="organ", region=world.other_county
        )
    assert not Unit.objects.filter(name="外县单位").exists()


def test_a_unit_needs_a_region_unless_an_administrator_records_it(world):
    with pytest.raises(ValidationError) as exc:
        services.unit_record(user=world.reviewer, name="无区划单位", kind="organ")
    assert "region" in exc.value.message_dict
    assert services.unit_record(user=world.admin, name="无区划单位", kind="organ").region is None


def test_a_second_unit_of_the_same_name_is_refused_naming_it(world):
    with pytest.raises(ValidationError) as exc:
        services.unit_record(
            user=world.reviewer, name="测试帮扶单位", kind="organ", region=world.county
        )
    assert "测试帮扶单位" in exc.value.message_dict["name"][0]


def test_a_unit_paired_here_but_kept_elsewhere_is_read_not_changed(world):
    elsewhere = UnitFactory(region=world.other_county, name="外县企业")
    PairingFactory(lead_unit=elsewhere, village=world.village_a)
    with pytest.raises(PermissionDenied) as exc:
        services.unit_update(user=world.reviewer, unit=elsewhere, principal_leader="某人")
    assert "外县企业" in str(exc.value)
    elsewhere.refresh_from_db()
    assert elsewhere.principal_leader == ""


def test_a_unit_records_refer_to_is_ended_not_deleted(world):
    org(world.unit, OrgKind.COMMITTEE, "测试党委")
    with pytest.raises(ValidationError) as exc:
        services.unit_delete(user=world.reviewer, unit=world.unit)
    text = messages_of(exc)
    assert "不能删除" in text and "撤销日期" in text and "党组织" in text
    assert Unit.objects.filter(pk=world.unit.pk).exists()


def test_a_unit_nothing_refers_to_is_deleted(world):
    unit = UnitFactory(region=world.county)
    services.unit_delete(user=world.reviewer, unit=unit)
    assert not Unit.objects.filter(pk=unit.pk).exists()


def test_ending_a_unit_waits_for_its_pairings_and_ends_its_organisations(world):
    committee = org(world.unit, OrgKind.COMMITTEE, "测试党委")
    with pytest.raises(ValidationError) as exc:
        services.unit_end(user=world.reviewer, unit=world.unit, day=TODAY)
    assert world.pairing.name in messages_of(exc)
    services.pairing_end(user=world.reviewer, pairing=world.pairing, day=TODAY)
    services.unit_end(user=world.reviewer, unit=world.unit, day=TODAY)
    world.unit.refresh_from_db()
    committee.refresh_from_db()
    assert world.unit.end_date == TODAY and committee.end_date == TODAY


# --- the Party-organisation tree -------------------------------------------------------------
def record_org(world, name, kind, parent=None, unit=None):
    return services.organisation_record(
        user=world.reviewer, name=name, kind=kind, unit=unit or world.unit, parent=parent
    )


def test_the_tree_is_committee_general_branch_branch(world):
    committee = record_org(world, "党委", OrgKind.COMMITTEE)
    general = record_org(world, "第一党总支", OrgKind.GENERAL_BRANCH, committee)
    branch = record_org(world, "第一党支部", OrgKind.BRANCH, general)
    direct = record_org(world, "机关党支部", OrgKind.BRANCH, committee)
    assert branch.parent == general and general.parent == committee and direct.parent == committee


@pytest.mark.parametrize(
    ("kind", "parent_kind", "words"),
    [
        (OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, ["上级党组织“上级”是党支部", "党委"]),
        (OrgKind.GENERAL_BRANCH, OrgKind.GENERAL_BRANCH, ["上级党组织“上级”是党总支"]),
        (OrgKind.BRANCH, OrgKind.BRANCH, ["上级党组织“上级”是党支部", "党委或党总支"]),
        (OrgKind.COMMITTEE, OrgKind.COMMITTEE, ["党委是单位内最高一级", "上级"]),
        (OrgKind.LEADING_GROUP, OrgKind.COMMITTEE, ["党组不在", "上级"]),
        (OrgKind.BRANCH, OrgKind.LEADING_GROUP, ["“上级”是党组，不能作为上级党组织"]),
    ],
)
def test_a_wrong_level_of_parent_is_refused_naming_it(world, kind, parent_kind, words):
    parent = org(world.unit, parent_kind, "上级")
    with pytest.raises(ValidationError) as exc:
        record_org(world, "下级", kind, parent)
    text = " ".join(exc.value.message_dict["parent"])
    for word in words:
        assert word in text
    assert not PartyOrganisation.objects.filter(name="下级").exists()


def test_a_parent_of_another_unit_is_refused_naming_it_and_its_unit(world):
    other = UnitFactory(region=world.county, name="另一单位")
    foreign = org(other, OrgKind.COMMITTEE, "另一单位党委")
    with pytest.raises(ValidationError) as exc:
        record_org(world, "本单位党支部", OrgKind.BRANCH, foreign)
    text = exc.value.message_dict["parent"][0]
    assert "另一单位党委" in text and "另一单位" in text


def test_a_village_branch_is_not_a_parent_of_a_units_branch(world):
    village_branch = PartyOrganisationFactory(
        unit=None, village=world.village_a, kind=OrgKind.BRANCH, name="甲村党支部"
    )
    with pytest.raises(ValidationError) as exc:
        record_org(world, "党支部", OrgKind.BRANCH, village_branch)
    assert "甲村党支部" in exc.value.message_dict["parent"][0]


def test_a_kind_change_that_would_break_the_tree_is_refused_naming_the_child(world):
    committee = record_org(world, "党委", OrgKind.COMMITTEE)
    general = record_org(world, "党总支", OrgKind.GENERAL_BRANCH, committee)
    record_org(world, "一支部", OrgKind.BRANCH, general)
    with pytest.raises(ValidationError) as exc:
        services.organisation_update(user=world.reviewer, organisation=general, kind=OrgKind.BRANCH)
    assert "一支部" in exc.value.message_dict["kind"][0]
    general.refresh_from_db()
    assert general.kind == OrgKind.GENERAL_BRANCH


def test_an_organisation_is_not_its_own_parent(world):
    committee = record_org(world, "党委", OrgKind.COMMITTEE)
    general = record_org(world, "党总支", OrgKind.GENERAL_BRANCH, committee)
    with pytest.raises(ValidationError):
        services.organisation_update(user=world.reviewer, organisation=general, parent=general)


def test_an_organisation_name_is_once_per_unit(world):
    record_org(world, "党委", OrgKind.COMMITTEE)
    with pytest.raises(ValidationError) as exc:
        record_org(world, "党委", OrgKind.COMMITTEE)
    assert "党委" in exc.value.message_dict["name"][0]
    other = UnitFactory(region=world.county)
    assert record_org(world, "党委", OrgKind.COMMITTEE, unit=other).unit == other


def test_an_organisation_with_children_is_ended_not_deleted(world):
    committee = record_org(world, "党委", OrgKind.COMMITTEE)
    branch = record_org(world, "党支部", OrgKind.BRANCH, committee)
    with pytest.raises(ValidationError) as exc:
        services.organisation_delete(user=world.reviewer, organisation=committee)
    assert "撤销日期" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        services.organisation_end(user=world.reviewer, organisation=committee, day=TODAY)
    assert "党支部" in messages_of(exc)
    services.organisation_end(user=world.reviewer, organisation=branch, day=TODAY)
    services.organisation_end(user=world.reviewer, organisation=committee, day=TODAY)
    committee.refresh_from_db()
    assert committee.end_date == TODAY


def test_an_organisation_of_a_unit_kept_elsewhere_cannot_be_recorded(world):
    elsewhere = UnitFactory(region=world.other_county)
    PairingFactory(lead_unit=elsewhere, village=world.village_a)  # visible, not kept
    with pytest.raises(PermissionDenied):
        record_org(world, "党委", OrgKind.COMMITTEE, unit=elsewhere)
    hidden = UnitFactory(region=world.other_county)
    with pytest.raises(Http404):
        record_org(world, "党委", OrgKind.COMMITTEE, unit=hidden)
    assert not PartyOrganisation.objects.filter(name="党委").exists()


# --- pairings ----------------------------------------------------------------------------
def record_pairing(world, **fields):
    values = {
        "kind": PairingKind.ORG_PAIRING,
        "name": "新结对",
        "lead_unit": world.unit,
        "village": world.village_b,
        "start_date": datetime.date(2026, 1, 1),
        "end_date": datetime.date(2028, 12, 31),
    }
    values.update(fields)
    return services.pairing_record(user=world.reviewer, **values)


def test_a_pairing_with_a_village_sits_at_the_village(world):
    pairing = record_pairing(world)
    assert pairing.region == world.village_b.region and pairing.path == world.village_b.path


def test_a_pairing_that_ends_before_it_starts_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        record_pairing(world, end_date=datetime.date(2025, 12, 31))
    assert "结束日期不能早于开始日期" in exc.value.message_dict["end_date"][0]
    assert not Pairing.objects.filter(name="新结对").exists()
    with pytest.raises(ValidationError):
        services.pairing_update(
            user=world.reviewer, pairing=world.pairing, end_date=datetime.date(2024, 1, 1)
        )


def test_an_organisation_pairing_needs_a_village(world):
    with pytest.raises(ValidationError) as exc:
        record_pairing(world, village=None, region=world.township_b)
    assert "village" in exc.value.message_dict
    designated = record_pairing(
        world, kind=PairingKind.DESIGNATED, village=None, region=world.county
    )
    assert designated.path == world.county.path


def test_the_lead_organisation_belongs_to_the_lead_unit(world):
    other = UnitFactory(region=world.county, name="别的单位")
    foreign = org(other, OrgKind.COMMITTEE, "别的单位党委")
    with pytest.raises(ValidationError) as exc:
        record_pairing(world, lead_organisation=foreign)
    text = exc.value.message_dict["lead_organisation"][0]
    assert "别的单位党委" in text and "测试帮扶单位" in text


def test_a_one_plus_n_pairing_is_led_by_a_committee(world):
    branch = org(world.unit, OrgKind.BRANCH, "某支部")
    with pytest.raises(ValidationError) as exc:
        record_pairing(world, kind=PairingKind.ONE_PLUS, lead_organisation=branch)
    assert "某支部" in exc.value.message_dict["lead_organisation"][0]
    committee = org(world.unit, OrgKind.COMMITTEE, "某党委")
    pairing = record_pairing(world, kind=PairingKind.ONE_PLUS, lead_organisation=committee)
    assert pairing.lead_organisation == committee


def test_the_village_organisation_is_the_paired_villages(world):
    branch_a = PartyOrganisationFactory(
        unit=None, village=world.village_a, kind=OrgKind.BRANCH, name="甲村党支部"
    )
    with pytest.raises(ValidationError) as exc:
        record_pairing(world, village_organisation=branch_a)
    assert "甲村党支部" in exc.value.message_dict["village_organisation"][0]


def test_a_pairing_outside_scope_is_not_found_and_not_written(world):
    with pytest.raises(Http404):
        services.pairing_record(
            user=world.reviewer,
            kind=PairingKind.ORG_PAIRING,
            name="越界",
            lead_unit=world.unit,
            village=VillageFactory(township=make_township(world.other_county)),
            start_date=datetime.date(2026, 1, 1),
        )
    assert not Pairing.objects.filter(name="越界").exists()


def test_township_staff_do_not_keep_pairings(world):
    with pytest.raises(PermissionDenied):
        services.pairing_update(user=world.staff_a, pairing=world.pairing, name="改名")


def test_a_pairing_records_refer_to_is_ended_not_deleted(world):
    Project.objects.create(
        pairing=world.pairing,
        unit=world.unit,
        village=world.village_a,
        name="项目",
        kind="industry",
        year=2026,
    )
    with pytest.raises(ValidationError) as exc:
        services.pairing_delete(user=world.reviewer, pairing=world.pairing)
    assert "帮扶项目" in messages_of(exc) and "结束日期" in messages_of(exc)


def test_a_pairing_entered_by_mistake_goes_with_its_participants_and_plans(world):
    pairing = record_pairing(world)
    other = UnitFactory(region=world.county)
    services.participant_record(
        user=world.reviewer, pairing=pairing, organisation=org(other, OrgKind.COMMITTEE, "委")
    )
    services.year_plan_record(user=world.reviewer, pairing=pairing, year=2026, content="计划")
    services.pairing_delete(user=world.reviewer, pairing=pairing)
    assert not Pairing.objects.filter(pk=pairing.pk).exists()
    assert not PairingParticipant.objects.filter(pairing_id=pairing.pk).exists()


# --- participants and yearly plans --------------------------------------------------------
def test_a_participating_unit_is_listed_once(world):
    other = UnitFactory(region=world.county, name="参与单位")
    committee = org(other, OrgKind.COMMITTEE, "参与单位党委")
    branch = org(other, OrgKind.BRANCH, "参与单位一支部", committee)
    services.participant_record(user=world.reviewer, pairing=world.pairing, organisation=committee)
    with pytest.raises(ValidationError) as exc:
        services.participant_record(user=world.reviewer, pairing=world.pairing, organisation=branch)
    text = exc.value.message_dict["organisation"][0]
    assert "参与单位" in text and "参与单位党委" in text
    assert world.pairing.participants.count() == 1


def test_the_lead_unit_is_not_also_a_participant(world):
    branch = org(world.unit, OrgKind.BRANCH, "本单位支部")
    with pytest.raises(ValidationError) as exc:
        services.participant_record(user=world.reviewer, pairing=world.pairing, organisation=branch)
    assert "测试帮扶单位" in exc.value.message_dict["organisation"][0]


def test_a_village_branch_is_not_a_participant(world):
    branch = PartyOrganisationFactory(
        unit=None, village=world.village_a, kind=OrgKind.BRANCH, name="甲村支部"
    )
    with pytest.raises(ValidationError):
        services.participant_record(user=world.reviewer, pairing=world.pairing, organisation=branch)


def test_the_lead_unit_cannot_become_one_already_participating(world):
    other = UnitFactory(region=world.county, name="乙单位")
    services.participant_record(
        user=world.reviewer, pairing=world.pairing, organisation=org(other, "committee", "乙委")
    )
    with pytest.raises(ValidationError) as exc:
        services.pairing_update(user=world.reviewer, pairing=world.pairing, lead_unit=other)
    assert "乙委" in exc.value.message_dict["lead_unit"][0]


def test_a_yearly_plan_lies_within_the_pairing_and_once_a_year(world):
    with pytest.raises(ValidationError) as exc:
        services.year_plan_record(
            user=world.reviewer, pairing=world.pairing, year=2024, content="x"
        )
    assert "2025" in exc.value.message_dict["year"][0]
    plan = services.year_plan_record(
        user=world.reviewer, pairing=world.pairing, year=2026, content="年度计划"
    )
    with pytest.raises(ValidationError):
        services.year_plan_record(
            user=world.reviewer, pairing=world.pairing, year=2026, content="y"
        )
    services.year_plan_update(user=world.reviewer, year_plan=plan, content="改后计划")
    assert PairingYearPlan.objects.get(pk=plan.pk).content == "改后计划"


def test_the_pairings_history_keeps_removed_participants(world):
    other = UnitFactory(region=world.county)
    committee = org(other, OrgKind.COMMITTEE, "历史党委")
    participant = services.participant_record(
        user=world.reviewer, pairing=world.pairing, organisation=committee
    )
    services.participant_delete(user=world.reviewer, participant=participant)
    actions = [line.action for line in pairing_history(world.pairing)]
    assert any("删除参与党组织：历史党委" in action for action in actions)
    assert any("新增参与党组织：历史党委" in action for action in actions)


# --- projects and donations ---------------------------------------------------------------
def record_project(world, user, **fields):
    values = {
        "unit": world.unit,
        "village": world.village_a,
        "name": "养殖项目",
        "kind": "industry",
        "year": 2026,
        "direct_funds": Decimal("50000"),
    }
    values.update(fields)
    return services.project_record(user=user, **values)


def test_a_coordinator_records_their_own_units_project(world):
    project = record_project(world, world.coordinator, pairing=world.pairing)
    assert project.unit == world.unit and project.coordinated_funds == 0


def test_a_coordinator_does_not_keep_another_units_project(world):
    partner = UnitFactory(region=world.county, name="伙伴单位")
    PairingFactory(lead_unit=partner, village=world.village_a)
    with pytest.raises(PermissionDenied) as exc:
        record_project(world, world.coordinator, unit=partner)
    assert "伙伴单位" in str(exc.value)
    theirs = record_project(world, world.reviewer, unit=partner)
    with pytest.raises(PermissionDenied):
        services.project_update(user=world.coordinator, project=theirs, name="改")


def test_a_reviewer_corrects_a_units_project(world):
    project = record_project(world, world.coordinator)
    services.project_update(user=world.reviewer, project=project, status="done")
    assert Project.objects.get(pk=project.pk).status == "done"


def test_township_staff_read_projects_but_do_not_keep_them(world):
    with pytest.raises(PermissionDenied):
        record_project(world, world.staff_a)


def test_a_projects_pairing_includes_its_unit_and_village(world):
    other = UnitFactory(region=world.county, name="无关单位")
    with pytest.raises(ValidationError) as exc:
        record_project(world, world.reviewer, unit=other, pairing=world.pairing)
    assert "无关单位" in exc.value.message_dict["pairing"][0]
    with pytest.raises(ValidationError) as exc:
        record_project(world, world.reviewer, village=world.village_b, pairing=world.pairing)
    assert "甲村" in exc.value.message_dict["village"][0]


def test_a_coordinator_project_outside_the_paired_villages_is_not_found(world):
    with pytest.raises(Http404):
        record_project(world, world.coordinator, village=world.village_b)
    assert not Project.objects.exists()


def test_a_donation_names_an_organisation_of_its_unit_and_no_future_day(world):
    foreign = org(UnitFactory(region=world.county), OrgKind.COMMITTEE, "别家党委")
    base = {
        "user": world.coordinator,
        "unit": world.unit,
        "village": world.village_a,
        "donor": "王党员",
        "amount": Decimal("200"),
        "donated_on": TODAY,
    }
    with pytest.raises(Http404):  # an organisation the coordinator cannot see
        services.donation_record(**base, organisation=foreign)
    with pytest.raises(ValidationError) as exc:
        services.donation_record(**{**base, "user": world.reviewer}, organisation=foreign)
    assert "别家党委" in exc.value.message_dict["organisation"][0]
    with pytest.raises(ValidationError) as exc:
        services.donation_record(**{**base, "donated_on": TODAY + datetime.timedelta(days=1)})
    assert "donated_on" in exc.value.message_dict
    donation = services.donation_record(**base)
    services.donation_delete(user=world.coordinator, donation=donation)
    assert not Donation.objects.exists()
