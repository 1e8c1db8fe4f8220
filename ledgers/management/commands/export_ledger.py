"""Write one ledger to an xlsx file from the command line:

    python manage.py export_ledger pairing --region 510802 --year 2026 -o ledger.xlsx
    python manage.py export_ledger visit --region 510802100 --period 2026-Q3 -o visits.xlsx

Kinds: pairing, visit, village, assessment, rectification. Without --user the export covers
the whole region with full ID numbers (the operator's console); every export is logged.
"""

import time
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils import timezone

from ledgers import services
from ledgers.management.commands._options import user_by_name
from ledgers.models import LedgerKind
from ledgers.periods import PeriodError, parse_period
from villages.models import Region


class Command(BaseCommand):
    help = "导出台账（Excel）：结对帮扶、走访、村级、考核汇总、督查整改"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=LedgerKind.values, help="台账种类")
        parser.add_argument("--region", required=True, help="区划代码（省、市、县或乡镇）")
        parser.add_argument("--year", type=int, help="年度，默认今年")
        parser.add_argument("--period", help="期间：2026、2026-Q3 或 2026-09（代替 --year）")
        parser.add_argument("-o", "--output", required=True, help="输出文件 .xlsx")
        parser.add_argument("--user", help="按该用户的权限范围导出（并按其角色脱敏）")
        parser.add_argument("--mask", action="store_true", help="身份证号脱敏")

    def handle(self, *args, **options):
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"区划代码 {options['region']} 不存在。")
        text = options["period"] or str(options["year"] or timezone.localdate().year)
        try:
            period = parse_period(text)
        except PeriodError as exc:
            raise CommandError(str(exc)) from exc
        user = user_by_name(options["user"])
        try:
            exporter = services.ledger_exporter(
                user=user,
                kind=options["kind"],
                region=region,
                period=period,
                mask_ids=options["mask"],
            )
        except (PermissionDenied, Http404) as exc:
            raise CommandError(f"用户 {options['user']} 无权导出该区划的台账。") from exc
        output = Path(options["output"])
        started = time.perf_counter()
        rows = services.ledger_write(exporter=exporter, target=output)
        seconds = time.perf_counter() - started
        self.stdout.write(f"{exporter.title}：{rows} 行，{seconds:.1f} 秒，已写入 {output}")
