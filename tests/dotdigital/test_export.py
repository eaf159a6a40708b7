"""The export of marketing lists to address books, against the sandbox over real HTTP: what reaches the book, typed;
removals; unsubscribed contacts; incremental and mapping-wide re-sends; split imports; polling in a later run;
faults on the contact; stuck imports; the debounced export after a person's change; the Connect pages."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice import roles
from dotdigital import exports, services
from dotdigital.connectors import export as export_module
from dotdigital.mappings import RowSpec, save_mapping
from dotdigital.models import (
    AddressBook,
    AddressBookImport,
    DataField,
    DataFieldMapping,
    DataFieldMappingRow,
    DotdigitalContact,
    ExportFault,
)
from integrations import services as integration_services
from integrations.models import SyncJob, SyncTrigger
from integrations.services import sync as sync_services
from marketing import services as marketing
from marketing.choices import MemberStatus
from marketing.models import Contact, MarketingList, MarketingListMember

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_broker(request, monkeypatch):
    """The runner is called in-process, except in the test that sends jobs to a real worker."""
    if "real_worker" not in request.keywords:
        monkeypatch.setattr(sync_services, "enqueue", lambda job_id, eta=None: None)


@pytest.fixture
def account(make_sandbox, connect_sandbox):
    """A small sandbox with a Numeric SCORE field, an integration whose data fields are read, and a mapping:
    FIRSTNAME <- first name, LASTNAME <- last name, SCORE <- phone (text into Numeric: Dotdigital types it)."""
    sandbox = make_sandbox(seed=11, contacts=50, address_books=2, campaigns=0, import_delay=0.3)
    sandbox.client().create_data_field("SCORE", "Numeric")
    integration = connect_sandbox(sandbox)
    run(integration, connectors=["address_books", "data_fields"])
    fields = {f.name: f for f in DataField.objects.filter(integration=integration)}
    save_mapping(
        integration,
        [RowSpec(fields["FIRSTNAME"], ("first_name",), False), RowSpec(fields["LASTNAME"], ("last_name",), False)],
        user=None,
    )
    mapping = DataFieldMapping.objects.get(integration=integration)
    # Not allowed by the form (text into Numeric): how a value Dotdigital rejects reaches it.
    DataFieldMappingRow.objects.create(mapping=mapping, data_field=fields["SCORE"], contact_fields=["phone"])
    return sandbox, integration


def run(integration, connectors=("export",), **options) -> SyncJob:
    job = integration_services.schedule_sync(
        integration, trigger=SyncTrigger.COMMAND, connectors=list(connectors), **options
    ).job
    while (retry_at := integration_services.run_sync_job(job.pk)) is not None:
        SyncJob.objects.filter(pk=job.pk).update(wait_until=retry_at.replace(year=2000))
        time.sleep(0.2)
    job.refresh_from_db()
    return job


def export_and_finish(integration) -> SyncJob:
    """One export, then (after the sandbox's import delay) a second that polls the imports to their end."""
    job = run(integration)
    time.sleep(0.4)
    run(integration)
    return job


def make_list(owner, count: int, name="Newsletter", phone=lambda n: str(1000 + n)) -> MarketingList:
    marketing_list = marketing.create_marketing_list(name=name, owner=owner)
    contacts = [
        marketing.create_contact(
            owner=owner, email=f"reader{n}@example.org", first_name=f"Ann{n}", last_name="Reader", phone=phone(n)
        )
        for n in range(count)
    ]
    marketing.add_contacts_to_list(marketing_list, [c.pk for c in contacts])
    return marketing_list


def connect_new_book(integration, marketing_list, name="Export book") -> AddressBook:
    return services.create_and_connect_address_book(
        integration, marketing_list, name=name, visibility="Private", user=None
    )


def book_contents(sandbox, book: AddressBook) -> dict[str, dict]:
    """email -> data fields of the sandbox book's contacts, read back with the client."""
    found = {}
    for page in sandbox.client().address_book_contacts(book.dotdigital_id, with_full_data=True):
        for row in page:
            found[row["email"].lower()] = {item["key"]: item["value"] for item in row.get("dataFields") or []}
    return found


def rows_sent(job: SyncJob) -> int:
    return sum(AddressBookImport.objects.filter(job=job).values_list("rows_sent", flat=True))


def test_connected_list_reaches_the_book_with_typed_fields(account, administrator):
    sandbox, integration = account
    marketing_list = make_list(administrator, 5)
    book = connect_new_book(integration, marketing_list)
    assert book.dotdigital_id in sandbox.store.books  # created in Dotdigital

    job = run(integration)
    first = AddressBookImport.objects.get(job=job)
    assert first.status == AddressBookImport.Status.NOT_FINISHED  # the sandbox's import delay: polled later
    assert first.rows_sent == 5
    time.sleep(0.4)
    poll = run(integration)
    first.refresh_from_db()
    assert first.status == AddressBookImport.Status.FINISHED
    assert rows_sent(poll) == 0  # nothing changed: nothing sent again

    contents = book_contents(sandbox, book)
    assert set(contents) == {f"reader{n}@example.org" for n in range(5)}
    assert contents["reader3@example.org"]["FIRSTNAME"] == "Ann3"
    assert contents["reader3@example.org"]["SCORE"] == 1003  # a number, typed by Dotdigital
    step = poll.steps.get(connector="export")
    assert any(first.import_id in line and "Finished" in line for line in step.details)
    book.refresh_from_db()
    assert book.last_exported_at is not None


def test_removed_member_leaves_the_book_and_unsubscribed_is_never_resent(account, administrator):
    sandbox, integration = account
    marketing_list = make_list(administrator, 4)
    book = connect_new_book(integration, marketing_list)
    export_and_finish(integration)
    run(integration, connectors=["contacts"])  # links the exported contacts (their Dotdigital ids)
    assert len(book_contents(sandbox, book)) == 4

    gone = MarketingListMember.objects.get(marketing_list=marketing_list, contact__email="reader0@example.org")
    marketing.remove_member(gone)
    quiet = MarketingListMember.objects.get(marketing_list=marketing_list, contact__email="reader1@example.org")
    marketing.unsubscribe_member(quiet, reason="asked")
    suppressed = DotdigitalContact.objects.get(integration=integration, email__iexact="reader2@example.org")
    DotdigitalContact.objects.filter(pk=suppressed.pk).update(status="Unsubscribed")
    Contact.objects.filter(email__in=["reader1@example.org", "reader2@example.org"]).update(company="Changed")

    job = run(integration)
    assert "reader0@example.org" not in book_contents(sandbox, book)
    assert job.steps.get(connector="export").deleted == 1
    assert rows_sent(job) == 0  # reader1 unsubscribed here, reader2 unsubscribed in Dotdigital: neither re-sent

    full = run(integration, full=True)
    # reader3, the only one left to send, is in the book with the values it has here (the contacts sync read it back
    # after the export): not sent again, even on a full export.
    assert rows_sent(full) == 0
    assert "1 member not sent: Export book already holds it" in " ".join(full.steps.get(connector="export").details)
    Contact.objects.filter(email="reader3@example.org").update(last_name="Moved", updated_at=timezone.now())
    assert rows_sent(run(integration, full=True)) == 1


def test_contacts_the_sync_brought_from_the_book_are_not_exported_back(account, administrator):
    """A list connected to a book the contacts sync fills: its members came from Dotdigital with Dotdigital's values,
    so the export sends none back (a million-contact book would otherwise go out again in full), until a marketer
    changes one, or a mapped field holds something the book has not."""
    sandbox, integration = account
    book = AddressBook.objects.filter(integration=integration).order_by("dotdigital_id").last()
    marketing_list = marketing.create_marketing_list(name="From Dotdigital", owner=administrator)
    AddressBook.objects.filter(pk=book.pk).update(marketing_list=marketing_list)
    DataFieldMappingRow.objects.filter(data_field__name="SCORE").delete()  # the book has no SCORE to compare
    run(integration, connectors=["contacts"])
    members = MarketingListMember.objects.filter(marketing_list=marketing_list, status=MemberStatus.SUBSCRIBED)
    assert members.count() > 5

    job = run(integration)
    assert rows_sent(job) == 0
    assert f"{members.count()} members not sent" in " ".join(job.steps.get(connector="export").details)

    someone = members.order_by("contact_id").first().contact
    marketing.update_contact(someone, first_name="Renamed")
    changed = run(integration)
    assert rows_sent(changed) == 1
    assert AddressBookImport.objects.get(job=changed).contact_ids == [someone.pk]
    time.sleep(0.4)
    run(integration)  # the import finished
    assert book_contents(sandbox, book)[someone.email.lower()]["FIRSTNAME"] == "Renamed"

    # Sent, and not read back yet: changed back to what the link last read, it still goes (the book holds "Renamed").
    marketing.update_contact(
        someone, first_name=DotdigitalContact.objects.get(contact=someone).data_fields["FIRSTNAME"]
    )
    assert rows_sent(run(integration)) == 1


def test_changed_field_is_resent_alone_and_mapping_change_resends_everyone(account, administrator):
    sandbox, integration = account
    marketing_list = make_list(administrator, 6)
    connect_new_book(integration, marketing_list)
    export_and_finish(integration)

    contact = Contact.objects.get(email="reader4@example.org")
    marketing.update_contact(contact, first_name="Changed")
    assert rows_sent(run(integration)) == 1

    fields = {f.name: f for f in DataField.objects.filter(integration=integration)}
    save_mapping(integration, [RowSpec(fields["FIRSTNAME"], ("first_name",), False)], user=None)
    time.sleep(0.4)
    job = run(integration)
    assert rows_sent(job) == 6
    assert rows_sent(run(integration)) == 0


def test_imports_are_split_at_the_limit(account, administrator, monkeypatch):
    sandbox, integration = account
    monkeypatch.setattr(export_module, "IMPORT_LIMIT", 50)
    monkeypatch.setattr(export_module, "BUSY_WAIT", timedelta(seconds=0))
    marketing_list = make_list(administrator, 120)
    book = connect_new_book(integration, marketing_list)
    job = run(integration)
    assert sorted(AddressBookImport.objects.filter(job=job).values_list("rows_sent", flat=True)) == [20, 50, 50]
    time.sleep(0.4)
    run(integration)
    assert len(book_contents(sandbox, book)) == 120


def test_faults_are_shown_on_the_contact(account, administrator, client):
    sandbox, integration = account
    marketing_list = make_list(administrator, 3, phone=lambda n: "notanumber" if n == 1 else str(n))
    connect_new_book(integration, marketing_list)
    export_and_finish(integration)

    done = AddressBookImport.objects.get()
    assert done.faults_count == 1
    fault = ExportFault.objects.get()
    assert fault.contact.email == "reader1@example.org"
    assert "Numeric" in fault.reason
    client.force_login(administrator)
    page = client.get(reverse("marketing:contact_detail", args=[fault.contact_id])).content.decode()
    assert "Rejected by Dotdigital" in page and fault.reason in page
    list_page = client.get(reverse("marketing:list_detail", args=[marketing_list.pk])).content.decode()
    assert "reader1@example.org" in list_page and "Finished" in list_page
    assert 'data-testid="export-job-link"' in list_page  # an Administrator may open the job page


def test_stuck_import_is_marked_and_its_rows_sent_again(account, administrator):
    sandbox, integration = account
    sandbox.app.config.import_delay = 3600  # never finishes
    marketing_list = make_list(administrator, 3)
    book = connect_new_book(integration, marketing_list)
    run(integration)
    stuck = AddressBookImport.objects.get()
    AddressBookImport.objects.filter(pk=stuck.pk).update(started_at=timezone.now() - timedelta(hours=2))
    sandbox.app.config.import_delay = 0.1

    job = run(integration)
    stuck.refresh_from_db()
    assert stuck.status == AddressBookImport.Status.STUCK and stuck.retried
    assert rows_sent(job) == 3
    assert any("stuck" in line for line in job.steps.get(connector="export").details)
    time.sleep(0.3)
    run(integration)
    assert len(book_contents(sandbox, book)) == 3


def test_contact_edit_queues_a_debounced_export_but_sync_writes_do_not(account, administrator, client):
    sandbox, integration = account
    marketing_list = make_list(administrator, 2)
    book = connect_new_book(integration, marketing_list)
    export_and_finish(integration)
    AddressBook.objects.filter(pk=book.pk).update(export_requested_at=None)
    AddressBookImport.objects.update(started_at=timezone.now())  # nothing open to poll either

    # The sync's own bulk writes (an unsubscribe coming from Dotdigital) send no signal.
    contact = Contact.objects.get(email="reader0@example.org")
    marketing.upsert_list_members(
        marketing_list=marketing_list,
        rows=[{"contact_id": contact.pk, "status": MemberStatus.UNSUBSCRIBED, "reason": "Unsubscribed"}],
    )
    marketing.upsert_contacts(
        rows=[{"email": contact.email, "first_name": "Synced"}], owner=administrator, source="dotdigital"
    )
    book.refresh_from_db()
    assert book.export_requested_at is None

    other = Contact.objects.get(email="reader1@example.org")
    client.force_login(administrator)
    response = client.post(
        reverse("marketing:contact_update", args=[other.pk]),
        {
            "first_name": "Edited",
            "last_name": other.last_name,
            "email": other.email,
            "phone": other.phone,
            "job_title": "",
            "company": "",
            "owner": administrator.pk,
        },
    )
    assert response.status_code == 302
    book.refresh_from_db()
    assert book.export_requested_at is not None
    assert integration_services.schedule_due_syncs() == []  # debounced: not yet

    AddressBook.objects.filter(pk=book.pk).update(export_requested_at=timezone.now() - timedelta(seconds=30))
    queued = integration_services.schedule_due_syncs()
    assert len(queued) == 1 and queued[0].created
    job = queued[0].job
    assert job.trigger == SyncTrigger.CHANGE and list(job.steps.values_list("connector", flat=True)) == ["export"]
    integration_services.run_sync_job(job.pk)
    assert rows_sent(job) == 1
    book.refresh_from_db()
    assert book.export_requested_at is None
    time.sleep(0.4)
    run(integration)
    assert book_contents(sandbox, book)["reader1@example.org"]["FIRSTNAME"] == "Edited"


def test_member_changes_request_an_export(account, administrator):
    sandbox, integration = account
    marketing_list = make_list(administrator, 1)
    book = connect_new_book(integration, marketing_list)
    AddressBook.objects.filter(pk=book.pk).update(export_requested_at=None)
    extra = marketing.create_contact(owner=administrator, email="extra@example.org")
    marketing.add_contacts_to_list(marketing_list, [extra.pk])
    book.refresh_from_db()
    assert book.export_requested_at is not None
    assert exports.due_connectors(integration) == []  # younger than the debounce


@pytest.mark.parametrize(
    ("role", "allowed"), [(roles.ADMINISTRATOR, True), (roles.MARKETING_MANAGER, True), (roles.OPERATIONS, False)]
)
def test_connect_page_permissions(account, make_user, client, role, allowed, administrator):
    sandbox, integration = account
    marketing_list = marketing.create_marketing_list(name="Perms", owner=administrator, source="dotdigital")
    client.force_login(make_user(role))
    response = client.get(reverse("dotdigital:list_connect", args=[marketing_list.pk]))
    assert response.status_code == (200 if allowed else 403)
    page = client.get(reverse("marketing:list_detail", args=[marketing_list.pk]))
    if page.status_code == 200:
        assert ("Connect to Dotdigital" in page.content.decode()) is allowed


def test_connect_page_creates_a_book_in_dotdigital(account, administrator, client):
    sandbox, integration = account
    marketing_list = marketing.create_marketing_list(name="Spring", owner=administrator, source="dotdigital")
    client.force_login(administrator)
    response = client.post(
        reverse("dotdigital:list_connect", args=[marketing_list.pk]),
        {"integration": integration.pk, "mode": "new", "book_name": "Spring readers", "visibility": "Public"},
    )
    assert response.status_code == 302
    book = AddressBook.objects.get(marketing_list=marketing_list)
    assert sandbox.store.books[book.dotdigital_id].name == "Spring readers"
    assert book.export_requested_at is not None

    other = marketing.create_marketing_list(name="Autumn", owner=administrator, source="dotdigital")
    taken = client.post(
        reverse("dotdigital:list_connect", args=[other.pk]),
        {"integration": integration.pk, "mode": "existing", "address_book": book.pk},
    )
    assert taken.status_code == 200  # the book is connected to Spring: not offered
    assert not AddressBook.objects.filter(marketing_list=other).exists()


@pytest.mark.real_worker
def test_an_edit_reaches_the_sandbox_within_a_minute_with_a_real_worker_and_beat(account, administrator, client):
    """The contact form, then the beat's task every 5 s (its minute, shortened) through the broker to a real worker:
    the new value is in the sandbox's book within 60 s, debounce included."""
    from celery.contrib.testing.worker import start_worker

    from backoffice.celery import app
    from tests.backoffice.test_celery_worker import require_the_configured_broker

    require_the_configured_broker()
    sandbox, integration = account
    marketing_list = make_list(administrator, 2)
    book = connect_new_book(integration, marketing_list)
    export_and_finish(integration)
    contact = Contact.objects.get(email="reader0@example.org")
    client.force_login(administrator)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        started = time.monotonic()
        client.post(
            reverse("marketing:contact_update", args=[contact.pk]),
            {
                "first_name": "Live",
                "last_name": contact.last_name,
                "email": contact.email,
                "phone": contact.phone,
                "job_title": "",
                "company": "",
                "owner": administrator.pk,
            },
        )
        value = None
        while time.monotonic() - started < 60:
            app.send_task("integrations.schedule_due_syncs")
            time.sleep(5)
            value = book_contents(sandbox, book).get("reader0@example.org", {}).get("FIRSTNAME")
            if value == "Live":
                break
        elapsed = time.monotonic() - started
    assert value == "Live", f"not in the sandbox after {elapsed:.0f} s"
    assert elapsed < 60
    assert SyncJob.objects.filter(trigger=SyncTrigger.CHANGE).exists()


@pytest.mark.real_worker
def test_an_edit_reaches_the_sandbox_through_the_delayed_check_alone(account, administrator, client):
    """No beat at all: the request sends a check delayed by the debounce, and the worker exports at once then."""
    from celery.contrib.testing.worker import start_worker

    from backoffice.celery import app
    from dotdigital.exports import DEBOUNCE
    from tests.backoffice.test_celery_worker import require_the_configured_broker

    require_the_configured_broker()
    sandbox, integration = account
    marketing_list = make_list(administrator, 2)
    book = connect_new_book(integration, marketing_list)
    export_and_finish(integration)
    contact = Contact.objects.get(email="reader1@example.org")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        started = time.monotonic()
        marketing.update_contact(contact, first_name="Quick")  # what the contact form calls
        value = None
        while time.monotonic() - started < 55:
            time.sleep(2)
            value = book_contents(sandbox, book).get("reader1@example.org", {}).get("FIRSTNAME")
            if value == "Quick":
                break
        elapsed = time.monotonic() - started
    assert value == "Quick", f"not in the sandbox after {elapsed:.0f} s"
    assert DEBOUNCE.total_seconds() <= elapsed < DEBOUNCE.total_seconds() + 30


def test_busy_imports_are_a_wait_named_as_such(account):
    from dotdigital.connectors.export import ImportsBusy

    _sandbox, integration = account
    failure = integration.installation().explain_failure(ImportsBusy("Dotdigital still runs 4 imports", timezone.now()))
    assert failure.kind == "rate_limited" and failure.waiting_for == "Dotdigital to finish the imports already sent"


def test_a_list_of_25000_members_goes_in_three_imports_with_its_mapped_fields(account, administrator):
    sandbox, integration = account
    created = marketing.upsert_contacts(
        rows=[
            {"email": f"bulk{n}@example.org", "first_name": f"B{n}", "last_name": "Bulk", "phone": str(n)}
            for n in range(25_000)
        ],
        owner=administrator,
        source="import",
    )
    big = marketing.create_marketing_list(name="Big list", owner=administrator)
    marketing.upsert_list_members(
        marketing_list=big, rows=[{"contact_id": pk, "status": MemberStatus.SUBSCRIBED} for pk in created.ids.values()]
    )
    book = connect_new_book(integration, big, name="Big book")
    run(integration)
    for _ in range(20):  # later runs poll the imports until Dotdigital has finished them
        if not AddressBookImport.objects.filter(address_book=book, status="NotFinished").exists():
            break
        time.sleep(0.5)
        run(integration)
    imports = AddressBookImport.objects.filter(address_book=book)
    assert sorted(imports.values_list("rows_sent", flat=True)) == [5_000, 10_000, 10_000]
    assert set(imports.values_list("status", flat=True)) == {"Finished"}
    contents = book_contents(sandbox, book)
    assert len(contents) == 25_000
    assert contents["bulk7@example.org"]["FIRSTNAME"] == "B7" and contents["bulk7@example.org"]["LASTNAME"] == "Bulk"
    assert contents["bulk7@example.org"]["SCORE"] == 7  # typed by Dotdigital: a number, not "7"
