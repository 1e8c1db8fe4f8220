"""The request benchmarks of issue 17 (`manage.py bench_pages --part dashboards|mix`): whole
requests through Django's test client in this process, each against the login page measured in
the same run. Everything they write (their users, sessions, the mix's visits) is inside one
transaction that is rolled back.

- dashboards: server time of the dashboard for a reviewer of the province, of a county and of
  a township (p50 / p95 over --runs requests after two warm-up requests) and its queries;
- mix: the load test's request mix (township staff: household list, visit form, visit post;
  county reviewers: dashboard, village list, household list, two staff to one reviewer) and
  its CPU per request, this process's CPU plus the PostgreSQL backend's (from /proc, when the
  database runs on this machine), against the login page's."""

from __future__ import annotations

import os
import random
import re
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from households.models import Household, HouseholdPairing
from villages.models import Region, RegionLevel

HELPER_OPTION = re.compile(r'<select name="helper"[^>]*>.*?<option value="(\d+)"', re.S)
TOKEN_INPUT = re.compile(r'name="submission_token" value="([0-9a-f-]+)"')


def _backend_cpu_seconds() -> float:
    """CPU seconds of this connection's PostgreSQL backend (0 when unreadable: SQLite, or a
    database on another machine)."""
    if connection.vendor != "postgresql" or connection.connection is None:
        return 0.0
    pid = connection.connection.info.backend_pid
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


class Timed:
    """Wall milliseconds and query counts of the requests one case made."""

    def __init__(self) -> None:
        self.ms: list[float] = []
        self.queries: list[int] = []
        self.statuses: list[int] = []

    def call(self, request: Callable[[], object]) -> object:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = request()
            self.ms.append((time.perf_counter() - started) * 1000)
        self.queries.append(len(captured))
        self.statuses.append(getattr(response, "status_code", 0))
        return response

    def line(self, label: str) -> str:
        q = f"{min(self.queries)}" + (
            f"–{max(self.queries)}" if max(self.queries) != min(self.queries) else ""
        )
        return (
            f"  {label:<34}{statistics.median(self.ms):8.1f}{_percentile(self.ms, 95):8.1f}{q:>9}"
        )


def _user(username: str, role: str, region: Region) -> User:
    user, _ = User.objects.update_or_create(
        username=username,
        defaults={
            "role": role,
            "region": region,
            "is_active": True,
            "must_change_password": False,
            "last_name": "测",
            "first_name": "基准",
        },
    )
    return user


def _client(user: User | None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    if user is not None:
        client.force_login(user)
    return client


@contextmanager
def _rolled_back() -> Iterator[None]:
    hosts = list(settings.ALLOWED_HOSTS)
    if "testserver" not in hosts:
        hosts.append("testserver")
    with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts), transaction.atomic():
        yield
        transaction.set_rollback(True)


def measure_requests(write: Callable[[str], object], *, runs: int, parts: list[str]) -> None:
    runs = max(runs, 5)
    county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    province = Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code").first()
    township = (
        Region.objects.filter(level=RegionLevel.TOWNSHIP, path__startswith=county.path)
        .order_by("code")
        .first()
        if county is not None
        else None
    )
    if county is None or province is None or township is None:
        write("no regions: build the data first (seed_demo)")
        return
    with _rolled_back():
        if "dashboards" in parts:
            _dashboards(write, runs, {"province": province, "county": county, "township": township})
        if "mix" in parts:
            _mix(write, runs, county)


def _dashboards(write: Callable[[str], object], runs: int, regions: dict[str, Region]) -> None:
    url = reverse("assessments:dashboard")
    login = reverse("accounts:login")
    write(
        f"\ndashboards, server time through the whole request ({connection.vendor}, "
        f"{runs} requests after 2 warm-up): p50 ms, p95 ms, queries"
    )
    baseline = Timed()
    anonymous = _client(None)
    for _ in range(2):
        anonymous.get(login)
    timed = {}
    for level, region in regions.items():
        client = _client(_user(f"bench17_{level}", Role.REVIEWER, region))
        for _ in range(2):
            client.get(url)
        timed[level] = Timed()
    # Interleaved, so a busy moment of the machine touches every level and the baseline alike.
    clients = {level: _client(User.objects.get(username=f"bench17_{level}")) for level in regions}
    for _ in range(runs):
        baseline.call(lambda: anonymous.get(login))
        for level, client in clients.items():
            timed[level].call(partial(client.get, url))
    for level, region in regions.items():
        write(timed[level].line(f"{level} reviewer ({region.name})"))
        bad = [s for s in timed[level].statuses if s != 200]
        if bad:
            write(f"    answers other than 200: {bad[:5]}")
    write(baseline.line("login page (baseline)"))
    p95 = _percentile(baseline.ms, 95)
    for level in regions:
        write(
            f"  {level}: p95 {_percentile(timed[level].ms, 95):.1f} ms = "
            f"{_percentile(timed[level].ms, 95) / p95:.1f}× the login page's"
        )


