"""Check connection for the Dotdigital type, against the sandbox over real HTTP."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import Integration
from integrations.registry import registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def dd_settings(settings, sandbox):
    settings.DOTDIGITAL_API_URL = sandbox.url
    return settings


def form_data(sandbox, **overrides) -> dict:
    data = {
        "type": "dotdigital",
        "name": "Dotdigital EU",
        "username": sandbox.username,
        "password": sandbox.password,
        "client_id": "",
        "client_key": "",
        "custom_domain": "https://r1-app.dotdigital.com/",
        "default_owner": "",
        "sync_interval_minutes": "15",
    }
    data.update(overrides)
    return data


def test_the_type_is_registered_with_the_guide_words():
    dotdigital = registry["dotdigital"]
    assert dotdigital.label == "Dotdigital"
    labels = [str(f.label) for f in dotdigital.settings_form.base_fields.values()]
    assert labels == [
        "Username",
        "Password",
        "Client ID",
        "Client Secret key",
        "Custom OAuth Domain",
        "Create marketing contacts",
        "Only address books linked to a marketing list",
    ]
    assert dotdigital.secret_fields == ("password", "client_key")


def test_check_connection_success_shows_the_account(admin_client, dd_settings, sandbox):
    response = admin_client.post(reverse("integrations:check_connection"), form_data(sandbox), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Connection Successful" in body
    assert "Sandbox Account" in body  # the account's name
    assert sandbox.url in body  # the API endpoint account-info reported
    assert sandbox.password not in body
    assert not Integration.objects.exists()


def test_check_connection_wrong_password_shows_dotdigitals_message(admin_client, dd_settings, sandbox):
    response = admin_client.post(
        reverse("integrations:check_connection"), form_data(sandbox, password="wrong-password-1")
    )
    body = response.content.decode()
    assert "Authorization has been denied for this request." in body
    assert "Connection Successful" not in body
    assert "wrong-password-1" not in body


def test_check_connection_refuses_an_endpoint_on_a_host_not_allowed(admin_client, settings, make_sandbox):
    rogue = make_sandbox(seed=3, contacts=10, address_books=1, campaigns=0, api_endpoint="https://api.evil.example.com")
    settings.DOTDIGITAL_API_URL = rogue.url
    response = admin_client.post(reverse("integrations:check_connection"), form_data(rogue))
    body = response.content.decode()
    assert "Refused to connect" in body and "api.evil.example.com" in body
    assert "Connection Successful" not in body


def test_check_connection_when_the_sandbox_is_down(admin_client, settings, make_sandbox):
    down = make_sandbox(seed=4, contacts=10, address_books=1, campaigns=0)
    settings.DOTDIGITAL_API_URL = down.url
    down.running.stop()
    response = admin_client.post(reverse("integrations:check_connection"), form_data(down))
    body = response.content.decode()
    assert "Dotdigital could not be reached" in body
    assert "Connection Successful" not in body
    assert down.password not in body


def test_check_connection_on_edit_uses_the_stored_password(admin_client, dd_settings, sandbox, administrator):
    created = admin_client.post(
        reverse("integrations:create") + "?type=dotdigital",
        form_data(sandbox, default_owner=administrator.pk, action="save_close"),
    )
    assert created.status_code == 302
    integration = Integration.objects.get()
    response = admin_client.post(
        reverse("integrations:check_connection_existing", args=[integration.pk]), form_data(sandbox, password="")
    )
    assert "Connection Successful" in response.content.decode()
    assert sandbox.password not in response.content.decode()


def test_check_connection_and_save_with_a_non_latin1_password_answer_without_a_500(
    admin_client, dd_settings, sandbox, administrator
):
    check = admin_client.post(reverse("integrations:check_connection"), form_data(sandbox, password="pass€word"))
    assert check.status_code == 200
    assert "Authorization has been denied for this request." in check.content.decode()
    save = admin_client.post(
        reverse("integrations:create") + "?type=dotdigital",
        form_data(sandbox, password="pass€word", default_owner=administrator.pk, action="save_close"),
    )
    assert save.status_code == 200
    assert "Authorization has been denied for this request." in save.content.decode()
    assert not Integration.objects.exists()
