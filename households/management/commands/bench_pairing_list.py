"""Time the pairing list (/households/pairings/) of a county on the demo data, as the county's
reviewer and as one township's staff would open it, against a baseline: one bare SQL query of
the same page of rows. Prints the page's server time (median of --runs), its queries, the
baseline's time and the ratio, in one run, and whether the page is within --budget ms.

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python manage.py bench_pairing_list

With no household in the database it first builds the demo data (seed_demo's `demo` scale:
one county of about 3,000 households) and keeps it. The users it logs in with are made inside
a transaction that is rolled back: the measurement writes nothing."""

from __future__ import annotations

import io
import statistics
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Count
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, User
from households.models import Household, HouseholdPairing
from households.selectors import pairing_list
from villages.models import Region, RegionLevel


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "测量县级结对帮扶列表页面的服务器耗时，并与同样数据的一条裸 SQL 查询比较。"

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=15)
        parser.add_argument("--budget", type=float, default=100.0, help="页面耗时上限（毫秒）")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, runs, budget, seed, **options):
        if not Household.objects.exists():
            self.stdout.write("数据库中没有贫困户：先生成演示数据（demo 规模，一个县约三千户）…")
            started = time.monotonic()
            # By the command's name: demo/ sits above this app (manage.py import_graph).
            call_command("seed_demo", scale="demo", seed=seed, stdout=io.StringIO())
            self.stdout.write(f"  生成完毕（{time.monotonic() - started:.1f} 秒）")
        county_id = (
            Household.objects.values("village__county_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .values_list("village__county_id", flat=True)
            .first()
        )
        county = Region.objects.get(pk=county_id)
        busiest = (
            Household.objects.filter(path__startswith=county.path)
            .values("township_id")
            .annotate(n=Count("id"))
            .order_by("-n", "township_id")
            .values_list("township_id", flat=True)
            .first()
        )
        township = Region.objects.filter(pk=busiest, level=RegionLevel.TOWNSHIP).first()
        households = Household.objects.filter(path__startswith=county.path).count()
        pairings = HouseholdPairing.objects.filter(household__path__startswith=county.path).count()
        self.stdout.write(
            f"{connection.vendor}：{county.name}，{households} 户，{pairings} 条结对；"
            f"每项 {runs} 次取中位数"
        )
        failed = False
        try:
            with transaction.atomic():
                users = [
                    (
                        f"县审核人员（{county.name}）",
                        self._user("bench-county", Role.REVIEWER, county),
                    ),
                ]
                if township is not None:
                    users.append(
                        (
                            f"乡镇工作人员（{township.name}）",
                            self._user("bench-township", Role.TOWNSHIP_STAFF, township),
                        )
                    )
                for label, user in users:
                    for params in ("", "?on=" + time.strftime("%Y-%m-%d")):
                        failed |= self._measure(label, user, params, runs, budget)
                raise _Rollback
        except _Rollback:
            pass
        if failed:
            self.stdout.write(self.style.ERROR(f"有页面超过 {budget:.0f} 毫秒。"))
        else:
            self.stdout.write(self.style.SUCCESS(f"全部在 {budget:.0f} 毫秒以内。"))

    @staticmethod
    def _user(username: str, role: str, region: Region) -> User:
        user = User(username=username, role=role, region=region, is_active=True)
        user.set_unusable_password()
        user.save()
        return user

    def _measure(self, label: str, user: User, params: str, runs: int, budget: float) -> bool:
        client = Client()
        client.force_login(user)
        url = reverse("households:pairing_list") + params
        response = client.get(url)  # warm: templates, content types, the session
        assert response.status_code == 200, response.status_code
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        page_times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            page_times.append((time.perf_counter() - started) * 1000)
        # The baseline: the page's rows fetched by one bare SQL query (no ORM, no template).
        _filter, queryset = pairing_list(user=user, params=QueryDict(params.lstrip("?")))
        rows = queryset.count()
        sql, sql_params = queryset[:50].query.sql_with_params()
        base_times = []
        for _ in range(runs):
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(sql, sql_params)
                cursor.fetchall()
            base_times.append((time.perf_counter() - started) * 1000)
        page, base = statistics.median(page_times), statistics.median(base_times)
        ratio = page / base if base else float("inf")
        over = page > budget
        line = (
            f"  {label} {url}：{rows} 条，页面 {page:.1f} ms（{len(captured)} 次查询），"
            f"裸 SQL {base:.2f} ms，倍数 {ratio:.1f}"
        )
        self.stdout.write(self.style.ERROR(line) if over else line)
        return over
