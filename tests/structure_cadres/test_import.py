"""The cadres import (ledgers/sheets/cadres.py): a workbook with every kind of bad row lists every
error at once, on its row and column, and imports nothing; a clean one creates the cadres with
their terms and work team, and imported again changes nothing."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook, load_workbook

from cadres.models import Cadre, CadreKind, Term, WorkTeam, WorkTeamMember
from ledgers.sheets.base import run_sheet, sheet_for, template_workbook
from tests.factories import CadreFactory, make_id_number

pytestmark = pytest.mark.django_db

HEADER = [
    "姓名",
    "身份",
    "身份证号",
    "手机号",
    "所在（派出）单位",
    "职务",
    "所驻村代码",
    "任期开始",
    "任期结束",
    "工作队",
    "队内职务",
]


def workbook(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "干部名册"
    sheet.append(["某县驻村干部名册"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(data, user, *, dry_run=False):
    return run_sheet(
        sheet_for("cadres"), io.BytesIO(data), size=len(data), user=user, dry_run=dry_run
    )


def errors_of(result) -> dict:
    return {(e.row, e.column): e.message for e in result.errors}


@pytest.fixture
def clean_rows(world, people):
    code = world.village_a.region.code
    return [
        ["王书记", "第一书记", make_id_number(), "13700000001", "测试帮扶单位", "第一书记", code, "2025-01-10", "2027-01-09", "甲村新工作队", "队长"],
        ["李队员", "驻村干部", "", "13700000002", "测试帮扶单位", "", code, datetime.date(2025, 1, 10), datetime.date(2027, 1, 9), "甲村新工作队", ""],
        ["赵帮扶", "帮扶责任人（党员干部）", "", "13700000003", "测试帮扶单位", "科员", "", "", "", "", ""],
        # Already on file (phone and name): only the position changes.
        ["甲村书记", "第一书记", "", "13911112222", "测试帮扶单位", "第一书记兼队长", code, "2025-01-01", "2027-12-31", "", ""],
    ]  # fmt: skip


def test_a_clean_file_imported_twice_changes_nothing_the_second_time(world, people, clean_rows):
    data = workbook(clean_rows)
    checked = run(data, world.reviewer, dry_run=True)
    assert checked.ok, errors_of(checked)
    assert not Cadre.objects.filter(name="王书记").exists()  # a dry run writes nothing
    first = run(data, world.reviewer)
    assert first.ok, errors_of(first)
    assert (first.created, first.updated, first.unchanged) == (3, 1, 0)
    wang = Cadre.objects.get(name="王书记")
    assert (wang.kind, wang.unit, wang.home_region) == (
        CadreKind.FIRST_SECRETARY,
        world.unit,
        world.village_a.region,
    )
    term = Term.objects.get(cadre=wang)
    assert (term.village, term.role, term.start_date, term.end_date) == (
        world.village_a,
        "first_secretary",
        datetime.date(2025, 1, 10),
        datetime.date(2027, 1, 9),
    )
    team = WorkTeam.objects.get(name="甲村新工作队")
    assert list(team.villages.all()) == [world.village_a]
    roles = dict(WorkTeamMember.objects.filter(team=team).values_list("cadre__name", "role"))
    assert roles == {"王书记": "leader", "李队员": "member"}
    helper = Cadre.objects.get(name="赵帮扶")
    assert (helper.kind, helper.unit, helper.position) == (CadreKind.HELPER, world.unit, "科员")
    people.a.secretary.refresh_from_db()
    assert people.a.secretary.position == "第一书记兼队长"
    assert Term.objects.filter(cadre=people.a.secretary).count() == 1  # the same term
    changes = {change["name"]: change for change in first.changes}
    assert changes["甲村书记"]["fields"] == [["职务", "", "第一书记兼队长"]]

    counts = (Cadre.objects.count(), Term.objects.count(), WorkTeamMember.objects.count())
    second = run(data, world.reviewer)
    assert second.ok, errors_of(second)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 4)
    assert (Cadre.objects.count(), Term.objects.count(), WorkTeamMember.objects.count()) == counts


def test_a_changed_end_date_updates_the_same_term(world, people, clean_rows):
    run(workbook(clean_rows), world.reviewer)
    clean_rows[0][8] = "2028-01-09"
    result = run(workbook(clean_rows), world.reviewer)
    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 1, 3)
    wang = Cadre.objects.get(name="王书记")
    assert Term.objects.get(cadre=wang).end_date == datetime.date(2028, 1, 9)


def test_a_file_with_every_kind_of_bad_row_lists_every_error_and_imports_nothing(world, people):
    code_a = world.village_a.region.code
    code_b = world.village_b.region.code
    far = CadreFactory(
        name="外县干部",
        kind=CadreKind.STATIONED,
        id_number=make_id_number(),
        home_region=people.far_village.region,
    )
    rows = [
        ["", "驻村干部", "", "13700000010", "", "", "", "", "", "", ""],  # 3: no name
        ["甲", "局长", "", "13700000011", "", "", "", "", "", "", ""],  # 4: no such kind
        ["乙", "驻村干部", "", "", "", "", "", "", "", "", ""],  # 5: neither ID nor phone
        ["丙", "驻村干部", "11010519800101001X", "", "", "", "", "", "", "", ""],  # 6: bad ID
        ["丁", "驻村干部", "", "139****1111", "", "", "", "", "", "", ""],  # 7: masked phone
        ["戊", "帮扶责任人（党员干部）", "", "13700000012", "不存在单位", "", "", "", "", "", ""],  # 8
        ["己", "驻村干部", "", "13700000013", "", "", people.far_village.region.code, "2025-01-01", "2026-01-01", "", ""],  # 9: village outside scope
        ["庚", "帮扶责任人（党员干部）", "", "13700000014", "测试帮扶单位", "", code_a, "2025-01-01", "2026-01-01", "", ""],  # 10: a helper with a village
        ["辛", "驻村干部", "", "13700000015", "", "", code_a, "2025-01-01", "", "", ""],  # 11: no end
        ["壬", "驻村干部", "", "13700000016", "", "", code_a, "2026-01-01", "2025-01-01", "", ""],  # 12: ends before it starts
        ["癸", "驻村干部", "", "13700000017", "", "", "", "", "", "", ""],  # 13: the same person …
        ["癸", "驻村干部", "", "13700000017", "", "", "", "", "", "", ""],  # 14: … twice
        ["甲村队员", "驻村干部", "", "13800138000", "", "", code_b, "2026-01-01", "2027-01-01", "乙村工作队", ""],  # 15: in two teams at once
        ["外县干部", "驻村干部", far.id_number, "", "", "", "", "", "", "", ""],  # 16: outside scope
        ["子", "驻村干部", "", "13700000018", "", "", "", "2025-01-01", "", "无村新队", ""],  # 17: a new team without a village
    ]  # fmt: skip
    before = (Cadre.objects.count(), Term.objects.count(), WorkTeamMember.objects.count())
    result = run(workbook(rows), world.reviewer)
    assert not result.ok and not result.imported
    errors = errors_of(result)
    expected = {
        (3, "姓名"),
        (4, "身份"),
        (5, "身份证号"),
        (6, "身份证号"),
        (7, "手机号"),
        (8, "所在（派出）单位"),
        (9, "所驻村代码"),
        (10, "所驻村代码"),
        (11, "任期结束"),
        (12, "任期结束"),
        (13, "身份证号"),
        (14, "身份证号"),
        (15, "姓名"),
        (16, "身份证号"),
        (17, "工作队"),
    }
    assert set(errors) == expected, errors
    assert "甲村工作队" in errors[(15, "姓名")]
    assert "不在您的管辖范围内" in errors[(16, "身份证号")]
    assert "2026-01-01" in errors[(12, "任期结束")]
    assert (Cadre.objects.count(), Term.objects.count(), WorkTeamMember.objects.count()) == before


def test_only_reviewers_import_cadres(world, people, clean_rows):
    with pytest.raises(PermissionDenied):
        run(workbook(clean_rows), world.staff_a)
    assert not Cadre.objects.filter(name="王书记").exists()


def test_the_far_reviewer_cannot_import_into_this_county(world, people, clean_rows):
    result = run(workbook(clean_rows), people.far_reviewer)
    assert not result.ok
    errors = errors_of(result)
    assert errors[(3, "所在（派出）单位")].startswith("该单位不存在或不在您的管辖范围内")
    assert errors[(3, "所驻村代码")] == "该村不存在或不在您的管辖范围内。"
    assert not Cadre.objects.filter(name="王书记").exists()


def test_the_template_has_drop_downs_and_instructions(world):
    book = load_workbook(io.BytesIO(template_workbook(sheet_for("cadres"))))
    sheet = book["干部名册"]
    assert [cell.value for cell in sheet[2]][:2] == ["姓名*", "身份*"]
    formulas = {v.formula1 for v in sheet.data_validations.dataValidation}
    assert any("第一书记" in formula for formula in formulas)
    assert any("队长" in formula for formula in formulas)
    assert "填写说明" in book.sheetnames


def test_the_import_pages_check_first_and_import_on_confirm(client, world, people, clean_rows):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(world.reviewer)
    template = client.get(reverse("ledgers:sheet_template", args=["cadres"]))
    assert template.status_code == 200
    upload = SimpleUploadedFile("干部.xlsx", workbook(clean_rows))
    checked = client.post(reverse("ledgers:sheet_import", args=["cadres"]), {"file": upload})
    assert checked.status_code == 302
    assert not Cadre.objects.filter(name="王书记").exists()
    detail = client.get(checked.url)
    assert detail.context["can_apply"]
    record = detail.context["record"]
    client.post(reverse("ledgers:sheet_apply", args=["cadres", record.pk]))
    assert Cadre.objects.filter(name="王书记").exists()
    client.force_login(world.staff_a)
    assert client.get(reverse("ledgers:sheet_import", args=["cadres"])).status_code == 403
