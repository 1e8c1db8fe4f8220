"""The export form's 脱敏 (issue 15): ticked by default for every role; only roles allowed full ID
numbers (User.can_view_full_id) may untick it, and then only with a reason, which the security
log keeps with the ledger kind, region and period. One rule (ledgers.services.export_masking)
for the page, background jobs and their retry."""

import pytest
from django.urls import reverse

from accounts.models import SecurityEvent
from ledgers import services
from ledgers.models import ExportJob
from tests.ledgers.conftest import open_workbook, sheet_rows

pytestmark = pytest.mark.django_db

REASON = "名册导入前核对身份证号"


def form(region, **extra):
    return {"kind": "pairing", "region": region.code, "year": "2026", "part": "", **extra}


def id_cells(response, world):
    rows = sheet_rows(open_workbook(b"".join(response.streaming_content)).active)
    full = world.household_a.head_id_number
    cells = [c for row in rows for c in row if isinstance(c, str) and c[:6] == full[:6]]
    assert cells, rows
    return full, cells


@pytest.fixture(autouse=True)
def fast_hashing(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_box_is_ticked_by_default_for_every_role(client, world):
    for user, fixed in ((world.reviewer, False), (world.admin, False), (world.staff_a, True)):
        client.force_login(user)
        page = client.get(reverse("ledgers:export"))
        box = page.context["form"]["mask_ids"]
        assert box.value() is True
        assert 'name="mask_ids"' in page.content.decode() and "checked" in str(box)
        assert box.field.disabled is fixed
        assert ("full_id_reason" in page.context["form"].fields) is not fixed


def test_unticked_without_a_reason_is_a_field_error_and_nothing_is_exported(client, world):
    client.force_login(world.reviewer)
    page = client.post(reverse("ledgers:export"), form(world.county, part="Q3"))
    assert page.status_code == 200
    errors = page.context["form"].errors
    assert errors["full_id_reason"] == ["导出完整身份证号须填写理由，理由记入安全日志。"]
    text = page.content.decode()
    assert "导出完整身份证号须填写理由" in text
    # The data is kept: the same ledger, region and period, the box still unticked.
    assert page.context["form"]["part"].value() == "Q3"
    assert page.context["form"]["region"].value() == world.county.code
    assert page.context["form"]["mask_ids"].value() is False
    assert not SecurityEvent.objects.filter(
        kind__in=[SecurityEvent.Kind.EXPORT, SecurityEvent.Kind.FULL_ID_VIEW]
    ).exists()
    blank = client.post(reverse("ledgers:export"), form(world.county, full_id_reason="   "))
    assert "full_id_reason" in blank.context["form"].errors


def test_unticked_with_a_reason_gives_full_numbers_and_logs_the_reason(client, world):
    client.force_login(world.reviewer)
    response = client.post(
        reverse("ledgers:export"), form(world.county, full_id_reason=f"  {REASON} ")
    )
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attach")
    full, cells = id_cells(response, world)
    assert full in cells
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.FULL_ID_VIEW)
    assert event.user == world.reviewer and event.region_code == world.county.code
    assert event.detail["ledger"] == "pairing"
    assert event.detail["region"] == world.county.code
    assert event.detail["period"] == "2026"
    assert event.detail["reason"] == REASON
    assert event.ip_address == "127.0.0.1"
    export = SecurityEvent.objects.get(kind=SecurityEvent.Kind.EXPORT)
    assert export.detail["masked_ids"] is False


def test_ticked_gives_masked_numbers_and_no_full_id_event(client, world):
    client.force_login(world.reviewer)
    response = client.post(reverse("ledgers:export"), form(world.county, mask_ids="on"))
    full, cells = id_cells(response, world)
    assert full not in cells and all("*" in c for c in cells)
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.FULL_ID_VIEW).exists()


def test_a_role_without_full_numbers_cannot_untick_it(client, world):
    client.force_login(world.staff_a)
    # The box is disabled: a request without it (or with a reason) is still masked.
    response = client.post(reverse("ledgers:export"), form(world.township_a, full_id_reason="x"))
    assert response.status_code == 200
    full, cells = id_cells(response, world)
    assert full not in cells
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.FULL_ID_VIEW).exists()


def test_the_permission_trio(client, world):
    # A cadre may not export at all (403); another township's region is a 404, nothing logged.
    client.force_login(world.cadre_user)
    assert client.post(reverse("ledgers:export"), form(world.township_a)).status_code == 403
    client.force_login(world.staff_a)
    assert client.post(reverse("ledgers:export"), form(world.township_b)).status_code == 404
    reviewer_a = world.reviewer
    reviewer_a.region = world.township_a
    reviewer_a.save()
    client.force_login(reviewer_a)
    outside = client.post(reverse("ledgers:export"), form(world.township_b, full_id_reason=REASON))
    assert outside.status_code == 404
    assert not SecurityEvent.objects.filter(
        kind__in=[SecurityEvent.Kind.EXPORT, SecurityEvent.Kind.FULL_ID_VIEW]
    ).exists()
    assert not ExportJob.objects.exists()


def test_a_background_job_with_full_numbers_logs_the_reason_and_its_retry_again(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_SYNC_MAX_ROWS = 0
    client.force_login(world.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("ledgers:export"), form(world.county, full_id_reason=REASON))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.masked is False
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.FULL_ID_VIEW)
    assert event.detail["job"] == job.pk and event.detail["reason"] == REASON
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("ledgers:job", args=[job.pk]))
    retried = ExportJob.objects.exclude(pk=job.pk).get()
    assert retried.masked is False
    again = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.FULL_ID_VIEW).latest("pk")
    assert again.detail["job"] == retried.pk and REASON in again.detail["reason"]


def test_the_service_is_the_one_rule(world):
    from django.core.exceptions import ValidationError

    assert services.export_masking(user=world.staff_a, mask_ids=True) == ""
    with pytest.raises(ValidationError) as refused:
        services.export_masking(user=world.staff_a, mask_ids=False, full_id_reason=REASON)
    assert "mask_ids" in refused.value.message_dict
    with pytest.raises(ValidationError) as missing:
        services.export_masking(user=world.reviewer, mask_ids=False)
    assert "full_id_reason" in missing.value.message_dict
    assert services.export_masking(user=world.reviewer, mask_ids=False, full_id_reason=" a  b ")
