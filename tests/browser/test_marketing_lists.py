"""A marketer builds a marketing list in the browser: creates it, adds three contacts, unsubscribes one."""

import pytest

from backoffice import roles
from marketing import services
from tests.browser.conftest import log_in
from tests.marketing.conftest import ContactFactory, EmailCampaignFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def count(page, name: str) -> str:
    return page.locator(f"[data-testid=member-counts] [data-count={name}]").inner_text()


def test_marketer_creates_a_list_adds_three_contacts_and_unsubscribes_one(page, screenshot, make_user):
    marketer = make_user(roles.MARKETING_MANAGER, username="marketer1", first_name="Mia", last_name="Marketer")
    for first, last in (("Nora", "Silva"), ("Noah", "Novak"), ("Nia", "Patel"), ("Omar", "Berg")):
        ContactFactory(first_name=first, last_name=last, email=f"{first.lower()}@example.com", owner=marketer)
    log_in(page, "marketer1")

    page.click("[data-menu-group=Marketing] > a")
    page.click("[data-menu-item='Marketing Lists']")
    assert page.locator("[data-testid=empty-state]").is_visible()
    screenshot(page, "marketing-lists-empty")
    page.locator("[data-testid=empty-state] a", has_text="Create Marketing List").click()

    page.click("button[value=save_close]")  # nothing typed: the form says what is missing
    assert "This field is required." in page.locator("#div_id_name").inner_text()
    screenshot(page, "marketing-list-form-errors")
    page.fill("#id_name", "Spring Newsletter")
    page.fill("#id_description", "Customers who asked for seasonal news.")
    page.click("button[value=save_close]")
    assert page.locator("h1").inner_text() == "Spring Newsletter"
    assert count(page, "members") == "0"

    page.click(".page-actions a:has-text('Add Contacts')")
    page.fill("#id_q", "n")
    page.click("button:has-text('Search')")
    for email in ("nora@example.com", "noah@example.com", "nia@example.com"):
        page.locator("tr", has_text=email).locator("input[name=contact]").check()
    assert page.locator("tr", has_text="omar@example.com").count() == 0  # the search left him out
    screenshot(page, "marketing-list-add-contacts")
    page.click("button[value=add]")
    assert "3 contact(s) added to Spring Newsletter" in page.locator("#messages").inner_text()
    assert (count(page, "members"), count(page, "subscribed"), count(page, "unsubscribed")) == ("3", "3", "0")

    row = page.locator("tr[data-member='noah@example.com']")
    row.locator("button.dropdown-toggle").click()
    row.locator("a:has-text('Unsubscribe')").click()
    page.fill("#id_reason", "Asked by phone")
    screenshot(page, "marketing-member-unsubscribe")
    page.click("button:has-text('Unsubscribe')")
    assert "unsubscribed from Spring Newsletter" in page.locator("#messages").inner_text()
    assert (count(page, "members"), count(page, "subscribed"), count(page, "unsubscribed")) == ("3", "2", "1")
    noah = page.locator("tr[data-member='noah@example.com']")
    assert "Unsubscribed" in noah.inner_text() and "Asked by phone" in noah.inner_text()
    screenshot(page, "marketing-list-page")

    page.click("[data-menu-group=Marketing] > a")
    page.click("[data-menu-item='Marketing Lists']")
    grid_row = page.locator("[data-testid=lists-grid] tbody tr", has_text="Spring Newsletter")
    cells = grid_row.locator("td").all_inner_texts()
    assert cells[1:4] == ["3", "2", "1"]
    screenshot(page, "marketing-lists-grid")

    grid_row.locator("button.dropdown-toggle").click()
    grid_row.locator("a:has-text('Delete')").click()
    assert "Deleting a list keeps its contacts" in page.locator("[data-testid=confirm]").inner_text()
    screenshot(page, "marketing-list-delete-confirm")


def test_contacts_and_campaign_pages(page, screenshot, make_user):
    marketer = make_user(roles.MARKETING_MANAGER, username="marketer1", first_name="Mia", last_name="Marketer")
    names = [("Ada", "Adams"), ("Ben", "Baker"), ("Chen", "Costa"), ("Dara", "Dubois"), ("Eli", "Evans")]
    contacts = [
        ContactFactory(first_name=f, last_name=last, email=f"{f.lower()}@example.com", owner=marketer, company="Acme")
        for f, last in names
    ]
    log_in(page, "marketer1")

    page.goto("/marketing/contacts/")
    assert page.locator("[data-testid=contacts-grid] tbody tr").count() == 5
    screenshot(page, "marketing-contacts-grid")

    page.click(".page-actions a:has-text('Create Contact')")
    page.fill("#id_first_name", "Ada")
    page.fill("#id_email", "ADA@example.com")
    page.click("button[value=save_close]")
    assert "A contact with this email already exists." in page.locator("#div_id_email").inner_text()
    screenshot(page, "marketing-contact-form-errors")

    campaign = EmailCampaignFactory(name="Spring Sale", owner=marketer, source="manual", subject="20% off everything")
    services.record_campaign_statistics(
        rows=[
            {
                "campaign_id": campaign.pk,
                "sent": 5,
                "delivered": 4,
                "opens": 6,
                "unique_opens": 3,
                "clicks": 2,
                "unique_clicks": 1,
                "unsubscribes": 1,
                "hard_bounces": 1,
            }
        ]
    )
    services.upsert_campaign_activities(
        campaign_id=campaign.pk,
        rows=[
            {
                "contact_id": contacts[0].pk,
                "opens": 3,
                "first_opened_at": campaign.sent_at,
                "clicks": 2,
                "last_clicked_at": campaign.sent_at,
            },
            {
                "contact_id": contacts[1].pk,
                "opens": 1,
                "first_opened_at": campaign.sent_at,
                "unsubscribed_at": campaign.sent_at,
            },
            {"contact_id": contacts[4].pk, "bounce": "hard", "bounced_at": campaign.sent_at},
        ],
    )
    page.goto(f"/marketing/contacts/{contacts[0].pk}/")
    assert page.locator("h1").inner_text() == "Ada Adams"
    assert "Spring Sale" in page.locator("[data-testid=section-activity]").inner_text()
    screenshot(page, "marketing-contact-view")

    page.goto("/marketing/campaigns/")
    assert "Spring Sale" in page.locator("[data-testid=campaigns-grid]").inner_text()
    screenshot(page, "marketing-campaigns-grid")
    page.click("a:has-text('Spring Sale')")
    assert page.locator("[data-stat=unique_opens]").inner_text().startswith("3")
    assert "75.0%" in page.locator("[data-stat=unique_opens]").inner_text()
    assert page.locator("[data-testid=activity-grid] tbody tr").count() == 3
    screenshot(page, "marketing-campaign-view")
