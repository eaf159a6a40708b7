"""Oro's guide "Configure Dotdigital Integration in the Back-Office", followed literally against the sandbox."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backoffice import roles
from integrations.models import Integration
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def whole_page(page) -> None:
    """Make the viewport as tall as the page, so the sticky action bar sits at the bottom of a screenshot."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": max(860, height)})


def open_menu(page, group: str, item: str) -> None:
    page.locator(f"[data-testid=main-menu] > li[data-menu-group='{group}'] > a.dropdown-toggle").click()
    page.locator(f".dropdown-menu.show [data-menu-item='{item}']").click()


def test_admin_follows_the_guide_against_the_sandbox(page, screenshot, make_user, settings, sandbox):
    settings.DOTDIGITAL_API_URL = sandbox.url
    make_user(roles.ADMINISTRATOR, username="admin1", first_name="Ada", last_name="Admin")
    log_in(page, "admin1")
    menu = page.locator("[data-testid=main-menu]")
    expect(menu.locator("[data-menu-group='Dotdigital']")).to_have_count(0)

    # System > Integrations > Manage Integrations
    open_menu(page, "System", "Manage Integrations")
    expect(page.locator("h1")).to_have_text("Manage Integrations")
    expect(page.get_by_test_id("empty-state")).to_contain_text("No integrations yet.")
    screenshot(page, "integrations-01-grid-empty")

    # Create Integration (upper-right), choose Dotdigital: its fields appear.
    page.locator(".page-actions").get_by_role("link", name="Create Integration").click()
    expect(page.locator("h1")).to_have_text("Create Integration")
    page.select_option("#id_type", label="Dotdigital")
    expect(page.locator("#id_username")).to_be_visible()
    expect(page).to_have_url(re.compile(r"type=dotdigital"))

    # Fill every field.
    page.fill("#id_name", "Dotdigital EU")
    page.fill("#id_username", sandbox.username)
    page.fill("#id_password", sandbox.password)
    page.fill("#id_client_id", "sandbox-client-id")
    page.fill("#id_client_key", "sandbox-client-secret")
    expect(page.locator("#id_custom_domain")).to_have_value("https://r1-app.dotdigital.com/")
    page.fill("#id_custom_domain", "https://r1-app.dotdigital.com/")
    page.select_option("#id_default_owner", label="Ada Admin (admin1)")

    # Check connection: the result appears without reloading the page and nothing is saved.
    page.evaluate("window.__notReloaded = true")
    page.get_by_role("button", name="Check connection").click()
    result = page.get_by_test_id("check-result")
    expect(result).to_contain_text("Connection Successful")
    expect(result).to_contain_text("Sandbox Account")
    expect(result).to_contain_text(sandbox.url)
    assert page.evaluate("window.__notReloaded") is True
    assert not Integration.objects.exists()
    expect(page.locator("#id_password")).to_have_value(sandbox.password)  # still typed, never sent back
    whole_page(page)
    screenshot(page, "integrations-02-connection-successful")

    # Save and Close: back to the grid, where the new integration appears.
    page.get_by_role("button", name="Save and Close").click()
    expect(page.locator("h1")).to_have_text("Manage Integrations")
    row = page.locator("[data-testid=integrations-grid] tr[data-integration='Dotdigital EU']")
    expect(row).to_contain_text("Dotdigital")
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("Ada Admin")
    expect(row).to_contain_text("Never")
    assert sandbox.password not in page.content()
    row.get_by_role("button", name="Actions for Dotdigital EU").click()
    for action in ("View", "Edit", "Deactivate", "Delete"):
        expect(row.locator(".dropdown-menu.show").get_by_text(action, exact=True)).to_be_visible()
    screenshot(page, "integrations-03-grid-with-integration")
    page.keyboard.press("Escape")

    # Marketing > Dotdigital appears.
    page.locator("[data-testid=main-menu] > li[data-menu-group='Marketing'] > a.dropdown-toggle").click()
    expect(page.locator(".dropdown-menu.show [data-menu-group='Dotdigital']")).to_be_visible()
    expect(page.locator(".dropdown-menu.show [data-menu-item='Data Fields']")).to_be_visible()
    screenshot(page, "integrations-04-marketing-dotdigital-menu")
    page.locator(".dropdown-menu.show [data-menu-item='Data Fields']").click()
    expect(page.locator("h1")).to_have_text("Data Fields")
    # Stored data fields: none before the first sync; Synchronize queues a job of that connector alone.
    expect(page.locator("main")).to_contain_text("No data fields yet. Press Synchronize")
    page.get_by_role("button", name="Synchronize").click()
    expect(page.locator("#messages")).to_contain_text("Synchronization queued")
    from integrations import services as integration_services
    from integrations.models import SyncJob

    job = SyncJob.objects.get()
    assert [step.connector for step in job.steps.all()] == ["data_fields"]
    integration_services.run_sync_job(job.pk)  # what the worker does
    page.reload()
    expect(page.get_by_test_id("data-fields-grid")).to_contain_text("FIRSTNAME")
    screenshot(page, "integrations-05-data-fields")


