"""Send the ledgers that subscriptions have due (what the beat runs daily at 07:00):

    python manage.py send_scheduled_ledgers                 # today
    python manage.py send_scheduled_ledgers --today 2026-12-01
    python manage.py send_scheduled_ledgers --today 2026-12-01 --dry-run

Each period of a subscription is sent once (a rerun sends nothing more); a failed one is tried
again by the next run. Mail goes through Django's e-mail settings (EMAIL_*).
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from ledgers import subscriptions
from ledgers.models import LedgerDelivery


class Command(BaseCommand):
    help = "发送到期的台账定期报送（每天 07:00 由周期任务运行）"

    def add_arguments(self, parser):
        parser.add_argument("--today", help="按这一天计算是否到期（YYYY-MM-DD），默认今天")
        parser.add_argument("--dry-run", action="store_true", help="只列出到期的报送，不发送")

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = datetime.date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError("--today 应写作 YYYY-MM-DD。") from exc
        purged = 0 if options["dry_run"] else subscriptions.delivery_files_purge()
        due = subscriptions.deliveries_due(today=today)
        sent = failed = 0
        for delivery_id in due:
            delivery = LedgerDelivery.objects.select_related("subscription__region").get(
                pk=delivery_id
            )
            name = f"{delivery.subscription} {subscriptions.period_label(delivery)}"
            if options["dry_run"]:
                self.stdout.write(f"到期：{name} → {delivery.subscription.recipients}")
                continue
            result = subscriptions.delivery_send(delivery_id=delivery_id)
            if result.sent:
                sent += 1
                self.stdout.write(f"已发送：{name} → {result.delivery.recipients}")
            else:
                failed += 1
                self.stdout.write(f"未发送：{name}：{result.delivery.last_error}")
        self.stdout.write(
            f"到期 {len(due)} 项，发送 {sent} 项，失败 {failed} 项，清理过期文件 {purged} 个。"
        )
        if failed:
            raise CommandError(f"{failed} 项发送失败，下次运行时重试。")
