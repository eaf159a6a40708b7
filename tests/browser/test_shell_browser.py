"""Each role logs in, opens the main menu, and the screenshot is saved."""

import pytest

from backoffice import roles
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


MENUS = {
    roles.ADMINISTRATOR: {
        "Marketing": ["Contacts", "Marketing Lists", "Email Campaigns"],
        "System": ["Manage Integrations"],
    },
    roles.MARKETING_MANAGER: {"Marketing": ["Contacts", "Marketing Lists", "Email Campaigns"]},
    roles.OPERATIONS: {
        "Marketing": ["Contacts", "Marketing Lists", "Email Campaigns"],
        "System": ["Manage Integrations"],
    },
}


@pytest.mark.parametrize(
    ("role", "username"),
    [(roles.ADMINISTRATOR, "admin1"), (roles.MARKETING_MANAGER, "marketer1"), (roles.OPERATIONS, "ops1")],
)
def test_each_role_logs_in_and_opens_the_menu(page, screenshot, make_user, role, username):
    make_user(role, username=username)
    log_in(page, username)
    assert page.locator("h1").first.inner_text() == "Dashboard"
    assert role in page.locator("[data-testid=user-menu]").inner_text()
    groups = page.locator("[data-testid=main-menu] > li[data-menu-group]")
    assert [groups.nth(i).get_attribute("data-menu-group") for i in range(groups.count())] == list(MENUS[role])
    for index, (group, items) in enumerate(MENUS[role].items()):
        groups.nth(index).locator("a.dropdown-toggle").click()
        menu = page.locator(".dropdown-menu.show")
        assert menu.is_visible()
        assert menu.locator("[data-menu-item]").all_inner_texts() == items
        screenshot(page, f"shell-menu-{username}-{group.lower()}")
        page.keyboard.press("Escape")


def test_wrong_password_shows_the_error(page, screenshot, make_user):
    make_user(roles.MARKETING_MANAGER, username="marketer1")
    page.goto("/login/")
    page.fill("#id_username", "marketer1")
    page.fill("#id_password", "nope")
    page.click("button[type=submit]")
    assert "Please enter a correct username and password" in page.locator(".alert-danger").inner_text()
    screenshot(page, "shell-login-error")


def test_the_menu_collapses_on_a_tablet(page, screenshot, make_user):
    make_user(roles.ADMINISTRATOR, username="admin1")
    page.set_viewport_size({"width": 820, "height": 1180})
    log_in(page, "admin1")
    toggler = page.locator("button.navbar-toggler")
    assert toggler.is_visible()
    assert not page.locator("[data-testid=user-menu]").is_visible()
    toggler.click()
    page.locator("[data-testid=user-menu]").wait_for(state="visible")
    screenshot(page, "shell-tablet-menu")


def test_missing_page_has_the_shell_look(page, screenshot, make_user):
    make_user(roles.MARKETING_MANAGER, username="marketer1")
    log_in(page, "marketer1")
    response = page.goto("/no-such-page/")
    assert response.status == 404
    assert "This page does not exist." in page.content()
    assert page.locator("[data-testid=user-menu]").is_visible()
    screenshot(page, "shell-404")
