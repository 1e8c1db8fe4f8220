#!/usr/bin/env python3
"""Set up and run the product, or its checks, with nothing but Python 3.11+.

    python3 dev.py start   # virtualenv, dependencies, database, demo data, server on :8000
                           # (and, with no broker configured, a background worker and beat)
    python3 dev.py test    # virtualenv, dependencies, lint, migrations check, the whole suite

`test` runs the suite on SQLite, then again on PostgreSQL when one answers on 127.0.0.1:5432
(required when CI=true). Browser tests need Debian's chromium and a CJK font: `test` installs
them with apt-get when it can (root on Debian), and they are skipped with a reason otherwise,
except under CI=true, where they must run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
LOCK = ROOT / "requirements.lock"
CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/pairing")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def say(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def run(*args, env: dict | None = None, check: bool = True) -> int:
    merged = {**os.environ, **(env or {})}
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=merged)
    if check and result.returncode != 0:
        sys.exit(result.returncode)
    return result.returncode


def ensure_venv() -> None:
    if not PY.exists():
        say("创建虚拟环境 .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    marker = VENV / ".installed-lock"
    if marker.exists() and marker.read_text() == digest:
        return
    say("安装依赖（requirements.lock）")
    run(PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", LOCK)
    marker.write_text(digest)


def manage(*args, env: dict | None = None, check: bool = True) -> int:
    return run(PY, "manage.py", *args, env=env, check=check)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def ensure_browser() -> None:
    """Debian's chromium and a CJK font for the Playwright tests (no browser download)."""
    have_browser = shutil.which("chromium") is not None
    have_font = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").exists()
    if have_browser and have_font:
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("安装浏览器测试所需的 chromium 与中文字体（apt-get）")
        quiet = {"DEBIAN_FRONTEND": "noninteractive"}
        run("apt-get", "update", "-qq", env=quiet, check=CI)
        run(
            "apt-get",
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "chromium",
            "fonts-wqy-microhei",
            env=quiet,
            check=CI,
        )
    elif CI:
        sys.exit("CI=true 但无法安装 chromium：浏览器测试不能跳过。")


def ensure_services() -> None:
    """On this project's machines PostgreSQL and Redis are local services; start them if down."""
    if not CI:
        return
    if not port_open("127.0.0.1", 5432) and shutil.which("pg_ctlcluster"):
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        run("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start", check=False)
    if not port_open("127.0.0.1", 6379) and shutil.which("redis-server"):
        run(
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "-::1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            "/var/lib/redis",
            "--logfile",
            "/var/log/redis/ci.log",
            check=False,
        )


def embedded_worker_commands() -> list[list[str]]:
    """The worker and beat of the embedded default (no broker configured): Celery on kombu's
    filesystem transport (the queue is the folder var/celery-queue, see config/settings.py),
    reading the same database as runserver. One task at a time (solo pool); both queues."""
    celery = [str(PY), "-m", "celery", "-A", "config"]
    return [
        [
            *celery,
            "worker",
            "--pool=solo",
            "--queues=default,heavy",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--hostname=embedded@%h",
        ],
        [*celery, "beat", "--loglevel=INFO", "--pidfile="],
    ]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM if dev.py itself is killed outright."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def start_embedded_workers(
    env: dict | None = None, log_dir: Path = ROOT / "var", commands: list | None = None
) -> list[subprocess.Popen]:
    """Start the embedded worker and beat as child processes (logs in var/worker.log and
    var/beat.log); stop them with stop_children."""
    log_dir.mkdir(exist_ok=True)
    children = []
    commands = commands or embedded_worker_commands()
    for command, log_name in zip(commands, ("worker", "beat"), strict=True):
        log = open(log_dir / f"{log_name}.log", "a")  # noqa: SIM115 - the child keeps it
        children.append(
            subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if os.name == "posix" else None,
            )
        )
        log.close()
    return children