def _mix(write: Callable[[str], object], runs: int, county: Region) -> None:
    today = timezone.localdate()
    paired = HouseholdPairing.objects.in_force(today).values("household_id")
    townships = list(
        Region.objects.filter(level=RegionLevel.TOWNSHIP, path__startswith=county.path)
        .order_by("code")
        .values_list("pk", flat=True)[:2]
    )
    staff = []
    for i, township_id in enumerate(townships):
        user = _user(f"bench17_staff_{i}", Role.TOWNSHIP_STAFF, Region.objects.get(pk=township_id))
        ids = list(
            Household.objects.filter(township_id=township_id, id__in=paired)
            .order_by("id")
            .values_list("id", flat=True)[:200]
        )
        staff.append((_client(user), ids))
    reviewer = _client(_user("bench17_county", Role.REVIEWER, county))
    urls = {
        "households": reverse("households:list"),
        "visit": reverse("households:visit_create"),
        "dashboard": reverse("assessments:dashboard"),
        "villages": reverse("villages:list"),
        "login": reverse("accounts:login"),
    }
    rng = random.Random(17)
    failures: list[str] = []

    def staff_round(client: Client, ids: list[int]) -> int:
        client.get(f"{urls['households']}?page={rng.randint(1, 5)}")
        household = rng.choice(ids)
        form_url = f"{urls['visit']}?household={household}"
        body = client.get(form_url).content.decode()
        helper = HELPER_OPTION.search(body)
        token = TOKEN_INPUT.search(body)
        data = {
            "household": household,
            "submission_token": token.group(1) if token else str(uuid.uuid4()),
            "visited_on": today.isoformat(),
            "kind": "home",
            "learned": "基准测试走访：了解生产生活情况。",
            "problems": "",
        }
        if helper:
            data["helper"] = helper.group(1)
        response = client.post(form_url, data)
        if response.status_code != 302:
            failures.append(f"visit post answered {response.status_code}")
        return 3

    def reviewer_round() -> int:
        for name in ("dashboard", "villages", "households"):
            reviewer.get(urls[name])
        return 3

    def one_round() -> int:
        return sum(staff_round(c, ids) for c, ids in staff if ids) + reviewer_round()

    anonymous = _client(None)
    one_round()  # warm-up: templates, caches, connections
    anonymous.get(urls["login"])

    def cpu() -> float:
        return time.process_time() + _backend_cpu_seconds()

    started, wall = cpu(), time.perf_counter()
    requests = sum(one_round() for _ in range(runs))
    mix_cpu, mix_wall = cpu() - started, time.perf_counter() - wall
    started, wall = cpu(), time.perf_counter()
    for _ in range(requests):
        anonymous.get(urls["login"])
    login_cpu, login_wall = cpu() - started, time.perf_counter() - wall
    mix_ms, login_ms = mix_cpu * 1000 / requests, login_cpu * 1000 / requests
    write(
        f"\nthe load test's mix in process ({connection.vendor}, {requests} requests: "
        f"{len(staff)} township staff, 1 county reviewer), CPU of this process and its "
        "database backend per request"
    )
    write(f"  {'the mix':<34}{mix_ms:8.1f} ms CPU{mix_wall * 1000 / requests:8.1f} ms wall")
    write(
        f"  {'login page (baseline)':<34}{login_ms:8.1f} ms CPU"
        f"{login_wall * 1000 / requests:8.1f} ms wall"
    )
    write(f"  mix / login page CPU per request: {mix_ms / login_ms:.1f}×")
    if failures:
        write(f"  {len(failures)} visit posts were not saved: {failures[:3]}")
