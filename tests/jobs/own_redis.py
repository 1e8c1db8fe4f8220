"""A Redis server of the test's own (so a test may stop it) and a Celery app pointed at it.

`redis_server()` starts `redis-server --port <free port> --save "" --appendonly no` and stops it
when the block ends (or earlier, with `server.stop()`); `broker_at(url)` points the Celery app
and the settings at that broker (not eager) and puts them back afterwards."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from config.celery import app
from tests import celery_worker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not celery_worker.redis_answers(self.url):
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        if celery_worker.CI:
            pytest.fail("CI=true but redis-server is not on PATH")
        pytest.skip("redis-server 不在 PATH 上，跳过")
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def broker_at(url: str, settings) -> Iterator[None]:
    """Tasks are published to `url` (the result store too), as in production."""
    keys = ("task_always_eager", "task_eager_propagates", "broker_url", "result_backend")
    saved = {key: app.conf[key] for key in keys}
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(
        task_always_eager=False, task_eager_propagates=False, broker_url=url, result_backend=url
    )
    celery_worker.forget_connections()
    try:
        yield
    finally:
        app.conf.update(saved)
        celery_worker.forget_connections()
