"""The command-line export, import and benchmark."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import SecurityEvent
from households.models import Household
from tests.factories import make_id_number
from tests.ledgers.conftest import open_workbook, roster_file, sheet_rows
from tests.ledgers.ledger_data import fill
from tests.ledgers.test_importers import good_row

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["pairing", "visit", "village", "assessment", "rectification"])
def test_export_ledger_writes_each_kind(world, tmp_path, kind):
    fill(world)
    output = tmp_path / f"{kind}.xlsx"
    out = StringIO()
    call_command(
        "export_ledger",
        kind,
        "--region",
        world.county.code,
        "--year",
        "2026",
        "-o",
        str(output),
        stdout=out,
    )
    assert "已写入" in out.getvalue()
    wb = open_workbook(output.read_bytes())
    assert "测试县" in wb.worksheets[0]["A1"].value
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.EXPORT)
    assert event.username == "manage.py" and event.region_code == world.county.code


def test_export_ledger_within_a_users_scope(world, tmp_path):
    fill(world)
    output = tmp_path / "ledger.xlsx"
    call_command(
        "export_ledger",
        "pairing",
        "--region",
        world.township_a.code,
        "--period",
        "2026-Q2",
        "--user",
        "staff_a",
        "-o",
        str(output),
        stdout=StringIO(),
    )
    rows = sheet_rows(open_workbook(output.read_bytes()).active)
    assert len(rows) == 2 and all("********" in row[6] for row in rows)
    with pytest.raises(CommandError, match="无权"):
        call_command(
            "export_ledger",
            "pairing",
            "--region",
            world.township_b.code,
            "--user",
            "staff_a",
            "-o",
            str(output),
        )
    with pytest.raises(CommandError, match="不存在"):
        call_command("export_ledger", "pairing", "--region", "000", "-o", str(output))
    with pytest.raises(CommandError, match="期间"):
        call_command(
            "export_ledger",
            "pairing",
            "--region",
            world.county.code,
            "--period",
            "2026-13x",
            "-o",
            str(output),
        )


def test_import_households_dry_run_then_import(world, tmp_path):
    path = tmp_path / "roster.xlsx"
    number = make_id_number()
    path.write_bytes(roster_file([good_row(world, number)]))
    out = StringIO()
    call_command("import_households", str(path), "--dry-run", "--user", "staff_a", stdout=out)
    assert "将新增 1 户" in out.getvalue()
    assert not Household.objects.filter(head_id_number=number).exists()
    call_command("import_households", str(path), stdout=StringIO())
    assert Household.objects.filter(head_id_number=number).exists()
    out = StringIO()
    call_command("import_households", str(path), stdout=out)
    assert "已新增 0 户，更新 0 户，未变化 1 户" in out.getvalue()
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.IMPORT).count() == 2


def test_import_households_lists_every_error_and_writes_the_annotated_copy(world, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(roster_file([good_row(world, **{"家庭人口数": 0}), good_row(world, "123")]))
    errors_out = tmp_path / "errors.xlsx"
    out = StringIO()
    with pytest.raises(CommandError, match="共 2 处错误"):
        call_command("import_households", str(path), "--errors-out", str(errors_out), stdout=out)
    assert "第 3 行  家庭人口数（D列）" in out.getvalue()
    assert "第 4 行  户主身份证号（C列）" in out.getvalue()
    ws = open_workbook(errors_out.read_bytes())["贫困户名册"]
    assert ws.cell(2, 11).value == "错误说明"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"hello")
    with pytest.raises(CommandError, match="不是 Excel"):
        call_command("import_households", str(bad))


@pytest.mark.parametrize("variant", ["bare", "ledger"])
def test_benchmark_variants_write_the_same_rows(world, tmp_path, variant):
    fill(world)
    output = tmp_path / f"{variant}.xlsx"
    out = StringIO()
    call_command(
        "benchmark_ledgers",
        "--region",
        world.county.code,
        "--year",
        "2026",
        "--variant",
        variant,
        "--output",
        str(output),
        stdout=out,
    )
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["rows"] == 3 and result["peak_mb"] > 0 and output.exists()
