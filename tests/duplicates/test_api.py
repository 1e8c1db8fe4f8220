"""The duplicates API: findings, dry run, merge, undo through the same services; the
permission trio; JSON errors with field messages; the schema validates."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from households.models import Household, HouseholdMerge, Member
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db
LIST = "/api/v1/duplicates/"
MERGES = "/api/v1/duplicates/merges/"


def test_findings_name_both_households_and_only_by_place_outside_scope(world, dups):
    answer = token_client(world.reviewer).get(LIST).json()
    assert [row["kind"] for row in answer] == ["id_number"]
    sides = {answer[0]["first"]["household"], answer[0]["second"]["household"]}
    assert sides == {dups.a.pk, dups.b.pk}
    assert answer[0]["mergeable"] is True
    assert dups.person not in str(answer)
    # a township sees its side; the other only as a place
    assert token_client(world.staff_a).get(LIST).status_code == 403


def test_unknown_kind_is_a_field_error(world, dups):
    answer = token_client(world.reviewer).get(LIST, {"kind": "x"})
    assert answer.status_code == 400
    assert answer.json()["errors"]["kind"] == ["没有这一类重复。"]


def test_dry_run_merge_and_undo(world, dups):
    client = token_client(world.reviewer)
    body = {"kept": dups.a.pk, "other": dups.b.pk}
    dry = client.post(MERGES, {**body, "dry_run": True}, format="json")
    assert dry.status_code == 200 and dry.json()["id"] is None
    assert {p["records"] for p in dry.json()["parts"]} == {"家庭成员"}
    assert Household.objects.get(pk=dups.b.pk).merged_into_id is None
    no_reason = client.post(MERGES, body, format="json")
    assert no_reason.status_code == 400
    assert no_reason.json()["errors"]["reason"] == ["请填写合并理由。"]
    done = client.post(MERGES, {**body, "reason": "同一户"}, format="json")
    assert done.status_code == 201, done.json()
    assert Household.objects.get(pk=dups.b.pk).merged_into_id == dups.a.pk
    merge_id = done.json()["id"]
    assert [row["id"] for row in client.get(MERGES).json()] == [merge_id]
    undone = client.post(f"{MERGES}{merge_id}/undo/")
    assert undone.status_code == 200 and undone.json()["undone_at"]
    assert Member.objects.filter(household=dups.b).count() == 1
    again = client.post(f"{MERGES}{merge_id}/undo/")
    assert again.status_code == 400
    assert again.json()["errors"]["non_field_errors"] == ["该次合并已撤销。"]


def test_permission_trio_for_writes(world, dups):
    body = {"kept": dups.a.pk, "other": dups.b.pk, "reason": "重复"}
    assert token_client(world.staff_a).post(MERGES, body, format="json").status_code == 403
    outside = token_client(world.reviewer).post(
        MERGES, {**body, "other": dups.far.pk}, format="json"
    )
    assert outside.status_code == 404
    assert not HouseholdMerge.objects.exists()


def test_household_api_takes_confirm_duplicates(world, dups):
    from tests.factories import make_id_number

    client = token_client(world.staff_b)
    body = {
        "village": world.village_b.pk,
        "head_name": "钱七",
        "head_id_number": make_id_number("510821", 1971),
        "phone": dups.a.phone,
        "size": 2,
        "cause": "illness",
        "track": "industry",
    }
    warned = client.post("/api/v1/households/", body, format="json")
    assert warned.status_code == 400
    assert (
        "联系电话与已在测试县的其他地方登记的户主相同"
        in warned.json()["errors"]["confirm_duplicates"][0]
    )
    saved = client.post("/api/v1/households/", {**body, "confirm_duplicates": True}, format="json")
    assert saved.status_code == 201, saved.json()
    refused = client.post(
        "/api/v1/household-members/",
        {
            "household": saved.json()["id"],
            "name": "张小明",
            "relation": "other",
            "id_number": dups.person,
        },
        format="json",
    )
    assert refused.status_code in (400, 409)
    assert refused.json()["errors"]["id_number"] == [
        "该身份证号已在您管辖范围以外登记为家庭成员，请与当地核实。"
    ]
    assert not Member.objects.filter(household_id=saved.json()["id"]).exists()


def test_schema_validates_with_the_new_endpoints(tmp_path, capsys):
    """Validated, and no warning of the schema generator concerns these endpoints (the suite's
    own --fail-on-warn test in tests/api covers every endpoint)."""
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--file", str(target))
    captured = capsys.readouterr()
    assert "duplicates" not in captured.err + captured.out
    text = target.read_text()
    for path in ("/api/v1/duplicates/:", "/api/v1/duplicates/merges/:"):
        assert path in text
    assert "/api/v1/duplicates/merges/{pk}/undo/:" in text or (
        "/api/v1/duplicates/merges/{id}/undo/:" in text
    )
