"""A marketer's whole export journey in the browser: creates a data field, maps it, connects a list to an address
book, changes a contact; the change goes out the real way (the save asks for a debounced export, the delayed check
queues an export-only job, a real Celery worker runs it, the beat's tick polls the import) and ops see the export on
the job page while the sandbox's address book holds the new value.

The debounce (20 s) and the poll delay (20 s) are shortened to keep the test quick; nothing else is stubbed.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from backoffice import roles
from dotdigital import exports
from dotdigital.models import AddressBook, AddressBookImport
from integrations.models import JobState, SyncJob, SyncTrigger
from marketing import services as marketing
from tests.browser.conftest import log_in
from tests.dotdigital.test_export import run

pytestmark = [pytest.mark.browser, pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]

NEW_TITLE = "Head of Growth"


@pytest.fixture
def quick_waits(monkeypatch):
    monkeypatch.setattr(exports, "DEBOUNCE", timedelta(seconds=2))
    monkeypatch.setattr(exports, "POLL_AFTER", timedelta(seconds=0))


def wait_for(condition, *, tick: bool, timeout: float = 45.0, what: str):
    """Wait until condition() answers something true; with `tick`, send the beat's tick every second meanwhile
    (`schedule_due_connectors`, what the every-minute entry runs after the interval syncs)."""
    from backoffice.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answer := condition():
            return answer
        if tick:
            app.send_task("integrations.schedule_due_connectors")
        time.sleep(1)
    pytest.fail(f"Not within {timeout:.0f} s: {what}")


def whole_page(page) -> None:
    """Scrolled to the end, so a full-page screenshot shows the sticky Save bar where it rests, not over a row."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")


def finished_import(book: AddressBook, *, after: int = 0) -> AddressBookImport | None:
    return (
        AddressBookImport.objects.filter(address_book=book, pk__gt=after, status=AddressBookImport.Status.FINISHED)
        .order_by("pk")
        .last()
    )


