"""Every write to integrations: the functions that views, commands and other apps call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from .. import crypto
from ..models import Integration, IntegrationChange
from ..registry import ConnectionResult, registry

GENERIC_LABELS = {"name": "Name", "default_owner": "Default Owner", "sync_interval_minutes": "Sync interval"}


def _setting_label(type_key: str, name: str) -> str:
    integration_type = registry.get(type_key)
    if integration_type:
        form_field = integration_type.settings_form.base_fields.get(name)
        if form_field is not None and form_field.label:
            return str(form_field.label)
        if name in integration_type.discovered_setting_labels:
            return str(integration_type.discovered_setting_labels[name])
    return name


@sensitive_variables()
@transaction.atomic
def create_integration(
    *,
    type_key: str,
    name: str,
    default_owner: AbstractBaseUser,
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    user: AbstractBaseUser | None,
    sync_interval_minutes: int | None = None,
    discovered_settings: Mapping[str, Any] | None = None,
) -> Integration:
    """Create an active integration and record who created it and which fields were set."""
    if type_key not in registry:
        raise ValueError(f"Unknown integration type {type_key!r}")
    integration = Integration(
        type=type_key,
        name=name,
        default_owner=default_owner,
        settings={**settings, **(discovered_settings or {})},
        created_by=user,
        updated_by=user,
    )
    if sync_interval_minutes is not None:
        integration.sync_interval_minutes = sync_interval_minutes
    integration.set_secrets(dict(secrets))
    integration.save()
    fields = ["Type", "Name", "Default Owner"]
    fields += [_setting_label(type_key, k) for k, v in settings.items() if v not in (None, "")]
    fields += [_setting_label(type_key, k) for k, v in secrets.items() if v]
    IntegrationChange.objects.create(
        integration=integration, user=user, action=IntegrationChange.Action.CREATED, fields=fields
    )
    return integration


@sensitive_variables()
@transaction.atomic
def update_integration(
    integration: Integration,
    *,
    user: AbstractBaseUser | None,
    name: str | None = None,
    default_owner: AbstractBaseUser | None = None,
    sync_interval_minutes: int | None = None,
    settings: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
    discovered_settings: Mapping[str, Any] | None = None,
    remove_secrets: Iterable[str] = (),
) -> list[str]:
    """Apply the changes, record which fields changed (labels only, never values), and return those labels.

    A blank secret keeps the stored value; a secret named in `remove_secrets` is deleted ("<label> removed").
    When a non-secret connection field (the API user name) changes without newly `discovered_settings` (saved
    without a successful check), the settings discovered for the old account are dropped, so the next call
    discovers them again instead of using another account's API endpoint. Nothing is written when nothing changed.
    The type's `on_settings_changed` hears the names of the settings and secrets that changed.
    """
    integration = Integration.objects.select_for_update().get(pk=integration.pk)
    integration_type = registry.get(integration.type)
    changed: list[str] = []
    changed_names: set[str] = set()  # settings and secrets, by name, for the type's on_settings_changed
    if name is not None and name != integration.name:
        integration.name = name
        changed.append(GENERIC_LABELS["name"])
    if default_owner is not None and default_owner.pk != integration.default_owner_id:
        integration.default_owner = default_owner
        changed.append(GENERIC_LABELS["default_owner"])
    if sync_interval_minutes is not None and sync_interval_minutes != integration.sync_interval_minutes:
        integration.sync_interval_minutes = sync_interval_minutes
        changed.append(GENERIC_LABELS["sync_interval_minutes"])
    new_settings = dict(integration.settings)
    for key, value in {**(settings or {}), **(discovered_settings or {})}.items():
        if new_settings.get(key) != value:
            new_settings[key] = value
            changed.append(_setting_label(integration.type, key))
            changed_names.add(key)
    if integration_type is not None and not discovered_settings:
        secret_names = set(integration_type.secret_fields)
        account_fields = [name for name in integration_type.connection_fields if name not in secret_names]
        if any(new_settings.get(name) != integration.settings.get(name) for name in account_fields):
            for key in integration_type.discovered_setting_labels:
                if new_settings.pop(key, None) not in (None, ""):
                    changed.append(_setting_label(integration.type, key))
                    changed_names.add(key)
    integration.settings = new_settings
    typed_secrets = {k: v for k, v in (secrets or {}).items() if v}
    removed = [name for name in remove_secrets if name not in typed_secrets]
    if typed_secrets or removed:
        # Secrets the current key cannot read are replaced by what was typed (the form asked for all of them).
        stored = integration.readable_secrets()
        for key, value in typed_secrets.items():
            if stored.get(key) != value:
                stored[key] = value
                changed.append(_setting_label(integration.type, key))
                changed_names.add(key)
        for key in removed:
            if stored.pop(key, None) is not None:
                changed.append(f"{_setting_label(integration.type, key)} removed")
                changed_names.add(key)
        integration.set_secrets(stored)
    if changed:
        if integration.sync_blocked_reason and integration_type is not None:
            connection_labels = {_setting_label(integration.type, name) for name in integration_type.connection_fields}
            if connection_labels & set(changed):
                integration.sync_blocked_reason = ""  # new credentials: the schedule tries again
        integration.updated_by = user
        integration.save()
        IntegrationChange.objects.create(
            integration=integration, user=user, action=IntegrationChange.Action.UPDATED, fields=changed
        )
        if changed_names and integration_type is not None:
            integration_type.on_settings_changed(integration, frozenset(changed_names))
    return changed


@transaction.atomic
def set_enabled(integration: Integration, enabled: bool, *, user: AbstractBaseUser | None) -> bool:
    """Activate or deactivate. A deactivated integration is skipped by scheduled syncs and does not make its
    type's menu group appear; its type's `on_deactivated` is called. Returns whether anything changed."""
    now = timezone.now()
    # `.update()` skips auto_now, so "Updated" is set here.
    updated = Integration.objects.filter(pk=integration.pk, enabled=not enabled).update(
        enabled=enabled, updated_by=user, updated_at=now
    )
    if not updated:
        return False
    integration.enabled = enabled
    integration.updated_by = user
    integration.updated_at = now
    if not enabled:
        from .sync import cancel_active_jobs

        transaction.on_commit(lambda: cancel_active_jobs(integration))
        integration_type = registry.get(integration.type)
        if integration_type is not None:
            integration_type.on_deactivated(integration)
    action = IntegrationChange.Action.ACTIVATED if enabled else IntegrationChange.Action.DEACTIVATED
    IntegrationChange.objects.create(integration=integration, user=user, action=action, fields=["Status"])
    return True


@transaction.atomic
def delete_integration(integration: Integration) -> None:
    """Delete the integration with its secrets, history and the records imported for it (cascade)."""
    integration.delete()


@sensitive_variables()
def check_connection(type_key: str, values: Mapping[str, Any]) -> ConnectionResult:
    """Ask the type to try `values` (secrets in clear) against the remote service."""
    integration_type = registry.get(type_key)
    if integration_type is None:
        return ConnectionResult(ok=False, message=f"Unknown integration type {type_key!r}.")
    return integration_type.check_connection(values)


def rotate_encryption_key() -> int:
    """Re-encrypt every registered encrypted column with the first key of FIELD_ENCRYPTION_KEY; returns the count.

    Runs in one transaction, so a value no key can read leaves everything as it was.
    """
    from django.apps import apps

    count = 0
    with transaction.atomic():
        for column in crypto.encrypted_columns():
            model = apps.get_model(column.model_label)
            rows = model.objects.exclude(**{column.field_name: ""}).values_list("pk", column.field_name)
            for pk, token in rows.iterator(chunk_size=500):
                model.objects.filter(pk=pk).update(**{column.field_name: crypto.rotate(token)})
                count += 1
    return count
