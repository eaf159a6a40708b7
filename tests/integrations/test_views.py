"""System > Integrations pages, with a fake type: grid, create/edit, Check connection, view, activate, delete."""

from __future__ import annotations

import sys

import pytest
from django.core.signals import got_request_exception
from django.test import Client
from django.urls import reverse
from django.views.debug import ExceptionReporter

from backoffice import roles
from integrations import services
from integrations.models import Integration, IntegrationChange, SyncResult
from tests.integrations.conftest import GOOD_TOKEN

pytestmark = pytest.mark.django_db

BAD_TOKEN = "token-refused-0000"


def form_data(**overrides) -> dict:
    data = {
        "type": "fake",
        "name": "Fake account",
        "endpoint": "https://fake.example.com/",
        "token": GOOD_TOKEN,
        "default_owner": "",
        "sync_interval_minutes": "15",
        "action": "save_close",
    }
    data.update(overrides)
    return data


def assert_no_secret(response, *secrets):
    body = response.content.decode()
    for secret in secrets:
        assert secret not in body


# Permissions per role on every view -----------------------------------------------------------------------------


def view_urls(pk: int) -> dict[str, tuple[str, str]]:
    return {
        "list": ("get", reverse("integrations:list")),
        "create": ("get", reverse("integrations:create") + "?type=fake"),
        "detail": ("get", reverse("integrations:detail", args=[pk])),
        "edit": ("get", reverse("integrations:edit", args=[pk])),
        "delete": ("get", reverse("integrations:delete", args=[pk])),
        "check": ("post", reverse("integrations:check_connection")),
        "check_existing": ("post", reverse("integrations:check_connection_existing", args=[pk])),
        "toggle": ("post", reverse("integrations:toggle", args=[pk])),
    }


EXPECTED = {
    roles.ADMINISTRATOR: {
        "list": 200, "create": 200, "detail": 200, "edit": 200, "delete": 200,
        "check": 200, "check_existing": 200, "toggle": 302,
    },
    roles.OPERATIONS: {
        "list": 200, "create": 403, "detail": 200, "edit": 403, "delete": 403,
        "check": 403, "check_existing": 403, "toggle": 403,
    },
    roles.MARKETING_MANAGER: {
        "list": 403, "create": 403, "detail": 403, "edit": 403, "delete": 403,
        "check": 403, "check_existing": 403, "toggle": 403,
    },
}  # fmt: skip


@pytest.mark.parametrize("role", list(EXPECTED))
def test_permissions_per_role_on_every_view(client, role_users, make_integration, role):
    integration = make_integration()
    client.force_login(role_users[role])
    for name, (method, url) in view_urls(integration.pk).items():
        data = form_data(enabled="0") if method == "post" else None
        response = getattr(client, method)(url, data) if data else client.get(url)
        assert response.status_code == EXPECTED[role][name], f"{role} {name}"
    assert Integration.objects.filter(pk=integration.pk).exists()


@pytest.mark.parametrize("role", [roles.OPERATIONS, roles.MARKETING_MANAGER])
def test_create_edit_and_delete_by_post_are_refused_without_the_permission(client, role_users, make_integration, role):
    integration = make_integration()
    client.force_login(role_users[role])
    attempts = {
        "create": reverse("integrations:create") + "?type=fake",
        "edit": reverse("integrations:edit", args=[integration.pk]),
        "delete": reverse("integrations:delete", args=[integration.pk]),
    }
    for name, url in attempts.items():
        data = form_data(name="Taken over", token="token-by-someone-else", default_owner=role_users[role].pk)
        response = client.post(url, data)
        assert response.status_code == 403, f"{role} {name}"
    assert list(Integration.objects.values_list("name", flat=True)) == ["Fake one"]
    integration.refresh_from_db()
    assert integration.get_secrets() == {"token": GOOD_TOKEN}
    assert integration.changes.count() == 1  # only its creation


def test_anonymous_users_are_sent_to_the_login_page(client, make_integration):
    integration = make_integration()
    for _name, (method, url) in view_urls(integration.pk).items():
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_anonymous_users_learn_nothing_from_a_missing_integration(client, make_integration):
    integration = make_integration()
    missing = integration.pk + 1000
    for name in ("detail", "edit", "delete", "check_existing", "toggle"):
        method, url = view_urls(missing)[name]
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), name


def test_menu_item_is_shown_to_administrators_and_operations_only(client, role_users):
    for role, user in role_users.items():
        client.force_login(user)
        body = client.get(reverse("dashboard")).content.decode()
        assert ('data-menu-item="Manage Integrations"' in body) is (role != roles.MARKETING_MANAGER), role


# The grid --------------------------------------------------------------------------------------------------------


def test_empty_grid_says_what_to_do_next(admin_client, fake_type):
    body = admin_client.get(reverse("integrations:list")).content.decode()
    assert "No integrations yet." in body
    assert body.count("Create Integration") >= 2  # upper-right button and the empty state


