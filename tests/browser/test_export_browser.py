"""A marketer connects a marketing list to Dotdigital from the list's page, creating the address book there; after
the export the list's panel shows the book, the last import and the row Dotdigital rejected, and the contact's page
shows why."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from backoffice import roles
from dotdigital.mappings import RowSpec, save_mapping
from dotdigital.models import AddressBook, AddressBookImport, DataField, DataFieldMapping, DataFieldMappingRow
from integrations.services import sync as sync_services
from marketing import services as marketing
from tests.browser.conftest import log_in
from tests.dotdigital.test_export import run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_marketer_connects_a_list_and_sees_the_export(
    page, screenshot, make_user, sandbox, connect_sandbox, monkeypatch
):
    monkeypatch.setattr(sync_services, "enqueue", lambda job_id, eta=None: None)
    owner = make_user(None, username="owner1", first_name="Olive", last_name="Owner")
    make_user(roles.MARKETING_MANAGER, username="marketer1", first_name="Mia", last_name="Marketer")
    sandbox.client().create_data_field("SCORE", "Numeric")
    integration = connect_sandbox(sandbox, owner=owner)
    run(integration, connectors=["address_books", "data_fields"])
    fields = {f.name: f for f in DataField.objects.filter(integration=integration)}
    save_mapping(integration, [RowSpec(fields["FIRSTNAME"], ("first_name",), False)], user=None)
    DataFieldMappingRow.objects.create(
        mapping=DataFieldMapping.objects.get(integration=integration),
        data_field=fields["SCORE"],
        contact_fields=["phone"],
    )
    spring = marketing.create_marketing_list(name="Spring Newsletter", owner=owner)
    contacts = [
        marketing.create_contact(owner=owner, email=f"reader{n}@example.org", first_name=f"Ann{n}", phone=phone)
        for n, phone in enumerate(["12", "notanumber", "7", "42"])
    ]
    marketing.add_contacts_to_list(spring, [c.pk for c in contacts])

    log_in(page, "marketer1")
    page.goto(f"/marketing/lists/{spring.pk}/")
    page.get_by_test_id("connect-to-dotdigital").click()
    expect(page.get_by_label("New book name")).to_be_hidden()  # only the fields of the chosen way show
    page.get_by_label("A new address book, created in Dotdigital").check()
    expect(page.get_by_label("Existing address book", exact=True)).to_be_hidden()
    page.get_by_label("New book name").fill("Spring readers")
    screenshot(page, "export-connect-form")
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_text("created in Dotdigital and connected to Spring Newsletter")).to_be_visible()
    book = AddressBook.objects.get(marketing_list=spring)
    assert sandbox.store.books[book.dotdigital_id].name == "Spring readers"

    run(integration)
    time.sleep(0.4)
    run(integration)
    assert AddressBookImport.objects.get().status == "Finished"

    page.goto(f"/marketing/lists/{spring.pk}/")
    panel = page.get_by_test_id("dotdigital-panel")
    expect(panel).to_contain_text("Spring readers")
    expect(panel.get_by_test_id("last-export")).to_contain_text("4 rows")
    expect(panel.get_by_test_id("last-export")).to_contain_text("Finished")
    expect(panel.get_by_test_id("rejected-rows")).to_contain_text("reader1@example.org")
    screenshot(page, "export-list-panel")
    panel.get_by_role("link", name="reader1@example.org").click()
    expect(page.get_by_test_id("export-faults")).to_contain_text("Invalid Numeric value for SCORE")
    screenshot(page, "export-contact-panel")
