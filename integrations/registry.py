"""The integration type registry.

An integration type is a small stateless class: its key and label, the form that holds its settings, which of
those settings are secret, how to check a connection, and the menu items it adds. Each type registers itself
explicitly from its app's `AppConfig.ready()`:

    registry.register(DotdigitalType())

`integrations` knows the types only through this registry, so a new type is a new app and needs no migration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.http import HttpRequest

from backoffice.menu import MenuItem, menu

from .sync import Installation

if TYPE_CHECKING:
    from integrations.forms import TypeSettingsForm
    from integrations.models import Integration

# Field names of the generic integration form; a type's settings form may not reuse them.
RESERVED_FIELD_NAMES = frozenset({"type", "name", "enabled", "default_owner", "sync_interval_minutes", "action"})
SECRET_MASK = "••••••••"  # noqa: S105 - the dots shown instead of a secret
CREDENTIAL_HIDDEN = "Hidden (administrators only)"


@dataclass(frozen=True)
class ConnectionResult:
    """What a connection check found: success with details to show, or the reason it failed.

    `discovered_settings` are non-secret values learnt from the remote side (for example the account's API
    endpoint) that are stored with the integration when it is saved after a successful check.
    """

    ok: bool
    message: str
    details: tuple[tuple[str, str], ...] = ()
    discovered_settings: Mapping[str, Any] = field(default_factory=dict)


class IntegrationType:
    """Base class of an integration type. Subclasses set the class attributes and implement `check_connection`."""

    key: ClassVar[str] = ""
    label: ClassVar[str] = ""
    settings_form: ClassVar[type[TypeSettingsForm]]
    secret_fields: ClassVar[tuple[str, ...]] = ()
    # Non-secret settings that still identify the account's login (an API user name): shown only to editors.
    credential_fields: ClassVar[tuple[str, ...]] = ()
    # The fields a connection check needs, and the field after which the *Check connection* button is shown.
    connection_fields: ClassVar[tuple[str, ...]] = ()
    check_connection_after: ClassVar[str | None] = None
    # Labels of the settings that `check_connection` discovers, shown on the view page.
    discovered_setting_labels: ClassVar[Mapping[str, str]] = {}
    # The per-row object that reaches the remote side (clients, connectors); see `integrations.sync.Installation`.
    installation_class: ClassVar[type[Installation]] = Installation

    def installation(self, integration: Integration) -> Installation:
        """The installation for one integration row of this type."""
        return self.installation_class(integration)

    def connector_choices(self) -> list[tuple[str, str]]:
        """(key, label) of what this type's sync runs, in order (for forms and the command line)."""
        return [(c.key, c.label) for c in self.installation_class.connector_classes()]

    def check_connection(self, values: Mapping[str, Any]) -> ConnectionResult:
        """Try the settings in `values` (secrets in clear) against the remote service."""
        raise NotImplementedError

    def menu_items(self) -> list[MenuItem]:
        """Main-menu items this type adds; registered with the menu when the type is registered."""
        return []

    def due_connectors(self, integration: Integration) -> Sequence[str]:
        """Connector keys to run now, outside the sync interval (a local change to send, remote work to poll); the
        beat tick queues a job of just these when the integration has no job queued, running or waiting."""
        return ()

    def on_settings_changed(self, integration: Integration, changed: frozenset[str]) -> None:
        """Called by `services.update_integration`, inside its transaction, with the names of the settings and
        secrets whose values changed (never the values): a type drops what the old values made valid."""

    def on_deactivated(self, integration: Integration) -> None:
        """Called by `services.set_enabled` inside its transaction when the integration is deactivated. (Deleting
        an integration deletes the rows that point at it by cascade.)"""

    def describe_settings(self, integration: Integration, *, reveal_credentials: bool = True) -> list[tuple[str, str]]:
        """(label, value) pairs for the view page: every setting of the form, secrets masked, then discovered ones.

        Without `reveal_credentials` (people who may not edit the integration) the `credential_fields` are hidden too.
        """
        form_fields = self.settings_form.base_fields
        stored_secrets = integration.secret_names()
        unreadable = integration.secrets_unreadable
        rows: list[tuple[str, str]] = []
        for name, form_field in form_fields.items():
            label = str(form_field.label or name.replace("_", " ").capitalize())
            if name in self.secret_fields:
                shown = "Unreadable with the current key" if unreadable else "Not set"
                rows.append((label, SECRET_MASK if name in stored_secrets else shown))
            elif name in self.credential_fields and not reveal_credentials:
                rows.append((label, CREDENTIAL_HIDDEN))
            else:
                value = integration.settings.get(name)
                rows.append((label, _shown_setting(value)))
        for name, label in self.discovered_setting_labels.items():
            value = integration.settings.get(name)
            rows.append((label, str(value) if value not in (None, "") else "Not known yet (check the connection)"))
        return rows

    def __repr__(self) -> str:
        return f"<IntegrationType {self.key}>"


def _shown_setting(value: Any) -> str:
    """A stored setting in words: booleans as Yes/No, nothing as "Not set"."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value) if value not in (None, "") else "Not set"


class IntegrationTypeRegistry:
    """The registered integration types, by key."""

    def __init__(self) -> None:
        self._types: dict[str, IntegrationType] = {}

    def register(self, integration_type: IntegrationType) -> IntegrationType:
        key = integration_type.key
        if not key or not integration_type.label:
            raise ValueError(f"{integration_type!r} needs a key and a label")
        clash = RESERVED_FIELD_NAMES & set(integration_type.settings_form.base_fields)
        if clash:
            raise ValueError(f"The settings form of {key!r} reuses generic field names: {', '.join(sorted(clash))}")
        unknown = set(integration_type.secret_fields) - set(integration_type.settings_form.base_fields)
        if unknown:
            raise ValueError(f"Secret fields of {key!r} are not in its settings form: {', '.join(sorted(unknown))}")
        self._types[key] = integration_type
        for item in integration_type.menu_items():
            menu.register(item)
        return integration_type

    def unregister(self, key: str) -> None:
        self._types.pop(key, None)

    def get(self, key: str) -> IntegrationType | None:
        return self._types.get(key)

    def __getitem__(self, key: str) -> IntegrationType:
        return self._types[key]

    def __contains__(self, key: object) -> bool:
        return key in self._types

    def all(self) -> list[IntegrationType]:
        return sorted(self._types.values(), key=lambda t: t.label)

    def choices(self) -> list[tuple[str, str]]:
        return [(t.key, t.label) for t in self.all()]

    def label(self, key: str) -> str:
        """The label of a type; a type whose app is gone shows its key."""
        integration_type = self._types.get(key)
        return integration_type.label if integration_type else f"{key} (not installed)"


registry = IntegrationTypeRegistry()


def active_integration_exists(type_key: str):
    """A menu condition: true when at least one enabled integration of the type exists (one query per request,
    however many menu items of the type ask)."""

    def condition(request: HttpRequest) -> bool:
        from integrations.models import Integration

        answers = request.__dict__.setdefault("_active_integration_types", {})
        if type_key not in answers:
            answers[type_key] = Integration.objects.filter(type=type_key, enabled=True).exists()
        return answers[type_key]

    condition.__name__ = f"active_{type_key}_integration_exists"
    return condition
