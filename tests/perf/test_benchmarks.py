"""The benchmark commands of issue 17 run and write nothing: `bench_pages --part dashboards
--part mix` prints each level's figures against the login page's, inside a rolled-back
transaction; the load test's CPU reading from /proc counts a process's own CPU time."""

import importlib.util
import io
import os
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import User
from households.models import Visit

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_bench_pages_dashboards_and_mix_print_ratios_and_roll_back(world):
    users, visits = User.objects.count(), Visit.objects.count()
    out = io.StringIO()
    call_command("bench_pages", "--part", "dashboards", "--part", "mix", "--runs", "5", stdout=out)
    text = out.getvalue()
    for level in ("province", "county", "township"):
        assert f"{level}: p95" in text and "the login page's" in text
    assert "login page (baseline)" in text and "mix / login page CPU per request:" in text
    assert "visit posts were not saved" not in text  # every post of the mix was saved…
    assert User.objects.count() == users and Visit.objects.count() == visits  # …and rolled back


def _loadtest():
    spec = importlib.util.spec_from_file_location("loadtest", ROOT / "scripts" / "loadtest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("loadtest", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_loadtest_reads_cpu_time_from_proc():
    loadtest = _loadtest()
    before = loadtest.proc_cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    after = loadtest.proc_cpu_seconds(os.getpid())
    assert after - before >= 0.2
    assert loadtest.proc_cpu_seconds(2**22 + 12345) is None  # no such process


def test_loadtest_phase_figures():
    loadtest = _loadtest()
    phase = loadtest.Phase(
        requests=100, errors=0, seconds=10, worker_cpu=1.0, db_cpu=0.5, p95_ms=80
    )
    assert phase.cpu_ms == pytest.approx(15.0)
    line = phase.line("the mix")
    assert "10.0" in line and "15.0" in line and "66.7" in line  # req/s, ms, req/s per core
