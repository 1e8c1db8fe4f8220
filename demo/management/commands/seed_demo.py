import datetime
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from assessments.catalogue import load_indicator_catalogue
from assessments.models import Indicator
from assessments.periods import current_periods
from assessments.services import evaluation_execute, evaluation_start
from demo.builder import DEMO_PASSWORD, DEMO_USERS, SCALES, DemoBuilder
from villages.models import Region


class Command(BaseCommand):
    help = "生成演示数据：--scale demo（一个县，约三千户）或 --scale province（约二十万户，用于性能测试）。"

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="演示数据截止日期（默认今天），同一种子和日期生成的数据完全相同。",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="数据库中已有区划数据时什么也不做。"
        )
        parser.add_argument("--flush", action="store_true", help="先清空数据库中的全部业务数据。")
        parser.add_argument(
            "--evaluate",
            action="store_true",
            help="province 规模也在生成后计算当期考核指标（demo/small 规模总是计算）。",
        )

    def handle(self, *args, scale, seed, today, if_empty, flush, evaluate, **options):
        if Region.objects.exists():
            if if_empty:
                self.stdout.write("数据库中已有数据，跳过演示数据生成。")
                self.print_logins()
                return
            if not flush:
                raise CommandError(
                    "数据库中已有数据。请加 --flush 清空后重新生成，或加 --if-empty 跳过。"
                )
            self.stdout.write("清空现有数据…")

            call_command("flush", interactive=False, verbosity=0)

            load_indicator_catalogue(Indicator)
        if scale == "province" and connection.vendor != "postgresql":
            self.stderr.write("提示：province 规模建议在 PostgreSQL 上运行（DATABASE_URL）。")
        started = time.monotonic()
        builder = DemoBuilder(
            scale=scale, seed=seed, today=today, log=lambda m: self.stdout.write(m)
        )
        summary = builder.build()
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                "完成（{:.1f} 秒）：{regions} 个区划，{villages} 个村，{units} 个单位，{cadres} 名干部，"
                "{households} 户，{visits} 条走访。".format(elapsed, **summary)
            )
        )
        if scale != "province" or evaluate:
            self.evaluate(builder.today)
            # Today's reminders (in the product only, no e-mail), so the bell has something to say.
            from notifications.services import reminders_run

            result = reminders_run(on=builder.today)
            self.stdout.write(
                f"提醒：{sum(result.new.values())} 条，每日汇总 {result.digests} 条。"
            )
        self.print_logins()

    def evaluate(self, today) -> None:
        """Compute the current periods' indicator results, so the dashboards have figures at once."""

        for period in current_periods(today):
            run = evaluation_execute(
                run=evaluation_start(period=period.label, region_code=None), today=today
            )
            self.stdout.write(f"考核期 {run.period}：{run.results} 条指标结果。")

    def print_logins(self) -> None:
        self.stdout.write(f"演示账户（密码均为 {DEMO_PASSWORD}）：")
        for username, description in DEMO_USERS:
            self.stdout.write(f"  {username:<14} {description}")
