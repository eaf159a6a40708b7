"""The contract between the generic sync machinery and an integration type's connectors.

A type hands out, for one `Integration` row, an `Installation` (Sentry's word): the one object that knows how to
reach that account (its clients), which connectors its sync runs and in which order, and how to read its failures.
A connector is a small object with a `key`, a `label` and `run(context)`; the runner in `services.sync` gives it a
`SyncContext` with the installation, the Default Owner, its marks, and `report()`, `heartbeat()` and `cancelled()`.

Rules a connector follows: stream pages (never a whole account in memory); write each page in one transaction
(`context.atomic()`), saving its mark with `context.save_mark()` in the transaction of its last write; call
`context.report()` after each page, which refreshes the heartbeat and stops the connector (raising `JobCancelled`)
when the job was cancelled. Nothing here knows any remote platform.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import transaction
from django.db.models import F
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from .models import Integration, SyncJob, SyncStep

MAX_DETAILS = 200  # notes kept per step: enough to act on, bounded for a million bad rows


class JobCancelled(Exception):
    """The job was cancelled; raised by `SyncContext.report()` at the next page boundary."""


class JobLost(Exception):
    """The job is no longer this worker's (declared dead after a stale heartbeat): stop without writing more."""


@dataclass(frozen=True)
class Failure:
    """What an installation makes of an exception raised by one of its connectors.

    `kind` is "rate_limited" (retry at `retry_at`, the job waits), "credentials" (the remote side refused the
    credentials: the job fails and scheduled syncs pause until they change) or "error" (the connector fails, the
    others still run). `call` names the remote call that failed, where known.
    """

    kind: str
    message: str
    retry_at: datetime | None = None
    call: str = ""
    # With kind "rate_limited": what the job waits for, when it is not the platform's rate limit ("Dotdigital to
    # finish the imports already sent"); shown as "Waiting for <this> until 10:42".
    waiting_for: str = ""


class Connector:
    """One resource a sync imports or exports. Subclasses set `key` and `label` and implement `run`."""

    key: ClassVar[str] = ""
    label: ClassVar[str] = ""

    def run(self, context: SyncContext) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<Connector {self.key}>"


class Installation:
    """One integration row seen through its type. Types subclass it and set `IntegrationType.installation_class`."""

    def __init__(self, integration: Integration) -> None:
        self.integration = integration

    @property
    def source_key(self) -> str:
        """What records imported through this integration carry as their `source`."""
        return self.integration.type

    # The connectors a sync runs, in order; a type may override `connectors()` to build them per row.
    connector_classes_: ClassVar[Sequence[type[Connector]]] = ()

    @classmethod
    def connector_classes(cls) -> Sequence[type[Connector]]:
        return cls.connector_classes_

    def connectors(self) -> Sequence[Connector]:
        """What a sync runs, in order."""
        return [connector_class() for connector_class in self.connector_classes()]

    def api_calls(self) -> int:
        """Remote calls made so far through this installation's clients (retries included)."""
        return 0

    def explain_failure(self, error: BaseException) -> Failure:
        """Turn a connector's exception into a `Failure`; types map their typed errors here."""
        return Failure(kind="error", message=f"{type(error).__name__}: {error}")

    def after_step(self, context: SyncContext) -> None:  # noqa: B027 - an optional hook
        """Called after each connector succeeded (a type may chain work on it: default mappings, say)."""


