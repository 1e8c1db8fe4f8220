"""The permission trio on every cadre endpoint (the keeper writes; a reader in scope reads, a
write is 403 and changes nothing; outside the scope 404 and nothing changes; anonymous 401),
the replaced read-only endpoints still serving what they served (fields, masking, filters,
ordering), and the term actions `recall`, `replace` and `assess`."""

from __future__ import annotations

import datetime

import pytest

from api.serializers.reference import CadreSerializer, WorkTeamSerializer
from cadres.models import Cadre, CadreKind, Term, WorkTeamMember
from tests.factories import CadreFactory
from tests.structure_cadres.conftest import api, token_client
from tests.structure_cadres.kinds import KINDS, kind_id, who

pytestmark = pytest.mark.django_db

D = datetime.date


def body_for(kind, world, people) -> dict:
    return (kind.api_create or kind.create)(world, people)


def snapshot(obj) -> dict:
    fresh = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in obj._meta.fields}


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_keeper_writes_through_the_api(world, people, kind):
    client = token_client(who(world, people, kind.keeper))
    before = kind.model.objects.count()
    created = client.post(api(kind.path), body_for(kind, world, people), format="json")
    assert created.status_code == 201, created.json()
    assert kind.model.objects.count() == before + 1
    assert created.json()["id"]
    obj = kind.record(world, people)
    changed = client.patch(api(kind.path, obj.pk), kind.change, format="json")
    assert changed.status_code == 200, changed.json()
    obj.refresh_from_db()
    assert kind.check(obj) == kind.expected


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_reader_in_scope_reads_but_a_write_is_403(world, people, kind):
    obj = kind.record(world, people)
    before = snapshot(obj)
    client = token_client(who(world, people, kind.reader))
    rows = client.get(api(kind.path), {"page_size": 200}).json()["results"]
    assert obj.pk in [row["id"] for row in rows]
    assert client.get(api(kind.path, obj.pk)).status_code == 200
    count = kind.model.objects.count()
    assert (
        client.post(api(kind.path), body_for(kind, world, people), format="json").status_code == 403
    )
    assert client.patch(api(kind.path, obj.pk), kind.change, format="json").status_code == 403
    response = client.delete(api(kind.path, obj.pk))
    assert response.status_code in (403, 405)
    assert kind.model.objects.count() == count
    assert snapshot(obj) == before


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_outsider_gets_404_and_nothing_changes(world, people, kind):
    obj = kind.record(world, people)
    before = snapshot(obj)
    client = token_client(who(world, people, kind.outsider))
    rows = client.get(api(kind.path), {"page_size": 200}).json()["results"]
    assert obj.pk not in [row["id"] for row in rows]
    assert client.get(api(kind.path, obj.pk)).status_code == 404
    assert client.patch(api(kind.path, obj.pk), kind.change, format="json").status_code == 404
    assert client.delete(api(kind.path, obj.pk)).status_code in (404, 405)
    assert client.post(
        api(kind.path, obj.pk, "end"), {"day": "2026-01-01"}, format="json"
    ).status_code in (404, 405)
    assert snapshot(obj) == before


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_anonymous_is_401(world, people, kind):
    obj = kind.record(world, people)
    client = token_client()
    assert client.get(api(kind.path)).status_code == 401
    assert client.get(api(kind.path, obj.pk)).status_code == 401
    assert client.patch(api(kind.path, obj.pk), kind.change, format="json").status_code == 401


def test_an_outsider_naming_rows_outside_their_scope_creates_nothing(world, people):
    client = token_client(people.far_reviewer)
    count = Term.objects.count()
    body = {
        "cadre": people.a.stationed.pk,
        "village": world.village_a.pk,
        "role": "stationed",
        "start_date": "2025-01-01",
        "end_date": "2026-12-31",
    }
    response = client.post(api("terms"), body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"cadre", "village"}
    assert Term.objects.count() == count