def test_grid_columns_search_filters_and_sorting(
    admin_client, make_integration, administrator, django_assert_max_num_queries
):
    alpha = make_integration("Alpha shop")
    make_integration("Beta shop")
    gamma = make_integration("Gamma outlet")
    services.set_enabled(gamma, False, user=administrator)
    Integration.objects.filter(pk=alpha.pk).update(last_sync_result=SyncResult.FAILED, last_sync_at=alpha.created_at)

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("integrations:list"))
    body = response.content.decode()
    for header in ("Name", "Type", "Status", "Default Owner", "Last sync", "Created"):
        assert f">{header}</a>" in body
    assert "Fake Platform" in body and "Failed" in body and "Never" in body
    assert "Active" in body and "Inactive" in body

    names = lambda r: [row.name for row in r.context["table"].page.object_list.data]  # noqa: E731
    assert names(admin_client.get(reverse("integrations:list"), {"q": "shop"})) == ["Alpha shop", "Beta shop"]
    assert names(admin_client.get(reverse("integrations:list"), {"status": "inactive"})) == ["Gamma outlet"]
    assert names(admin_client.get(reverse("integrations:list"), {"status": "active", "type": "fake"})) == [
        "Alpha shop",
        "Beta shop",
    ]
    assert names(admin_client.get(reverse("integrations:list"), {"sort": "-name"}))[0] == "Gamma outlet"


def test_operations_see_no_edit_or_create_actions(client, operator, make_integration):
    integration = make_integration()
    client.force_login(operator)
    body = client.get(reverse("integrations:list")).content.decode()
    assert "Create Integration" not in body
    assert reverse("integrations:edit", args=[integration.pk]) not in body
    assert reverse("integrations:delete", args=[integration.pk]) not in body
    detail = client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "Edit" not in detail.split("<main")[1].split("Connection")[0]
    assert_no_secret(client.get(reverse("integrations:detail", args=[integration.pk])), GOOD_TOKEN)


# Create ----------------------------------------------------------------------------------------------------------


def test_create_starts_with_type_and_then_shows_its_fields(admin_client, fake_type):
    first = admin_client.get(reverse("integrations:create")).content.decode()
    assert 'name="type"' in first and "Fake Platform" in first
    assert 'name="token"' not in first
    second = admin_client.get(reverse("integrations:create"), {"type": "fake"}).content.decode()
    assert 'name="endpoint"' in second and 'name="token"' in second and 'name="name"' in second
    assert "Check connection" in second
    assert second.index('name="token"') < second.index("Check connection") < second.index('name="default_owner"')


def test_save_and_close_checks_the_connection_and_returns_to_the_grid(admin_client, administrator, fake_type):
    response = admin_client.post(
        reverse("integrations:create") + "?type=fake", form_data(default_owner=administrator.pk)
    )
    assert response.status_code == 302 and response.url == reverse("integrations:list")
    integration = Integration.objects.get(name="Fake account")
    assert integration.default_owner == administrator
    assert integration.settings["account"] == "Fake Ltd"
    assert fake_type.checked[-1]["token"] == GOOD_TOKEN
    grid = admin_client.get(response.url)
    assert "Fake account" in grid.content.decode()
    assert_no_secret(grid, GOOD_TOKEN)


def test_save_stays_on_the_edit_page(admin_client, administrator, fake_type):
    response = admin_client.post(
        reverse("integrations:create") + "?type=fake", form_data(action="save", default_owner=administrator.pk)
    )
    integration = Integration.objects.get(name="Fake account")
    assert response.status_code == 302 and response.url == reverse("integrations:edit", args=[integration.pk])


