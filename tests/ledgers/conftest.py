"""Helpers for the ledger tests: open a workbook back, build roster files."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from accounts.models import Role
from ledgers.importers import COLUMNS, ROSTER_SHEET
from tests.factories import UserFactory


def open_workbook(data):
    """A ledger opened back with openpyxl (normal mode: styles and merged cells readable)."""
    if isinstance(data, bytes | bytearray):
        data = io.BytesIO(data)
    return load_workbook(data)


def sheet_rows(ws, first=4):
    """The data rows of a ledger sheet (after title, subtitle and header), without totals."""
    rows = [list(r) for r in ws.iter_rows(min_row=first, values_only=True)]
    if rows and isinstance(rows[-1][0], str) and rows[-1][0].startswith("合计"):
        rows = rows[:-1]
    return rows


def header(ws, row=3):
    return [c.value for c in ws[row]]


def roster_file(rows, *, headers=COLUMNS, title="贫困户名册（东河镇）", sheet=ROSTER_SHEET):
    """An xlsx roster: an optional title row, the header row, then `rows` (lists of cell values
    in the order of `headers`)."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    if title:
        ws.append([title])
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def township_reviewer(world):
    """A reviewer whose scope is township A only."""
    return UserFactory(username="reviewer_a", role=Role.REVIEWER, region=world.township_a)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The world fixture creates six users; the production hasher makes that seconds a test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Generated ledgers and uploaded rosters go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