class SyncContext:
    """What a running connector sees: the installation, the Default Owner, marks, counts and the job's liveness."""

    def __init__(self, *, job: SyncJob, step: SyncStep, installation: Installation) -> None:
        self.job = job
        self.step = step
        self.installation = installation
        self.integration = installation.integration
        self.owner: AbstractBaseUser = self.integration.default_owner
        self.full = job.full
        self._api_calls_reported = installation.api_calls()
        # Notes and their counts held until the page's report (see `note()`); how many the step already keeps.
        self._pending_notes: list[str] = []
        self._pending_skipped = 0
        self._pending_failed = 0
        self._details_count = len(step.details or [])

    # -- marks --------------------------------------------------------------------------------------------------

    def mark(self, scope: str = "") -> Any:
        """The connector's saved mark for `scope`, or None before its first success (ignored on a full sync)."""
        from .models import SyncMark

        if self.full:
            return None
        return (
            SyncMark.objects.filter(integration=self.integration, connector=self.step.connector, scope=scope)
            .values_list("value", flat=True)
            .first()
        )

    def marks(self) -> dict[str, Any]:
        """Every saved mark of the connector, by scope (empty on a full sync)."""
        from .models import SyncMark

        if self.full:
            return {}
        return dict(
            SyncMark.objects.filter(integration=self.integration, connector=self.step.connector).values_list(
                "scope", "value"
            )
        )

    def save_mark(self, value: Any, scope: str = "") -> None:
        """Remember how far the connector got; call it inside the transaction of the write it vouches for."""
        from .models import SyncMark

        SyncMark.objects.update_or_create(
            integration=self.integration, connector=self.step.connector, scope=scope, defaults={"value": value}
        )

    def forget_marks(self, scopes: Iterable[str]) -> None:
        from .models import SyncMark

        SyncMark.objects.filter(
            integration=self.integration, connector=self.step.connector, scope__in=list(scopes)
        ).delete()

    # -- writing ------------------------------------------------------------------------------------------------

    @staticmethod
    def atomic():
        """The transaction of one page: its writes and, for the last page, the mark."""
        return transaction.atomic()

    # -- progress -----------------------------------------------------------------------------------------------

    def set_total(self, total: int | None) -> None:
        """How much work there is (rows, books, campaigns), where known; shown as a progress bar."""
        from .models import SyncStep

        SyncStep.objects.filter(pk=self.step.pk).update(progress_total=total)

    def add_total(self, total: int) -> None:
        from django.db.models.functions import Coalesce

        from .models import SyncStep

        SyncStep.objects.filter(pk=self.step.pk).update(progress_total=Coalesce(F("progress_total"), 0) + total)

    def report(self, *, done: int = 0, **counts: int) -> None:
        """Add a page's counts (read, created, updated, unchanged, deleted, skipped, failed) and progress, refresh
        the heartbeat, and raise `JobCancelled` if the job was cancelled meanwhile (`JobLost` if it is gone)."""
        from .models import COUNT_FIELDS

        unknown = set(counts) - set(COUNT_FIELDS)
        if unknown:
            raise ValueError(f"Unknown counts: {', '.join(sorted(unknown))}")
        self._write_counts(counts, done)
        self.heartbeat()

    def note(self, message: str, *, skipped: int = 0, failed: int = 0) -> None:
        """Keep a note on the step (a skipped row and why, an import sent); counts `skipped`/`failed` too.

        Notes are held in memory and written with the page's counts by the next `report()` (or `flush_notes()`,
        which the runner calls when the connector returns or fails): a page of a thousand skipped rows is one
        UPDATE, not a read and a write per row."""
        self._pending_skipped += skipped
        self._pending_failed += failed
        if self._details_count + len(self._pending_notes) < MAX_DETAILS:
            self._pending_notes.append(message[:500])

    def flush_notes(self) -> None:
        """Write what `note()` holds: at most one read of the stored notes and one UPDATE."""
        self._write_counts({})

    def _write_counts(self, counts: dict[str, int], done: int = 0) -> None:
        """One UPDATE of the step: `counts` and `done` added, with the notes and counts `note()` holds."""
        from .models import SyncStep

        totals = dict(counts)
        totals["skipped"] = totals.get("skipped", 0) + self._pending_skipped
        totals["failed"] = totals.get("failed", 0) + self._pending_failed
        changes: dict[str, Any] = {name: F(name) + value for name, value in totals.items() if value}
        if done:
            changes["progress_done"] = F("progress_done") + done
        if self._pending_notes:
            stored = SyncStep.objects.filter(pk=self.step.pk).values_list("details", flat=True).first() or []
            kept = self._pending_notes[: max(0, MAX_DETAILS - len(stored))]
            if kept:
                changes["details"] = [*stored, *kept]
            self._details_count = len(stored) + len(kept)
        self._pending_notes, self._pending_skipped, self._pending_failed = [], 0, 0
        if changes:
            SyncStep.objects.filter(pk=self.step.pk).update(**changes)

    def heartbeat(self) -> None:
        """Tell the world this worker still runs the job; stop it if cancelled or declared dead."""
        from .models import JobState, SyncJob

        calls = self.installation.api_calls()
        new_calls, self._api_calls_reported = calls - self._api_calls_reported, calls
        alive = SyncJob.objects.filter(pk=self.job.pk, state=JobState.RUNNING, cancel_requested=False).update(
            heartbeat_at=timezone.now(), api_calls=F("api_calls") + new_calls
        )
        if not alive:
            state = SyncJob.objects.filter(pk=self.job.pk).values_list("state", "cancel_requested").first()
            if state and state[1] and state[0] == JobState.RUNNING:
                SyncJob.objects.filter(pk=self.job.pk).update(api_calls=F("api_calls") + new_calls)
                raise JobCancelled()
            raise JobLost()

    def cancelled(self) -> bool:
        from .models import SyncJob

        return SyncJob.objects.filter(pk=self.job.pk, cancel_requested=True).exists()
