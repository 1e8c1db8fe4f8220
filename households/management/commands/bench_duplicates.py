"""Time the duplicate-household rules on the current database (read-only):

    DATABASE_URL=… .venv/bin/python manage.py bench_duplicates [--user reviewer] [--runs 3]

For the given reviewer, each finding kind (best of `runs`, with its queries), then the entry
checks of one household and one member's ID number (means of `runs`)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from households import duplicates
from households.models import Household


class Command(BaseCommand):
    help = "测量重复户查找与录入检查的耗时（只读）。"

    def add_arguments(self, parser):
        parser.add_argument("--user", default="reviewer")
        parser.add_argument("--runs", type=int, default=3)

    def handle(self, *args, user, runs, **options):
        reviewer = User.objects.filter(username=user).first()
        if reviewer is None:
            raise CommandError(f"用户 {user} 不存在")
        self.stdout.write(f"数据库：{connection.vendor} {connection.settings_dict.get('NAME')}")
        for kind in duplicates.KINDS:
            best, queries, found = None, 0, []
            for _ in range(runs):
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as captured:
                    found = duplicates.findings(reviewer, [kind])
                seconds = time.perf_counter() - started
                best = seconds if best is None else min(best, seconds)
                queries = len(captured)
            self.stdout.write(
                f"{kind}：{len(found)} 对，{1000 * (best or 0):.0f} ms，{queries} 次查询"
            )
        household = (
            Household.objects.visible_to(reviewer).not_merged().exclude(head_id_number="").first()
        )
        if household is None:
            return
        probe = Household(
            village=household.village,
            head_name=household.head_name,
            head_id_number=household.head_id_number,
            phone=household.phone,
        )
        checks = [
            ("录入检查（一户）", lambda: duplicates.household_entry_problems(reviewer, probe)),
            (
                "录入检查（一个成员身份证号）",
                lambda: duplicates.id_refusal(reviewer, household.head_id_number, None),
            ),
        ]
        for label, check in checks:
            check()
            started = time.perf_counter()
            for _ in range(runs):
                check()
            self.stdout.write(f"{label}：{1000 * (time.perf_counter() - started) / runs:.1f} ms")