# --- the replaced read-only endpoints --------------------------------------------------------
def test_cadres_serve_the_old_fields_masking_and_filters(world, people):
    staff = token_client(world.staff_a)
    rows = staff.get(api("cadres"), {"kind": "first_secretary"}).json()["results"]
    assert [row["name"] for row in rows] == ["甲村书记"]
    row = rows[0]
    assert set(CadreSerializer.Meta.fields) <= set(row)
    assert "id_number" not in row
    assert row["phone"] == "139****2222"
    assert row["active"] is True
    assert staff.get(api("cadres"), {"q": "书记"}).json()["count"] == 1
    assert staff.get(api("cadres"), {"unit": world.unit.pk}).json()["count"] >= 1
    township = world.township_a.code
    names = [
        r["name"]
        for r in staff.get(api("cadres"), {"region": township, "page_size": 200}).json()["results"]
    ]
    assert names == sorted(names)  # ordered by name, as before
    reviewer = token_client(world.reviewer)
    full = reviewer.get(api("cadres", people.a.secretary.pk)).json()
    assert full["phone"] == "13911112222"


def test_the_active_filter(world, people):
    Cadre.objects.filter(pk=people.a.stationed.pk).update(left_on=D(2020, 1, 1))
    client = token_client(world.reviewer)
    inactive = client.get(api("cadres"), {"active": "false"}).json()["results"]
    assert [row["name"] for row in inactive] == ["甲村队员"]
    assert inactive[0]["active"] is False
    assert client.get(api("cadres"), {"active": "maybe"}).status_code == 400


def test_work_teams_serve_the_old_fields_and_filters(world, people):
    client = token_client(world.staff_a)
    rows = client.get(api("work-teams"), {"village": world.village_a.pk}).json()["results"]
    assert [row["name"] for row in rows] == ["甲村工作队"]
    row = rows[0]
    assert set(WorkTeamSerializer.Meta.fields) <= set(row)
    assert row["villages"] == [world.village_a.pk]
    member = row["members"][0]
    assert {"cadre", "cadre_name", "role"} <= set(member)
    assert member["cadre_name"] == "甲村队员"
    on = client.get(api("work-teams"), {"in_force_on": "2024-01-01"}).json()
    assert on["count"] == 0


