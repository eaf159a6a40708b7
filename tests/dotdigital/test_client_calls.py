"""The client against the sandbox over real HTTP: paging, since-date calls, writes, bulk import."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from dotdigital.exceptions import NotFoundError, ValidationError


def _ids(pages):
    return [item["id"] for page in pages for item in page]


def test_paging_over_several_pages_has_exact_totals_and_no_duplicates(sandbox):
    client = sandbox.client(page_size=1000)
    pages = list(client.contacts(with_full_data=True))
    ids = _ids(pages)
    assert [len(p) for p in pages] == [1000, 1000, 500]
    assert len(ids) == len(set(ids)) == 2500
    assert ids == sorted(ids)
    assert client.call_count == 1 + 3  # account-info + 3 pages (the short page ends the loop)
    keys = [field["key"] for field in pages[0][0]["dataFields"]]
    assert keys[:2] == ["FIRSTNAME", "LASTNAME"]


def test_paging_stops_after_an_empty_page_when_the_total_is_a_multiple(make_sandbox):
    sb = make_sandbox(seed=2, contacts=2000)
    client = sb.client()
    pages = list(client.contacts(with_full_data=False))
    assert [len(p) for p in pages] == [1000, 1000]
    assert client.call_count == 1 + 3
    assert pages[0][0]["dataFields"] is None


def test_five_thousand_contacts_in_at_most_six_contact_calls(make_sandbox):
    big = make_sandbox(seed=11, contacts=5000, address_books=1, campaigns=0)
    client = big.client()
    assert client.page_size == 1000  # Dotdigital's maximum select, the default
    pages = list(client.contacts(with_full_data=True))
    ids = _ids(pages)
    assert len(ids) == 5000 and len(set(ids)) == 5000
    contact_calls = [path for _method, path, _host in big.app.requests if path == "/v2/contacts"]
    assert len(contact_calls) <= 6  # five full pages and the empty page that ends the loop
    assert client.call_count == 1 + len(contact_calls)


def test_address_book_contacts_match_the_book_count(sandbox):
    client = sandbox.client()
    books = [book for page in client.address_books() for book in page]
    assert len(books) == 4
    for book in books:
        ids = _ids(client.address_book_contacts(book["id"], with_full_data=False))
        assert len(ids) == len(set(ids)) == book["contacts"]


def test_incremental_calls_see_changes(sandbox):
    client = sandbox.client()
    book_id = 1001
    before = datetime.now(UTC) - timedelta(seconds=1)
    assert _ids(client.contacts_modified_since(before)) == []
    changes = sandbox.change(modify=3, unsubscribe=2, add=4, book_id=book_id)
    modified = set(changes["modified"]) | set(changes["unsubscribed"]) | set(changes["added"])
    assert set(_ids(client.contacts_modified_since(before))) == modified
    assert set(_ids(client.contacts_created_since(before))) == set(changes["added"])
    assert set(_ids(client.address_book_contacts_modified_since(book_id, before))) == modified
    unsubscribed = [row for page in client.contacts_unsubscribed_since(before) for row in page]
    assert {row["suppressedContact"]["id"] for row in unsubscribed} == set(changes["unsubscribed"])
    assert all(row["reason"] == "Unsubscribed" for row in unsubscribed)
    in_book = [row for page in client.address_book_unsubscribed_since(book_id, before) for row in page]
    assert {row["suppressedContact"]["id"] for row in in_book} == set(changes["unsubscribed"])
    suppressed = {row["suppressedContact"]["id"] for page in client.contacts_suppressed_since(before) for row in page}
    assert suppressed == set(changes["unsubscribed"])


def test_seeded_history_has_dates(sandbox):
    client = sandbox.client()
    everyone = _ids(client.contacts_modified_since("2000-01-01"))
    assert len(everyone) == 2500
    recent = _ids(client.contacts_modified_since("2025-05-25T00:00:00+0000"))
    assert 0 < len(recent) < 2500
    assert recent == everyone[-len(recent) :]  # dates grow with the id in the seeded data
    unsubscribed = [row for page in client.contacts_unsubscribed_since("2000-01-01T00:00:00Z") for row in page]
    assert len(unsubscribed) == 75  # 3 in every 100 seeded contacts
    suppressed = [row for page in client.contacts_suppressed_since("2000-01-01") for row in page]
    assert {row["reason"] for row in suppressed} == {"Unsubscribed", "HardBounced", "IspComplained", "MailBlocked"}


def test_address_book_crud(sandbox):
    client = sandbox.client()
    created = client.create_address_book("Autumn Leads", "Public")
    assert created["visibility"] == "Public" and created["contacts"] == 0
    assert client.get_address_book(created["id"])["name"] == "Autumn Leads"
    with pytest.raises(ValidationError) as caught:
        client.create_address_book("autumn leads")
    assert caught.value.code == "ERROR_ADDRESSBOOK_DUPLICATE" and caught.value.status == 400
    client.delete_address_book(created["id"])
    with pytest.raises(NotFoundError) as missing:
        client.get_address_book(created["id"])
    assert missing.value.code == "ERROR_ADDRESSBOOK_NOT_FOUND"
    assert missing.value.message == "Error: ERROR_ADDRESSBOOK_NOT_FOUND"


def test_campaigns_summary_and_activities(sandbox):
    client = sandbox.client()
    campaigns = [c for page in client.campaigns() for c in page]
    assert len(campaigns) == 4
    assert all(c["htmlContent"] is None for c in campaigns)
    sent = [c for c in campaigns if c["status"] == "Sent"]
    full = client.get_campaign(sent[0]["id"])
    assert full["htmlContent"]
    summary = client.campaign_summary(sent[0]["id"])
    activities = [a for page in client.campaign_activities(sent[0]["id"]) for a in page]
    assert summary["numTotalSent"] == len(activities) > 0
    assert summary["numTotalUniqueOpens"] == sum(1 for a in activities if a["numOpens"] > 0)
    since = datetime.fromisoformat(summary["dateSent"].replace("Z", "+00:00")) + timedelta(days=3)
    recent = [a for page in client.campaign_activities_since(sent[0]["id"], since) for a in page]
    assert 0 < len(recent) < len(activities)
    assert all(a["numOpens"] > 0 for a in recent)
    with pytest.raises(NotFoundError):
        client.campaign_summary(999999)


def test_data_fields(sandbox):
    client = sandbox.client()
    names = [f["name"] for f in client.data_fields()]
    assert "FIRSTNAME" in names
    created = client.create_data_field("LOYALTY_TIER", "string", "public", "Bronze")
    assert created == {"name": "LOYALTY_TIER", "type": "String", "visibility": "Public", "defaultValue": "Bronze"}
    with pytest.raises(ValidationError) as duplicate:
        client.create_data_field("loyalty_tier", "String")
    assert duplicate.value.message == "Field already exists. ERROR_NON_UNIQUE_DATAFIELD"
    assert client.delete_data_field("LOYALTY_TIER")["result"] is True
    with pytest.raises(ValidationError) as reserved:  # a default field: refused outright, not "in use"
        client.delete_data_field("FIRSTNAME")
    assert reserved.value.code == "ERROR_DATAFIELD_INVALID"
    with pytest.raises(NotFoundError):
        client.delete_data_field("LOYALTY_TIER")


def _wait_finished(client, import_id, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        status = client.import_status(import_id)["status"]
        if status != "NotFinished" or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def test_bulk_import_then_report_and_faults(sandbox):
    client = sandbox.client()
    book = client.create_address_book("Imported")
    existing = sandbox.store.seeded_email(10)
    unsubscribed = sandbox.store.seeded_email(7)
    rows = [
        {"Email": "ada@example.com", "FIRSTNAME": "Ada", "LASTNAME": "Lovelace"},
        {"Email": existing, "FIRSTNAME": "Renamed"},
        {"Email": "not-an-email", "FIRSTNAME": "X"},
        {"Email": "ada@example.com", "FIRSTNAME": "Again"},
        {"Email": unsubscribed, "FIRSTNAME": "Gone"},
    ]
    started = client.import_contacts(book["id"], rows)
    assert started["status"] == "NotFinished"
    with pytest.raises(NotFoundError) as early:
        client.import_report(started["id"])
    assert early.value.code == "ERROR_IMPORT_REPORT_NOT_FOUND"
    assert _wait_finished(client, started["id"]) == "Finished"
    report = client.import_report(started["id"])
    assert (report["newContacts"], report["updatedContacts"]) == (1, 1)
    assert (report["invalidEntries"], report["duplicateEmails"], report["unsubscribed"]) == (1, 1, 1)
    faults = client.import_report_faults(started["id"]).splitlines()
    assert faults[0] == "Reason,email,firstname,lastname"
    assert len(faults) == 4
    members = [c for page in client.address_book_contacts(book["id"]) for c in page]
    assert {c["email"] for c in members} == {"ada@example.com", existing}
    renamed = client.get_contact(existing)
    assert {f["key"]: f["value"] for f in renamed["dataFields"]}["FIRSTNAME"] == "Renamed"


def test_import_without_email_column_is_refused(sandbox):
    client = sandbox.client()
    with pytest.raises(ValidationError) as caught:
        client.import_contacts(1001, b"Name,City\r\nAda,London\r\n")
    assert caught.value.code == "ERROR_NO_EMAIL_COLUMN"


def test_remove_contacts_from_a_book(sandbox):
    client = sandbox.client()
    before = client.get_address_book(1001)["contacts"]
    removal = client.remove_contacts(1001, [1, 2, 3])
    assert removal["status"] == "Started"
    assert client.removal_status(removal["id"])["status"] == "Completed"
    assert client.get_address_book(1001)["contacts"] == before - 3
    remaining = set(_ids(client.address_book_contacts(1001, with_full_data=False)))
    assert not remaining & {1, 2, 3}
