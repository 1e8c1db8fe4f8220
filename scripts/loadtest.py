#!/usr/bin/env python
"""Load test: township staff logging visits while reviewers open dashboards, against gunicorn on
PostgreSQL with production settings, on localhost only, bounded in time and in requests.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sec_load \\
        .venv/bin/python scripts/loadtest.py --duration 60 --staff 8 --reviewers 4

What it does, in order:
1. prepares load-test accounts in the target database (township staff of several townships,
   county reviewers; password known to the script) and picks in-scope households for each;
2. runs `collectstatic` and starts gunicorn (production settings, 127.0.0.1 only, 2 workers by
   default) unless --base-url points at a server already running on localhost;
3. each simulated person logs in through the login page, then loops until the time or request
   budget is spent: staff open the household list, open the visit form for one of their
   households and post it (no photo); reviewers open the dashboard, the village list and the
   household list;
4. stops gunicorn and reports throughput, latency percentiles per page and every error, then
   counts the visits in the database: every visit whose form post succeeded must be there
   exactly once (their submission tokens), and no other visit may have appeared.

CPU per request, in the same run (issue 17): before the mix, the same number of anonymous
people open the login page for --baseline-seconds (the baseline: 2–3 ms of CPU); during both
phases the CPU time of the gunicorn workers (children of the master) and of the PostgreSQL
backends serving the database (`pg_stat_activity`) is read from /proc every 0.2 s. The report
prints each phase's worker and database milliseconds per request, the mix's ratio to the login
page and the requests per second one core can serve (1000 / CPU ms per request).

`--compare DIR` serves another checkout of the project (e.g. `git archive` of an older commit)
first with the same people, seeds and durations, then this one, and prints both side by side
with their ratios: the before/after figures of the README come from one such run.

The script refuses any address other than localhost. Exit status 1 when a request failed or a
visit is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import html.parser
import http.client
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
PASSWORD = "Load-test-2026-pw"


# --- HTML forms, read the way a browser would --------------------------------------------------
class FormReader(html.parser.HTMLParser):
    """The fields of every <form method="post">: what a browser would submit untouched (hidden
    inputs, checked radios, the selected or first real option of each select)."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[dict[str, str], str | None]] = []
        self._fields: dict[str, str] | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._fields = {}
            self.forms.append((self._fields, a.get("action")))
        if self._fields is None:
            return
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in {"radio", "checkbox"}:
                if "checked" in a:
                    self._fields[a["name"]] = a.get("value", "on")
            elif kind != "file":
                self._fields.setdefault(a["name"], a.get("value") or "")
        elif tag == "select":
            self._select, self._select_first, self._select_chosen = a.get("name"), None, None
        elif tag == "option" and self._select:
            value = a.get("value") or ""
            if value and self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self._select_chosen = value
        elif tag == "textarea" and a.get("name"):
            self._fields.setdefault(a["name"], "")

    def handle_endtag(self, tag):
        if tag == "select" and self._select and self._fields is not None:
            self._fields[self._select] = self._select_chosen or self._select_first or ""
            self._select = None
        elif tag == "form":
            self._fields = None


def read_form(body: str, containing: str) -> tuple[dict[str, str], str | None]:
    """The post form that has the field `containing` (pages also carry the logout form)."""
    reader = FormReader()
    reader.feed(body)
    for fields, action in reader.forms:
        if containing in fields:
            return dict(fields), action
    return {}, None


# --- one simulated person ----------------------------------------------------------------------
@dataclass
class Result:
    name: str
    seconds: float
    ok: bool
    status: int
    note: str = ""


@dataclass
class Budget:
    deadline: float
    max_requests: int
    used: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        with self.lock:
            if time.monotonic() >= self.deadline or self.used >= self.max_requests:
                return False
            self.used += 1
            return True


