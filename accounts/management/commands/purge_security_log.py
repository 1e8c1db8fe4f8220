"""Delete security-log events past their keeping time (SECURITY_LOG_KEEP_DAYS, at least 180).

Run daily (Celery beat: accounts.tasks.purge_security_log, or cron). Never deletes anything
younger than the keeping time, and refuses to run with a keeping time below the legal 180 days.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.services import security_log_purge


class Command(BaseCommand):
    help = "删除超过保存期（SECURITY_LOG_KEEP_DAYS，至少180天）的安全日志。"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计将被删除的条数，不删除。")

    def handle(self, *args, dry_run=False, **options):
        try:
            count = security_log_purge(dry_run=dry_run)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        verb = "将删除" if dry_run else "已删除"
        self.stdout.write(f"{verb} {count} 条超过保存期的安全日志。")
