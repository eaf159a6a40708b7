"""Marketing > Dotdigital > Email Studio in a real browser: connect once, approve in the sandbox, land in its app."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backoffice import roles
from dotdigital.models import EmailStudioConnection
from integrations import services
from tests.browser.conftest import log_in
from tests.browser.test_integrations_browser import open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def integration(settings, sandbox, make_user):
    settings.DOTDIGITAL_API_URL = sandbox.url
    admin = make_user(roles.ADMINISTRATOR, username="admin1", first_name="Ada", last_name="Admin")
    config = sandbox.app.config
    return services.create_integration(
        type_key="dotdigital",
        name="Dotdigital EU",
        default_owner=admin,
        settings={
            "username": sandbox.username,
            "client_id": config.oauth_client_id,
            "custom_domain": "https://r1-app.dotdigital.com/",
        },
        secrets={"password": sandbox.password, "client_key": config.oauth_client_secret},
        discovered_settings={"api_endpoint": sandbox.url},
        user=admin,
    )


def test_a_marketer_connects_once_and_works_in_email_studio(page, screenshot, make_user, sandbox, integration):
    marketer = make_user(roles.MARKETING_MANAGER, username="marketer1", first_name="Mia", last_name="Marketer")
    log_in(page, "marketer1")

    open_menu(page, "Marketing", "Email Studio")
    expect(page.locator("h1")).to_have_text("Email Studio")
    expect(page.get_by_test_id("connect")).to_have_text("Connect to Email Studio")
    screenshot(page, "email-studio-01-not-connected")

    page.get_by_test_id("connect").click()
    page.wait_for_url(re.compile(r"/OAuth2/authorise\.aspx\?"))
    assert page.url.startswith(f"{sandbox.url}/OAuth2/authorise.aspx")
    expect(page.get_by_role("heading")).to_have_text("Allow access to your Dotdigital account?")
    screenshot(page, "email-studio-02-sandbox-approve")
    page.get_by_role("button", name="Approve").click()

    page.wait_for_url(re.compile(rf"/dotdigital/email-studio/{integration.pk}/$"))
    expect(page.locator("#messages")).to_contain_text("Connected to the Email Studio of Dotdigital EU.")
    frame = page.frame_locator("[data-testid=email-studio-frame]")
    expect(frame.get_by_role("heading")).to_have_text("Email Studio (sandbox)")
    expect(frame.get_by_text("You are signed in")).to_be_visible()
    expect(page.get_by_test_id("open-in-new-tab")).to_have_text("Open in a new tab")
    box = page.get_by_test_id("email-studio-frame").bounding_box()
    assert box is not None and box["width"] > 1000 and box["height"] > 500  # it fills the content area
    assert EmailStudioConnection.objects.filter(user=marketer).count() == 1
    screenshot(page, "email-studio-03-signed-in")

    # The next visit: straight into Email Studio, without connecting again.
    page.goto("/")
    open_menu(page, "Marketing", "Email Studio")
    expect(page.get_by_test_id("connect")).to_have_count(0)
    expect(page.frame_locator("[data-testid=email-studio-frame]").get_by_role("heading")).to_have_text(
        "Email Studio (sandbox)"
    )
    screenshot(page, "email-studio-04-next-visit")

    # Open in a new tab: the sandbox's app on its own, signed in.
    with page.context.expect_page() as new_tab:
        page.get_by_test_id("open-in-new-tab").click()
    tab = new_tab.value
    tab.wait_for_load_state()
    assert tab.url.startswith(f"{sandbox.url}/?oauthtoken=")
    expect(tab.get_by_role("heading")).to_have_text("Email Studio (sandbox)")
    tab.close()

    # Disconnect asks first, then forgets the sign-in.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("disconnect").click()
    expect(page.locator("#messages")).to_contain_text("Disconnected from the Email Studio of Dotdigital EU.")
    expect(page.get_by_test_id("connect")).to_be_visible()
    assert not EmailStudioConnection.objects.exists()
    screenshot(page, "email-studio-05-disconnected")
