"""The beat schedule in the database, and the management commands that run the jobs without
a broker."""

import json

import pytest
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from inspections.models import SpotCheckDraw
from notifications.models import Notification, NotificationKind
from notifications.schedule import SCHEDULE
from tests.jobs.conftest import SUNDAY

pytestmark = pytest.mark.django_db


def test_migrations_wrote_the_schedule():
    tasks = {t.name: t for t in PeriodicTask.objects.select_related("crontab")}
    assert set(tasks) >= {e.name for e in SCHEDULE}
    names = {t.task for t in tasks.values()}
    assert {
        "notifications.tasks.send_reminders",
        "notifications.tasks.send_digest_emails",
        "assessments.tasks.evaluate_current_periods",
        "ledgers.tasks.purge_expired_exports",
    } <= names
    party = tasks["固定党日提醒"]
    assert party.crontab.day_of_week == "4,5" and str(party.crontab.timezone) == "Asia/Shanghai"
    assert json.loads(party.kwargs) == {"kinds": ["party_day"]}


def test_setup_keeps_an_administrators_edit_unless_reset(capsys):
    task = PeriodicTask.objects.get(name="每日工作提醒")
    task.description = "改到 06:50"
    task.save()
    call_command("setup_periodic_tasks")
    assert PeriodicTask.objects.get(name="每日工作提醒").description == "改到 06:50"
    PeriodicTask.objects.filter(name="整改逾期提醒").delete()
    call_command("setup_periodic_tasks")
    assert "新增 1 条" in capsys.readouterr().out
    call_command("setup_periodic_tasks", "--reset")
    assert PeriodicTask.objects.get(name="每日工作提醒").description != "改到 06:50"
    assert PeriodicTask.objects.filter(name__in=[e.name for e in SCHEDULE]).count() == len(SCHEDULE)


def test_own_scheduled_tasks_are_registered():
    from config.celery import app

    app.loader.import_default_modules()
    assert "notifications.tasks.send_reminders" in app.tasks
    assert "notifications.tasks.send_digest_emails" in app.tasks


def test_send_reminders_command_twice(world, capsys):
    call_command("send_reminders", "--date", SUNDAY.isoformat(), "--kind", "weekly_visit")
    out = capsys.readouterr().out
    assert "本周未走访：应提醒 2，新增 2" in out
    call_command("send_reminders", "--date", SUNDAY.isoformat(), "--kind", "weekly_visit")
    assert "新增提醒 0 条" in capsys.readouterr().out
    assert Notification.objects.filter(kind=NotificationKind.WEEKLY_VISIT).count() == 2


def test_send_reminders_dry_run_writes_nothing(world, capsys):
    call_command("send_reminders", "--date", SUNDAY.isoformat(), "--dry-run")
    assert "未写入" in capsys.readouterr().out
    assert not Notification.objects.exists()


def test_draw_spot_check_command(strata_region, capsys):
    county, _towns, _villages = strata_region
    args = ["--region", county.code, "--quarter", "2026Q4", "--seed", "5"]
    call_command("draw_spot_check", *args, "--dry-run")
    dry = capsys.readouterr().out
    assert "抽中 6/10 个村" in dry and not SpotCheckDraw.objects.exists()
    call_command("draw_spot_check", *args, "--rollback")
    assert "已回滚" in capsys.readouterr().out and not SpotCheckDraw.objects.exists()
    call_command("draw_spot_check", *args)
    assert "随机种子 5" in capsys.readouterr().out
    draw = SpotCheckDraw.objects.get()
    assert draw.seed == 5 and draw.items.count() == 6
    with pytest.raises(CommandError, match="已有抽查结果"):
        call_command("draw_spot_check", *args)
    with pytest.raises(CommandError, match="找不到区划"):
        call_command("draw_spot_check", "--region", "000", "--quarter", "2026Q4")
    with pytest.raises(CommandError, match="季度格式"):
        call_command("draw_spot_check", "--region", county.code, "--quarter", "26Q4")
