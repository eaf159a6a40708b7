"""The generic integration form, which grows the chosen type's settings form into itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.views.decorators.debug import sensitive_variables

from backoffice.people import owner_choices, user_label

from .models import Integration
from .registry import IntegrationType

KEEP_CURRENT = "Leave blank to keep the current value."
KEEP_TYPED = "Leave blank to use the value you typed before."
CHECK_CONNECTION = "check_connection"  # marker in `IntegrationForm.sections()` for the Check connection button


class TypeSettingsForm(forms.Form):
    """Base of a type's settings form.

    Secret fields are password inputs that never render their value back; when a secret is already stored (or
    was typed before a failed connection check), its field is optional and blank means "keep it".
    """

    def __init__(
        self,
        *args: Any,
        secret_fields: Iterable[str] = (),
        stored_secrets: Iterable[str] = (),
        pending_secrets: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.secret_fields = tuple(secret_fields)
        self.stored_secrets = set(stored_secrets)
        self.pending_secrets = set(pending_secrets)
        # Stored secrets the person chose to remove (the type's `clean()` adds them): deleted on save.
        self.removed_secrets: set[str] = set()
        for name in self.secret_fields:
            field = self.fields[name]
            field.widget = forms.PasswordInput(
                render_value=False, attrs={**field.widget.attrs, "autocomplete": "new-password"}
            )
            keep = KEEP_TYPED if name in self.pending_secrets else KEEP_CURRENT if name in self.stored_secrets else ""
            if keep:
                field.required = False
                field.help_text = f"{field.help_text} {keep}".strip()

    def keep_pending(self, names: Iterable[str]) -> None:
        """After a failed connection check: these secrets were typed and are kept, so blank now means "use them"."""
        for name in names:
            if name in self.secret_fields and name not in self.pending_secrets:
                self.pending_secrets.add(name)
                field = self.fields[name]
                field.required = False
                field.help_text = f"{field.help_text} {KEEP_TYPED}".strip()
                self._bound_fields_cache.pop(name, None)  # a BoundField copies the help text when it is made

    @property
    def editing(self) -> bool:
        """True on an existing integration's edit form."""
        return bool(self.stored_secrets)

    def has_secret(self, name: str) -> bool:
        """Whether the secret will have a value: typed now, typed before, or already stored."""
        typed = (self.cleaned_data.get(name) or "") if hasattr(self, "cleaned_data") else ""
        return bool(typed) or name in self.stored_secrets or name in self.pending_secrets


class DefaultOwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return user_label(obj)


class IntegrationForm(forms.ModelForm):
    """Name, Default Owner and sync interval, plus the fields of the chosen type's settings form."""

    default_owner = DefaultOwnerField(
        queryset=get_user_model().objects.order_by("first_name", "last_name", "username"),
        label="Default Owner",
        help_text="The selected user will be defined as the owner for all the records imported within the integration.",
    )

    class Meta:
        model = Integration
        fields = ("name", "default_owner", "sync_interval_minutes")
        help_texts = {
            "name": "A name to tell this integration apart from the others.",
            "sync_interval_minutes": "How often the scheduled synchronization runs while the integration is active.",
        }

    def __init__(
        self,
        *args: Any,
        integration_type: IntegrationType,
        user=None,
        pending_secrets: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.integration_type = integration_type
        self.pending_secrets = dict(pending_secrets or {})
        editing = bool(self.instance.pk)
        stored = self.instance.secret_names() if editing else set()
        if not editing and user is not None and not self.initial.get("default_owner"):
            self.initial["default_owner"] = user.pk
        # Only active users are offered; an inactive current owner is still listed so the form shows it.
        current_owner_id = self.initial.get("default_owner") if not editing else self.instance.default_owner_id
        self.fields["default_owner"].widget.choices = owner_choices(
            self.fields["default_owner"].queryset, keep_id=current_owner_id
        )
        self.settings_form = integration_type.settings_form(
            self.data if self.is_bound else None,
            initial=dict(self.instance.settings) if editing else None,
            secret_fields=integration_type.secret_fields,
            stored_secrets=stored,
            pending_secrets=set(self.pending_secrets),
        )

    def clean_default_owner(self):
        owner = self.cleaned_data["default_owner"]
        if owner is not None and not owner.is_active:
            raise forms.ValidationError("This user is inactive. Choose an active user as the Default Owner.")
        return owner

    def is_valid(self) -> bool:
        own = super().is_valid()
        return self.settings_form.is_valid() and own

    @property
    def all_errors(self) -> dict[str, list[str]]:
        """Errors of both forms, by field label (for the summary at the top of the page)."""
        errors: dict[str, list[str]] = {}
        for form in (self, self.settings_form):
            for name, messages in form.errors.items():
                label = str(form.fields[name].label) if name in form.fields else ""
                errors.setdefault(label, []).extend(messages)
        return errors

    def sections(self) -> list[tuple[str, list]]:
        """The fieldsets of the page, in the order of Oro's guide; CHECK_CONNECTION marks the button."""
        connection: list = []
        for name in self.settings_form.fields:
            connection.append(self.settings_form[name])
            if name == self.integration_type.check_connection_after:
                connection.append(CHECK_CONNECTION)
        if connection and CHECK_CONNECTION not in connection:
            connection.append(CHECK_CONNECTION)
        return [
            ("General", [self["name"]]),
            ("Connection", connection),
            ("Ownership and synchronization", [self["default_owner"], self["sync_interval_minutes"]]),
        ]

    # Values for the services, once valid.

    def settings_values(self) -> dict[str, Any]:
        secret = set(self.integration_type.secret_fields)
        return {k: v for k, v in self.settings_form.cleaned_data.items() if k not in secret}

    def removed_secrets(self) -> set[str]:
        """Stored secrets to delete on save (for example the Client Secret key when the OAuth client is removed)."""
        return set(self.settings_form.removed_secrets)

    @sensitive_variables()
    def typed_secrets(self) -> dict[str, str]:
        """Secrets typed now, or typed before a failed connection check; blank ones are left out (kept)."""
        values = {}
        for name in self.integration_type.secret_fields:
            value = self.settings_form.cleaned_data.get(name) or self.pending_secrets.get(name) or ""
            if value:
                values[name] = value
        return values

    @sensitive_variables()
    def connection_values(self) -> dict[str, Any]:
        """Every setting in clear for a connection check: typed values, else the stored secrets."""
        stored = self.instance.readable_secrets() if self.instance.pk else {}
        return {**self.settings_values(), **stored, **self.typed_secrets()}


@sensitive_variables()
def connection_check_values(form: IntegrationForm) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """Validate only what a connection check needs. Returns (values, {}) or (None, errors by label)."""
    settings_form = form.settings_form
    settings_form.is_valid()
    needed = form.integration_type.connection_fields or tuple(settings_form.fields)
    errors = {
        str(settings_form.fields[name].label): list(settings_form.errors[name])
        for name in needed
        if name in settings_form.errors
    }
    if errors:
        return None, errors
    stored = form.instance.readable_secrets() if form.instance.pk else {}
    values: dict[str, Any] = {}
    for name in needed:
        values[name] = settings_form.cleaned_data.get(name)
        if name in form.integration_type.secret_fields and not values[name]:
            values[name] = form.pending_secrets.get(name) or stored.get(name) or ""
    return values, {}
