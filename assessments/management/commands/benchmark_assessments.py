"""Measure the assessment engine and the dashboards on the current database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pairing_province \\
        .venv/bin/python manage.py benchmark_assessments --period 2026 --today 2026-11-20

1. HH-VISIT-YEAR computed and stored (results and roll-ups) against the baseline, one bare SQL
   aggregate of the same counts (counted visits of the year per household, fetched), and their
   ratio (issue 17: within 3×);
2. the peak memory of an evaluation of the whole yearly catalogue, run in a child process of
   its own (issue 17: ≤ 300 MB), beside the same process's memory before it started;
3. the wall time of a first yearly evaluation of the household indicators (HH-VISIT-YEAR,
   HH-PAIRED, HH-PLAN: about 470,000 results for a province), then of the whole yearly
   catalogue, then of a re-run (the nightly case: unchanged rows are kept);
4. the server time of the dashboard pages, on the results already stored for the period, (Django's test client, in process: URL routing,
   middleware, queries and template rendering) for a reviewer of the province, of a county and
   of a township, as the median of several requests, with the number of queries each made.

Everything runs in one transaction that is rolled back at the end (unless --keep), so a shared
benchmark database is left as it was found.
"""

from __future__ import annotations

import datetime
import multiprocessing
import resource
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from assessments.models import Indicator, IndicatorResult, ResultRollup
from assessments.periods import parse_period
from assessments.services import period_evaluate, results_store
from households.models import CreditStatus, Visit
from villages.models import Region, RegionLevel


