"""The beat schedule, in one place. `manage.py setup_periodic_tasks` (and migration 0003 on a
fresh database) writes these entries as django-celery-beat PeriodicTask rows, which an
administrator then edits in the admin (系统管理 › 周期任务); rerunning the command adds missing
entries and leaves edited ones alone unless `--reset` is given.

Times are Asia/Shanghai. Offices open at 08:30; reminders are made before that so the bell and
the morning mail are ready when people sit down, and heavy work runs at night.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

TIMEZONE = "Asia/Shanghai"
DAILY_KINDS = ["weekly_visit", "yearly_pace", "field_days", "unit_activities", "village_income"]
MONITORING_KINDS = [
    "clue_undecided",
    "application_unaccepted",
    "notice_ending",
    "township_review",
    "monitored_unvisited",
]


@dataclass(frozen=True)
class Entry:
    name: str
    task: str
    minute: str
    hour: str
    day_of_week: str = "*"
    day_of_month: str = "*"
    kwargs: dict = field(default_factory=dict)
    description: str = ""


SCHEDULE = [
    # 02:00: the nightly evaluation of the current periods (assessments issue). Quiet hours on
    # the database, finished long before the morning dashboards and before the reminders.
    Entry(
        name="考核指标夜间计算",
        task="assessments.tasks.evaluate_current_periods",
        minute="0",
        hour="2",
        description="每晚计算当期考核指标结果，供早间看板使用。",
    ),
    # 03:30: delete expired ledger exports (ledgers issue). After the evaluation, before anyone
    # downloads in the morning; nothing else writes files at that hour.
    Entry(
        name="清理过期导出文件",
        task="ledgers.tasks.purge_expired_exports",
        minute="30",
        hour="3",
        description="删除超过保留期限的台账导出文件。",
    ),
    # 03:45: trim the security log to SECURITY_LOG_KEEP_DAYS (never under 180 days, the graded-
    # protection minimum). After the export purge, in the quietest hour.
    Entry(
        name="清理过期安全日志",
        task="accounts.tasks.purge_security_log",
        minute="45",
        hour="3",
        description="删除超过保留期限（至少180天）的安全日志。",
    ),
    # 07:00 daily: ledgers e-mailed to superiors (issue 16, ledgers/subscriptions.py). Daily
    # because each subscription has its own day of the month (or of the quarter's first month)
    # and an overdue one is caught up the next morning; the delivery's unique key sends each
    # period once. After the night's evaluation, before offices open at 08:30.
    Entry(
        name="台账定期报送",
        task="ledgers.tasks.send_scheduled_ledgers",
        minute="0",
        hour="7",
        description="按审核人员的订阅，到发送日把台账（身份证号脱敏）发送到上级邮箱。",
    ),
    # 07:30 daily: visits, pace, days in the field, units' yearly counts, collective income.
    # Daily because each rule has its own period (week, month, quarter) and the unique key
    # keeps a reminder to once per period; 07:30 is an hour before offices open.
    Entry(
        name="每日工作提醒",
        task="notifications.tasks.send_reminders",
        minute="30",
        hour="7",
        kwargs={"kinds": DAILY_KINDS},
        description="本周未走访、全年走访进度、在岗天数、单位年度活动、村集体经济收入。",
    ),
    # 07:35 daily: terms ending within 60 days. Daily so a term is caught on the first morning
    # it comes within 60 days; reminded once per term end date.
    Entry(
        name="驻村任期届满提醒",
        task="notifications.tasks.send_reminders",
        minute="35",
        hour="7",
        kwargs={"kinds": ["term_ending"]},
        description="驻村干部、第一书记任期60天内届满。",
    ),
    # 07:40 daily: overdue rectification items. Daily because escalation to the township and
    # the county happens after a number of days (ESCALATE_*_AFTER_DAYS); weekly per person.
    Entry(
        name="整改逾期提醒",
        task="notifications.tasks.send_reminders",
        minute="40",
        hour="7",
        kwargs={"kinds": ["rectification_overdue"]},
        description="整改事项逾期未销号，逾期后依次提醒责任人、乡镇、县。",
    ),
    # 07:45 on Thursdays and Fridays: the fixed Party day is the first Friday of the month, so
    # Thursday is the day before; the rule only speaks when that Friday is tomorrow or today
    # (Friday's run is the fallback if Thursday's was missed) and once a month.
    Entry(
        name="固定党日提醒",
        task="notifications.tasks.send_reminders",
        minute="45",
        hour="7",
        day_of_week="4,5",
        kwargs={"kinds": ["party_day"]},
        description="每月第一个星期五固定党日的前一天提醒。",
    ),
    # 07:50 daily: monitoring against relapse (issue 14). Daily because its deadlines are
    # counted in days (a clue's 10th day, an application's 2 days, a notice ending tomorrow or
    # today); the monthly visit is reminded from the 20th, once a month.
    Entry(
        name="防止返贫监测提醒",
        task="notifications.tasks.send_reminders",
        minute="50",
        hour="7",
        kwargs={"kinds": MONITORING_KINDS},
        description="风险线索第10天未办结、农户申报逾期未受理、公示即将结束、待乡镇审核、监测户本月未走访。",
    ),
    # 07:55 daily: reporting periods (issue 16). Daily because a period becomes overdue on the
    # day after its last day to submit and the reviewers' queue changes every day; each
    # reminder is once per thing and day.
    Entry(
        name="期间报送提醒",
        task="notifications.tasks.send_reminders",
        minute="55",
        hour="7",
        kwargs={"kinds": ["period_overdue", "submissions_waiting"]},
        description="乡镇期间逾期未报送；审核人员有待审核的报送。",
    ),
    # 08:00 daily: one e-mail per person with the day's digest, after every reminder job above
    # has folded its reminders in, and before offices open at 08:30.
    Entry(
        name="每日提醒汇总邮件",
        task="notifications.tasks.send_digest_emails",
        minute="0",
        hour="8",
        description="每人每天一封汇总邮件（已配置邮件且用户填写了邮箱）。",
    ),
]


def sync_schedule(*, CrontabSchedule, PeriodicTask, reset: bool = False) -> tuple[int, int]:
    """Create the entries that are missing (or, with reset, overwrite them). Takes the model
    classes so a migration can pass its historical models. Returns (created, updated)."""

    created = updated = 0
    for entry in SCHEDULE:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=entry.minute,
            hour=entry.hour,
            day_of_week=entry.day_of_week,
            day_of_month=entry.day_of_month,
            month_of_year="*",
            timezone=TIMEZONE,
        )
        values = {
            "task": entry.task,
            "crontab": crontab,
            "kwargs": json.dumps(entry.kwargs, ensure_ascii=False),
            "description": entry.description,
            "enabled": True,
        }
        existing = PeriodicTask.objects.filter(name=entry.name).first()
        if existing is None:
            PeriodicTask.objects.create(name=entry.name, **values)
            created += 1
        elif reset:
            for key, value in values.items():
                setattr(existing, key, value)
            existing.interval = None
            existing.save()
            updated += 1
    return created, updated
