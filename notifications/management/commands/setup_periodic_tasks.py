from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask, PeriodicTasks

from notifications.schedule import SCHEDULE, sync_schedule


class Command(BaseCommand):
    help = "写入周期任务（提醒、考核计算、导出清理）到 django-celery-beat；已被管理员修改的条目默认保留。"

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="用代码中的默认时间覆盖已有条目。")

    def handle(self, *args, reset, **options):
        with transaction.atomic():
            created, updated = sync_schedule(
                CrontabSchedule=CrontabSchedule, PeriodicTask=PeriodicTask, reset=reset
            )
            PeriodicTasks.update_changed()  # tell a running beat to reload
        self.stdout.write(
            f"周期任务：新增 {created} 条，覆盖 {updated} 条，共 {len(SCHEDULE)} 条。"
        )
        for entry in SCHEDULE:
            when = f"{entry.hour.zfill(2)}:{entry.minute.zfill(2)}"
            days = "每天" if entry.day_of_week == "*" else f"星期 {entry.day_of_week}"
            self.stdout.write(f"  {days} {when}  {entry.name}  ({entry.task})")