class Command(BaseCommand):
    help = "测量考核计算耗时与看板页面的服务器耗时（在一个事务中运行，结束时回滚）。"

    def add_arguments(self, parser):
        parser.add_argument("--period", default="2026")
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None)
        parser.add_argument("--requests", type=int, default=7, help="每个页面请求次数（取中位数）")
        parser.add_argument("--keep", action="store_true", help="保留计算结果（默认回滚）")

    def handle(self, *args, period, today, requests, keep, **options):

        if "testserver" not in settings.ALLOWED_HOSTS and not settings.DEBUG:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        parsed = parse_period(period)
        self.stdout.write(f"数据库：{connection.vendor} {connection.settings_dict.get('NAME')}")
        self._one_indicator(parsed, today)
        self._memory(parsed, today)
        with transaction.atomic():
            # Dashboards read what the nightly evaluation stored: measure them on the stored
            # results first (rows rewritten inside this transaction would slow them down).
            stored = ResultRollup.objects.filter(period=parsed.label).exists()
            if stored:
                self._dashboards(parsed, requests)
            self._evaluation(parsed, today)
            if not stored:
                self.stdout.write("（该期尚无已存储的结果：看板在本次计算之后、同一事务中测量）")
                self._dashboards(parsed, requests)
            if not keep:
                transaction.set_rollback(True)
        self.stdout.write("已回滚，数据库未改变。" if not keep else "计算结果已保留。")

    def _memory(self, period, today) -> None:
        """The whole catalogue evaluated in a forked child (rolled back there): its peak RSS,
        and the RSS it started with."""
        start_mb, peak_mb, seconds, results = _in_child(_evaluate_all, period.label, today)
        _vacuum()
        self.stdout.write(
            f"全部年度指标计算（子进程）{period.label}：{results} 条结果，{seconds:.1f} 秒，"
            f"内存峰值 {peak_mb:.0f} MB（开始时 {start_mb:.0f} MB，计算增加 "
            f"{peak_mb - start_mb:.0f} MB；目标 ≤ 300 MB）"
        )

    def _evaluation(self, period, today) -> None:

        # Time a first evaluation of the period: its stored results are set aside (the whole
        # benchmark is rolled back, so they come back afterwards).
        IndicatorResult.objects.filter(period=period.label).delete()
        ResultRollup.objects.filter(period=period.label).delete()
        household = list(
            Indicator.objects.filter(
                active=True, subject_kind="household", period_kind__in=period.indicator_kinds
            )
        )
        started = time.monotonic()
        summary = period_evaluate(period=period, today=today, indicators=household)
        seconds = time.monotonic() - started
        self.stdout.write(
            f"户类指标年度计算 {period.label}：{summary.results} 条结果，{seconds:.1f} 秒 "
            f"（{', '.join(f'{k} {v}' for k, v in summary.by_indicator.items())}）"
        )
        started = time.monotonic()
        summary = period_evaluate(period=period, today=today)
        seconds = time.monotonic() - started
        self.stdout.write(
            f"全部年度指标计算 {period.label}：{summary.results} 条结果，{seconds:.1f} 秒，"
            f"{summary.unit_assessments} 个单位评定等次"
        )
        started = time.monotonic()
        summary = period_evaluate(period=period, today=today)
        seconds = time.monotonic() - started
        self.stdout.write(f"再次计算 {period.label}（结果未变的行保留）：{seconds:.1f} 秒")

    def _one_indicator(self, period, today, code: str = "HH-VISIT-YEAR", runs: int = 3) -> None:
        """HH-VISIT-YEAR computed and stored (a first evaluation of the period: its stored rows
        set aside) against one bare SQL aggregate of the same counts, alternately, medians of
        `runs`. Each evaluation runs in a child process of its own and is rolled back there;
        the tables are vacuumed between runs, so a run does not pay for the last one's rows."""
        indicator = Indicator.objects.get(code=code)
        as_of = period.as_of(today or timezone.localdate())
        visits = Visit._meta.db_table
        bare = (
            f"SELECT household_id, COUNT(*) FROM {visits} WHERE household_id IS NOT NULL "
            f"AND visited_on >= %s AND visited_on <= %s AND credit_status = %s "
            f"GROUP BY household_id"
        )
        bare_times, project_times, results, counted = [], [], 0, 0
        for _ in range(runs):
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(bare, [period.start, as_of, CreditStatus.CREDITED])
                counted = len(cursor.fetchall())
            bare_times.append(time.perf_counter() - started)
            seconds, results = _in_child(_store_one, period.label, today, indicator.id)
            project_times.append(seconds)
            _vacuum()
        bare_s, project_s = statistics.median(bare_times), statistics.median(project_times)
        self.stdout.write(
            f"{code} 计算并存储（结果与汇总）：{results} 条结果，{project_s:.2f} 秒；"
            f"基线（同口径裸 SQL 聚合，{counted} 户有计数）：{bare_s:.2f} 秒；"
            f"比值 {project_s / bare_s:.2f}×（目标 ≤ 3×；各 {runs} 次取中位数）"
        )

    def _dashboards(self, period, requests: int) -> None:

        regions = [
            Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code").first(),
            Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first(),
            Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code").first(),
        ]
        pages = [
            ("考核看板", reverse("assessments:dashboard")),
            ("指标下钻（全年走访）", reverse("assessments:indicator", args=["HH-VISIT-YEAR"])),
            ("单位排名", reverse("assessments:units")),
        ]
        for region in [r for r in regions if r is not None]:
            user = User.objects.create(
                username=f"benchmark-{region.code}", role=Role.REVIEWER, region=region
            )
            client = Client()
            client.force_login(user)
            for name, url in pages:
                full = f"{url}?period={period.label}"
                client.get(full)  # warm: first request compiles templates
                times, queries = [], 0
                for _ in range(requests):
                    with CaptureQueriesContext(connection) as ctx:
                        started = time.perf_counter()
                        response = client.get(full)
                        times.append(time.perf_counter() - started)
                    queries = len(ctx.captured_queries)
                    if response.status_code != 200:
                        raise RuntimeError(f"{full}: HTTP {response.status_code}")
                self.stdout.write(
                    f"{region.get_level_display()}（{region.name}）{name}：中位数 "
                    f"{1000 * statistics.median(times):.0f} ms（最快 {1000 * min(times):.0f} ms），"
                    f"{queries} 次查询"
                )


def _rss_mb() -> float:
    """This process's resident memory now (Linux)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 1e6


def _in_child(target, *args):
    """Run target(*args) in a forked child with a connection of its own; its return value."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.SimpleQueue()
    child = context.Process(target=lambda: queue.put(target(*args)))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"benchmark child failed: exit code {child.exitcode}")
    return queue.get()


def _vacuum() -> None:
    """Reclaim the rolled-back rows of a child's run (PostgreSQL), outside any transaction."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (IndicatorResult, ResultRollup):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _store_one(label: str, today, indicator_id: int):
    period = parse_period(label)
    indicator = Indicator.objects.get(pk=indicator_id)
    with transaction.atomic():
        IndicatorResult.objects.filter(period=label).delete()
        ResultRollup.objects.filter(period=label).delete()
        started = time.perf_counter()
        counts, _problems = results_store(
            period=period, region_path="", today=today, indicators=[indicator]
        )
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds, counts.get(indicator.code, 0)


def _evaluate_all(label: str, today):
    start_mb = _rss_mb()
    period = parse_period(label)
    started = time.monotonic()
    with transaction.atomic():
        IndicatorResult.objects.filter(period=label).delete()
        ResultRollup.objects.filter(period=label).delete()
        summary = period_evaluate(period=period, today=today)
        transaction.set_rollback(True)
    seconds = time.monotonic() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000
    return start_mb, peak_mb, seconds, summary.results
