"""Time the API's list endpoints as given users see them, without writing anything:

    DATABASE_URL=postgres://…/pairing_province python manage.py benchmark_api --runs 5

Each request goes through the whole stack (middleware, authentication forced on the test
client, scope, filters, pagination, serializers); the median of `--runs` is printed with the
number of queries. Everything runs inside a transaction that is rolled back."""

from __future__ import annotations

import datetime
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User


def _requests(user) -> list[tuple[str, dict]]:
    today = timezone.localdate()
    region = user.region.code if user.region_id else None
    rows = [
        ("households", {}),
        ("households", {"not_visited_days": 30}),
        ("households", {"key_difficulty": "true", "track": "industry"}),
        ("visits", {}),
        ("visits", {"date_from": (today - datetime.timedelta(days=30)).isoformat()}),
        ("villages", {}),
        ("cadres", {}),
        ("household-pairings", {}),
        ("indicator-results", {"indicator": "HH-VISIT-YEAR", "met": "false", "period": today.year}),
        ("field-days", {}),
        ("trainings", {}),
        ("rectifications", {}),
    ]
    if region:
        rows.insert(1, ("households", {"region": region}))
    return rows


class Command(BaseCommand):
    help = "测量 API 列表接口的响应时间和查询次数（只读，事务回滚）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--user",
            action="append",
            dest="users",
            help="用户名，可多次给出（默认 township1、reviewer、city_reviewer、admin）",
        )
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--page-size", type=int, default=50)

    def handle(self, *args, users, runs, page_size, **options):
        names = users or ["township1", "reviewer", "city_reviewer", "admin"]
        self.stdout.write(
            f"{'user':<14} {'endpoint':<52} {'median ms':>9} {'queries':>7} {'rows':>8}"
        )
        with transaction.atomic():
            for name in names:
                if not User.objects.filter(username=name).exists():
                    raise CommandError(f"用户不存在：{name}")
                for path, params in _requests(User.objects.get(username=name)):
                    self._measure(name, path, {**params, "page_size": page_size}, runs)
            transaction.set_rollback(True)

    def _measure(self, name, path, params, runs):
        timings, queries, count = [], 0, None
        for _ in range(runs):
            client = APIClient()
            client.force_authenticate(User.objects.select_related("region").get(username=name))
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(f"/api/v1/{path}/", params)
                timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise CommandError(
                    f"{path} {params}: {response.status_code} {response.content[:300]}"
                )
            queries, count = len(captured), response.json()["count"]
        query = "&".join(f"{k}={v}" for k, v in params.items() if k != "page_size")
        label = f"{path}/" + (f"?{query}" if query else "")
        self.stdout.write(
            f"{name:<14} {label:<52} {statistics.median(timings):>9.0f} {queries:>7} {count:>8}"
        )
