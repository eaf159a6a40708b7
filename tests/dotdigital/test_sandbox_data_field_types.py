"""Data-field values are stored and answered typed (Numeric a number, Date an ISO date-time, Boolean a bool) on
every path that writes them, and reserved fields cannot be deleted."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from dotdigital.exceptions import ValidationError


@pytest.fixture
def typed(sandbox):
    client = sandbox.client()
    client.create_data_field("SCORE", "Numeric")
    client.create_data_field("BIRTHDAY", "Date")
    client.create_data_field("VIP", "Boolean")
    return sandbox


def _values(contact: dict) -> dict:
    return {item["key"]: item["value"] for item in contact["dataFields"]}


def _everywhere(sandbox, email: str, since: datetime) -> list[dict]:
    """The contact as every contact listing answers it."""
    client = sandbox.client()
    found = [client.get_contact(email)]
    for pages in (
        client.contacts(),
        client.address_book_contacts(1001),
        client.contacts_modified_since(since),
        client.address_book_contacts_modified_since(1001, since),
    ):
        found += [c for page in pages for c in page if c["email"] == email]
    assert len(found) == 5
    return found


def test_json_create_stores_typed_values(typed):
    since = datetime.now(UTC) - timedelta(seconds=1)
    body = {
        "email": "typed@example.com",
        "dataFields": [
            {"key": "SCORE", "value": "7"},
            {"key": "BIRTHDAY", "value": "1990-04-02"},
            {"key": "VIP", "value": "TRUE"},
        ],
    }
    answer = requests.post(
        f"{typed.url}/v2/address-books/1001/contacts", json=body, auth=(typed.username, typed.password), timeout=5
    )
    assert answer.status_code == 200
    for contact in [answer.json(), *_everywhere(typed, "typed@example.com", since)]:
        values = _values(contact)
        assert values["SCORE"] == 7 and type(values["SCORE"]) is int
        assert values["BIRTHDAY"] == "1990-04-02T00:00:00.000Z"
        assert values["VIP"] is True


def test_decimals_and_offsets_are_normalised(typed):
    body = {
        "email": "dec@example.com",
        "dataFields": [{"key": "SCORE", "value": "4.50"}, {"key": "BIRTHDAY", "value": "2024-05-01T10:00:00+02:00"}],
    }
    answer = requests.post(f"{typed.url}/v2/contacts", json=body, auth=(typed.username, typed.password), timeout=5)
    values = _values(answer.json())
    assert values["SCORE"] == 4.5 and values["BIRTHDAY"] == "2024-05-01T08:00:00.000Z"


def _import(client, rows):
    started = client.import_contacts(1001, rows)
    deadline = time.monotonic() + 5
    while client.import_status(started["id"])["status"] == "NotFinished":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return started["id"]


def test_imports_store_typed_values_and_fault_the_rows_that_do_not_fit(typed):
    client = typed.client()
    since = datetime.now(UTC) - timedelta(seconds=1)
    rows = [
        {"Email": "good@example.com", "SCORE": "7", "BIRTHDAY": "2001-02-03", "VIP": "false"},
        {"Email": "badnum@example.com", "SCORE": "notanumber"},
        {"Email": "baddate@example.com", "BIRTHDAY": "someday"},
        {"Email": "badbool@example.com", "VIP": "perhaps"},
    ]
    import_id = _import(client, rows)
    report = client.import_report(import_id)
    assert report["newContacts"] == 1 and report["failures"] == 3
    faults = client.import_report_faults(import_id).splitlines()
    assert faults[0] == "Reason,email,score,birthday,vip"
    reasons = {line.split(",")[1]: line.split(",")[0] for line in faults[1:]}
    assert set(reasons) == {"badnum@example.com", "baddate@example.com", "badbool@example.com"}
    assert "SCORE" in reasons["badnum@example.com"] and "Numeric" in reasons["badnum@example.com"]
    for contact in _everywhere(typed, "good@example.com", since):
        values = _values(contact)
        assert (values["SCORE"], values["BIRTHDAY"], values["VIP"]) == (7, "2001-02-03T00:00:00.000Z", False)
    assert (
        requests.get(
            f"{typed.url}/v2/contacts/badnum@example.com", auth=(typed.username, typed.password), timeout=5
        ).status_code
        == 404
    )


def test_seeded_contacts_answer_a_numeric_default_as_a_number(typed):
    client = typed.client()
    client.create_data_field("POINTS", "Numeric", default="12")
    first = next(iter(client.contacts()))[0]
    assert _values(first)["POINTS"] == 12


@pytest.mark.parametrize("name", ["FIRSTNAME", "lastname", "FULLNAME", "GENDER", "POSTCODE"])
def test_a_reserved_field_cannot_be_deleted(sandbox, name):
    client = sandbox.client()
    with pytest.raises(ValidationError) as refused:
        client.delete_data_field(name)
    assert refused.value.status == 400 and refused.value.code == "ERROR_DATAFIELD_INVALID"
    assert name.upper() in refused.value.message
    assert name.upper() in [f["name"] for f in client.data_fields()]