def test_view_edit_and_delete_pages(page, screenshot, make_user, settings, sandbox):
    settings.DOTDIGITAL_API_URL = sandbox.url
    admin = make_user(roles.ADMINISTRATOR, username="admin1", first_name="Ada", last_name="Admin")
    from integrations import services

    integration = services.create_integration(
        type_key="dotdigital",
        name="Dotdigital EU",
        default_owner=admin,
        settings={"username": sandbox.username, "client_id": "cid", "custom_domain": "https://r1-app.dotdigital.com/"},
        secrets={"password": sandbox.password, "client_key": "client-secret-xyz"},
        discovered_settings={"api_endpoint": sandbox.url, "account_name": "Sandbox Account"},
        user=admin,
    )
    log_in(page, "admin1")
    page.goto(f"/integrations/{integration.pk}/")
    for section in ("General", "Connection", "Synchronization", "History"):
        expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()
    expect(page.get_by_test_id("last-sync")).to_contain_text("Never")
    screenshot(page, "integrations-06-view")

    page.get_by_role("link", name="Edit").click()
    expect(page.locator("#id_password")).to_have_value("")
    expect(page.get_by_text("Leave blank to keep the current value.").first).to_be_visible()
    page.get_by_role("button", name="Check connection").click()
    expect(page.get_by_test_id("check-result")).to_contain_text("Connection Successful")
    page.fill("#id_name", "Dotdigital Europe")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("h1")).to_have_text("Edit Dotdigital Europe")
    whole_page(page)
    screenshot(page, "integrations-07-edit")
    content = page.content()
    assert sandbox.password not in content and "client-secret-xyz" not in content

    page.goto(f"/integrations/{integration.pk}/")
    expect(page.get_by_test_id("section-history")).to_contain_text("Name")
    page.get_by_role("button", name="Deactivate").click()
    expect(page.locator("#confirm-dialog")).to_contain_text("Its scheduled syncs stop")  # asks first
    page.get_by_test_id("confirm-dialog-ok").click()
    expect(page.get_by_test_id("section-general")).to_contain_text("Inactive")
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_test_id("delete-consequences")).to_contain_text("removes the data imported from Dotdigital")
    screenshot(page, "integrations-08-delete-confirmation")
    page.get_by_test_id("confirm-delete").click()
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    assert not Integration.objects.exists()


def test_choosing_the_type_and_a_failed_save_work_without_javascript(
    chromium, live_server, screenshot, make_user, settings, sandbox
):
    settings.DOTDIGITAL_API_URL = sandbox.url
    make_user(roles.ADMINISTRATOR, username="admin1", first_name="Ada", last_name="Admin")
    context = chromium.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 1280, "height": 860}
    )
    page = context.new_page()
    try:
        log_in(page, "admin1")
        page.goto("/integrations/create/")
        page.select_option("#id_type", label="Dotdigital")
        page.get_by_role("button", name="Choose").click()
        expect(page.locator("#id_username")).to_be_visible()
        page.fill("#id_name", "Offline")
        page.fill("#id_username", sandbox.username)
        page.fill("#id_password", "wrong-password-1")
        page.get_by_role("button", name="Save and Close").click()
        expect(page.get_by_test_id("save-failure")).to_contain_text("Authorization has been denied for this request.")
        expect(page.locator("#id_name")).to_have_value("Offline")
        expect(page.get_by_text("Leave blank to use the value you typed before.")).to_be_visible()
        whole_page(page)
        screenshot(page, "integrations-09-save-refused")
        page.get_by_role("button", name="Save anyway").click()
        expect(page.locator("h1")).to_have_text("Manage Integrations")
        assert Integration.objects.get().get_secrets()["password"] == "wrong-password-1"
    finally:
        context.close()
