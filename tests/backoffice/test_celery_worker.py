"""A real Celery worker runs a task: through Redis when REDIS_URL is set (CI), through the embedded broker otherwise."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker

from backoffice.celery import app
from backoffice.tasks import ping
from tests.conftest import skip_or_fail


def require_the_configured_broker() -> None:
    """With REDIS_URL set the tests go through Redis: it must answer (skip outside CI, fail in CI)."""
    if os.environ.get("REDIS_URL"):
        import redis

        try:
            redis.Redis.from_url(os.environ["REDIS_URL"]).ping()
        except redis.exceptions.ConnectionError as exc:
            skip_or_fail(f"Redis at REDIS_URL is not reachable: {exc}")


def test_broker_is_chosen_from_the_environment():
    if os.environ.get("REDIS_URL"):
        assert app.conf.broker_url.startswith("redis://")
    else:
        assert app.conf.broker_url == "filesystem://"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task():
    require_the_configured_broker()
    token = uuid.uuid4().hex
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        result = ping.delay(token)
        answer = result.get(timeout=60)
    assert answer["token"] == token
    assert answer["host"]


def test_a_worker_in_another_process_runs_a_task():
    """What `make demo` relies on: the web process enqueues, a separate `celery -A backoffice worker` runs it."""
    require_the_configured_broker()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="backoffice.test_settings")
    celery = Path(sys.executable).with_name("celery")
    worker = subprocess.Popen(
        [
            str(celery),
            "-A",
            "backoffice",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--hostname",
            f"subprocess-{uuid.uuid4().hex[:8]}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        token = uuid.uuid4().hex
        answer = ping.delay(token).get(timeout=90)
        assert answer["token"] == token
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