def test_a_work_team_body_names_its_villages(world, people):
    client = token_client(world.reviewer)
    response = client.post(
        api("work-teams"),
        {
            "name": "两村工作队",
            "villages": [world.village_a.pk, world.village_b.pk],
            "start_date": "2025-06-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert sorted(response.json()["villages"]) == sorted([world.village_a.pk, world.village_b.pk])
    empty = client.post(
        api("work-teams"),
        {"name": "空队", "villages": [], "start_date": "2025-06-01"},
        format="json",
    )
    assert empty.status_code == 400
    assert "villages" in empty.json()["errors"]


# --- the rules, as the API reports them ------------------------------------------------------
def test_a_term_ending_before_it_starts_is_a_field_error(world, people):
    client = token_client(world.reviewer)
    response = client.patch(
        api("terms", people.a.term.pk), {"end_date": "2024-12-31"}, format="json"
    )
    assert response.status_code == 400
    message = response.json()["errors"]["end_date"][0]
    assert "2024-12-31" in message and "2025-01-01" in message


def test_a_cadre_in_two_teams_is_refused_naming_the_team(world, people):
    client = token_client(world.reviewer)
    response = client.post(
        api("work-team-members"),
        {"team": people.b.team.pk, "cadre": people.a.stationed.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "甲村工作队" in response.json()["errors"]["cadre"][0]


def test_recall_needs_a_day_and_a_reason(world, people):
    client = token_client(world.reviewer)
    term = people.a.term
    missing = client.post(api("terms", term.pk, "recall"), {"day": "2026-04-01"}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()["errors"]
    done = client.post(
        api("terms", term.pk, "recall"), {"day": "2026-04-01", "reason": "违反纪律"}, format="json"
    )
    assert done.status_code == 200
    assert (done.json()["recalled_on"], done.json()["end_date"]) == ("2026-04-01", "2026-04-01")
    again = client.post(
        api("terms", term.pk, "recall"), {"day": "2026-05-01", "reason": "再次"}, format="json"
    )
    assert again.status_code == 400
    assert "2026-04-01" in again.json()["errors"]["day"][0]


def test_replace_through_the_api(world, people):
    term = people.a.term
    successor = CadreFactory(
        name="新书记", kind=CadreKind.FIRST_SECRETARY, home_region=world.village_a.region
    )
    staff = token_client(world.staff_a)
    body = {"cadre": successor.pk, "day": "2026-07-01", "reason": "轮换"}
    assert staff.post(api("terms", term.pk, "replace"), body, format="json").status_code == 403
    reviewer = token_client(world.reviewer)
    response = reviewer.post(api("terms", term.pk, "replace"), body, format="json")
    assert response.status_code == 201, response.json()
    new = response.json()
    assert (new["cadre"], new["replaces"], new["start_date"]) == (
        successor.pk,
        term.pk,
        "2026-07-01",
    )
    assert new["approved_by"] == world.reviewer.pk
    old = reviewer.get(api("terms", term.pk)).json()
    assert (old["end_date"], old["replaced_by"]) == ("2026-06-30", new["id"])


def test_assess_through_the_api(world, people):
    client = token_client(world.reviewer)
    response = client.post(
        api("terms", people.a.term.pk, "assess"),
        {"grade": "basic", "note": "需改进"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["assessment"] == "basic"
    bad = client.post(api("terms", people.a.term.pk, "assess"), {"grade": "best"}, format="json")
    assert bad.status_code == 400


def test_a_duplicate_grade_is_409(world, people):
    client = token_client(world.reviewer)
    body = {"cadre": people.a.secretary.pk, "year": 2025, "grade": "excellent"}
    response = client.post(api("yearly-grades"), body, format="json")
    assert response.status_code == 409
    assert "称职" in str(response.json()["errors"])


def test_a_duplicate_liaison_role_is_409(world, people):
    client = token_client(world.staff_a)
    body = {"village": world.village_a.pk, "role": "village", "name": "另一人"}
    response = client.post(api("liaisons"), body, format="json")
    assert response.status_code == 409
    assert "村联络人" in str(response.json()["errors"])


def test_liaison_phones_follow_the_masking_rule(world, people):
    staff = token_client(world.staff_a)
    row = staff.get(api("liaisons", people.a.liaison.pk)).json()
    assert row["phone"] == "137****3333"
    reviewer = token_client(world.reviewer)
    assert reviewer.get(api("liaisons", people.a.liaison.pk)).json()["phone"] == "13722223333"


def test_deleting_a_referenced_cadre_says_to_end_it(world, people):
    client = token_client(world.reviewer)
    response = client.delete(api("cadres", people.a.stationed.pk))
    assert response.status_code == 400
    text = str(response.json()["errors"])
    assert "工作队成员" in text and "离任日期" in text
    ended = client.post(
        api("cadres", people.a.stationed.pk, "end"), {"day": "2026-08-31"}, format="json"
    )
    assert ended.status_code == 200
    assert ended.json()["left_on"] == "2026-08-31"


def test_member_end_and_delete(world, people):
    client = token_client(world.reviewer)
    member = people.a.member
    ended = client.post(
        api("work-team-members", member.pk, "end"), {"day": "2026-01-31"}, format="json"
    )
    assert ended.status_code == 200
    assert ended.json()["end_date"] == "2026-01-31"
    assert client.delete(api("work-team-members", member.pk)).status_code == 204
    assert not WorkTeamMember.objects.filter(pk=member.pk).exists()


def test_unknown_fields_are_refused(world, people):
    client = token_client(world.reviewer)
    response = client.patch(
        api("terms", people.a.term.pk), {"recalled_on": "2026-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert "recalled_on" in response.json()["errors"]
