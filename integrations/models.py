"""Integrations with external marketing platforms, and the log of changes made to them."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models

from . import crypto


class SyncResult(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class SyncInterval(models.IntegerChoices):
    OFF = 0, "Off (Schedule Sync only)"
    EVERY_5_MINUTES = 5, "Every 5 minutes"
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
        "Sync interval", choices=SyncInterval.choices, default=SyncInterval.EVERY_15_MINUTES
    )
    # Set when the remote side refused the credentials: the schedule leaves the integration alone until they change.
    sync_blocked_reason = models.CharField("Scheduled syncs paused", max_length=500, blank=True, default="")
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

    def installation(self):
        """The type's installation for this row: the one way to the remote side (client, connectors, source key)."""
        from .registry import registry

        return registry[self.type].installation(self)

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


# Sync jobs -----------------------------------------------------------------------------------------------------------


class SyncTrigger(models.TextChoices):
    BUTTON = "button", "Schedule Sync button"
    SCHEDULE = "schedule", "Schedule"
    API = "api", "API"
    COMMAND = "command", "Command line"
    CHANGE = "change", "Local change"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting for the rate limit"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_JOB_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.WAITING)


class StepState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting for the rate limit"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


class SyncJobQuerySet(models.QuerySet):
    def active(self) -> SyncJobQuerySet:
        return self.filter(state__in=ACTIVE_JOB_STATES)


class SyncJob(models.Model):
    """One run of an integration's sync: who or what asked for it, its state and timings, and why it failed.

    At most one job per integration is queued, running or waiting: a partial unique constraint makes the claim a
    single INSERT that cannot race (an IntegrityError means "already running"). The runner in
    `services.sync` owns every state change; progress lives here and in the steps, never in Celery results.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="sync_jobs")
    trigger = models.CharField(max_length=16, choices=SyncTrigger.choices)
    requested_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    connectors = models.JSONField("Connectors asked for", default=list, blank=True)  # empty: all of the type's
    full = models.BooleanField("Full sync", default=False)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    created_at = models.DateTimeField("Queued", auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)  # when its task was last sent to the workers
    started_at = models.DateTimeField("Started", null=True, blank=True)
    finished_at = models.DateTimeField("Finished", null=True, blank=True)
    heartbeat_at = models.DateTimeField("Last heartbeat", null=True, blank=True)
    wait_until = models.DateTimeField("Waiting until", null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    api_calls = models.PositiveIntegerField("API calls", default=0)
    records_changed = models.PositiveIntegerField("Records changed", default=0)
    deliveries = models.PositiveIntegerField(default=0)  # how often a worker picked the task up
    error = models.TextField(blank=True)
    error_connector = models.CharField(max_length=64, blank=True)

    objects = SyncJobQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        permissions = (("run_sync", "Can schedule and cancel syncs"),)
        constraints = [
            models.UniqueConstraint(
                fields=["integration"],
                condition=models.Q(state__in=ACTIVE_JOB_STATES),
                name="integrations_one_active_sync_job",
            ),
        ]
        indexes = [
            models.Index(fields=["integration", "-created_at"], name="integ_syncjob_history_idx"),
            models.Index(fields=["state", "heartbeat_at"], name="integ_syncjob_state_idx"),
        ]

    def __str__(self) -> str:
        return f"Sync #{self.pk} of {self.integration}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("integrations:sync_job", args=[self.integration_id, self.pk])

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_JOB_STATES

    @property
    def duration(self):
        """How long it ran (so far, while running); None before it started."""
        from django.utils import timezone

        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at


COUNT_FIELDS = ("read", "created", "updated", "unchanged", "deleted", "skipped", "failed")


class SyncStep(models.Model):
    """What one connector did in one job: its state, integer counts and progress (done of total, where known).

    Counts are integer columns, incremented with F() as pages land, so the page shows them live and grids sort them.
    `details` keeps a bounded list of notes (skipped rows with their reason, imports sent) for the job's page.
    """

    job = models.ForeignKey(SyncJob, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    connector = models.CharField(max_length=64)
    label = models.CharField(max_length=100)
    state = models.CharField(max_length=16, choices=StepState.choices, default=StepState.PENDING)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    details = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ("job", "position")
        constraints = [
            models.UniqueConstraint(fields=["job", "connector"], name="integrations_step_job_connector_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.label} of {self.job}"

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted

    @property
    def duration(self):
        """How long the step ran (so far, while running); None before it started."""
        from django.utils import timezone

        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return 100 if self.state == StepState.SUCCEEDED else None
        return min(100, round(100 * self.progress_done / self.progress_total))


class SyncMark(models.Model):
    """How far a connector of an integration has synced (per `scope`: an address book, a campaign, or "").

    Saved in the transaction that writes the connector's last page, so a failed or killed run resumes from the last
    good mark; a value is whatever the connector needs (a date, a cursor), as JSON.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="sync_marks")
    connector = models.CharField(max_length=64)
    scope = models.CharField(max_length=100, blank=True, default="")
    value = models.JSONField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "connector", "scope"], name="integrations_mark_connector_scope_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.connector}{'/' + self.scope if self.scope else ''} of {self.integration}: {self.value}"
