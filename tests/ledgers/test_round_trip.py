"""The pairing ledger carries the roster columns: exported with full ID numbers it can be fed
back to the importer, which finds nothing to change; exported masked, it is refused clearly."""

import io

import pytest

from households.models import Household, IncomeRecord
from ledgers import services
from ledgers.importers import import_roster
from ledgers.periods import parse_period
from tests.ledgers.ledger_data import fill

pytestmark = pytest.mark.django_db


def ledger_bytes(user, region, mask=False) -> bytes:
    exporter = services.ledger_exporter(
        user=user, kind="pairing", region=region, period=parse_period("2026"), mask_ids=mask
    )
    out = io.BytesIO()
    services.ledger_write(exporter=exporter, target=out)
    return out.getvalue()


@pytest.mark.parametrize("who", ["admin", "reviewer"])
def test_a_full_id_pairing_ledger_reimported_changes_nothing(world, who):
    fill(world)
    user = getattr(world, who)
    data = ledger_bytes(user, world.county)
    stamps = dict(Household.objects.values_list("id", "updated_at"))
    incomes = list(IncomeRecord.objects.order_by("id").values_list("id", "per_capita_net_income"))
    check = import_roster(io.BytesIO(data), size=len(data), user=user, income_year=2026)
    assert check.ok, [(e.row, e.column, e.message) for e in check.errors]
    assert (check.created, check.updated, check.unchanged) == (0, 0, 3)
    assert check.parsed.sheet == "结对帮扶台账" and check.parsed.header_row == 3
    assert dict(Household.objects.values_list("id", "updated_at")) == stamps
    assert (
        list(IncomeRecord.objects.order_by("id").values_list("id", "per_capita_net_income"))
        == incomes
    )


def test_a_masked_pairing_ledger_is_refused_clearly(world):
    fill(world)
    data = ledger_bytes(world.reviewer, world.county, mask=True)
    before = list(Household.objects.order_by("id").values())
    check = import_roster(io.BytesIO(data), size=len(data), user=world.reviewer, income_year=2026)
    assert not check.ok
    id_errors = [e for e in check.errors if e.column == "户主身份证号"]
    assert len(id_errors) == 3  # every household, each with a sentence saying why
    assert all("已脱敏" in error.message for error in check.errors)  # phones are masked too
    assert list(Household.objects.order_by("id").values()) == before
