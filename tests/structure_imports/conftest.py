"""A region tree with the statistics bureau's real codes (四川省 › 成都市 › 青羊区 and 锦江区),
the users who keep it, and helpers to build workbooks."""

import io
from dataclasses import dataclass

import pytest
from openpyxl import Workbook

from accounts.models import Role
from tests.factories import TEST_PASSWORD, UserFactory
from villages.models import Region, RegionLevel, Village


@dataclass
class Tree:
    province: Region
    prefecture: Region
    county: Region
    other_county: Region
    township: Region
    other_township: Region
    village: Village
    reviewer: object
    other_reviewer: object
    staff: object
    admin: object
    password: str = TEST_PASSWORD


def region(code, name, level, parent=None):
    node = Region(code=code, name=name, level=level, parent=parent)
    node.save()
    return node


@pytest.fixture
def tree(db) -> Tree:
    province = region("51", "四川省", RegionLevel.PROVINCE)
    prefecture = region("5101", "成都市", RegionLevel.PREFECTURE, province)
    county = region("510105", "青羊区", RegionLevel.COUNTY, prefecture)
    other_county = region("510104", "锦江区", RegionLevel.COUNTY, prefecture)
    township = region("510105001", "少城街道", RegionLevel.TOWNSHIP, county)
    other_township = region("510104020", "书院街街道", RegionLevel.TOWNSHIP, other_county)
    village_region = region("510105001001", "宽巷子社区", RegionLevel.VILLAGE, township)
    village = Village(region=village_region, name="宽巷子社区")
    village.save()
    return Tree(
        province=province,
        prefecture=prefecture,
        county=county,
        other_county=other_county,
        township=township,
        other_township=other_township,
        village=village,
        reviewer=UserFactory(username="qy_reviewer", role=Role.REVIEWER, region=county),
        other_reviewer=UserFactory(username="jj_reviewer", role=Role.REVIEWER, region=other_county),
        staff=UserFactory(username="qy_staff", role=Role.TOWNSHIP_STAFF, region=township),
        admin=UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True),
    )


def workbook(
    rows, *, headers=("区划代码", "名称", "上级代码"), title="青羊区区划", sheet="区划与村"
):
    """An xlsx: an optional title row, the header row, then `rows` (lists of cell values)."""
    book = Workbook()
    ws = book.active
    ws.title = sheet
    if title:
        ws.append([title])
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def logged_in(client, user):
    client.force_login(user)
    return client
