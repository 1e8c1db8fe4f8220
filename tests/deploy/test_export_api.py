"""Starting a ledger export through the API (POST /api/v1/export-jobs/) follows the export page's
rule, through the same service: masked by default, full ID numbers only for roles that may see
them and only with a reason (kept in the security log); scope and roles as on the page."""

import pytest
from rest_framework.test import APIClient

from accounts.models import SecurityEvent
from ledgers.models import ExportJob
from tests.ledgers.conftest import open_workbook, sheet_rows

pytestmark = pytest.mark.django_db

URL = "/api/v1/export-jobs/"
REASON = "名册导入前核对身份证号"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(region, **extra):
    return {"kind": "pairing", "region": region.code, "period": "2026", **extra}


def start(client, data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(URL, data, format="json")


def downloaded_ids(client, job_id, world):
    response = client.get(f"{URL}{job_id}/download/")
    assert response.status_code == 200
    rows = sheet_rows(open_workbook(b"".join(response.streaming_content)).active)
    prefix = world.household_a.head_id_number[:6]
    return [c for row in rows for c in row if isinstance(c, str) and c.startswith(prefix)]


def test_a_reviewer_starts_a_masked_export_by_default_and_downloads_it(
    world, django_capture_on_commit_callbacks
):
    client = api_as(world.reviewer)
    response = start(client, body(world.county), django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.json()
    job = ExportJob.objects.get(pk=response.json()["id"])
    assert job.masked is True and job.status == ExportJob.Status.DONE
    assert response.json()["region"] == world.county.pk
    ids = downloaded_ids(client, job.pk, world)
    assert world.household_a.head_id_number not in ids and all("*" in i for i in ids)
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.FULL_ID_VIEW).exists()
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.DOWNLOAD).count() == 1


def test_full_numbers_need_a_reason_which_is_logged(world, django_capture_on_commit_callbacks):
    client = api_as(world.reviewer)
    refused = start(client, body(world.county, mask_ids=False), django_capture_on_commit_callbacks)
    assert refused.status_code == 400
    assert "导出完整身份证号须填写理由" in str(refused.json())
    assert "full_id_reason" in str(refused.json())
    assert not ExportJob.objects.exists()
    done = start(
        client,
        body(world.county, mask_ids=False, full_id_reason=REASON),
        django_capture_on_commit_callbacks,
    )
    assert done.status_code == 201
    job = ExportJob.objects.get()
    assert job.masked is False
    assert world.household_a.head_id_number in downloaded_ids(client, job.pk, world)
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.FULL_ID_VIEW)
    assert event.detail["reason"] == REASON and event.detail["job"] == job.pk
    assert (event.detail["ledger"], event.detail["region"]) == ("pairing", world.county.code)


def test_a_role_without_full_numbers_is_refused_unmasked(world, django_capture_on_commit_callbacks):
    client = api_as(world.staff_a)
    refused = start(
        client,
        body(world.township_a, mask_ids=False, full_id_reason=REASON),
        django_capture_on_commit_callbacks,
    )
    assert refused.status_code == 400 and "mask_ids" in str(refused.json())
    assert not ExportJob.objects.exists()
    ok = start(client, body(world.township_a), django_capture_on_commit_callbacks)
    assert ok.status_code == 201


def test_the_permission_trio(world, django_capture_on_commit_callbacks):
    assert (
        start(
            api_as(world.cadre_user), body(world.township_a), django_capture_on_commit_callbacks
        ).status_code
        == 403
    )
    outside = start(
        api_as(world.staff_a), body(world.township_b), django_capture_on_commit_callbacks
    )
    assert outside.status_code == 404
    assert not ExportJob.objects.exists()
    # Someone else's job is not found, for the file too.
    start(api_as(world.reviewer), body(world.county), django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert api_as(world.staff_a).get(f"{URL}{job.pk}/download/").status_code == 404
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.DOWNLOAD).exists()


def test_bad_input_is_a_json_field_error(world):
    client = api_as(world.reviewer)
    response = client.post(
        URL, {"kind": "nonsense", "region": "x", "period": "1900-Q9"}, format="json"
    )
    assert response.status_code == 400
    text = str(response.json())
    assert "kind" in text and "period" in text
