"""The real main menu as the apps register it: each role sees exactly its items; other URLs typed by hand are 403."""

import pytest
from django.test import RequestFactory

from backoffice import roles
from backoffice.menu import menu
from integrations import services

pytestmark = pytest.mark.django_db

MARKETING = {"Marketing > Contacts", "Marketing > Marketing Lists", "Marketing > Email Campaigns"}
SYSTEM = {"System > Integrations > Manage Integrations"}
DOTDIGITAL = {
    "Marketing > Dotdigital > Email Studio",
    "Marketing > Dotdigital > Data Fields",
    "Marketing > Dotdigital > Data Field Mappings",
    "Marketing > Dotdigital > Address Books",
}

EXPECTED_WITHOUT_DOTDIGITAL = {
    roles.ADMINISTRATOR: MARKETING | SYSTEM,
    roles.MARKETING_MANAGER: MARKETING,
    roles.OPERATIONS: MARKETING | SYSTEM,
}
EXPECTED_WITH_DOTDIGITAL = {
    roles.ADMINISTRATOR: MARKETING | SYSTEM | DOTDIGITAL,
    roles.MARKETING_MANAGER: MARKETING | DOTDIGITAL,
    roles.OPERATIONS: MARKETING | SYSTEM,
}


def seen_items(user) -> dict[str, str]:
    """'Group > Sub-group > Item' -> URL, for everything the user's menu shows."""
    request = RequestFactory().get("/")
    request.user = user
    seen = {}
    for node in menu.tree(request):
        seen.update({f"{node.label} > {item.label}": item.url for item in node.items})
        for child in node.children:
            seen.update({f"{node.label} > {child.label} > {item.label}": item.url for item in child.items})
    return seen


def add_active_dotdigital_integration(owner):
    return services.create_integration(
        type_key="dotdigital",
        name="Dotdigital EU",
        default_owner=owner,
        settings={"username": "apiuser-1@apiconnector.com", "custom_domain": "https://r1-app.dotdigital.com/"},
        secrets={"password": "a-long-password-1"},
        user=owner,
    )


@pytest.mark.parametrize("with_dotdigital", [False, True], ids=["no-integration", "active-dotdigital"])
def test_each_role_sees_exactly_its_items(role_users, with_dotdigital):
    if with_dotdigital:
        add_active_dotdigital_integration(role_users[roles.ADMINISTRATOR])
    expected = EXPECTED_WITH_DOTDIGITAL if with_dotdigital else EXPECTED_WITHOUT_DOTDIGITAL
    for role, user in role_users.items():
        assert set(seen_items(user)) == expected[role], role


def test_every_menu_url_opens_for_those_who_see_it_and_is_403_for_the_others(client, role_users, settings):
    # No page here should call Dotdigital; if one did, it would meet a closed loopback port, never the internet.
    settings.DOTDIGITAL_API_URL = "http://127.0.0.1:9"
    add_active_dotdigital_integration(role_users[roles.ADMINISTRATOR])
    urls = {}
    for user in role_users.values():
        urls.update(seen_items(user))
    assert set(urls) == MARKETING | SYSTEM | DOTDIGITAL
    for role, user in role_users.items():
        client.force_login(user)
        visible = seen_items(user)
        for label, url in urls.items():
            status = client.get(url).status_code
            if label in visible:
                assert status == 200, (role, label, status)
            else:
                assert status == 403, (role, label, status)
                assert b"You do not have permission to open this page." in client.get(url).content


def test_the_dotdigital_group_goes_when_the_last_dotdigital_integration_is_deactivated(role_users):
    admin = role_users[roles.ADMINISTRATOR]
    integration = add_active_dotdigital_integration(admin)
    assert set(seen_items(admin)) >= DOTDIGITAL
    services.set_enabled(integration, False, user=admin)
    assert not DOTDIGITAL & set(seen_items(admin))
    services.set_enabled(integration, True, user=admin)
    assert set(seen_items(admin)) >= DOTDIGITAL