def stop_children(children: list[subprocess.Popen], timeout: float = 10) -> None:
    """SIGTERM (a running task may finish), then kill whatever is still running after
    `timeout` seconds."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def cmd_start(args) -> None:
    ensure_venv()
    say("准备数据库")
    manage("migrate", "--noinput", "-v", "0")
    say("生成演示数据（已有数据时跳过）")
    manage("seed_demo", "--if-empty")
    children: list[subprocess.Popen] = []
    if not (os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL")):
        # No broker: long jobs (large ledgers, evaluations) still run in the background, in a
        # worker of the product's own next to runserver; with a broker, start your own workers.
        say("启动后台任务进程（内置队列，无需 Redis；日志见 var/worker.log、var/beat.log）")
        children = start_embedded_workers()
    # A SIGTERM to dev.py stops the children too (Ctrl+C reaches all of them at once).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    say(f"启动服务：http://127.0.0.1:{args.port}/ （演示账户见上，按 Ctrl+C 停止）")
    try:
        manage(
            "runserver",
            f"127.0.0.1:{args.port}",
            "--noreload" if args.noreload else "--skip-checks",
            check=False,
        )
    except KeyboardInterrupt:
        pass
    finally:
        stop_children(children)


def cmd_check(args) -> None:
    ensure_venv()
    say("ruff check / ruff format --check")
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    say("import_graph（应用分层，无循环导入）")
    manage("import_graph", env={"DATABASE_URL": "sqlite:///:memory:"})
    say("makemigrations --check")
    manage(
        "makemigrations",
        "--check",
        "--dry-run",
        "-v",
        "1",
        env={"DATABASE_URL": "sqlite:///:memory:"},
    )
    say("mypy（services 与 selectors）")
    typed = sorted([*ROOT.glob("*/services.py"), *ROOT.glob("*/selectors.py")])
    run(BIN / "mypy", *typed, env={"DATABASE_URL": "sqlite:///:memory:"})


def cmd_test(args) -> None:
    ensure_venv()
    ensure_services()
    if not args.no_browser:
        ensure_browser()
    cmd_check(args)
    base_env = {
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "CELERY_BROKER_URL": "",
        "REDIS_URL": "",
        "TEST_REDIS_URL": REDIS_URL,
    }
    pytest = [PY, "-m", "pytest", *args.pytest_args]
    say("测试（SQLite）")
    code = run(
        *pytest,
        env={**base_env, "DATABASE_URL": "sqlite:///" + str(ROOT / "var" / "test.sqlite3")},
        check=False,
    )
    if code not in (0,):
        sys.exit(code)
    if port_open("127.0.0.1", 5432):
        say("测试（PostgreSQL）")
        code = run(
            *pytest, "-m", "not browser", env={**base_env, "DATABASE_URL": PG_URL}, check=False
        )
        if code != 0:
            sys.exit(code)
    elif CI:
        sys.exit("CI=true 但 PostgreSQL（127.0.0.1:5432）不可达：PostgreSQL 测试不能跳过。")
    else:
        say("PostgreSQL 不可达，跳过 PostgreSQL 测试（CI 中必须运行）")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="安装、建库、生成演示数据并启动服务")
    start.add_argument("--port", default="8000")
    start.add_argument("--noreload", action="store_true")
    start.set_defaults(func=cmd_start)
    check = sub.add_parser("check", help="ruff 与 makemigrations --check")
    check.set_defaults(func=cmd_check)
    test = sub.add_parser("test", help="检查并运行全部测试（SQLite，再 PostgreSQL）")
    test.add_argument(
        "--no-browser", action="store_true", help="不安装浏览器（浏览器测试将被跳过，CI 除外）"
    )
    test.add_argument("pytest_args", nargs="*", help="传给 pytest 的参数")
    test.set_defaults(func=cmd_test)
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    args.func(args)


if __name__ == "__main__":
    main()
