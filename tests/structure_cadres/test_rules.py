"""The rules of the people and their posts, asked of the services (the pages, the import and
the API all call them): each refusal is Chinese and names the conflicting record."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from cadres import services
from cadres.models import (
    Cadre,
    CadreKind,
    Liaison,
    ReserveCadre,
    TalentAssignment,
    Term,
    WorkTeamMember,
    YearlyGrade,
)
from core.history import change_history
from core.scope import UserScope
from tests.factories import (
    CadreFactory,
    TermFactory,
    WorkTeamFactory,
    WorkTeamMemberFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# --- terms -------------------------------------------------------------------------------------
def test_a_term_that_ends_before_it_starts_is_refused(world, people):
    with pytest.raises(ValidationError) as excinfo:
        services.term_record(
            user=world.reviewer,
            cadre=people.a.stationed,
            village=world.village_a,
            role=Term.TermRole.STATIONED,
            start_date=D(2026, 5, 1),
            end_date=D(2026, 4, 30),
        )
    assert errors_of(excinfo)["end_date"] == [
        "任期结束日期（2026-04-30）不能早于开始日期（2026-05-01）。"
    ]


def test_two_terms_of_one_cadre_in_the_same_post_at_once_are_refused(world, people):
    with pytest.raises(ValidationError) as excinfo:
        services.term_record(
            user=world.reviewer,
            cadre=people.a.secretary,
            village=world.village_b,
            role=Term.TermRole.FIRST_SECRETARY,
            start_date=D(2027, 6, 1),
            end_date=D(2029, 5, 31),
        )
    message = errors_of(excinfo)["start_date"][0]
    assert "甲村书记在甲村任第一书记（2025-01-01 至 2027-12-31）" in message
    # The day after the first term ends the second may start.
    services.term_record(
        user=world.reviewer,
        cadre=people.a.secretary,
        village=world.village_b,
        role=Term.TermRole.FIRST_SECRETARY,
        start_date=D(2028, 1, 1),
        end_date=D(2029, 12, 31),
    )


def test_only_stationed_cadres_and_first_secretaries_have_terms(world, people):
    with pytest.raises(ValidationError) as excinfo:
        services.term_record(
            user=world.reviewer,
            cadre=world.helper_a,
            village=world.village_a,
            role=Term.TermRole.STATIONED,
            start_date=D(2026, 1, 1),
            end_date=D(2027, 1, 1),
        )
    assert "帮扶人甲" in errors_of(excinfo)["cadre"][0]


def test_recall_needs_a_date_and_a_reason_and_ends_the_term_that_day(world, people):
    term = people.a.term
    with pytest.raises(ValidationError) as excinfo:
        services.term_recall(user=world.reviewer, term=term, day=None, reason="")
    assert set(errors_of(excinfo)) == {"day", "reason"}
    with pytest.raises(ValidationError):
        services.term_recall(user=world.reviewer, term=term, day=D(2024, 1, 1), reason="早")
    services.term_recall(user=world.reviewer, term=term, day=D(2026, 3, 15), reason="身体原因")
    term.refresh_from_db()
    assert (term.end_date, term.recalled_on, term.recall_reason) == (
        D(2026, 3, 15),
        D(2026, 3, 15),
        "身体原因",
    )
    assert not Term.objects.in_force(D(2026, 3, 15)).filter(pk=term.pk).exists()
    assert Term.objects.in_force(D(2026, 3, 14)).filter(pk=term.pk).exists()
    # The history says who recalled and what changed.
    changed = {label for line in change_history(term) for label, _, _ in line.changes}
    assert {"召回日期", "召回原因", "任期结束"} <= changed


def test_a_replacement_ends_the_old_term_the_day_before_and_links_both(world, people):
    term = people.a.term
    successor = CadreFactory(
        name="接任者", kind=CadreKind.FIRST_SECRETARY, home_region=world.village_a.region
    )
    new = services.term_replace(
        user=world.reviewer, term=term, cadre=successor, day=D(2026, 9, 1), reason="工作调动"
    )
    term.refresh_from_db()
    assert term.end_date == D(2026, 8, 31)
    assert (new.start_date, new.end_date, new.village, new.role) == (
        D(2026, 9, 1),
        D(2027, 12, 31),
        term.village,
        term.role,
    )
    assert new.replaces == term and term.replaced_by == new
    assert new.approved_by == world.reviewer and new.replacement_reason == "工作调动"
    in_force = Term.objects.in_force
    assert list(in_force(D(2026, 8, 31)).filter(village=world.village_a)) == [term]
    assert list(in_force(D(2026, 9, 1)).filter(village=world.village_a)) == [new]
    with pytest.raises(ValidationError) as excinfo:
        services.term_replace(
            user=world.reviewer, term=term, cadre=people.a.stationed, day=D(2026, 10, 1)
        )
    assert "接任者" in errors_of(excinfo)["cadre"][0]


def test_a_replacement_is_refused_when_the_successor_is_already_in_post(world, people):
    """B already first secretary elsewhere at that time: nothing changes, A keeps its end."""
    term = people.a.term
    with pytest.raises(ValidationError) as excinfo:
        services.term_replace(
            user=world.reviewer, term=term, cadre=people.b.secretary, day=D(2026, 9, 1)
        )
    assert "乙村书记在乙村任第一书记" in errors_of(excinfo)["start_date"][0]
    term.refresh_from_db()
    assert term.end_date == D(2027, 12, 31)
    assert not Term.objects.filter(replaces=term).exists()


def test_a_replacement_is_recorded_by_reviewers_only(world, people):
    with pytest.raises(PermissionDenied):
        services.term_replace(
            user=world.staff_a, term=people.a.term, cadre=people.a.stationed, day=D(2026, 9, 1)
        )


def test_a_replacement_after_a_recall_keeps_the_recall(world, people):
    term = people.a.term
    services.term_recall(user=world.reviewer, term=term, day=D(2026, 3, 1), reason="召回")
    successor = CadreFactory(kind=CadreKind.FIRST_SECRETARY, home_region=world.village_a.region)
    with pytest.raises(ValidationError):
        services.term_replace(user=world.reviewer, term=term, cadre=successor, day=D(2026, 2, 1))
    new = services.term_replace(user=world.reviewer, term=term, cadre=successor, day=D(2026, 3, 1))
    term.refresh_from_db()
    assert (term.end_date, term.recalled_on, new.start_date) == (
        D(2026, 3, 1),
        D(2026, 3, 1),
        D(2026, 3, 1),
    )


# --- work teams ------------------------------------------------------------------------------
def test_a_cadre_in_two_work_teams_at_once_is_refused_naming_the_team(world, people):
    cadre = people.a.stationed  # in 甲村工作队 from 2025-01-01
    with pytest.raises(ValidationError) as excinfo:
        services.work_team_member_record(
            user=world.reviewer, team=people.b.team, cadre=cadre, start_date=D(2026, 1, 1)
        )
    message = errors_of(excinfo)["cadre"][0]
    assert "甲村工作队" in message and "2025-01-01" in message
    # Leaving the first team the day before joining the second is fine.
    services.work_team_member_end(user=world.reviewer, member=people.a.member, day=D(2025, 12, 31))
    member = services.work_team_member_record(
        user=world.reviewer, team=people.b.team, cadre=cadre, start_date=D(2026, 1, 1)
    )
    assert WorkTeamMember.objects.in_force(D(2026, 1, 1)).filter(cadre=cadre).get() == member


def test_a_team_ending_early_takes_its_members_with_it(world, people):
    team = people.a.team
    services.work_team_end(user=world.reviewer, work_team=team, day=D(2026, 6, 30))
    people.a.member.refresh_from_db()
    assert people.a.member.last_day() == D(2026, 6, 30)
    assert not WorkTeamMember.objects.in_force(D(2026, 7, 1)).filter(team=team).exists()


def test_a_team_whose_new_dates_would_overlap_a_members_other_team_is_refused(world, people):
    cadre = CadreFactory(name="轮换队员", kind=CadreKind.STATIONED)
    early = WorkTeamFactory(name="前期工作队", start_date=D(2023, 1, 1), end_date=D(2024, 12, 31))
    early.villages.add(world.village_a)
    WorkTeamMemberFactory(team=early, cadre=cadre)
    WorkTeamMemberFactory(team=people.a.team, cadre=cadre)  # from 2025-01-01
    with pytest.raises(ValidationError) as excinfo:
        services.work_team_update(user=world.reviewer, work_team=early, end_date=D(2025, 6, 30))
    assert "轮换队员" in str(excinfo.value) and "甲村工作队" in str(excinfo.value)


def test_one_leader_at_a_time_and_the_next_after_the_first_leaves(world, people):
    team = people.a.team
    first = services.work_team_member_record(
        user=world.reviewer, team=team, cadre=people.a.secretary, role="leader"
    )
    newcomer = CadreFactory(
        name="新队长", kind=CadreKind.STATIONED, home_region=world.village_a.region
    )
    with pytest.raises(ValidationError) as excinfo:
        services.work_team_member_record(
            user=world.reviewer, team=team, cadre=newcomer, role="leader", start_date=D(2026, 1, 1)
        )
    assert "甲村书记" in errors_of(excinfo)["role"][0]
    services.work_team_member_end(user=world.reviewer, member=first, day=D(2025, 12, 31))
    services.work_team_member_record(
        user=world.reviewer, team=team, cadre=newcomer, role="leader", start_date=D(2026, 1, 1)
    )


def test_a_member_cannot_join_before_the_team_arrives(world, people):
    newcomer = CadreFactory(kind=CadreKind.STATIONED, home_region=world.village_a.region)
    with pytest.raises(ValidationError) as excinfo:
        services.work_team_member_record(
            user=world.reviewer, team=people.a.team, cadre=newcomer, start_date=D(2024, 12, 1)
        )
    assert "2025-01-01" in errors_of(excinfo)["start_date"][0]


def test_leaving_a_team_ends_the_cadres_view_of_its_village(world, people):
    from accounts.models import Role
    from tests.factories import UserFactory

    user = UserFactory(role=Role.CADRE, cadre=people.a.stationed)
    today = UserScope(user).today
    assert world.village_a.pk in set(UserScope(user).village_ids().values_list("id", flat=True))
    services.work_team_member_end(
        user=world.reviewer, member=people.a.member, day=today - datetime.timedelta(days=1)
    )
    assert world.village_a.pk not in set(UserScope(user).village_ids().values_list("id", flat=True))


# --- deleting what others refer to -----------------------------------------------------------------
def test_a_cadre_others_refer_to_is_ended_not_deleted(world, people):
    with pytest.raises(ValidationError) as excinfo:
        services.cadre_delete(user=world.reviewer, cadre=people.a.secretary)
    message = excinfo.value.messages[0]
    assert "驻村任期 1 条" in message and "离任日期" in message
    assert Cadre.objects.filter(pk=people.a.secretary.pk).exists()
    lone = CadreFactory(home_region=world.village_a.region, unit=None, kind=CadreKind.STATIONED)
    services.cadre_delete(user=world.reviewer, cadre=lone)
    assert not Cadre.objects.filter(pk=lone.pk).exists()


def test_a_helper_with_pairings_is_not_deleted(world, people):
    with pytest.raises(ValidationError) as excinfo:
        services.helper_delete(user=world.coordinator, helper=world.helper_a)
    assert "结对帮扶" in excinfo.value.messages[0]


def test_a_team_with_members_is_ended_not_deleted(world, people):
    with pytest.raises(ValidationError) as excinfo:
        services.work_team_delete(user=world.reviewer, work_team=people.a.team)
    assert "工作队成员 1 条" in excinfo.value.messages[0]


def test_a_replaced_term_is_not_deleted(world, people):
    successor = CadreFactory(kind=CadreKind.FIRST_SECRETARY, home_region=world.village_a.region)
    services.term_replace(
        user=world.reviewer, term=people.a.term, cadre=successor, day=D(2026, 1, 1)
    )
    with pytest.raises(ValidationError):
        services.term_delete(user=world.reviewer, term=people.a.term)


# --- the other records -------------------------------------------------------------------------
def test_one_grade_a_year_naming_the_grade_on_file(world, people):
    with pytest.raises(ValidationError) as excinfo:
        services.yearly_grade_record(
            user=world.reviewer, cadre=people.a.secretary, year=2025, grade="excellent"
        )
    assert "已评定为“称职”" in errors_of(excinfo)["year"][0]
    assert YearlyGrade.objects.filter(cadre=people.a.secretary).count() == 1


def test_one_liaison_per_role_and_village_naming_the_one_on_file(world, people):
    with pytest.raises(ValidationError) as excinfo:
        services.liaison_record(
            user=world.staff_a, village=world.village_a, role="village", name="另一人"
        )
    assert "村联络人“村联络人”" in errors_of(excinfo)["role"][0]
    liaison = services.liaison_record(
        user=world.staff_a, village=world.village_a, role="cadre", cadre=people.a.secretary
    )
    assert (liaison.name, liaison.phone) == ("甲村书记", "13911112222")


def test_liaisons_reserve_cadres_and_talents_are_the_townships(world, people):
    with pytest.raises(PermissionDenied):
        services.liaison_record(
            user=world.coordinator, village=world.village_a, role="cadre", name="某"
        )
    with pytest.raises(Http404):
        services.reserve_cadre_record(
            user=world.staff_b, village=world.village_a, name="某", added_on=D(2026, 1, 1)
        )
    assert not ReserveCadre.objects.filter(name="某").exists()


def test_a_reserve_cadre_leaves_after_joining(world, people):
    with pytest.raises(ValidationError) as excinfo:
        services.reserve_cadre_end(user=world.staff_a, reserve=people.a.reserve, day=D(2025, 1, 1))
    assert errors_of(excinfo)["left_on"] == ["退出日期不能早于纳入日期。"]
    with pytest.raises(ValidationError) as excinfo:
        services.reserve_cadre_record(
            user=world.staff_a, village=world.village_a, name="甲村后备", added_on=D(2026, 1, 1)
        )
    assert "甲村后备" in errors_of(excinfo)["name"][0]


def test_a_talent_is_a_talent_and_a_new_one_is_filed_under_the_village(world, people):
    with pytest.raises(ValidationError) as excinfo:
        services.talent_assignment_record(
            user=world.staff_a,
            village=world.village_a,
            specialty="农技",
            start_date=D(2026, 1, 1),
            cadre=people.a.stationed,
        )
    assert "不是下派专业人才" in errors_of(excinfo)["cadre"][0]
    talent = services.talent_assignment_record(
        user=world.staff_a,
        village=world.village_a,
        specialty="电商",
        start_date=D(2026, 1, 1),
        name="电商专员",
        phone="13312345678",
    )
    assert (talent.cadre.kind, talent.cadre.home_region) == (
        CadreKind.TALENT,
        world.village_a.region,
    )
    with pytest.raises(ValidationError) as excinfo:
        services.talent_assignment_record(
            user=world.staff_a,
            village=world.village_a,
            specialty="电商",
            start_date=D(2026, 6, 1),
            cadre=talent.cadre,
        )
    assert "电商专员" in errors_of(excinfo)["start_date"][0]
    assert TalentAssignment.objects.filter(cadre=talent.cadre).count() == 1


def test_an_id_number_is_registered_once(world, people):
    number = make_id_number()
    services.cadre_record(
        user=world.reviewer,
        name="甲",
        kind=CadreKind.STATIONED,
        id_number=number,
        home_region=world.village_a.region,
    )
    with pytest.raises(ValidationError) as excinfo:
        services.cadre_record(
            user=world.reviewer,
            name="乙",
            kind=CadreKind.STATIONED,
            id_number=number.lower(),
            home_region=world.village_a.region,
        )
    assert "“甲”" in errors_of(excinfo)["id_number"][0]


def test_a_cadre_a_reviewer_enters_stays_in_their_sight(world, people):
    cadre = services.cadre_record(user=world.reviewer, name="无区划", kind=CadreKind.COUNTY_LEADER)
    assert cadre.home_region == world.county
    assert Cadre.objects.visible_to(world.reviewer).filter(pk=cadre.pk).exists()


def test_a_reviewer_cannot_file_a_cadre_outside_their_region(world, people):
    with pytest.raises(Http404):
        services.cadre_record(
            user=world.reviewer,
            name="外县",
            kind=CadreKind.STATIONED,
            home_region=people.far_village.region,
        )


def test_a_helper_needs_a_unit(world, people):
    with pytest.raises(ValidationError) as excinfo:
        services.helper_record(user=world.reviewer, name="无单位")
    assert "unit" in errors_of(excinfo)


def test_coordinators_keep_helpers_of_their_own_unit_only(world, people):
    with pytest.raises(Http404):
        services.helper_update(user=world.coordinator, helper=world.helper_b, position="改")
    with pytest.raises(Http404):  # not a helper: a stationed cadre of the unit
        services.helper_update(user=world.coordinator, helper=people.a.secretary, position="改")
    with pytest.raises(ValidationError) as excinfo:
        services.helper_update(user=world.coordinator, helper=world.helper_a, kind="stationed")
    assert "kind" in errors_of(excinfo)
    with pytest.raises(PermissionDenied):
        services.cadre_record(user=world.coordinator, name="某", kind=CadreKind.STATIONED)
    helper = services.cadre_record(user=world.coordinator, name="经API", kind=CadreKind.HELPER)
    assert helper.unit == world.unit


def test_liaison_model_roles_are_the_three_of_domain():
    assert [role.label for role in Liaison.LiaisonRole] == [
        "村联络人",
        "派驻干部联络人",
        "企业归集负责人",
    ]


def test_a_term_of_the_far_county_is_404_for_this_reviewer(world, people):
    far_secretary = CadreFactory(
        kind=CadreKind.FIRST_SECRETARY, home_region=people.far_village.region
    )
    far_term = TermFactory(cadre=far_secretary, village=people.far_village)
    with pytest.raises(Http404):
        services.term_recall(user=world.reviewer, term=far_term, day=D(2026, 1, 1), reason="外县")
    far_term.refresh_from_db()
    assert far_term.recalled_on is None
