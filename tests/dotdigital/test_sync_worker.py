"""The sync through real Celery workers: a worker in this process, and `celery worker` processes killed mid-job.

The process tests need a database and a broker that other processes reach: PostgreSQL and Redis (CI has both);
elsewhere they skip with the reason, in CI they fail.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from backoffice.celery import app
from dotdigital.models import AddressBookMembership, DotdigitalContact
from integrations import services
from integrations.models import JobState, SyncJob, SyncStep, SyncTrigger
from integrations.services import sync as sync_services
from marketing.models import Contact, EmailCampaignActivity, EmailCampaignEvent, MarketingListMember
from tests.backoffice.test_celery_worker import require_the_configured_broker
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def integration(connect_sandbox, sandbox):
    return connect_sandbox(sandbox)


def wait_for(predicate, timeout: float = 120.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}")


def ended(job_id: int) -> SyncJob | None:
    job = SyncJob.objects.get(pk=job_id)
    return None if job.is_active else job


def test_a_worker_in_this_process_runs_the_sync_to_the_end(integration, sandbox):
    require_the_configured_broker()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        result = services.schedule_sync(integration, trigger=SyncTrigger.BUTTON)
        job = wait_for(lambda: ended(result.job.pk), what="the sync to end")
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.deliveries == 1
    assert DotdigitalContact.objects.count() == sandbox.store.n


# -- separate worker processes ----------------------------------------------------------------------------------


def require_shared_services() -> None:
    require_the_configured_broker()
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        skip_or_fail("worker processes need PostgreSQL (DATABASE_URL) and Redis (REDIS_URL) that they can reach")


def start_worker_process(sandbox, name: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="backoffice.test_settings",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        DOTDIGITAL_API_URL=sandbox.url,
        SYNC_HEARTBEAT_TIMEOUT="3",
    )
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "backoffice",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--hostname",
            f"{name}-{uuid.uuid4().hex[:8]}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_two_presses_and_two_workers_make_one_job_run_once(integration, sandbox):
    require_shared_services()
    workers = [start_worker_process(sandbox, "one"), start_worker_process(sandbox, "two")]
    try:
        first = services.schedule_sync(integration, trigger=SyncTrigger.BUTTON)
        second = services.schedule_sync(integration, trigger=SyncTrigger.BUTTON)
        assert first.created and not second.created and first.job.pk == second.job.pk
        sync_services.enqueue(first.job.pk)  # a second message for the same job: the other worker may take it
        job = wait_for(lambda: ended(first.job.pk), timeout=180, what="the sync to end")
    finally:
        for worker in workers:
            stop(worker)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.deliveries == 1
    assert SyncJob.objects.count() == 1
    assert DotdigitalContact.objects.count() == sandbox.store.n


def test_a_worker_killed_mid_job_is_declared_dead_and_the_next_run_completes_without_duplicates(
    integration, sandbox, settings
):
    require_shared_services()
    settings.SYNC_HEARTBEAT_TIMEOUT = 3
    sandbox.set_faults(latency_ms=150)  # slow enough to kill the worker between pages
    worker = start_worker_process(sandbox, "doomed")
    try:
        job = services.schedule_sync(integration, trigger=SyncTrigger.BUTTON).job
        wait_for(
            lambda: SyncStep.objects.filter(job=job, connector="contacts", read__gt=0).exists(),
            timeout=120,
            what="the contacts step to have written a page",
        )
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        stop(worker)
    job.refresh_from_db()
    assert job.state == JobState.RUNNING  # nobody knows yet
    time.sleep(3.5)
    sandbox.set_faults(latency_ms=0)
    replacement = start_worker_process(sandbox, "replacement")
    try:
        again = services.schedule_sync(integration, trigger=SyncTrigger.BUTTON)
        job.refresh_from_db()
        assert job.state == JobState.FAILED and job.error.startswith("The worker stopped")
        assert again.created
        finished = wait_for(lambda: ended(again.job.pk), timeout=180, what="the next run to end")
    finally:
        stop(replacement)
    assert finished.state == JobState.SUCCEEDED, finished.error
    books = sandbox.store.books
    assert DotdigitalContact.objects.count() == sandbox.store.n
    assert Contact.objects.count() == sandbox.store.n
    assert AddressBookMembership.objects.count() == sum(sandbox.store.book_size(b) for b in books)
    assert MarketingListMember.objects.count() == 0  # no book is linked here
    pairs = EmailCampaignActivity.objects.values_list("campaign_id", "contact_id")
    assert len(pairs) == len(set(pairs))
    events = EmailCampaignEvent.objects.values_list("campaign_id", "contact_id", "kind", "occurred_at", "url")
    assert len(events) == len(set(events))
