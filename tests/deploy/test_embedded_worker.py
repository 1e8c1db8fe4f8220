"""The embedded default (no broker): a large export runs in the background worker that
`dev.py start` launches next to runserver, reading the same SQLite database (issue 15).

Everything runs as `dev.py start` runs it, in processes of their own: a SQLite file migrated with
`manage.py migrate`, runserver, and the worker and beat from `dev.embedded_worker_commands()` (the
worker's pairing ledger slowed down, tests/deploy/embedded_process.py, so the progress can be
seen rising). The click answers at once with the job queued; the progress rises; the file is
produced; the browser shows the progress bar moving and then the download link."""

from __future__ import annotations

import importlib.util
import io
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook

from tests.factories import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
HELPER = Path(__file__).with_name("embedded_process.py")
HOUSEHOLDS = 60


def load_dev():
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Embedded:
    def __init__(self, url: str, region: str, folder: Path, children: list):
        self.url, self.region, self.folder, self.children = url, region, folder, children

    def login(self) -> requests.Session:
        session = requests.Session()
        session.get(f"{self.url}/accounts/login/", timeout=30)
        answer = session.post(
            f"{self.url}/accounts/login/",
            data={
                "username": "reviewer",
                "password": TEST_PASSWORD,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 302, answer.text[:500]
        return session

    def export_form(self) -> dict:
        return {
            "kind": "pairing",
            "region": self.region,
            "year": "2026",
            "part": "",
            "mask_ids": "on",
        }

    def logs(self) -> str:
        return "\n".join(
            (self.folder / name).read_text(errors="replace")
            for name in ("worker.log", "beat.log", "server.log")
            if (self.folder / name).exists()
        )


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("embedded")
    dev = load_dev()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "DATABASE_", "PYTEST_"))
    }
    env.update(
        {
            "DJANGO_ENV": "development",
            "DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
            "REDIS_URL": "",
            "CELERY_EMBEDDED_QUEUE_DIR": str(folder / "queue"),
            "MEDIA_ROOT": str(folder / "media"),
            "EXPORT_SYNC_MAX_ROWS": "10",
            "AXES_ENABLED": "false",
        }
    )
    python = sys.executable

    def run(*args):
        return subprocess.run(
            [python, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )

    migrated = run("manage.py", "migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    seeded = run(str(HELPER), "seed", str(HOUSEHOLDS))
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    region = seeded.stdout.split()[-1]

    worker, beat = dev.embedded_worker_commands()
    assert "--queues=default,heavy" in worker and "beat" in beat
    slowed = [python, str(HELPER), "worker", "0.08", *worker[1:]]
    children = dev.start_embedded_workers(env=env, log_dir=folder, commands=[slowed, beat])
    port = free_port()
    server_log = open(folder / "server.log", "w")  # noqa: SIM115
    children.append(
        subprocess.Popen(
            [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                dev.stop_children(children)
                pytest.fail("runserver did not start:\n" + (folder / "server.log").read_text())
            time.sleep(0.2)
    embedded = Embedded(f"http://127.0.0.1:{port}", region, folder, children)
    try:
        yield embedded
    finally:
        dev.stop_children(children, timeout=10)
        server_log.close()
        # dev.py stops its children with it: none is left running.
        assert all(child.poll() is not None for child in children)


def poll_until_finished(session, url: str, seconds: float = 90) -> list[dict]:
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = session.get(url, timeout=30).json()
        seen.append(status)
        if status["status"] not in ("pending", "running"):
            return seen
        time.sleep(0.2)
    return seen


@pytest.mark.sqlite
def test_a_large_export_answers_at_once_and_runs_in_the_embedded_worker(embedded):
    session = embedded.login()
    page = session.get(f"{embedded.url}/ledgers/", timeout=30)
    form = {**embedded.export_form(), "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    started = time.monotonic()
    answer = session.post(f"{embedded.url}/ledgers/", data=form, allow_redirects=False, timeout=30)
    elapsed = time.monotonic() - started
    assert page.status_code == 200
    assert answer.status_code == 302, answer.text[:1000]
    job_id = int(re.search(r"/ledgers/jobs/(\d+)/", answer.headers["Location"]).group(1))
    # The export itself takes over 3 s in the slowed worker; the click does not wait for it.
    assert elapsed < 2.5, f"the POST took {elapsed:.2f} s"
    status_url = f"{embedded.url}/ledgers/jobs/{job_id}/status/"
    first = session.get(status_url, timeout=30).json()
    assert first["status"] in ("pending", "running")
    assert first["total_rows"] == HOUSEHOLDS

    seen = poll_until_finished(session, status_url)
    assert seen[-1]["status"] == "done", (seen[-1], embedded.logs()[-3000:])
    progress = [s["progress"] for s in seen]
    assert progress == sorted(progress), progress
    assert any(0 < p < 100 for p in progress), progress
    assert seen[-1]["progress"] == 100 and seen[-1]["done_rows"] == HOUSEHOLDS

    download = session.get(embedded.url + seen[-1]["download_url"], timeout=30)
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.content)).worksheets[0]
    heads = {
        value
        for row in sheet.iter_rows(min_row=4, values_only=True)
        for value in row
        if isinstance(value, str) and re.fullmatch(r"户\d{3}", value)
    }
    assert len(heads) == HOUSEHOLDS


@pytest.mark.sqlite
@pytest.mark.browser
def test_the_browser_sees_the_progress_bar_rise(embedded, phone_page, screenshot_dir):
    page = phone_page
    page.goto(f"{embedded.url}/accounts/login/")
    page.fill("input[name=username]", "reviewer")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{embedded.url}/ledgers/")
    page.select_option("select[name=kind]", "pairing")
    page.select_option("select[name=region]", embedded.region)
    assert page.is_checked("input[name=mask_ids]")  # 脱敏 is ticked by default
    started = time.monotonic()
    page.click("form:has(select[name=kind]) button[type=submit]")
    page.wait_for_url(re.compile(r"/ledgers/jobs/\d+/$"))
    elapsed = time.monotonic() - started
    assert elapsed < 3, f"the click took {elapsed:.2f} s"
    bar = page.locator("#export-job progress[data-role=bar]")
    assert bar.is_visible()
    page.wait_for_function(
        "() => { const v = document.querySelector('#export-job progress').value;"
        " return v > 0 && v < 100; }",
        timeout=30000,
    )
    page.screenshot(path=os.path.join(screenshot_dir, "deploy-embedded-progress.png"))
    page.wait_for_selector("text=下载台账", timeout=60000)
    assert "已完成" in page.inner_text("#export-job") or page.locator("text=下载台账").is_visible()
    page.screenshot(path=os.path.join(screenshot_dir, "deploy-embedded-done.png"))
