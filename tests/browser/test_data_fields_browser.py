"""A marketer on Marketing > Dotdigital: the Data Fields grid, Create Data Field with the Date widget, and a data
field mapping with a row added in place (htmx). No Content-Security-Policy violation (the `page` fixture)."""

import pytest

from backoffice import roles
from dotdigital.models import DataField
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def integration(sandbox, connect_sandbox):
    return connect_sandbox(sandbox)


def test_data_fields_grid_create_with_the_date_widget_and_mapping_rows(
    page, screenshot, make_user, integration, sandbox
):
    make_user(roles.MARKETING_MANAGER, username="marketer1")
    for name, type_, default in (
        ("FIRSTNAME", "String", None),
        ("LASTNAME", "String", None),
        ("IS_VIP", "Boolean", True),
        ("LASTSUBSCRIBED", "Date", None),
    ):
        DataField.objects.create(
            integration=integration, name=name, type=type_, visibility="Public", default_value=default
        )
    log_in(page, "marketer1")

    page.click("[data-menu-group=Marketing] > a")
    page.click("[data-menu-item='Data Fields']")
    grid = page.locator("[data-testid=data-fields-grid]")
    assert grid.is_visible()
    assert "Yes" in page.locator("tr[data-field=IS_VIP]").inner_text()
    assert page.locator("[data-testid=action-synchronize]").is_visible()
    screenshot(page, "dotdigital-data-fields-grid")

    page.click(".page-actions a:has-text('Create Data Field')")
    page.fill("#id_name", "renewal_date")
    page.select_option("#id_type", "Date")
    default = page.locator("#id_default")
    assert default.get_attribute("type") == "date"  # the widget followed the type, without a reload
    default.fill("2026-06-30")
    assert "YYYY-MM-DD" in page.locator("#id_default_helptext").inner_text()
    screenshot(page, "dotdigital-create-data-field-date")
    page.select_option("#id_type", "Boolean")
    assert page.locator("select#id_default").count() == 1
    page.select_option("#id_type", "Date")
    page.fill("#id_default", "2026-06-30")
    page.click("button[value=save_close]")
    assert "Data field RENEWAL_DATE created in Dotdigital." in page.locator("#messages").inner_text()
    assert str(sandbox.store.fields["RENEWAL_DATE"].default).startswith("2026-06-30T00:00:00")

    page.goto("/dotdigital/data-field-mappings/")
    page.locator("[data-testid=empty-state] a", has_text="Create Data Field Mapping").click()
    page.select_option("#id_integration", label="Dotdigital EU")
    page.click("button:has-text('Continue')")
    rows = page.locator("[data-testid=mapping-row]")
    assert rows.count() == 2
    assert page.locator("[data-delete-box]").first.is_hidden()  # JavaScript: a Remove button instead
    page.select_option("#id_rows-0-data_field", label="FIRSTNAME (String)")
    page.select_option("#id_rows-0-contact_fields", ["first_name"])
    page.select_option("#id_rows-1-data_field", label="LASTNAME (String)")
    page.select_option("#id_rows-1-contact_fields", ["last_name"])
    page.click("[data-testid=add-row]")
    page.wait_for_selector("#id_rows-2-data_field")
    assert rows.count() == 3
    assert page.locator("#id_rows-TOTAL_FORMS").input_value() == "3"
    page.select_option("#id_rows-2-data_field", label="IS_VIP (Boolean)")
    page.select_option("#id_rows-2-contact_fields", ["company"])
    screenshot(page, "dotdigital-mapping-row-added")
    page.click("button[value=save]")
    assert "does not fit the Boolean data field" in page.locator("[data-mapping-row='2']").inner_text()
    screenshot(page, "dotdigital-mapping-row-error")
    page.locator("[data-mapping-row='2'] [data-remove-row]").click()
    assert page.locator("[data-mapping-row='2']").is_hidden()
    page.click("button[value=save_close]")
    assert "Data field mapping of Dotdigital EU saved." in page.locator("#messages").inner_text()
    assert "First name → FIRSTNAME" in page.locator("[data-testid=mappings-grid]").inner_text()
    screenshot(page, "dotdigital-mappings-grid")
