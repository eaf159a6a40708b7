"""A fake integration type, so the generic machinery is tested without any real platform."""

from __future__ import annotations

import pytest
from django import forms

from integrations import services
from integrations.forms import TypeSettingsForm
from integrations.registry import ConnectionResult, IntegrationType, registry

GOOD_TOKEN = "token-that-works-1234"


class FakeSettingsForm(TypeSettingsForm):
    endpoint = forms.URLField(label="Endpoint", assume_scheme="https")
    token = forms.CharField(label="Token", min_length=8)


class FakeType(IntegrationType):
    key = "fake"
    label = "Fake Platform"
    settings_form = FakeSettingsForm
    secret_fields = ("token",)
    connection_fields = ("endpoint", "token")
    check_connection_after = "token"
    discovered_setting_labels = {"account": "Account"}

    def __init__(self) -> None:
        self.checked: list[dict] = []

    def check_connection(self, values):
        self.checked.append(dict(values))
        if values.get("token") == GOOD_TOKEN:
            return ConnectionResult(
                ok=True,
                message="Connection Successful",
                details=(("Account", "Fake Ltd"),),
                discovered_settings={"account": "Fake Ltd"},
            )
        return ConnectionResult(ok=False, message="The token was refused.")


@pytest.fixture
def fake_type():
    integration_type = registry.register(FakeType())
    yield integration_type
    registry.unregister(FakeType.key)


@pytest.fixture
def make_integration(administrator, fake_type):
    def make(name: str = "Fake one", **overrides):
        values = {
            "type_key": "fake",
            "name": name,
            "default_owner": administrator,
            "settings": {"endpoint": "https://fake.example.com/"},
            "secrets": {"token": GOOD_TOKEN},
            "user": administrator,
        }
        values.update(overrides)
        return services.create_integration(**values)

    return make