class Browser:
    """Cookies by hand: the session cookie is Secure (production), and the load generator stands
    in for nginx, which tells Django the request came over HTTPS (X-Forwarded-Proto)."""

    def __init__(self, host: str, port: int, results: list, lock: threading.Lock):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.results, self.lock = results, lock
        self.origin = f"https://{host}:{port}"

    def request(self, name, method, path, form=None, expect=(200,)):
        headers = {
            "Host": f"{self.host}:{self.port}",
            "X-Forwarded-Proto": "https",
            "User-Agent": "pairing-loadtest",
            "Accept-Language": "zh-CN",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
        started = time.perf_counter()
        status, text, location, note = 0, "", "", ""
        try:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            status = response.status
            text = response.read().decode("utf-8", "replace")
            location = response.getheader("Location") or ""
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name_value = value.split(";", 1)[0]
                    key, _, val = name_value.partition("=")
                    if val and "max-age=0" not in value.lower():
                        self.cookies[key.strip()] = val.strip()
                    else:
                        self.cookies.pop(key.strip(), None)
            conn.close()
        except (OSError, http.client.HTTPException) as exc:
            note = f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - started
        ok = status in expect
        if not ok and not note:
            errors = re.findall(r'<ul class="errorlist[^"]*">(.*?)</ul>', text, re.S)
            note = f"HTTP {status} {location}" + (
                " " + re.sub(r"<[^>]+>", " ", " ".join(errors))[:200] if errors else ""
            )
        with self.lock:
            self.results.append(Result(name, seconds, ok, status, note))
        return ok, status, text, location

    def login(self, login_path: str, username: str) -> bool:
        ok, _, page, _ = self.request("登录页", "GET", login_path)
        if not ok:
            return False
        fields, _ = read_form(page, "username")
        fields.update(username=username, password=PASSWORD)
        ok, _, _, location = self.request("登录", "POST", login_path, form=fields, expect=(302,))
        return ok and "login" not in location


def staff_loop(browser: Browser, urls: dict, households: list[int], budget: Budget, tokens, rng):
    while True:
        if not budget.take():
            return
        page = rng.randint(1, 5)
        browser.request("贫困户列表", "GET", f"{urls['households']}?page={page}")
        if not budget.take():
            return
        household = rng.choice(households)
        form_path = f"{urls['visit_create']}?household={household}"
        ok, _, body, _ = browser.request("走访表单", "GET", form_path)
        if not ok:
            continue
        fields, action = read_form(body, "submission_token")
        token = fields.get("submission_token") or str(uuid.uuid4())
        fields["submission_token"] = token
        fields["learned"] = f"压力测试走访：了解生产生活情况，宣讲帮扶政策。{token[:8]}"
        fields.setdefault("problems", "")
        if not budget.take():
            return
        target = action if action and action.startswith("/") else form_path
        ok, _, _, _ = browser.request("提交走访", "POST", target, form=fields, expect=(302, 303))
        if ok:
            tokens.append(token)


def reviewer_loop(browser: Browser, urls: dict, budget: Budget, rng):
    pages = [("考核看板", urls.get("dashboard")), ("村列表", urls.get("villages"))]
    pages.append(("贫困户列表（审核）", urls["households"]))
    pages = [(name, path) for name, path in pages if path]
    while True:
        for name, path in pages:
            if not budget.take():
                return
            browser.request(name, "GET", path)


# --- preparation in the database (Django ORM) --------------------------------------------------
def prepare(staff: int, reviewers: int, seed: int) -> tuple[dict, list, list]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from accounts.models import Role, User
    from households.models import Household, HouseholdPairing
    from villages.models import Region, RegionLevel

    urls = {}
    for key, name in [
        ("login", "accounts:login"),
        ("households", "households:list"),
        ("visit_create", "households:visit_create"),
        ("dashboard", "assessments:dashboard"),
        ("villages", "villages:list"),
    ]:
        try:
            urls[key] = reverse(name)
        except NoReverseMatch:
            urls[key] = None
    missing = [k for k in ("login", "households", "visit_create") if not urls[k]]
    if missing:
        sys.exit(f"pages not installed yet: {missing}")

    rng = random.Random(seed)
    today = timezone.localdate()
    paired = HouseholdPairing.objects.in_force(today).values("household_id")
    townships = list(
        Region.objects.filter(level=RegionLevel.TOWNSHIP)
        .order_by("code")
        .values_list("pk", flat=True)
    )
    chosen = rng.sample(townships, min(staff, len(townships)))
    password = make_password(PASSWORD)  # hashed once, shared by the load-test accounts
    staff_people = []
    for i, township_id in enumerate(chosen):
        user, _ = User.objects.update_or_create(
            username=f"load_staff_{i}",
            defaults=dict(
                role=Role.TOWNSHIP_STAFF,
                region_id=township_id,
                password=password,
                must_change_password=False,
                is_active=True,
                last_name="压测",
                first_name=f"乡镇{i}",
            ),
        )
        ids = list(
            Household.objects.filter(township_id=township_id, id__in=paired)
            .order_by("id")
            .values_list("id", flat=True)[:200]
        )
        staff_people.append((user.username, ids))
    county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    reviewer_people = []
    for i in range(reviewers):
        User.objects.update_or_create(
            username=f"load_reviewer_{i}",
            defaults=dict(
                role=Role.REVIEWER,
                region=county,
                password=password,
                must_change_password=False,
                is_active=True,
                last_name="压测",
                first_name=f"审核{i}",
            ),
        )
        reviewer_people.append(f"load_reviewer_{i}")
    return urls, staff_people, reviewer_people


def count_visits(tokens: list[str]) -> tuple[int, int]:
    from households.models import Visit

    found = Visit.objects.filter(submission_token__in=tokens).count() if tokens else 0
    return found, Visit.objects.count()


# --- CPU time from /proc ------------------------------------------------------------------------
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def proc_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def proc_children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
            return [int(c) for c in children.read().split()]
    except OSError:
        return []


class CpuMeter:
    """The CPU seconds spent by two groups of processes while a phase runs: the gunicorn workers
    (the master's children) and the PostgreSQL backends connected to the database under test
    (this script's own connection excluded). A process that appears during the phase counts
    from zero (a recycled worker's start-up is part of the cost); one that ends keeps its last
    sample (at most 0.2 s of its CPU is missed)."""

    def __init__(self, master_pid: int | None, database_url: str, interval: float = 0.2):
        import psycopg

        self.master_pid = master_pid
        self.interval = interval
        self.conn = psycopg.connect(database_url, autocommit=True)
        self.own_pid = self.conn.info.backend_pid
        self.dbname = self.conn.info.dbname
        self.groups = {"worker": {}, "db": {}}
        self.start: dict[str, dict[int, float]] = {"worker": {}, "db": {}}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _pids(self) -> dict[str, list[int]]:
        workers = proc_children(self.master_pid) if self.master_pid else []
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> %s"
            " AND backend_type = 'client backend'",
            (self.dbname, self.own_pid),
        ).fetchall()
        return {"worker": workers, "db": [r[0] for r in rows]}

    def _sample(self, into: dict[str, dict[int, float]]) -> None:
        for group, pids in self._pids().items():
            for pid in pids:
                seconds = proc_cpu_seconds(pid)
                if seconds is not None:
                    into[group][pid] = seconds

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample(self.groups)

    def __enter__(self) -> CpuMeter:
        self._sample(self.start)
        self.groups = {g: dict(v) for g, v in self.start.items()}
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample(self.groups)

    def seconds(self, group: str) -> float:
        start = self.start[group]
        return sum(last - start.get(pid, 0.0) for pid, last in self.groups[group].items())

    def close(self) -> None:
        self.conn.close()


