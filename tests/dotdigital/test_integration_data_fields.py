"""Marketing > Dotdigital > Data Fields: read live from each active Dotdigital account."""

from __future__ import annotations

import pytest
from django.urls import reverse

from backoffice import roles
from integrations import services
from integrations.models import Integration

pytestmark = pytest.mark.django_db

URL = reverse("dotdigital:data_fields")


@pytest.fixture
def dotdigital_integration(settings, sandbox, administrator):
    settings.DOTDIGITAL_API_URL = sandbox.url
    return services.create_integration(
        type_key="dotdigital",
        name="Dotdigital EU",
        default_owner=administrator,
        settings={"username": sandbox.username, "custom_domain": "https://r1-app.dotdigital.com/"},
        secrets={"password": sandbox.password},
        discovered_settings={"api_endpoint": sandbox.url},
        user=administrator,
    )


def test_lists_name_type_visibility_and_default_value(client, marketer, sandbox, dotdigital_integration):
    sandbox.client().create_data_field("IS_VIP", type="Boolean", visibility="Public", default=True)
    client.force_login(marketer)
    response = client.get(URL)
    assert response.status_code == 200
    [account] = response.context["accounts"]
    assert account["error"] == ""
    fields = {f["name"]: f for f in account["fields"]}
    assert {"FIRSTNAME", "LASTNAME", "LASTSUBSCRIBED", "IS_VIP"} <= set(fields)
    assert fields["IS_VIP"] == {"name": "IS_VIP", "type": "Boolean", "visibility": "Public", "default": "Yes"}
    assert fields["LASTSUBSCRIBED"]["type"] == "Date"
    body = response.content.decode()
    for header in ("Name", "Type", "Visibility", "Default value"):
        assert f">{header}</th>" in body
    assert "Dotdigital EU" in body and "IS_VIP" in body
    assert sandbox.password not in body


def test_a_clear_message_when_dotdigital_is_unreachable(client, marketer, sandbox, dotdigital_integration):
    sandbox.running.stop()
    client.force_login(marketer)
    response = client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "The data fields could not be read from Dotdigital." in body
    assert "Dotdigital could not be reached" in body


def test_inactive_integrations_are_not_listed(client, administrator, dotdigital_integration):
    services.set_enabled(dotdigital_integration, False, user=administrator)
    client.force_login(administrator)
    response = client.get(URL)
    assert response.context["accounts"] == []
    assert "No active Dotdigital integration." in response.content.decode()


@pytest.mark.parametrize(
    ("role", "status"), [(roles.ADMINISTRATOR, 200), (roles.MARKETING_MANAGER, 200), (roles.OPERATIONS, 403)]
)
def test_permissions(client, role_users, role, status):
    client.force_login(role_users[role])
    assert client.get(URL).status_code == status
    assert not Integration.objects.exists()
