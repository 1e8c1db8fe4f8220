"""Time the reads behind the busiest pages (issue #3) on whatever database DATABASE_URL names,
for a township staff member, a county reviewer and a province reviewer; then (issue 17) the
dashboards through the whole request at province, county and township level, and the load
test's mix in process, each against the login page in the same run. Read-only: the users of
`reads` are built in memory; `dashboards` and `mix` create their users, log them in and post
visits inside one transaction that is rolled back.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pairing_province \\
        .venv/bin/python manage.py bench_pages --runs 5
    … bench_pages --part dashboards --runs 30    # p50/p95 per level, queries, vs login page
    … bench_pages --part mix --runs 30           # the mix's CPU per request / the login page's
"""

from __future__ import annotations

import statistics
import time

from django.core.management.base import BaseCommand
from django.core.paginator import Paginator
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User
from home.selectors import (
    behind_pace,
    household_detail,
    household_list,
    households_decorate,
    overdue_this_week,
    village_list,
    villages_decorate,
)
from home.views import _reviewer_summary
from households.models import Household
from households.selectors import visits_for_review
from villages.models import Region, RegionLevel


def _user(role, region) -> User:
    user = User(username=f"bench-{role}", role=role, region=region, is_active=True)
    user.region = region
    return user


class Command(BaseCommand):
    help = "测量贫困户、村、首页等页面背后的查询耗时（只读）。"

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument(
            "--part",
            action="append",
            choices=["reads", "dashboards", "mix"],
            help="what to measure (repeatable; default: all three)",
        )

    def handle(self, *args, runs, part, **options):
        parts = part or ["reads", "dashboards", "mix"]
        if "reads" in parts:
            self.reads(runs)
        if "dashboards" in parts or "mix" in parts:
            from home.benchmarks import measure_requests

            measure_requests(self.stdout.write, runs=runs, parts=parts)

    def reads(self, runs):

        townships = Region.objects.filter(level=RegionLevel.TOWNSHIP)
        # The busiest township: the one with the most households.
        from django.db.models import Count

        busiest = (
            Household.objects.values("township_id").annotate(n=Count("id")).order_by("-n").first()
        )
        township = townships.get(pk=busiest["township_id"])
        county = township.parent
        province = Region.objects.filter(level=RegionLevel.PROVINCE).first()
        users = {
            f"township staff ({township.name}, {busiest['n']} households)": _user(
                Role.TOWNSHIP_STAFF, township
            ),
            f"county reviewer ({county.name})": _user(Role.REVIEWER, county),
            f"province reviewer ({province.name})": _user(Role.REVIEWER, province),
        }
        today = timezone.localdate()
        self.stdout.write(
            f"{connection.vendor}, {Household.objects.count()} households, runs={runs}, "
            "median ms (queries)"
        )

        def household_page(user, params):
            _, qs = household_list(user=user, params=params)
            page = Paginator(qs, 50).get_page(1)
            households_decorate(list(page.object_list), today=today)

        def village_page(user):
            _, qs = village_list(user=user, params={})
            page = Paginator(qs, 50).get_page(1)
            villages_decorate(list(page.object_list), today=today)

        def home_lists(user):
            overdue = overdue_this_week(user=user, today=today)
            list(overdue[:20])
            overdue.count()
            behind, _ = behind_pace(user=user, today=today)
            list(behind[:20])
            behind.count()

        def review_page(user):
            page = Paginator(visits_for_review(user=user), 50).get_page(1)
            list(page.object_list)

        for label, user in users.items():
            sample = Household.objects.visible_to(user).order_by("path", "head_name").first()
            cases = {
                "household list p1": lambda u=user: household_page(u, {}),
                "household search q=zs": lambda u=user: household_page(u, {"q": "zs"}),
                "household search ID digits": lambda u=user, s=sample: household_page(
                    u, {"q": s.head_id_number[-6:]}
                ),
                "not visited 30 days": lambda u=user: household_page(u, {"not_visited_days": "30"}),
                "overdue this week": lambda u=user: household_page(u, {"overdue": "week"}),
                "village list p1": lambda u=user: village_page(u),
                "household page": lambda u=user, s=sample: household_detail(user=u, pk=s.pk),
                "review queue p1": lambda u=user: review_page(u),
            }
            if user.role == Role.TOWNSHIP_STAFF:
                cases["home overdue lists"] = lambda u=user: home_lists(u)
            else:
                cases["home summary"] = lambda u=user: _reviewer_summary(u, today)
            self.stdout.write(f"\n{label}")
            for name, case in cases.items():
                timings = []
                queries = 0
                for _ in range(runs):
                    reset_queries()
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        case()
                        timings.append((time.perf_counter() - started) * 1000)
                    queries = len(captured)
                self.stdout.write(
                    f"  {name:<28} {statistics.median(timings):8.1f} ms  ({queries} queries)"
                )
