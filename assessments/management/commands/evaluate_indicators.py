"""Evaluate the indicators for a period: `evaluate_indicators --period 2026 [--region CODE]`."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessments.services import evaluation_execute, evaluation_start


class Command(BaseCommand):
    help = (
        "计算考核指标结果：--period 2026 / 2026-Q3 / 2026-09 / 2026-W38，可用 --region 区划代码 "
        "限定范围。重复计算同一考核期会替换该期（该区划内）的结果。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--period", required=True, action="append", help="考核期，可重复给出多个。"
        )
        parser.add_argument("--region", default=None, help="只计算该区划（及其下级）的对象。")
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="按哪一天计算（默认今天），用于复算历史或演示。",
        )

    def handle(self, *args, period, region, today, **options):
        for label in period:
            try:
                run = evaluation_start(period=label, region_code=region)
            except ValidationError as exc:
                raise CommandError("；".join(exc.messages)) from exc
            run = evaluation_execute(run=run, today=today)
            self.stdout.write(
                self.style.SUCCESS(
                    f"{run.period}{'（' + run.region.name + '）' if run.region else ''}："
                    f"{run.results} 条结果，用时 {run.seconds:.2f} 秒。"
                )
            )
            if run.error:
                self.stderr.write(run.error)