# --- gunicorn ----------------------------------------------------------------------------------
def start_gunicorn(port: int, workers: int, env: dict, tree: Path = ROOT) -> subprocess.Popen:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=tree,
        env=env,
        check=True,
    )
    bin_dir = Path(sys.executable).parent
    process = subprocess.Popen(
        [
            str(bin_dir / "gunicorn"),
            "config.wsgi:application",
            "-c",
            "deploy/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "/dev/null",
        ],
        cwd=tree,
        env=env,
        start_new_session=True,
    )
    for _ in range(120):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/accounts/login/", headers={"X-Forwarded-Proto": "https"})
            conn.getresponse().read()
            conn.close()
            return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    sys.exit("gunicorn did not start")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def report(results: list[Result], seconds: float, logins: list[Result]) -> int:
    by_name = defaultdict(list)
    for r in results:
        by_name[r.name].append(r)
    total = len(results)
    errors = [r for r in results if not r.ok]
    print(
        f"\n{total} requests in {seconds:.1f} s: {total / seconds:.1f} requests/s, "
        f"{len(errors)} errors"
    )
    print(f"{'page':<16}{'n':>7}{'err':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, rows in list(by_name.items()) + [("(all)", results)]:
        ms = [r.seconds * 1000 for r in rows]
        print(
            f"{name:<16}{len(rows):>7}{sum(not r.ok for r in rows):>6}"
            f"{percentile(ms, 50):>9.0f}{percentile(ms, 95):>9.0f}{percentile(ms, 99):>9.0f}"
            f"{max(ms) if ms else 0:>9.0f}"
        )
    for r in errors[:20]:
        print(f"  error: {r.name}: {r.note}")
    return len(errors)


def baseline_loop(browser: Browser, path: str, budget: Budget):
    while budget.take():
        browser.request("登录页（基准）", "GET", path)


@dataclass
class Phase:
    requests: int
    errors: int
    seconds: float
    worker_cpu: float
    db_cpu: float
    p95_ms: float

    @property
    def cpu_ms(self) -> float:
        return (self.worker_cpu + self.db_cpu) * 1000 / max(self.requests, 1)

    def line(self, label: str) -> str:
        n = max(self.requests, 1)
        return (
            f"{label:<22}{self.requests:>7}{self.requests / self.seconds:>8.1f}"
            f"{self.worker_cpu * 1000 / n:>10.1f}{self.db_cpu * 1000 / n:>9.1f}"
            f"{self.cpu_ms:>9.1f}{1000 / max(self.cpu_ms, 1e-9):>12.1f}{self.p95_ms:>8.0f}"
        )


PHASE_HEADER = (
    f"{'phase':<22}{'n':>7}{'req/s':>8}{'worker ms':>10}{'db ms':>9}{'cpu ms':>9}"
    f"{'req/s/core':>12}{'p95 ms':>8}"
)


def run_phase(meter: CpuMeter | None, threads: list[threading.Thread], results: list[Result]):
    """Run the threads to the end, with the CPU meter around them; a Phase of the results."""
    with meter if meter is not None else contextlib.nullcontext():
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    return Phase(
        requests=len(results),
        errors=sum(not r.ok for r in results),
        seconds=elapsed,
        worker_cpu=meter.seconds("worker") if meter else 0.0,
        db_cpu=meter.seconds("db") if meter else 0.0,
        p95_ms=percentile([r.seconds * 1000 for r in results], 95),
    ), elapsed


def run_once(args, tree: Path, urls: dict, staff_people: list, reviewer_people: list) -> dict:
    """One load test against the code in `tree`: the login-page baseline, then the mix."""
    before_found, before_total = count_visits([])
    process = None
    if args.base_url:
        parsed = urllib.parse.urlparse(args.base_url)
        host, port = parsed.hostname, parsed.port or 80
    else:
        host, port = "127.0.0.1", args.port
        env = {
            **os.environ,
            "DJANGO_ENV": "production",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1",
            "STATIC_ROOT": os.environ.get("STATIC_ROOT", f"/tmp/loadtest-static-{tree.name}"),
            "MEDIA_ROOT": os.environ.get("MEDIA_ROOT", "/tmp/loadtest-media"),
            "LOG_LEVEL": "WARNING",
        }
        process = start_gunicorn(port, args.workers, env, tree)
        print(
            f"\n== {tree}: gunicorn pid {process.pid} on 127.0.0.1:{port}, {args.workers} workers"
        )
    meter = CpuMeter(process.pid if process else None, os.environ["DATABASE_URL"])
    lock = threading.Lock()
    login_results: list[Result] = []
    results: list[Result] = []
    baseline_results: list[Result] = []
    tokens: list[str] = []
    people = len(staff_people) + len(reviewer_people)
    try:
        # The baseline: as many anonymous people open the login page.
        baseline = None
        if args.baseline_seconds > 0:
            anonymous = [Browser(host, port, baseline_results, lock) for _ in range(people)]
            budget = Budget(deadline=time.monotonic() + args.baseline_seconds, max_requests=10**6)
            threads = [
                threading.Thread(target=baseline_loop, args=(b, urls["login"], budget))
                for b in anonymous
            ]
            baseline, _ = run_phase(meter, threads, baseline_results)

        names = [u for u, _ in staff_people] + reviewer_people
        browsers = [Browser(host, port, login_results, lock) for _ in names]
        for browser, username in zip(browsers, names, strict=True):
            if not browser.login(urls["login"], username):
                print(f"login failed for {username}: {login_results[-1].note}")
                return {"failed": True}
        for browser in browsers:
            browser.results = results

        budget = Budget(deadline=time.monotonic() + args.duration, max_requests=args.max_requests)
        threads = []
        for i, (browser, (_u, ids)) in enumerate(zip(browsers, staff_people, strict=False)):
            rng = random.Random(args.seed * 1000 + i)
            threads.append(
                threading.Thread(target=staff_loop, args=(browser, urls, ids, budget, tokens, rng))
            )
        for j, browser in enumerate(browsers[len(staff_people) :]):
            rng = random.Random(args.seed * 2000 + j)
            threads.append(
                threading.Thread(target=reviewer_loop, args=(browser, urls, budget, rng))
            )
        mix, elapsed = run_phase(meter if process else None, threads, results)
    finally:
        meter.close()
        if process is not None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)

    print(
        f"\n{len(staff_people)} township staff and {len(reviewer_people)} reviewers, "
        f"{len(login_results)} login requests (median "
        f"{statistics.median(r.seconds for r in login_results) * 1000:.0f} ms)"
    )
    failures = report(results, elapsed, login_results)
    found, after_total = count_visits(tokens)
    lost = len(tokens) - found
    extra = after_total - before_total - found
    print(
        f"\nvisits: {len(tokens)} form posts succeeded, {found} of them in the database, "
        f"{lost} lost; visits table grew by {after_total - before_total} ({extra} unexplained)"
    )
    if process is not None:
        print("\nCPU per request (gunicorn workers + PostgreSQL backends, from /proc)")
        print(PHASE_HEADER)
        if baseline is not None:
            print(baseline.line("login page (baseline)"))
        print(mix.line("the mix"))
        if baseline is not None and baseline.requests:
            print(f"mix / login page CPU per request: {mix.cpu_ms / baseline.cpu_ms:.1f}×")
    return {
        "failed": bool(failures or lost or extra or (baseline and baseline.errors)),
        "baseline": baseline if process is not None else None,
        "mix": mix,
        "lost": lost,
        "posts": len(tokens),
    }


