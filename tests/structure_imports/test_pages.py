"""The import pages (数据导入, /ledgers/imports/): who may use them (the keeper imports, township
staff cannot import regions: 403, another user's import: 404), the dry run then the confirm,
the error copy, the template, the size guard, the purge and the security log."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import SecurityEvent
from ledgers import services
from ledgers.models import SheetImport
from tests.structure_imports.conftest import workbook
from villages.models import Region

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GOOD = [["510105002", "新华街道", ""], ["510105002001", "新华村", ""]]


def upload(client, content, kind="regions", name="区划.xlsx"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(reverse("ledgers:sheet_import", args=[kind]), {"file": file})


def test_anonymous_users_are_sent_to_log_in(client, tree):
    for name, args in (
        ("ledgers:imports", []),
        ("ledgers:sheet_import", ["regions"]),
        ("ledgers:sheet_template", ["regions"]),
        ("ledgers:sheet_detail", ["regions", 1]),
        ("ledgers:sheet_errors", ["regions", 1]),
    ):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_hub_lists_what_the_user_may_import(client, tree):
    client.force_login(tree.reviewer)
    page = client.get(reverse("ledgers:imports")).content.decode()
    assert reverse("ledgers:sheet_import", args=["regions"]) in page
    assert reverse("ledgers:import") in page  # the household roster
    client.force_login(tree.staff)
    page = client.get(reverse("ledgers:imports")).content.decode()
    assert reverse("ledgers:sheet_import", args=["regions"]) not in page
    assert reverse("ledgers:import") in page


def test_a_reviewer_checks_then_confirms_and_the_import_is_logged(client, tree):
    client.force_login(tree.reviewer)
    page = client.get(reverse("ledgers:sheet_import", args=["regions"]))
    assert page.status_code == 200 and "区划代码" in page.content.decode()
    response = upload(client, workbook(GOOD))
    record = SheetImport.objects.get()
    assert response["Location"] == reverse("ledgers:sheet_detail", args=["regions", record.pk])
    assert record.status == SheetImport.Status.CHECKED and record.created_count == 2
    assert record.user == tree.reviewer and record.original_name == "区划.xlsx"
    assert not Region.objects.filter(code="510105002").exists()  # only checked
    assert record.file.name.startswith("imports/sheets/") and "区划" not in record.file.name
    detail = client.get(response["Location"]).content.decode()
    apply_url = reverse("ledgers:sheet_apply", args=["regions", record.pk])
    assert apply_url in detail and "确认导入" in detail and "新华村" in detail
    applied = client.post(reverse("ledgers:sheet_apply", args=["regions", record.pk]))
    assert applied.status_code == 302
    record.refresh_from_db()
    assert record.status == SheetImport.Status.IMPORTED and record.imported_at
    assert Region.objects.get(code="510105002001").parent.code == "510105002"
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.IMPORT)
    assert event.user == tree.reviewer and event.rows == 2
    assert event.detail["kind"] == "regions" and event.detail["sheet_import"] == record.pk
    # A second click imports nothing twice.
    client.post(reverse("ledgers:sheet_apply", args=["regions", record.pk]))
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.IMPORT).count() == 1
    # The same file again: checked, nothing to change, no confirm button.
    upload(client, workbook(GOOD))
    again = SheetImport.objects.latest("id")
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    page = client.get(reverse("ledgers:sheet_detail", args=["regions", again.pk])).content
    apply_url = reverse("ledgers:sheet_apply", args=["regions", again.pk])
    assert apply_url not in page.decode() and "完全一致" in page.decode()


def test_township_staff_cannot_import_regions(client, tree):
    client.force_login(tree.staff)
    assert client.get(reverse("ledgers:sheet_import", args=["regions"])).status_code == 403
    assert client.get(reverse("ledgers:sheet_template", args=["regions"])).status_code == 403
    assert upload(client, workbook(GOOD)).status_code == 403
    assert not SheetImport.objects.exists()
    assert not Region.objects.filter(code="510105002").exists()


def test_another_users_import_is_not_found(client, tree):
    client.force_login(tree.reviewer)
    upload(client, workbook(GOOD + [["5101050", "坏", ""]]))
    bad = SheetImport.objects.get()
    upload(client, workbook(GOOD))
    good = SheetImport.objects.latest("id")
    client.force_login(tree.other_reviewer)
    for record in (bad, good):
        assert (
            client.get(reverse("ledgers:sheet_detail", args=["regions", record.pk])).status_code
            == 404
        )
    assert client.get(reverse("ledgers:sheet_errors", args=["regions", bad.pk])).status_code == 404
    assert client.post(reverse("ledgers:sheet_apply", args=["regions", good.pk])).status_code == 404
    good.refresh_from_db()
    assert good.status == SheetImport.Status.CHECKED
    assert not Region.objects.filter(code="510105002").exists()
    # Under another kind's address it is not found either, even for its owner.
    client.force_login(tree.reviewer)
    assert client.get(reverse("ledgers:sheet_detail", args=["units", good.pk])).status_code == 404


def test_errors_are_listed_with_row_column_value_and_the_marked_up_copy(client, tree):
    client.force_login(tree.reviewer)
    upload(client, workbook([["510105001010", "好村", ""], ["5101050010", "位数不对", ""]]))
    record = SheetImport.objects.get()
    assert record.status == SheetImport.Status.INVALID
    assert record.errors == [
        {
            "row": 4,
            "column": "区划代码",
            "letter": "A",
            "value": "5101050010",
            "message": record.errors[0]["message"],
        }
    ]
    page = client.get(reverse("ledgers:sheet_detail", args=["regions", record.pk])).content.decode()
    assert "第 4 行，区划代码（A列）" in page and "5101050010" in page
    assert reverse("ledgers:sheet_apply", args=["regions", record.pk]) not in page
    copy = client.get(reverse("ledgers:sheet_errors", args=["regions", record.pk]))
    assert copy.status_code == 200 and copy["Content-Type"] == XLSX
    ws = load_workbook(io.BytesIO(copy.content))["区划与村"]
    assert ws["D2"].value == "错误说明" and "10位" in ws["D4"].value
    # Confirming an invalid import does nothing.
    client.post(reverse("ledgers:sheet_apply", args=["regions", record.pk]))
    assert not Region.objects.filter(code="510105001010").exists()


def test_the_template_downloads(client, tree):
    client.force_login(tree.reviewer)
    response = client.get(reverse("ledgers:sheet_template", args=["regions"]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:2] == ["区划与村", "填写说明"]
    assert "attachment" in response["Content-Disposition"]


@pytest.mark.parametrize(
    "content, name, fragment",
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "区划.xls", "另存为"),
        ("区划代码,名称\n".encode(), "区划.csv", "不是 Excel"),
    ],
)
def test_a_file_that_is_no_workbook_gets_a_clear_refusal(client, tree, content, name, fragment):
    client.force_login(tree.reviewer)
    upload(client, content, name=name)
    record = SheetImport.objects.get()
    assert record.status == SheetImport.Status.INVALID and fragment in record.refusal
    page = client.get(reverse("ledgers:sheet_detail", args=["regions", record.pk])).content.decode()
    assert fragment in page


def test_an_oversized_upload_is_refused_before_it_is_read(client, tree, settings):
    settings.IMPORT_MAX_BYTES = 10
    client.force_login(tree.reviewer)
    response = upload(client, b"x" * 200_000)
    assert response.status_code == 302
    assert response["Location"] == reverse("ledgers:sheet_import", args=["regions"])
    assert not SheetImport.objects.exists()


def test_an_unknown_kind_is_not_found(client, tree):
    client.force_login(tree.reviewer)
    assert client.get(reverse("ledgers:sheet_import", args=["nothing"])).status_code == 404


def test_uploaded_workbooks_are_deleted_after_a_day(client, tree):
    client.force_login(tree.reviewer)
    upload(client, workbook(GOOD))
    record = SheetImport.objects.get()
    assert record.file
    result = services.ledger_files_purge(now=timezone.now() + datetime.timedelta(days=2))
    assert result["uploads"] == 1
    record.refresh_from_db()
    assert not record.file
    client.post(reverse("ledgers:sheet_apply", args=["regions", record.pk]))
    record.refresh_from_db()
    assert record.status == SheetImport.Status.INVALID and "过期" in record.refusal
    assert not Region.objects.filter(code="510105002").exists()


def test_the_import_pages_answer_in_a_fixed_number_of_queries(
    client, tree, django_assert_max_num_queries
):
    for _ in range(5):
        SheetImport.objects.create(
            kind="regions",
            user=tree.reviewer,
            original_name="区划.xlsx",
            sha256="0" * 64,
            status=SheetImport.Status.INVALID,
        )
    client.force_login(tree.reviewer)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("ledgers:imports")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("ledgers:sheet_import", args=["regions"])).status_code == 200
