"""Ops press Schedule Sync and watch the job run live (htmx polling, no reload), open the job page, see the chart.

The integration's type is a scripted one whose connectors take a little time (0.3 s a page) and report progress;
the press's job is run by a thread calling `services.run_sync_job`, as a worker would.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from backoffice import roles
from integrations import services
from integrations.models import JobState, SyncJob, SyncTrigger
from integrations.registry import registry
from integrations.services import sync as sync_services
from integrations.sync import Connector, Installation
from tests.integrations.conftest import GOOD_TOKEN, FakeType

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = 4


class SlowConnector(Connector):
    def run(self, context):
        context.set_total(PAGES * 50)
        for _page in range(PAGES):
            time.sleep(0.3)
            context.report(read=50, created=10, updated=5, unchanged=35, done=50)


class AddressBooks(SlowConnector):
    key, label = "books", "Address books"


class Contacts(SlowConnector):
    key, label = "contacts", "Contacts"


class Activities(SlowConnector):
    key, label = "activities", "Activities"


class SlowInstallation(Installation):
    connector_classes_ = (AddressBooks, Contacts, Activities)

    def api_calls(self) -> int:
        return 0


class SlowType(FakeType):
    key = "slow"
    label = "Slow Platform"
    installation_class = SlowInstallation


@pytest.fixture
def slow_type(monkeypatch):
    registry.register(SlowType())
    threads: list[threading.Thread] = []

    def run_in_a_thread(job_id, eta=None):
        def work():
            try:
                services.run_sync_job(job_id)
            finally:
                connection.close()

        thread = threading.Thread(target=work, daemon=True)
        threads.append(thread)
        thread.start()

    monkeypatch.setattr(sync_services, "enqueue", run_in_a_thread)
    yield
    for thread in threads:
        thread.join(timeout=30)
    registry.unregister("slow")


def earlier_jobs(integration, count: int) -> None:
    start = timezone.now() - timedelta(hours=count)
    for i in range(count):
        job = SyncJob.objects.create(
            integration=integration,
            trigger=SyncTrigger.SCHEDULE,
            state=JobState.FAILED if i == 3 else JobState.SUCCEEDED,
            started_at=start + timedelta(hours=i),
            finished_at=start + timedelta(hours=i, seconds=20 + 7 * (i % 4)),
            records_changed=150 * (i % 5) + 40,
            api_calls=12 + i,
            error="Contacts: the remote side answered 503" if i == 3 else "",
        )
        SyncJob.objects.filter(pk=job.pk).update(created_at=job.started_at)


def test_ops_schedule_a_sync_and_watch_it_run(page, screenshot, make_user, slow_type):
    admin = make_user(roles.ADMINISTRATOR, username="admin1", first_name="Ada", last_name="Admin")
    make_user(roles.OPERATIONS, username="ops1", first_name="Oscar", last_name="Ops")
    integration = services.create_integration(
        type_key="slow",
        name="Slow account",
        default_owner=admin,
        settings={"endpoint": "https://slow.example.com/"},
        secrets={"token": GOOD_TOKEN},
        user=admin,
    )
    earlier_jobs(integration, 8)
    log_in(page, "ops1")
    page.goto(f"/integrations/{integration.pk}/")
    expect(page.get_by_test_id("next-sync")).to_be_visible()
    expect(page.locator("canvas[data-chart=sync-history][data-chart-drawn='1']")).to_be_attached()

    page.get_by_test_id("schedule-sync").click()
    expect(page.locator("#messages")).to_contain_text("Sync queued.")
    job = SyncJob.objects.filter(trigger=SyncTrigger.BUTTON).get()
    live = page.locator(f"#sync-job-{job.pk}")
    expect(live).to_be_visible()
    page.evaluate("window.__notReloaded = true")  # survives only while the page is not reloaded

    # Midway: some step is running, with its progress bar and counts.
    expect(live.locator("tr[data-step][data-state='running']")).to_have_count(1, timeout=10_000)
    expect(live.get_by_test_id("job-state")).to_contain_text("Running")
    screenshot(page, "sync-01-running")

    expect(live).to_have_attribute("data-state", "succeeded", timeout=30_000)
    assert page.evaluate("window.__notReloaded === true"), "the page reloaded instead of polling"
    assert live.get_attribute("hx-trigger") is None  # the fragment for an ended job stops the polling
    for connector in ("books", "contacts", "activities"):
        row = live.locator(f"tr[data-step='{connector}']")
        expect(row).to_have_attribute("data-state", "succeeded")
        expect(row.get_by_test_id("step-progress")).to_contain_text("200 of 200 (100%)")
    expect(live.get_by_test_id("job-state")).to_contain_text("Succeeded")
    # The end of the sync refreshes the summary and the history without a reload.
    expect(page.get_by_test_id("last-sync")).to_contain_text("Succeeded")
    expect(page.locator("[data-testid=sync-history] tr[data-job]").first).to_contain_text("Succeeded")
    screenshot(page, "sync-02-succeeded")

    live.get_by_test_id("job-link").click()
    expect(page.locator("h1")).to_have_text(f"Sync #{job.pk}")
    expect(page.get_by_test_id("job-trigger")).to_contain_text("Schedule Sync button by Oscar Ops")
    expect(page.locator("tr[data-step]")).to_have_count(3)
    screenshot(page, "sync-03-job-page")

    page.goto(f"/integrations/{integration.pk}/")
    expect(page.locator("canvas[data-chart=sync-history][data-chart-drawn='1']")).to_be_attached()
    expect(page.get_by_test_id("sync-chart-summary")).to_contain_text("The last 9 syncs")
    expect(page.locator("[data-testid=sync-history] tr[data-job]")).to_have_count(9)
    page.locator("#sync-history").scroll_into_view_if_needed()
    screenshot(page, "sync-04-history-and-chart")


def test_cancel_asks_in_a_dialog(page, screenshot, make_user, slow_type, monkeypatch):
    admin = make_user(roles.ADMINISTRATOR, username="admin1")
    make_user(roles.OPERATIONS, username="ops1")
    integration = services.create_integration(
        type_key="slow",
        name="Slow account",
        default_owner=admin,
        settings={"endpoint": "https://slow.example.com/"},
        secrets={"token": GOOD_TOKEN},
        user=admin,
    )
    monkeypatch.setattr(sync_services, "enqueue", lambda job_id, eta=None: None)  # stays queued
    job = services.schedule_sync(integration, trigger=SyncTrigger.COMMAND).job
    log_in(page, "ops1")
    page.goto(job.get_absolute_url())
    page.get_by_test_id("cancel-sync").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Cancel sync #{job.pk}?")
    screenshot(page, "sync-05-cancel-dialog")
    dialog.get_by_test_id("confirm-dialog-ok").click()
    expect(page.locator("#messages")).to_contain_text("cancelled")
    expect(page.get_by_test_id("sync-live")).to_have_attribute("data-state", "cancelled")
    assert SyncJob.objects.get(pk=job.pk).state == JobState.CANCELLED