def test_marketer_maps_a_new_field_connects_a_list_edits_a_contact_and_sees_the_export(
    page, screenshot, make_user, sandbox, connect_sandbox, quick_waits
):
    from celery.contrib.testing.worker import start_worker

    from backoffice.celery import app
    from tests.backoffice.test_celery_worker import require_the_configured_broker

    require_the_configured_broker()
    admin = make_user(roles.ADMINISTRATOR, username="admin1", first_name="Ada", last_name="Admin")
    make_user(roles.MARKETING_MANAGER, username="marketer1", first_name="Mia", last_name="Marketer")
    make_user(roles.OPERATIONS, username="ops1", first_name="Oscar", last_name="Ops")
    integration = connect_sandbox(sandbox, owner=admin)
    run(integration, connectors=["address_books", "data_fields"])  # its first sync: books, fields, default mapping
    spring = marketing.create_marketing_list(name="Spring Newsletter", owner=admin)
    readers = [
        marketing.create_contact(
            owner=admin, email=f"journey{n}@example.org", first_name=f"Jo{n}", last_name="Reader", job_title="Buyer"
        )
        for n in range(3)
    ]
    marketing.add_contacts_to_list(spring, [c.pk for c in readers])
    book = AddressBook.objects.filter(integration=integration).order_by("dotdigital_id").last()
    assert book is not None and book.marketing_list_id is None

    log_in(page, "marketer1")

    # 1. Marketing > Dotdigital > Data Fields > Create Data Field: a String field, created in Dotdigital too.
    page.click("[data-menu-group=Marketing] > a")
    page.click("[data-menu-item='Data Fields']")
    expect(page.get_by_test_id("data-fields-grid")).to_be_visible()
    page.click(".page-actions a:has-text('Create Data Field')")
    page.fill("#id_name", "jobtitle")
    page.select_option("#id_type", "String")
    whole_page(page)
    screenshot(page, "journey-01-create-data-field")
    page.click("button[value=save_close]")
    expect(page.locator("#messages")).to_contain_text("Data field JOBTITLE created in Dotdigital.")
    expect(page.locator("tr[data-field=JOBTITLE]")).to_be_visible()
    assert sandbox.store.fields["JOBTITLE"].type == "String"
    screenshot(page, "journey-02-data-fields-grid")

    # 2. Data Field Mappings: the integration's mapping (the defaults of its first sync) gets a row for JOBTITLE.
    page.click("[data-menu-group=Marketing] > a")
    page.click("[data-menu-item='Data Field Mappings']")
    page.locator("[data-testid=mappings-grid] a", has_text="Dotdigital EU").click()
    rows = page.get_by_test_id("mapping-row")
    existing = rows.count()
    page.get_by_test_id("add-row").click()
    expect(rows).to_have_count(existing + 1)
    page.select_option(f"#id_rows-{existing}-data_field", label="JOBTITLE (String)")
    page.select_option(f"#id_rows-{existing}-contact_fields", ["job_title"])
    whole_page(page)
    screenshot(page, "journey-03-mapping-row-added")
    page.click("button[value=save_close]")
    expect(page.locator("#messages")).to_contain_text("Data field mapping of Dotdigital EU saved.")
    expect(page.get_by_test_id("mappings-grid")).to_contain_text("Job title → JOBTITLE")
    screenshot(page, "journey-04-mappings-grid")

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        # 3. The list's page: Connect to Dotdigital, to an address book that exists there already.
        page.goto(f"/marketing/lists/{spring.pk}/")
        page.get_by_test_id("connect-to-dotdigital").click()
        page.get_by_label("An existing address book").check()
        page.select_option("#id_address_book", label=f"{book.name} (Dotdigital EU)")
        whole_page(page)
        screenshot(page, "journey-05-connect-list")
        page.get_by_role("button", name="Connect").click()
        expect(page.locator("#messages")).to_contain_text("connected to Spring Newsletter")
        first = wait_for(lambda: finished_import(book), tick=True, what="the list's first export finished")
        assert first.rows_sent == 3
        assert sandbox.store.contact_by_email("journey1@example.org").fields["JOBTITLE"] == "Buyer"
        page.reload()
        expect(page.get_by_test_id("last-export")).to_contain_text("3 rows, Finished")
        expect(page.get_by_test_id("export-job-link")).to_have_count(0)  # the job pages are not a marketer's
        screenshot(page, "journey-06-list-exported")

        # 4. A contact's edit form: the mapped field changes; the save queues the export through the debounce.
        last_job = SyncJob.objects.order_by("pk").last().pk
        page.get_by_role("link", name="Jo1 Reader").click()
        page.locator(".page-actions a", has_text="Edit").click()
        page.fill("#id_job_title", NEW_TITLE)
        whole_page(page)
        screenshot(page, "journey-07-contact-edit")
        page.click("button[value=save_close]")
        expect(page.locator("#messages")).to_contain_text("saved")
        book.refresh_from_db()
        assert book.export_requested_at is not None
        # No tick here: the check the save sent, delayed by the debounce, queues the export-only job on its own.
        change = wait_for(
            lambda: SyncJob.objects.filter(pk__gt=last_job, state=JobState.SUCCEEDED).order_by("pk").first(),
            tick=False,
            what="the export queued by the save",
        )
        assert change.trigger == SyncTrigger.CHANGE and change.connectors == ["export"]
        sent = AddressBookImport.objects.get(job=change)
        assert sent.rows_sent == 1 and sent.contact_ids == [readers[1].pk]
        done = wait_for(lambda: finished_import(book, after=first.pk), tick=True, what="the change's import finished")
        assert done.pk == sent.pk
        finished_line = f"Import {sent.import_id} into {book.name}: 1 row sent, status Finished, 0 faults"
        poll = next(
            job
            for job in SyncJob.objects.filter(pk__gt=change.pk, trigger=SyncTrigger.CHANGE).order_by("pk")
            if finished_line in job.steps.get(connector="export").details
        )

    state = sandbox.store.contact_by_email("journey1@example.org")
    assert state.fields["JOBTITLE"] == NEW_TITLE
    assert sandbox.store.is_member(book.dotdigital_id, state.id)
    assert sandbox.store.contact_by_email("journey0@example.org").fields["JOBTITLE"] == "Buyer"
    page.get_by_role("link", name="Jo1 Reader").click()
    expect(page.locator("main")).to_contain_text(NEW_TITLE)
    screenshot(page, "journey-08-contact-saved")

    # 5. Ops (the job pages are theirs; a Marketing Manager does not see integrations) open the jobs.
    page.context.clear_cookies()
    log_in(page, "ops1")
    page.goto(change.get_absolute_url())
    expect(page.get_by_test_id("job-trigger")).to_contain_text("Local change")
    step = page.locator("tr[data-step='export']")
    expect(step).to_have_attribute("data-state", "succeeded")
    expect(step.get_by_test_id("step-progress")).to_have_text("1 done")
    expect(page.get_by_test_id("step-details")).to_contain_text(f"Import {sent.import_id} into {book.name}: 1 row sent")
    screenshot(page, "journey-09-change-job")
    page.goto(poll.get_absolute_url())
    expect(page.get_by_test_id("step-details")).to_contain_text(finished_line)
    screenshot(page, "journey-10-poll-job")
