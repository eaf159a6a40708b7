"""The Dotdigital integration form: the guide's fields, every validation message, secrets never sent back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from backoffice import roles
from integrations.models import Integration, IntegrationChange
from tests.dotdigital.test_integration_check import form_data

pytestmark = pytest.mark.django_db

CREATE_URL = reverse("integrations:create") + "?type=dotdigital"
CLIENT_SECRET = "client-secret-key-0042"


@pytest.fixture
def dd_settings(settings, sandbox):
    settings.DOTDIGITAL_API_URL = sandbox.url
    return settings


def full_data(sandbox, administrator, **overrides) -> dict:
    values = {
        "client_id": "client-id-0042",
        "client_key": CLIENT_SECRET,
        "default_owner": administrator.pk,
        "action": "save_close",
    }
    return form_data(sandbox, **{**values, **overrides})


def errors_of(response) -> dict[str, list[str]]:
    form = response.context["form"]
    return {
        **{k: list(v) for k, v in form.errors.items()},
        **{k: list(v) for k, v in form.settings_form.errors.items()},
    }


def test_the_create_page_shows_the_guides_fields_help_and_default_domain(admin_client, administrator):
    body = admin_client.get(CREATE_URL).content.decode()
    for label in ("Name", "Username", "Password", "Check connection", "Client ID", "Client Secret key"):
        assert label in body
    assert "Custom OAuth Domain" in body and "Default Owner" in body
    assert "Settings > Access > API users" in body
    assert "Enterprise licence" in body
    assert 'placeholder="https://r1-app.dotdigital.com/"' in body
    assert 'value="https://r1-app.dotdigital.com/"' in body
    order = [body.index(f'name="{n}"') for n in ("name", "username", "password", "client_id", "client_key")]
    assert order == sorted(order)
    assert body.index('name="password"') < body.index("Check connection") < body.index('name="client_id"')
    assert body.index('name="custom_domain"') < body.index('name="default_owner"')


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"username": "not-an-email"}, "username", "Enter the API user's email address"),
        ({"password": "short"}, "password", "at least 8 characters"),
        ({"password": ""}, "password", "This field is required."),
        ({"client_key": ""}, "client_key", "Enter the Client Secret key that goes with the Client ID."),
        ({"client_id": ""}, "client_id", "Enter the Client ID that goes with the Client Secret key."),
        ({"custom_domain": "http://r1-app.dotdigital.com/"}, "custom_domain", "Enter an https:// address"),
        ({"custom_domain": "https://login.example.com/"}, "custom_domain", "on a Dotdigital or dotmailer domain"),
        ({"custom_domain": "not a url"}, "custom_domain", "Enter a valid URL."),
        ({"custom_domain": "https://user:pw@r1-app.dotdigital.com/"}, "custom_domain", "without a user name"),
        ({"custom_domain": "https://evil.example@r1-app.dotdigital.com/"}, "custom_domain", "without a user name"),
        ({"custom_domain": "https://r1-app.dotdigital.com/?next=x"}, "custom_domain", "without a query string"),
        ({"custom_domain": "https://r1-app.dotdigital.com/#top"}, "custom_domain", "without a query string"),
    ],
)
def test_each_validation_message_is_beside_its_field(
    admin_client, dd_settings, sandbox, administrator, overrides, field, message
):
    response = admin_client.post(CREATE_URL, full_data(sandbox, administrator, **overrides))
    assert response.status_code == 200
    errors = errors_of(response)
    assert any(message in e for e in errors[field]), errors
    body = response.content.decode()
    assert message.replace("'", "&#x27;") in body
    assert not Integration.objects.exists()
    # Nothing typed is lost, except secrets.
    assert 'value="Dotdigital EU"' in body
    assert field == "client_id" or 'value="client-id-0042"' in body
    assert sandbox.password not in body and CLIENT_SECRET not in body


def test_a_name_already_used_and_an_inactive_owner_are_refused(
    admin_client, dd_settings, sandbox, administrator, make_user
):
    assert admin_client.post(CREATE_URL, full_data(sandbox, administrator)).status_code == 302
    retired = make_user(roles.ADMINISTRATOR, username="retired", is_active=False)
    response = admin_client.post(CREATE_URL, full_data(sandbox, administrator, default_owner=retired.pk))
    errors = errors_of(response)
    assert errors["name"] == ["An integration with this name already exists."]
    assert errors["default_owner"] == ["This user is inactive. Choose an active user as the Default Owner."]
    assert Integration.objects.count() == 1


def test_save_checks_the_connection_and_stores_the_discovered_endpoint(
    admin_client, dd_settings, sandbox, administrator
):
    response = admin_client.post(CREATE_URL, full_data(sandbox, administrator))
    assert response.status_code == 302 and response.url == reverse("integrations:list")
    integration = Integration.objects.get()
    assert integration.type == "dotdigital"
    assert integration.settings["api_endpoint"] == sandbox.url
    assert integration.settings["username"] == sandbox.username
    assert integration.settings["custom_domain"] == "https://r1-app.dotdigital.com/"
    assert "password" not in integration.settings and "client_key" not in integration.settings
    assert integration.get_secrets() == {"password": sandbox.password, "client_key": CLIENT_SECRET}


def test_save_with_a_wrong_password_is_refused_with_the_reason_and_save_anyway(
    admin_client, dd_settings, sandbox, administrator
):
    response = admin_client.post(CREATE_URL, full_data(sandbox, administrator, password="wrong-password-1"))
    body = response.content.decode()
    assert "Authorization has been denied for this request." in body and "Save anyway" in body
    assert "wrong-password-1" not in body and CLIENT_SECRET not in body
    assert body.count("Leave blank to use the value you typed before.") == 2
    assert not Integration.objects.exists()
    anyway = admin_client.post(
        CREATE_URL,
        full_data(
            sandbox,
            administrator,
            password="",
            client_key="",
            action="save_anyway",
            then="save_close",
            pending_secrets=response.context["pending_token"],
        ),
    )
    assert anyway.status_code == 302
    integration = Integration.objects.get()
    assert integration.get_secrets() == {"password": "wrong-password-1", "client_key": CLIENT_SECRET}
    assert "api_endpoint" not in integration.settings


def test_secrets_are_in_no_response_of_the_create_edit_and_view_flows(
    admin_client, dd_settings, sandbox, administrator
):
    secrets = (sandbox.password, CLIENT_SECRET)
    responses = [admin_client.get(CREATE_URL)]
    responses.append(admin_client.post(CREATE_URL, full_data(sandbox, administrator, password="wrong-password-1")))
    responses.append(admin_client.post(reverse("integrations:check_connection"), full_data(sandbox, administrator)))
    responses.append(admin_client.post(CREATE_URL, full_data(sandbox, administrator, action="check")))
    responses.append(admin_client.post(CREATE_URL, full_data(sandbox, administrator, username="bad")))
    responses.append(admin_client.post(CREATE_URL, full_data(sandbox, administrator, action="save"), follow=True))
    integration = Integration.objects.get()
    edit_url = reverse("integrations:edit", args=[integration.pk])
    responses.append(admin_client.get(edit_url))
    responses.append(
        admin_client.post(edit_url, full_data(sandbox, administrator, password="", client_key=""), follow=True)
    )
    responses.append(admin_client.post(edit_url, full_data(sandbox, administrator, name=""), follow=True))
    responses.append(admin_client.get(reverse("integrations:detail", args=[integration.pk])))
    responses.append(admin_client.get(reverse("integrations:list")))
    responses.append(admin_client.get(reverse("integrations:delete", args=[integration.pk])))
    responses.append(admin_client.get(reverse("dotdigital:data_fields")))
    for response in responses:
        assert response.status_code == 200, response.request["PATH_INFO"]  # a real page or fragment, not a redirect
        body = response.content.decode()
        assert body.strip()
        for secret in secrets:
            assert secret not in body, response.request["PATH_INFO"]
    assert len(responses) == 13


def test_edit_keeps_blank_secrets_and_logs_which_fields_changed(admin_client, dd_settings, sandbox, administrator):
    admin_client.post(CREATE_URL, full_data(sandbox, administrator))
    integration = Integration.objects.get()
    edit_url = reverse("integrations:edit", args=[integration.pk])
    page = admin_client.get(edit_url).content.decode()
    assert page.count("Leave blank to keep the current value.") == 2  # Password and Client Secret key
    response = admin_client.post(
        edit_url, full_data(sandbox, administrator, name="Dotdigital UK", password="", client_key="", action="save")
    )
    assert response.status_code == 302 and response.url == edit_url
    integration.refresh_from_db()
    assert integration.name == "Dotdigital UK"
    assert integration.get_secrets()["password"] == sandbox.password
    change = integration.changes.get(action=IntegrationChange.Action.UPDATED)
    assert change.fields == ["Name"]
    detail = admin_client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "Updated" in detail and ">Name</td>" in detail


def test_the_view_page_masks_secrets_and_shows_the_account(admin_client, dd_settings, sandbox, administrator):
    admin_client.post(CREATE_URL, full_data(sandbox, administrator))
    integration = Integration.objects.get()
    body = admin_client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert body.count("••••••••") == 2
    assert sandbox.username in body and "Sandbox Account" in body and sandbox.url in body
    assert "client-id-0042" in body


def test_operations_see_the_integration_but_not_its_credentials(
    admin_client, client, dd_settings, sandbox, administrator, operator
):
    admin_client.post(CREATE_URL, full_data(sandbox, administrator))
    integration = Integration.objects.get()
    client.force_login(operator)
    body = client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert integration.name in body and "Sandbox Account" in body
    assert sandbox.username not in body and "client-id-0042" not in body and sandbox.password not in body
    assert body.count("Hidden (administrators only)") == 2


def test_marketing_dotdigital_group_follows_active_integrations(client, dd_settings, sandbox, administrator, marketer):
    client.force_login(administrator)
    assert 'data-menu-group="Dotdigital"' not in client.get("/").content.decode()
    client.post(CREATE_URL, full_data(sandbox, administrator))
    integration = Integration.objects.get()
    for user in (administrator, marketer):
        client.force_login(user)
        body = client.get("/").content.decode()
        assert 'data-menu-group="Dotdigital"' in body and 'data-menu-item="Data Fields"' in body
        assert 'data-menu-item="Email Studio"' in body
    client.force_login(administrator)
    client.post(reverse("integrations:toggle", args=[integration.pk]), {"enabled": "0"})
    assert 'data-menu-group="Dotdigital"' not in client.get("/").content.decode()
    client.post(reverse("integrations:toggle", args=[integration.pk]), {"enabled": "1"})
    assert 'data-menu-group="Dotdigital"' in client.get("/").content.decode()


def test_clearing_client_id_and_secret_key_on_edit_removes_the_oauth_client(
    admin_client, dd_settings, sandbox, administrator
):
    assert admin_client.post(CREATE_URL, full_data(sandbox, administrator)).status_code == 302
    integration = Integration.objects.get()
    edit_url = reverse("integrations:edit", args=[integration.pk])
    assert "To remove the OAuth client, clear the Client ID" in admin_client.get(edit_url).content.decode()
    response = admin_client.post(
        edit_url, full_data(sandbox, administrator, password="", client_id="", client_key="", action="save")
    )
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.get_secrets() == {"password": sandbox.password}
    assert integration.settings["client_id"] == ""
    change = integration.changes.filter(action=IntegrationChange.Action.UPDATED).get()
    assert change.fields == ["Client ID", "Client Secret key removed"]
    assert CLIENT_SECRET not in str(change.fields)
    detail = admin_client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "Client Secret key removed" in detail


def test_a_blank_client_id_with_a_stored_key_but_a_typed_new_key_is_still_refused(
    admin_client, dd_settings, sandbox, administrator
):
    admin_client.post(CREATE_URL, full_data(sandbox, administrator))
    integration = Integration.objects.get()
    response = admin_client.post(
        reverse("integrations:edit", args=[integration.pk]),
        full_data(sandbox, administrator, password="", client_id="", client_key="a-new-client-key"),
    )
    assert errors_of(response)["client_id"] == ["Enter the Client ID that goes with the Client Secret key."]
    assert Integration.objects.get().get_secrets()["client_key"] == CLIENT_SECRET


def test_a_new_username_saved_anyway_forgets_the_old_accounts_endpoint(
    admin_client, dd_settings, sandbox, administrator
):
    admin_client.post(CREATE_URL, full_data(sandbox, administrator))
    integration = Integration.objects.get()
    assert integration.settings["api_endpoint"] == sandbox.url
    other_user = "apiuser-999999999999@apiconnector.com"
    edit_url = reverse("integrations:edit", args=[integration.pk])
    refused = admin_client.post(edit_url, full_data(sandbox, administrator, username=other_user, password=""))
    assert "Save anyway" in refused.content.decode()
    anyway = admin_client.post(
        edit_url,
        full_data(
            sandbox,
            administrator,
            username=other_user,
            password="",
            client_key="",
            action="save_anyway",
            then="save",
            pending_secrets=refused.context.get("pending_token", ""),
        ),
    )
    assert anyway.status_code == 302
    integration.refresh_from_db()
    assert integration.settings["username"] == other_user
    for key in ("api_endpoint", "account_name", "account_id", "main_email"):
        assert key not in integration.settings


def test_history_names_the_discovered_account_id_in_words(admin_client, dd_settings, sandbox, administrator):
    anyway = full_data(sandbox, administrator, password="wrong-password-1", action="save_anyway", then="save")
    assert admin_client.post(CREATE_URL, anyway).status_code == 302
    integration = Integration.objects.get()
    edit_url = reverse("integrations:edit", args=[integration.pk])
    assert admin_client.post(edit_url, full_data(sandbox, administrator, client_key="")).status_code == 302
    fields = [f for change in integration.changes.all() for f in change.fields]
    assert "Account ID" in fields and "API endpoint" in fields
    assert not any("_" in field for field in fields)  # no raw setting names
    detail = admin_client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "account_id" not in detail
