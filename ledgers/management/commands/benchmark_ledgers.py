"""Measure a ledger against bare openpyxl, side by side:

    python manage.py benchmark_ledgers --region 51 --year 2026

Each variant runs in its own process (so peak memory is that variant's alone), alternately:
- bare:   the exporter's own rows (same queries, same chunks) appended to a plain write-only
          workbook: no title, styles, number formats, sanitising or totals;
- ledger: the exporter writing the real ledger through ledgers.writer.LedgerWriter.
Reported: wall time (fetching included, Django start-up excluded) and the process's peak
resident memory; the ratio of medians must stay within --max-ratio and the peak under --max-mb.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from openpyxl import Workbook

from ledgers.exporters import exporter_for
from ledgers.models import LedgerKind
from ledgers.periods import parse_period
from ledgers.writer import Kind
from villages.models import Region

VARIANTS = ("bare", "ledger")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Command(BaseCommand):
    help = "台账导出性能基准：与裸 openpyxl（write_only）对比耗时与内存峰值"

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="区划代码，如省级 51")
        parser.add_argument("--kind", default=LedgerKind.PAIRING, choices=LedgerKind.values)
        parser.add_argument("--year", type=int, help="年度，默认今年")
        parser.add_argument("--repeat", type=int, default=2, help="每种方式运行次数（取中位数）")
        parser.add_argument("--max-ratio", type=float, default=1.3)
        parser.add_argument("--max-mb", type=float, default=300)
        parser.add_argument("--keep", help="保留生成的文件到此目录")
        parser.add_argument("--variant", choices=VARIANTS, help="（内部）在子进程中运行一种方式")
        parser.add_argument("--output", help="（内部）子进程的输出文件")

    def handle(self, *args, **options):
        year = options["year"] or timezone.localdate().year
        if options["variant"]:
            self._child(options, year)
            return
        if not Region.objects.filter(code=options["region"]).exists():
            raise CommandError(f"区划代码 {options['region']} 不存在。")
        folder = Path(options["keep"] or tempfile.mkdtemp(prefix="ledger-bench-"))
        folder.mkdir(parents=True, exist_ok=True)
        results: dict[str, list[dict]] = {v: [] for v in VARIANTS}
        for run in range(options["repeat"]):
            for variant in VARIANTS:
                output = folder / f"{variant}-{run}.xlsx"
                result = self._spawn(options, year, variant, output)
                results[variant].append(result)
                self.stdout.write(
                    f"{variant:<6} 第{run + 1}次  {result['rows']:>9,} 行  "
                    f"{result['seconds']:7.1f} 秒（CPU {result['cpu_seconds']:6.1f} 秒）  "
                    f"峰值内存 {result['peak_mb']:6.0f} MB  "
                    f"文件 {result['bytes'] / 1024 / 1024:6.1f} MB"
                )
                if not options["keep"]:
                    output.unlink(missing_ok=True)
        bare = statistics.median(r["seconds"] for r in results["bare"])
        ledger = statistics.median(r["seconds"] for r in results["ledger"])
        bare_cpu = statistics.median(r["cpu_seconds"] for r in results["bare"])
        ledger_cpu = statistics.median(r["cpu_seconds"] for r in results["ledger"])
        peak = max(r["peak_mb"] for r in results["ledger"])
        ratio = ledger / bare
        self.stdout.write(
            f"\n中位数：裸 openpyxl {bare:.1f} 秒，台账 {ledger:.1f} 秒，"
            f"比值 {ratio:.2f}（上限 {options['max_ratio']}）；"
            f"CPU 时间 {bare_cpu:.1f} / {ledger_cpu:.1f} 秒，比值 {ledger_cpu / bare_cpu:.2f}；"
            f"台账峰值内存 {peak:.0f} MB（上限 {options['max_mb']:.0f} MB）"
        )
        if ratio > options["max_ratio"] or peak >= options["max_mb"]:
            raise CommandError("超出性能上限。")
        self.stdout.write(self.style.SUCCESS("在上限之内。"))

    def _spawn(self, options, year: int, variant: str, output: Path) -> dict:
        command = [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "benchmark_ledgers",
            "--region",
            options["region"],
            "--kind",
            options["kind"],
            "--year",
            str(year),
            "--variant",
            variant,
            "--output",
            str(output),
        ]
        done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
        if done.returncode != 0:
            raise CommandError(f"{variant} 运行失败：\n{done.stderr[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def _child(self, options, year: int) -> None:
        region = Region.objects.get(code=options["region"])
        exporter = exporter_for(
            options["kind"], user=None, region=region, period=parse_period(str(year))
        )
        output = Path(options["output"])
        with translation.override(settings.LANGUAGE_CODE):
            started, cpu_started = time.perf_counter(), cpu_seconds()
            if options["variant"] == "bare":
                rows = 0
                workbook = Workbook(write_only=True)
                for sheet in exporter.sheets():
                    ws = workbook.create_sheet(sheet.name)
                    # openpyxl refuses time-zone-aware datetimes: only those cells are touched.
                    aware = [i for i, c in enumerate(sheet.columns) if c.kind == Kind.DATETIME]
                    for values in sheet:  # the header, then the rows
                        if aware and rows:
                            values = list(values)
                            for i in aware:
                                if values[i] is not None:
                                    values[i] = values[i].replace(tzinfo=None)
                        ws.append(values)
                        rows += 1
                    rows -= 1
                workbook.save(output)
            else:
                rows = exporter.write(output)
            seconds = time.perf_counter() - started
            cpu = cpu_seconds() - cpu_started
        self.stdout.write(
            json.dumps(
                {
                    "variant": options["variant"],
                    "rows": rows,
                    "seconds": round(seconds, 2),
                    "cpu_seconds": round(cpu, 2),
                    "peak_mb": round(peak_rss_mb(), 1),
                    "bytes": output.stat().st_size,
                }
            )
        )
