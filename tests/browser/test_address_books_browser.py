"""A marketer opens Marketing > Dotdigital > Address Books, connects a book to a new list and another to an existing
one, and turns Sync contacts off for a huge book."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backoffice import roles
from dotdigital.models import AddressBook
from integrations.models import Integration
from marketing.models import MarketingList
from tests.browser.conftest import log_in
from tests.marketing.conftest import MarketingListFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_marketer_connects_address_books(page, screenshot, make_user):
    owner = make_user(None, username="owner1", first_name="Olive", last_name="Owner")
    make_user(roles.MARKETING_MANAGER, username="marketer1", first_name="Mia", last_name="Marketer")
    eu = Integration.objects.create(
        name="Dotdigital EU", type="dotdigital", default_owner=owner, settings={"only_linked_address_books": True}
    )
    us = Integration.objects.create(name="Dotdigital US", type="dotdigital", default_owner=owner)
    now = timezone.now()
    spring = MarketingListFactory(name="Spring Newsletter", owner=owner)
    MarketingListFactory(name="Trade show leads", owner=owner)
    books = [
        (eu, 11, "Newsletter subscribers", "Private", 12_480, now - datetime.timedelta(minutes=3)),
        (eu, 12, "Webinar attendees", "Public", 734, now - datetime.timedelta(hours=2)),
        (us, 11, "All customers", "Private", 1_250_000, now - datetime.timedelta(days=1)),
        (us, 13, "Test", "Private", 3, None),
    ]
    for integration, book_id, name, visibility, contacts, synced in books:
        AddressBook.objects.create(
            integration=integration,
            dotdigital_id=book_id,
            name=name,
            visibility=visibility,
            contact_count=contacts,
            last_synced_at=synced,
        )
    log_in(page, "marketer1")

    page.locator("[data-testid=main-menu] > li[data-menu-group='Marketing'] > a.dropdown-toggle").click()
    page.locator(".dropdown-menu.show [data-menu-item='Address Books']").click()
    expect(page.locator("h1")).to_have_text("Address Books")
    expect(page.get_by_test_id("only-linked-note")).to_contain_text(
        "Only linked address books are synced for Dotdigital EU"
    )

    # A new list named after the book, owned by the Default Owner.
    row = page.locator("tr[data-book='Newsletter subscribers']")
    row.locator("button.dropdown-toggle").click()
    row.locator("a:has-text('Connect to marketing list')").click()
    expect(page.locator("h1")).to_have_text("Connect Newsletter subscribers to a marketing list")
    page.locator("input[name=mode][value=new]").check()
    expect(page.locator("#id_list_name")).to_have_value("Newsletter subscribers")
    screenshot(page, "dotdigital-address-book-connect")
    page.click("button:has-text('Connect')")
    expect(page.locator("#messages")).to_contain_text(
        "Marketing list Newsletter subscribers created and connected to the address book Newsletter subscribers."
    )
    created = MarketingList.objects.get(name="Newsletter subscribers")
    assert (created.owner, created.source) == (owner, "dotdigital")

    # An existing list: the one just created is not offered any more.
    row = page.locator("tr[data-book='All customers']")
    row.locator("button.dropdown-toggle").click()
    row.locator("a:has-text('Connect to marketing list')").click()
    options = page.locator("#id_marketing_list option").all_inner_texts()
    assert "Newsletter subscribers" not in options and "Spring Newsletter" in options
    page.locator("input[name=mode][value=existing]").check()
    page.select_option("#id_marketing_list", label="Spring Newsletter")
    page.click("button:has-text('Connect')")
    expect(page.locator("tr[data-book='All customers']")).to_contain_text("Spring Newsletter")

    # Sync contacts off for the test book.
    row = page.locator("tr[data-book='Test']")
    row.locator("button.dropdown-toggle").click()
    row.locator("button:has-text('Stop syncing contacts')").click()
    expect(page.locator("#messages")).to_contain_text("The next syncs leave out the contacts of Test.")
    expect(page.locator("tr[data-book='Test']")).to_contain_text("No")
    expect(page.locator("tr[data-book='Newsletter subscribers']")).to_contain_text("3 minutes ago")
    screenshot(page, "dotdigital-address-books")

    # The list's page shows its book.
    page.goto(spring.get_absolute_url())
    expect(page.get_by_test_id("dotdigital-panel")).to_contain_text("All customers")
    expect(page.get_by_test_id("dotdigital-panel")).to_contain_text("Dotdigital US")
    screenshot(page, "dotdigital-list-panel")