def test_failed_check_refuses_to_save_and_offers_save_anyway(admin_client, administrator, fake_type):
    url = reverse("integrations:create") + "?type=fake"
    response = admin_client.post(url, form_data(token=BAD_TOKEN, default_owner=administrator.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "The token was refused." in body and "Save anyway" in body
    assert 'value="Fake account"' in body  # what was typed is kept ...
    assert_no_secret(response, BAD_TOKEN)  # ... except the secret
    assert not Integration.objects.exists()

    pending = response.context["pending_token"]
    response = admin_client.post(
        url,
        form_data(
            token="", default_owner=administrator.pk, action="save_anyway", then="save_close", pending_secrets=pending
        ),
    )
    assert response.status_code == 302 and response.url == reverse("integrations:list")
    integration = Integration.objects.get()
    assert integration.get_secrets() == {"token": BAD_TOKEN}
    assert "account" not in integration.settings
    assert len(fake_type.checked) == 1  # Save anyway does not check again


def test_validation_errors_keep_typed_values_but_not_secrets(admin_client, administrator, make_integration):
    make_integration("Taken")
    response = admin_client.post(
        reverse("integrations:create") + "?type=fake",
        form_data(name="Taken", endpoint="not a url", token="short", default_owner=administrator.pk),
    )
    body = response.content.decode()
    assert "An integration with this name already exists." in body
    assert "Enter a valid URL." in body
    assert "Ensure this value has at least 8 characters" in body
    assert 'value="Taken"' in body and 'value="not a url"' in body
    assert 'value="short"' not in body


def test_inactive_default_owner_is_refused(admin_client, make_user, fake_type):
    retired = make_user(roles.ADMINISTRATOR, username="retired", is_active=False)
    response = admin_client.post(reverse("integrations:create") + "?type=fake", form_data(default_owner=retired.pk))
    assert "This user is inactive. Choose an active user as the Default Owner." in response.content.decode()
    assert not Integration.objects.exists()


def test_default_owner_defaults_to_the_current_user_and_lists_active_users(
    admin_client, administrator, make_user, fake_type
):
    make_user(roles.ADMINISTRATOR, username="retired", is_active=False)
    response = admin_client.get(reverse("integrations:create"), {"type": "fake"})
    form = response.context["form"]
    assert form["default_owner"].value() == administrator.pk
    offered = [label for _value, label in form.fields["default_owner"].widget.choices]
    assert any("admin1" in label for label in offered) and not any("retired" in label for label in offered)


# Check connection (htmx) -----------------------------------------------------------------------------------------


def test_check_connection_returns_a_fragment_and_saves_nothing(admin_client, fake_type):
    response = admin_client.post(reverse("integrations:check_connection"), form_data(), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Connection Successful" in body and "Fake Ltd" in body
    assert "<html" not in body
    assert not Integration.objects.exists()
    assert_no_secret(response, GOOD_TOKEN)
    failed = admin_client.post(reverse("integrations:check_connection"), form_data(token=BAD_TOKEN))
    assert "The token was refused." in failed.content.decode()
    assert_no_secret(failed, BAD_TOKEN)


def test_check_connection_reports_invalid_fields_instead_of_calling(admin_client, fake_type):
    response = admin_client.post(reverse("integrations:check_connection"), form_data(token=""))
    assert "Fix these fields before checking the connection" in response.content.decode()
    assert "Token" in response.content.decode()
    assert fake_type.checked == []


def test_check_connection_on_edit_uses_the_stored_secret_when_blank(admin_client, make_integration, fake_type):
    integration = make_integration()
    url = reverse("integrations:check_connection_existing", args=[integration.pk])
    response = admin_client.post(url, form_data(token=""))
    assert "Connection Successful" in response.content.decode()
    assert fake_type.checked[-1]["token"] == GOOD_TOKEN
    assert_no_secret(response, GOOD_TOKEN)


def test_check_connection_is_csrf_protected(administrator, fake_type):
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator)
    response = client.post(reverse("integrations:check_connection"), form_data())
    assert response.status_code == 403
    assert fake_type.checked == []


def test_check_connection_without_javascript_renders_the_page(admin_client, fake_type):
    response = admin_client.post(reverse("integrations:create") + "?type=fake", form_data(action="check"))
    body = response.content.decode()
    assert "Connection Successful" in body and "<html" in body
    assert not Integration.objects.exists()
    assert_no_secret(response, GOOD_TOKEN)


def test_check_connection_without_javascript_keeps_the_typed_secret_for_save(admin_client, administrator, fake_type):
    url = reverse("integrations:create") + "?type=fake"
    checked = admin_client.post(url, form_data(action="check", default_owner=administrator.pk))
    assert "Connection Successful" in checked.content.decode()
    assert "Leave blank to use the value you typed before." in checked.content.decode()
    assert_no_secret(checked, GOOD_TOKEN)
    token = checked.context["pending_token"]
    saved = admin_client.post(url, form_data(token="", pending_secrets=token, default_owner=administrator.pk))
    assert saved.status_code == 302
    assert Integration.objects.get().get_secrets() == {"token": GOOD_TOKEN}


def test_a_name_taken_between_validation_and_save_is_reported_beside_the_field(
    admin_client, administrator, fake_type, monkeypatch
):
    real_create = services.create_integration

    def create_after_a_concurrent_save(**kwargs):
        real_create(**{**kwargs, "secrets": {}})  # another person's save wins the race for the name
        return real_create(**kwargs)

    monkeypatch.setattr(services, "create_integration", create_after_a_concurrent_save)
    response = admin_client.post(
        reverse("integrations:create") + "?type=fake", form_data(default_owner=administrator.pk)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["An integration with this name already exists."]
    assert "An integration with this name already exists." in response.content.decode()
    assert_no_secret(response, GOOD_TOKEN)
    assert Integration.objects.get().secrets == ""  # only the other save's row
    assert response.context["pending_token"]  # the typed token is kept for the next Save


def test_error_reports_of_the_form_views_hide_the_secrets(admin_client, administrator, fake_type, monkeypatch):
    captured: list[str] = []

    def report(sender, request, **kwargs):
        captured.append(ExceptionReporter(request, *sys.exc_info()).get_traceback_html())

    def crash(values):
        raise RuntimeError("the remote side crashed")

    monkeypatch.setattr(fake_type, "check_connection", crash)
    got_request_exception.connect(report)
    try:
        for url, data in (
            (reverse("integrations:create") + "?type=fake", form_data(default_owner=administrator.pk)),
            (reverse("integrations:check_connection"), form_data()),
        ):
            with pytest.raises(RuntimeError):
                admin_client.post(url, data)
    finally:
        got_request_exception.disconnect(report)
    assert len(captured) == 2
    for html in captured:
        assert "the remote side crashed" in html and "Fake account" in html  # a real report, with the POST
        assert GOOD_TOKEN not in html


# Edit, view, activate, delete ------------------------------------------------------------------------------------


def test_edit_never_sends_secrets_back_and_blank_keeps_them(admin_client, administrator, make_integration):
    integration = make_integration(discovered_settings={"account": "Fake Ltd"})
    url = reverse("integrations:edit", args=[integration.pk])
    page = admin_client.get(url)
    assert "Leave blank to keep the current value." in page.content.decode()
    assert_no_secret(page, GOOD_TOKEN)
    response = admin_client.post(url, form_data(name="Renamed", token="", default_owner=administrator.pk))
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.name == "Renamed"
    assert integration.get_secrets() == {"token": GOOD_TOKEN}
    change = integration.changes.filter(action=IntegrationChange.Action.UPDATED).get()
    assert change.fields == ["Name"]


def test_view_page_sections_masks_secrets_and_shows_history(admin_client, administrator, make_integration):
    integration = make_integration(discovered_settings={"account": "Fake Ltd"})
    services.update_integration(integration, user=administrator, name="Renamed")
    response = admin_client.get(reverse("integrations:detail", args=[integration.pk]))
    body = response.content.decode()
    for section in ("General", "Connection", "Synchronization", "History"):
        assert f">{section}</h2>" in body
    assert "••••••••" in body and "https://fake.example.com/" in body and "Fake Ltd" in body
    assert "Every 15 minutes" in body and "Never" in body
    assert "Created" in body and "Updated" in body and "admin1" in body
    assert_no_secret(response, GOOD_TOKEN)


def test_activate_and_deactivate_from_the_grid(admin_client, make_integration):
    integration = make_integration()
    response = admin_client.post(reverse("integrations:toggle", args=[integration.pk]), {"enabled": "0"})
    assert response.status_code == 302
    assert Integration.objects.get(pk=integration.pk).enabled is False
    admin_client.post(reverse("integrations:toggle", args=[integration.pk]), {"enabled": "1"})
    assert Integration.objects.get(pk=integration.pk).enabled is True


def test_toggle_ignores_an_off_site_next(admin_client, make_integration):
    integration = make_integration()
    response = admin_client.post(
        reverse("integrations:toggle", args=[integration.pk]), {"enabled": "0", "next": "https://evil.example.com/"}
    )
    assert response.url == reverse("integrations:list")


def test_delete_asks_first_and_says_what_happens_to_imported_data(admin_client, make_integration):
    integration = make_integration()
    url = reverse("integrations:delete", args=[integration.pk])
    body = admin_client.get(url).content.decode()
    assert "removes the data imported from Fake Platform" in body
    assert "keeps the contacts, marketing lists and email campaigns" in body
    assert Integration.objects.filter(pk=integration.pk).exists()
    response = admin_client.post(url)
    assert response.status_code == 302 and response.url == reverse("integrations:list")
    assert not Integration.objects.filter(pk=integration.pk).exists()
    assert not IntegrationChange.objects.filter(integration_id=integration.pk).exists()


def test_secrets_unreadable_with_a_changed_key_are_reported_and_can_be_typed_again(
    admin_client, administrator, make_integration, settings
):
    from cryptography.fernet import Fernet

    integration = make_integration()
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    detail = admin_client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "The stored secrets cannot be decrypted with FIELD_ENCRYPTION_KEY." in detail
    assert "Unreadable with the current key" in detail
    edit_url = reverse("integrations:edit", args=[integration.pk])
    blank = admin_client.post(edit_url, form_data(token="", default_owner=administrator.pk))
    assert blank.status_code == 200 and "This field is required." in blank.content.decode()
    retyped = admin_client.post(edit_url, form_data(default_owner=administrator.pk))
    assert retyped.status_code == 302
    assert Integration.objects.get(pk=integration.pk).get_secrets() == {"token": GOOD_TOKEN}
