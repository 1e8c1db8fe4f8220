import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications.models import NotificationKind
from notifications.services import RULES, digests_send, reminders_collect, reminders_run


class Command(BaseCommand):
    help = (
        "生成提醒（同一事项、同一人、同一周期只生成一次），汇总为每人每日一条，并发送汇总邮件。"
        "未配置消息队列时由计划任务（cron）每天运行本命令。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=datetime.date.fromisoformat,
            default=None,
            help="按哪一天计算（默认今天），格式 YYYY-MM-DD。",
        )
        parser.add_argument(
            "--kind",
            action="append",
            choices=sorted(RULES),
            help="只运行这些提醒类型（可重复）；默认全部。",
        )
        parser.add_argument("--no-email", action="store_true", help="不发送汇总邮件。")
        parser.add_argument(
            "--dry-run", action="store_true", help="只统计将产生的提醒，不写入数据库。"
        )

    def handle(self, *args, date, kind, no_email, dry_run, **options):
        labels = dict(NotificationKind.choices)
        try:
            if dry_run:
                counts: dict[str, int] = {}
                for reminder in reminders_collect(on=date or timezone.localdate(), kinds=kind):
                    counts[reminder.kind] = counts.get(reminder.kind, 0) + 1
                for k, n in sorted(counts.items()):
                    self.stdout.write(f"  {labels[k]}：{n}")
                self.stdout.write(f"共 {sum(counts.values())} 条（未写入）。")
                return
            result = reminders_run(on=date, kinds=kind)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for k in sorted(result.found):
            self.stdout.write(
                f"  {labels[k]}：应提醒 {result.found[k]}，新增 {result.new.get(k, 0)}"
            )
        self.stdout.write(
            f"新增提醒 {sum(result.new.values())} 条，更新每日汇总 {result.digests} 条。"
        )
        if not no_email:
            sent = digests_send(on=date)
            self.stdout.write(f"发送汇总邮件 {sent} 封。")
