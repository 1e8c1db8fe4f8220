import secrets
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from inspections.services import (
    SEED_MAX,
    spot_check_compute,
    spot_check_draw,
    spot_check_recheck,
)
from villages.models import Region


class Command(BaseCommand):
    help = (
        "季度督查抽查：按乡镇分层抽取不少于指定比例的村（可再抽户），记录随机种子。"
        "同一区划、季度、参数和种子总是得到同一结果。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="抽查区划代码（县、市或省）。")
        parser.add_argument("--quarter", required=True, help="季度，如 2026Q4。")
        parser.add_argument("--share", default="0.5", help="抽查比例，默认 0.5。")
        parser.add_argument(
            "--households-per-village", type=int, default=0, help="每个抽中村再抽查的户数。"
        )
        parser.add_argument("--seed", type=int, default=None, help="随机种子（默认由系统生成）。")
        parser.add_argument(
            "--exclude-previous", action="store_true", help="尽量避开上季度已抽查的村。"
        )
        parser.add_argument("--by", default=None, help="以该用户名记录抽取人（须为审核人员）。")
        parser.add_argument(
            "--rollback",
            action="store_true",
            help="保存并复核后整体回滚，只报告耗时（在只读的基准库上测量保存的开销）。",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="只计算并显示结果和耗时，不保存（可在只读的基准库上测量）。",
        )

    def handle(self, *args, **o):
        region = Region.objects.filter(code=o["region"]).first()
        if region is None:
            raise CommandError(f"找不到区划代码 {o['region']}。")
        user = None
        if o["by"]:
            user = User.objects.filter(username=o["by"]).first()
            if user is None:
                raise CommandError(f"找不到用户 {o['by']}。")
        started = time.monotonic()
        try:
            if o["dry_run"]:
                seed = o["seed"] if o["seed"] is not None else secrets.randbelow(SEED_MAX)
                plan = spot_check_compute(
                    region=region,
                    quarter=o["quarter"].upper(),
                    seed=seed,
                    share=o["share"],
                    households_per_village=o["households_per_village"],
                    exclude_previous=o["exclude_previous"],
                )
                elapsed = time.monotonic() - started
                townships = len(plan.per_township)
                self.stdout.write(
                    f"试算（未保存）：{region.name} {o['quarter'].upper()}，种子 {seed}，"
                    f"{townships} 个乡镇，抽中 {len(plan.villages)}/{plan.village_total} 个村、"
                    f"{len(plan.households)} 户，用时 {elapsed:.2f} 秒。"
                )
                return
            with transaction.atomic():
                draw = spot_check_draw(
                    region=region,
                    quarter=o["quarter"],
                    drawn_by=user,
                    share=o["share"],
                    households_per_village=o["households_per_village"],
                    exclude_previous=o["exclude_previous"],
                    seed=o["seed"],
                )
                if o["rollback"]:
                    saved = time.monotonic() - started
                    checked = time.monotonic()
                    result = spot_check_recheck(draw=draw)
                    self.stdout.write(
                        f"保存 {draw.items.count()} 个抽查对象用时 {saved:.2f} 秒，"
                        f"复核用时 {time.monotonic() - checked:.2f} 秒"
                        f"（{'一致' if result.matches else '不一致'}），已回滚，未保存。"
                    )
                    transaction.set_rollback(True)
                    return
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        elapsed = time.monotonic() - started
        villages = draw.items.filter(household__isnull=True).count()
        households = draw.items.filter(household__isnull=False).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"已抽取 {region.name} {draw.quarter}：{villages} 个村、{households} 户，"
                f"随机种子 {draw.seed}（编号 {draw.pk}），用时 {elapsed:.2f} 秒。"
            )
        )
