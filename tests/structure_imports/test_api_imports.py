"""/api/v1/imports/: upload and check (dry run by default) or import at once, confirm a checked
one, the user's own list and detail; the permission trio; the schema documents them."""

import io

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import SecurityEvent
from ledgers.models import SheetImport
from tests.structure_imports.conftest import workbook
from villages.models import Region

pytestmark = pytest.mark.django_db
GOOD = [["510105002", "新华街道", ""], ["510105002001", "新华村", ""]]


def api(user=None):
    client = APIClient()
    if user is not None:
        key = Token.objects.get_or_create(user=user)[0].key
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def post_file(client, content, kind="regions", **data):
    file = io.BytesIO(content)
    file.name = "区划.xlsx"
    return client.post(f"/api/v1/imports/{kind}/", {"file": file, **data}, format="multipart")


def test_a_dry_run_by_default_then_apply(tree):
    client = api(tree.reviewer)
    response = post_file(client, workbook(GOOD))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "checked" and body["kind"] == "regions"
    assert body["kind_title"] == "区划与村"
    assert (body["created"], body["updated"], body["unchanged"]) == (2, 0, 0)
    assert body["errors"] == [] and [c["row"] for c in body["changes"]] == [3, 4]
    assert body["changes"][0]["action"] == "create"
    assert not Region.objects.filter(code="510105002").exists()
    applied = client.post(f"/api/v1/imports/regions/{body['id']}/apply/")
    assert applied.status_code == 200 and applied.json()["status"] == "imported"
    assert Region.objects.filter(code="510105002001").exists()
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.IMPORT).count() == 1
    again = client.post(f"/api/v1/imports/regions/{body['id']}/apply/")
    assert again.json()["status"] == "imported"
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.IMPORT).count() == 1


def test_dry_run_false_imports_at_once_and_the_same_file_again_changes_nothing(tree):
    client = api(tree.reviewer)
    first = post_file(client, workbook(GOOD), dry_run="false").json()
    assert first["status"] == "imported" and first["created"] == 2
    second = post_file(client, workbook(GOOD), dry_run="false").json()
    assert second["status"] == "imported"
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 2)


def test_errors_are_answered_with_row_column_value_and_message(tree):
    body = post_file(
        api(tree.reviewer),
        workbook([["5101050010", "坏", ""], ["510105001009", "", ""]]),
        dry_run="false",
    ).json()
    assert body["status"] == "invalid"
    assert [(e["row"], e["column"], e["letter"], e["value"]) for e in body["errors"]] == [
        (3, "区划代码", "A", "5101050010"),
        (4, "名称", "B", ""),
    ]
    assert body["errors"][1]["message"] == "名称不能为空。"
    applied = api(tree.reviewer).post(f"/api/v1/imports/regions/{body['id']}/apply/")
    assert applied.json()["status"] == "invalid"
    assert not Region.objects.filter(code="510105001009").exists()


def test_a_file_that_is_no_workbook_is_refused_with_the_reason(tree):
    body = post_file(api(tree.reviewer), b"not a workbook").json()
    assert body["status"] == "invalid" and "不是 Excel" in body["refusal"]


def test_township_staff_cannot_import_regions(tree):
    response = post_file(api(tree.staff), workbook(GOOD), dry_run="false")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not SheetImport.objects.exists() and not Region.objects.filter(code="510105002").exists()


def test_another_users_import_is_not_found_and_not_listed(tree):
    body = post_file(api(tree.reviewer), workbook(GOOD)).json()
    other = api(tree.other_reviewer)
    assert other.get(f"/api/v1/imports/{body['id']}/").status_code == 404
    assert other.post(f"/api/v1/imports/regions/{body['id']}/apply/").status_code == 404
    assert other.get("/api/v1/imports/").json()["count"] == 0
    assert SheetImport.objects.get().status == "checked"
    assert not Region.objects.filter(code="510105002").exists()
    mine = api(tree.reviewer)
    assert mine.get("/api/v1/imports/").json()["count"] == 1
    detail = mine.get(f"/api/v1/imports/{body['id']}/").json()
    assert detail["changes"] == body["changes"]
    assert mine.post(f"/api/v1/imports/units/{body['id']}/apply/").status_code == 404


def test_anonymous_and_unknown_kinds(tree):
    assert api().get("/api/v1/imports/").status_code == 401
    assert post_file(api(tree.reviewer), workbook(GOOD), kind="nothing").status_code == 404


def test_an_oversized_upload_is_413(tree, settings):
    settings.IMPORT_MAX_BYTES = 10
    response = post_file(api(tree.reviewer), b"x" * 200_000)
    assert response.status_code == 413 and not SheetImport.objects.exists()


def test_the_list_answers_in_a_fixed_number_of_queries(tree, django_assert_max_num_queries):
    client = api(tree.reviewer)
    for _ in range(4):
        SheetImport.objects.create(
            kind="regions", user=tree.reviewer, original_name="a.xlsx", sha256="0", status="invalid"
        )
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/imports/").json()["count"] == 4


def test_the_schema_documents_the_imports_and_the_region_writes(tmp_path):
    target = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(target))
    import json

    schema = json.loads(target.read_text())
    paths = schema["paths"]
    check = paths["/api/v1/imports/{kind}/"]["post"]
    assert check["tags"] == ["数据导入"] and check["summary"] == "上传表格并检查（或直接导入）"
    assert "multipart/form-data" in check["requestBody"]["content"]
    assert (
        paths["/api/v1/imports/{kind}/{import_id}/apply/"]["post"]["summary"]
        == "确认导入已检查的表格"
    )
    assert paths["/api/v1/regions/"]["post"]["summary"] == "新增行政区划"
    assert paths["/api/v1/villages/{id}/end/"]["post"]["summary"] == "撤销村（撤并）"
    assert paths["/api/v1/villages/{id}/"]["delete"]["tags"] == ["区划与村"]
