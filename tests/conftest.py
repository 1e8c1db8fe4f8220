"""Shared fixtures: a small world of two townships in one county (the permission trio needs an
'other township'), users of every role, and a real Chromium for the browser tests."""

import os
import shutil
from dataclasses import dataclass

import pytest

from accounts.models import Role
from tests.factories import (
    TEST_PASSWORD,
    CadreFactory,
    HouseholdFactory,
    HouseholdPairingFactory,
    PairingFactory,
    UnitFactory,
    UserFactory,
    VillageFactory,
    make_county,
    make_township,
)

CI = os.environ.get("CI", "").lower() == "true"


@dataclass
class World:
    county: object
    township_a: object
    township_b: object
    village_a: object
    village_b: object
    unit: object
    helper_a: object
    helper_b: object
    household_a: object
    household_b: object
    staff_a: object
    staff_b: object
    reviewer: object
    admin: object
    cadre_user: object
    coordinator: object
    password: str = TEST_PASSWORD


@pytest.fixture
def world(db) -> World:
    """Two townships (A and B) of one county, one village and one paired household in each."""
    county = make_county("测试县")
    township_a = make_township(county, "甲镇")
    township_b = make_township(county, "乙镇")
    village_a = VillageFactory(township=township_a, name="甲村")
    village_b = VillageFactory(township=township_b, name="乙村")
    unit = UnitFactory(name="测试帮扶单位")
    PairingFactory(lead_unit=unit, village=village_a)
    helper_a = CadreFactory(name="帮扶人甲", unit=unit)
    helper_b = CadreFactory(name="帮扶人乙")
    household_a = HouseholdFactory(village=village_a, head_name="张三")
    household_b = HouseholdFactory(village=village_b, head_name="李四")
    HouseholdPairingFactory(household=household_a, helper=helper_a)
    HouseholdPairingFactory(household=household_b, helper=helper_b)
    return World(
        county=county,
        township_a=township_a,
        township_b=township_b,
        village_a=village_a,
        village_b=village_b,
        unit=unit,
        helper_a=helper_a,
        helper_b=helper_b,
        household_a=household_a,
        household_b=household_b,
        staff_a=UserFactory(username="staff_a", role=Role.TOWNSHIP_STAFF, region=township_a),
        staff_b=UserFactory(username="staff_b", role=Role.TOWNSHIP_STAFF, region=township_b),
        reviewer=UserFactory(username="reviewer", role=Role.REVIEWER, region=county),
        admin=UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True),
        cadre_user=UserFactory(username="cadre_a", role=Role.CADRE, cadre=helper_a),
        coordinator=UserFactory(username="coord", role=Role.COORDINATOR, unit=unit),
    )


def _chromium_path() -> str | None:
    return (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


# The flags that keep Chromium off the network on these machines (env: machines/python-svc.md).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium():
    """A real headless Chromium (Debian's package) driven by Playwright; no browser download."""
    path = _chromium_path()
    if path is None:
        if CI:
            pytest.fail(
                "CI=true but Debian's chromium is not installed (python3 dev.py test installs it)"
            )
        pytest.skip("chromium 未安装：python3 dev.py test 会用 apt-get 安装（需要 root）")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def phone_page(chromium):
    """A page the size of a phone (360 × 740), Chinese locale."""
    context = chromium.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot_dir():
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-artifacts")
    os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def _data_shipped_by_migrations(request):
    """Tests with `transaction=True` (live servers, real workers) end by truncating every table,
    which also removes the rows that data migrations ship (the indicator catalogue, the beat
    schedule). Put them back before each database test, so no test depends on the order of others."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server", "django_db_serialized_rollback"}
        & set(request.fixturenames)
    )
    if not uses_db:
        return
    request.getfixturevalue("_django_db_helper")
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    from assessments.catalogue import load_indicator_catalogue
    from assessments.models import Indicator
    from notifications.schedule import sync_schedule

    if not Indicator.objects.exists():
        load_indicator_catalogue(Indicator)
    if not PeriodicTask.objects.exists():
        sync_schedule(CrontabSchedule=CrontabSchedule, PeriodicTask=PeriodicTask)


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` (backup and restore with pg_dump, the log's trigger) need
    PostgreSQL, tests marked `sqlite` (a worker process opening a copy of the SQLite database)
    need SQLite: on the other database they are deselected, not skipped; dev.py runs each in
    its own pass."""
    from django.conf import settings

    on_postgresql = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    wrong = "sqlite" if on_postgresql else "postgres"
    kept = [item for item in items if item.get_closest_marker(wrong) is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
