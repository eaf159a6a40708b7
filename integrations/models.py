"""Integrations with external marketing platforms, and the log of changes made to them."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models

from . import crypto


class SyncResult(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class SyncInterval(models.IntegerChoices):
    EVERY_15_MINUTES = 15, "Every 15 minutes"
    EVERY_30_MINUTES = 30, "Every 30 minutes"
    HOURLY = 60, "Every hour"
    EVERY_4_HOURS = 240, "Every 4 hours"
    EVERY_12_HOURS = 720, "Every 12 hours"
    DAILY = 1440, "Once a day"


class IntegrationQuerySet(models.QuerySet):
    def active(self) -> IntegrationQuerySet:
        return self.filter(enabled=True)

    def of_type(self, type_key: str) -> IntegrationQuerySet:
        return self.filter(type=type_key)


class Integration(models.Model):
    """One connected account of an external platform (a Dotdigital account, say).

    `type` is the key of a type in `integrations.registry`, not a database choice, so a new type needs no
    migration. Non-secret settings live in `settings` (JSON); secrets live in `secrets`, one Fernet token of a
    JSON object, encrypted with `FIELD_ENCRYPTION_KEY`, and are never rendered back into a page. Every record a
    sync creates is owned by `default_owner`. A disabled integration is not synced and does not count as active.
    """

    name = models.CharField(
        "Name", max_length=255, unique=True, error_messages={"unique": "An integration with this name already exists."}
    )
    type = models.CharField("Type", max_length=50, db_index=True)
    enabled = models.BooleanField("Active", default=True, db_index=True)
    default_owner = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name="Default Owner",
        on_delete=models.PROTECT,
        related_name="owned_integrations",
    )
    settings = models.JSONField("Settings", default=dict, blank=True)
    secrets = models.TextField("Secrets (encrypted)", blank=True, default="", editable=False)
    sync_interval_minutes = models.PositiveIntegerField(
        "Sync interval", choices=SyncInterval.choices, default=SyncInterval.HOURLY
    )
    last_sync_at = models.DateTimeField("Last sync", null=True, blank=True)
    last_sync_result = models.CharField("Last sync result", max_length=20, choices=SyncResult.choices, blank=True)
    created_at = models.DateTimeField("Created", auto_now_add=True)
    updated_at = models.DateTimeField("Updated", auto_now=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = IntegrationQuerySet.as_manager()

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def get_secrets(self) -> dict[str, str]:
        """The secrets in clear; raises `crypto.SecretsUnreadable` when the key cannot decrypt them."""
        return crypto.decrypt_json(self.secrets)

    def set_secrets(self, values: dict[str, str]) -> None:
        self.secrets = crypto.encrypt_json({k: v for k, v in values.items() if v})

    def readable_secrets(self) -> dict[str, str]:
        """The secrets in clear, or none when the configured keys cannot decrypt them (see `secrets_unreadable`)."""
        try:
            return self.get_secrets()
        except crypto.SecretsUnreadable:
            return {}

    @property
    def secrets_unreadable(self) -> bool:
        """True when secrets are stored but FIELD_ENCRYPTION_KEY cannot decrypt them (the key was changed)."""
        if not self.secrets:
            return False
        try:
            self.get_secrets()
        except crypto.SecretsUnreadable:
            return True
        return False

    def secret_names(self) -> set[str]:
        """Which secrets are stored, without their values (an unreadable token counts as none)."""
        return set(self.readable_secrets())

    @property
    def type_label(self) -> str:
        from .registry import registry

        return registry.label(self.type)

    @property
    def integration_type(self):
        from .registry import registry

        return registry.get(self.type)


class IntegrationChange(models.Model):
    """One entry of an integration's history: who did what, when, and which fields changed (never their values)."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        ACTIVATED = "activated", "Activated"
        DEACTIVATED = "deactivated", "Deactivated"

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="changes")
    user = models.ForeignKey(django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    fields = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.integration} at {self.at:%Y-%m-%d %H:%M}"