def compare(before: dict, after: dict, before_tree: Path, after_tree: Path) -> None:
    print(f"\n== side by side in one run: (a) {before_tree}  (b) {after_tree}")
    print(f"{'figure':<34}{'(a)':>10}{'(b)':>10}{'b/a':>8}")
    rows = [
        ("mix requests/s", lambda r: r["mix"].requests / r["mix"].seconds),
        ("mix p95 ms", lambda r: r["mix"].p95_ms),
        ("mix CPU ms per request", lambda r: r["mix"].cpu_ms),
        ("  of it worker ms", lambda r: r["mix"].worker_cpu * 1000 / max(r["mix"].requests, 1)),
        ("  of it PostgreSQL ms", lambda r: r["mix"].db_cpu * 1000 / max(r["mix"].requests, 1)),
        ("mix requests/s per core (CPU)", lambda r: 1000 / max(r["mix"].cpu_ms, 1e-9)),
        ("login page CPU ms per request", lambda r: r["baseline"].cpu_ms),
        ("mix / login page CPU", lambda r: r["mix"].cpu_ms / r["baseline"].cpu_ms),
    ]
    for label, figure in rows:
        try:
            a, b = figure(before), figure(after)
        except (AttributeError, TypeError, ZeroDivisionError, KeyError):
            continue
        print(f"{label:<34}{a:>10.1f}{b:>10.1f}{b / a if a else 0:>7.2f}×")
    print(
        f"{'errors / lost visits':<34}{before['mix'].errors:>5} / {before['lost']:<3}"
        f"{after['mix'].errors:>5} / {after['lost']:<3}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (max 600)")
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--staff", type=int, default=8, help="simulated township staff")
    parser.add_argument("--reviewers", type=int, default=4, help="simulated reviewers")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8109)
    parser.add_argument("--base-url", help="use a server already running on localhost")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--baseline-seconds",
        type=float,
        default=15,
        help="seconds of login-page requests measured before the mix (0: none)",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        help="another checkout of the project, served first with the same load for comparison",
    )
    args = parser.parse_args()
    if not 0 < args.duration <= 600:
        parser.error("--duration must be between 1 and 600 seconds")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("set DATABASE_URL to the PostgreSQL database under test")
    if args.base_url:
        if urllib.parse.urlparse(args.base_url).hostname not in LOCAL_HOSTS:
            parser.error("the load test only ever targets localhost")
        if args.compare:
            parser.error("--compare starts its own servers; leave out --base-url")
    if args.compare and not (args.compare / "manage.py").exists():
        parser.error(f"--compare {args.compare}: no manage.py there")

    urls, staff_people, reviewer_people = prepare(args.staff, args.reviewers, args.seed)
    runs = []
    for tree in ([args.compare.resolve()] if args.compare else []) + [ROOT]:
        outcome = run_once(args, tree, urls, staff_people, reviewer_people)
        if outcome.get("failed") and "mix" not in outcome:
            return 1
        runs.append(outcome)
    if args.compare:
        compare(runs[0], runs[1], args.compare.resolve(), ROOT)
    return 1 if any(r["failed"] for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
