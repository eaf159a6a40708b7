"""The Dotdigital integration type: its settings form, its secrets, its connection check and its menu items."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.views.decorators.debug import sensitive_variables

from backoffice.menu import MenuItem
from dotdigital.exceptions import (
    AuthenticationError,
    DotdigitalError,
    HostNotAllowedError,
    MalformedResponseError,
    RateLimitedError,
    UnavailableError,
)
from dotdigital.forms import DotdigitalSettingsForm
from dotdigital.installation import SOURCE, DotdigitalInstallation, interactive_client
from integrations.registry import ConnectionResult, IntegrationType, active_integration_exists

logger = logging.getLogger(__name__)

KEY = SOURCE


def explain(error: DotdigitalError) -> str:
    """The reason to show for a failed call, in Dotdigital's own words where it gave some."""
    if isinstance(error, AuthenticationError):
        return error.message or "Authorization has been denied for this request."
    if isinstance(error, HostNotAllowedError):
        return f"Refused to connect to a host that is not allowed. {error.message}"
    if isinstance(error, RateLimitedError):
        return f"Dotdigital is limiting the calls of this API user: {error.message} Try again later."
    if isinstance(error, UnavailableError):
        return f"Dotdigital could not be reached: {error.message}"
    if isinstance(error, MalformedResponseError):
        return f"Dotdigital answered something unexpected: {error.message}"
    return f"Dotdigital refused the request: {error.message}"


# The menu items' condition; it asks the database once per request however many items share it.
active_dotdigital_integration = active_integration_exists(KEY)


class DotdigitalIntegrationType(IntegrationType):
    key = KEY
    label = "Dotdigital"
    settings_form = DotdigitalSettingsForm
    installation_class = DotdigitalInstallation
    secret_fields = ("password", "client_key")
    credential_fields = ("username", "client_id")
    connection_fields = ("username", "password")
    check_connection_after = "password"
    discovered_setting_labels = {
        "api_endpoint": "API endpoint",
        "account_name": "Account name",
        "main_email": "Main email",
        "account_id": "Account ID",
    }

    @sensitive_variables()
    def check_connection(self, values: Mapping[str, Any]) -> ConnectionResult:
        """Call account-info with the API user; on success report the account and remember its API endpoint."""
        try:
            info = interactive_client(values.get("username", ""), values.get("password", "")).account_info()
        except DotdigitalError as error:
            logger.info("Dotdigital connection check failed: %s (%s)", type(error).__name__, error.status)
            return ConnectionResult(ok=False, message=explain(error))
        return ConnectionResult(
            ok=True,
            message="Connection Successful",
            details=(("Account name", info.name), ("Main email", info.main_email), ("API endpoint", info.api_endpoint)),
            discovered_settings={
                "account_id": info.id,
                "account_name": info.name,
                "main_email": info.main_email,
                "api_endpoint": info.api_endpoint,
            },
        )

    def on_settings_changed(self, integration, changed: frozenset[str]) -> None:
        """Another OAuth client, app host or account: every user's Email Studio sign-in is forgotten."""
        from dotdigital import sso

        if changed & sso.TOKEN_SETTINGS:
            sso.forget_sign_ins(integration)

    def due_connectors(self, integration) -> list[str]:
        """The export, when a person's change to a connected list waits (debounced) or imports are to be polled."""
        from dotdigital import exports

        return exports.due_connectors(integration)

    def on_deactivated(self, integration) -> None:
        from dotdigital import sso

        sso.forget_sign_ins(integration)

    def menu_items(self) -> list[MenuItem]:
        return [
            MenuItem(
                path=("Marketing", "Dotdigital"),
                label="Email Studio",
                url_name="dotdigital:email_studio",
                permissions=("dotdigital.use_email_studio",),
                condition=active_dotdigital_integration,
                order=10,
                icon="envelope-paper",
            ),
            MenuItem(
                path=("Marketing", "Dotdigital"),
                label="Data Fields",
                url_name="dotdigital:data_fields",
                permissions=("dotdigital.view_data_fields",),
                condition=active_dotdigital_integration,
                order=20,
                icon="input-cursor-text",
            ),
            MenuItem(
                path=("Marketing", "Dotdigital"),
                label="Data Field Mappings",
                url_name="dotdigital:mappings",
                permissions=("dotdigital.view_datafieldmapping",),
                condition=active_dotdigital_integration,
                order=30,
                icon="arrow-left-right",
            ),
            MenuItem(
                path=("Marketing", "Dotdigital"),
                label="Address Books",
                url_name="dotdigital:address_books",
                permissions=("dotdigital.view_addressbook",),
                condition=active_dotdigital_integration,
                order=40,
                icon="journal-bookmark",
            ),
        ]
