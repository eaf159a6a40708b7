"""Sync jobs: the claim, the runner that owns every state change, cancelling, and the dead-job rule.

`schedule_sync` is what the Schedule Sync button, the beat entry, the API and the command line call; it claims with
one INSERT that the partial unique constraint on the integration's active jobs lets through at most once, and
enqueues the job when the transaction commits. `run_sync_job` is the only place a job changes state while it runs.
A job whose heartbeat is older than `SYNC_HEARTBEAT_TIMEOUT` is dead: the next claim or scheduler tick fails it,
and the next run continues from the connectors' marks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import (
    ACTIVE_JOB_STATES,
    Integration,
    JobState,
    StepState,
    SyncJob,
    SyncResult,
    SyncStep,
    SyncTrigger,
)
from ..registry import registry
from ..sync import Failure, JobCancelled, JobLost, SyncContext

logger = logging.getLogger("integrations.sync")

WORKER_STOPPED = "The worker stopped: no heartbeat since {since:%Y-%m-%d %H:%M:%S} UTC."
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=1)


@dataclass(frozen=True)
class ScheduleResult:
    """The job that will run: a new one (`created`), or the one already queued, running or waiting."""

    job: SyncJob
    created: bool


def heartbeat_timeout() -> timedelta:
    return timedelta(seconds=getattr(settings, "SYNC_HEARTBEAT_TIMEOUT", 600))


def requeue_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "SYNC_REQUEUE_AFTER", 120))


def connector_keys(integration: Integration, wanted: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(key, label) of the connectors a job of `integration` runs, in the type's order; `wanted` narrows them.

    Raises ValueError naming an unknown connector key.
    """
    available = [(c.key, c.label) for c in integration.installation().connectors()]
    if not wanted:
        return available
    wanted = list(dict.fromkeys(wanted))
    known = {key for key, _ in available}
    unknown = [key for key in wanted if key not in known]
    if unknown:
        raise ValueError(
            f"Unknown connector {', '.join(unknown)}: {integration.type_label} knows {', '.join(sorted(known))}."
        )
    return [(key, label) for key, label in available if key in wanted]


def schedule_sync(
    integration: Integration,
    *,
    trigger: str,
    user: AbstractBaseUser | None = None,
    connectors: Sequence[str] | None = None,
    full: bool = False,
) -> ScheduleResult:
    """Queue a sync of `integration`, or return the job already queued, running or waiting for it.

    The claim is one INSERT: a second press, a second worker or the beat entry at the same moment gets the
    IntegrityError of the partial unique constraint and the running job back. The task is sent on commit.
    """
    fail_dead_jobs(integration_id=integration.pk)
    steps = connector_keys(integration, connectors)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                job = SyncJob.objects.create(
                    integration=integration,
                    trigger=trigger,
                    requested_by=user if user is not None and user.is_authenticated else None,
                    connectors=list(connectors or []),
                    full=full,
                    enqueued_at=timezone.now(),
                )
                SyncStep.objects.bulk_create(
                    SyncStep(job=job, position=position, connector=key, label=label)
                    for position, (key, label) in enumerate(steps, start=1)
                )
        except IntegrityError:
            running = SyncJob.objects.active().filter(integration=integration).first()
            if running is not None:
                return ScheduleResult(job=running, created=False)
            continue  # it finished between the INSERT and the SELECT: claim again
        transaction.on_commit(lambda job_id=job.pk: enqueue(job_id))
        logger.info("Sync #%s of %s queued (%s)", job.pk, integration, trigger)
        return ScheduleResult(job=job, created=True)
    raise RuntimeError("Could not claim a sync job")  # pragma: no cover - three finished jobs in a row


def enqueue(job_id: int, *, eta: datetime | None = None) -> None:
    """Send the job to the workers; a broker that is down leaves it queued for the next tick to send again."""
    from ..tasks import run_sync_job as task

    try:
        task.apply_async(args=[job_id], eta=eta)
    except Exception:  # noqa: BLE001 - the broker being down must not undo the claim: the tick re-sends
        logger.exception("Could not send sync job %s to the workers; the scheduler will send it again", job_id)


# -- running --------------------------------------------------------------------------------------------------------


def run_sync_job(job_id: int) -> datetime | None:
    """Run the job's connectors in order; return when to try again if it now waits for a rate limit, else None.

    A delivery of a job that another worker runs, or that has ended, changes nothing (a redelivered task is
    harmless). Steps that already succeeded are not run again when a waiting job resumes.
    """
    now = timezone.now()
    claimed = (
        SyncJob.objects.filter(pk=job_id, state__in=(JobState.QUEUED, JobState.WAITING), cancel_requested=False)
        .filter(Q(wait_until__isnull=True) | Q(wait_until__lte=now + timedelta(seconds=2)))
        .update(
            state=JobState.RUNNING,
            started_at=Coalesce(F("started_at"), now),
            heartbeat_at=now,
            wait_until=None,
            deliveries=F("deliveries") + 1,
        )
    )
    if not claimed:
        return _not_claimed(job_id, now)
    job = SyncJob.objects.select_related("integration__default_owner").get(pk=job_id)
    try:
        with relaxed_commits():
            return _run(job)
    except JobLost:
        logger.warning("Sync #%s was declared dead while this worker ran it; stopped", job_id)
        return None
    except Exception as error:  # noqa: BLE001 - whatever broke, the job must end with the reason, not stay running
        logger.exception("Sync #%s failed outside its connectors", job_id)
        _finish(job, JobState.FAILED, error=f"The sync could not run: {type(error).__name__}: {error}")
        return None


@contextmanager
def relaxed_commits():
    """While a job runs, its commits do not wait for the WAL flush (PostgreSQL's `synchronous_commit off`, for this
    connection only). A crash may lose the last pages committed, never part of one: a page's mark is in its
    transaction, so the next run reads those pages again, and a job whose end was lost is failed by the dead-job
    rule. The database stays consistent; a sync commits hundreds of pages and would wait for a flush each time."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _not_claimed(job_id: int, now: datetime) -> datetime | None:
    job = SyncJob.objects.filter(pk=job_id).first()
    if job is None:
        return None
    if job.state == JobState.WAITING and job.wait_until and job.wait_until > now and not job.cancel_requested:
        return job.wait_until  # delivered before the reset: try again then
    if job.state in (JobState.QUEUED, JobState.WAITING) and job.cancel_requested:
        _finish(job, JobState.CANCELLED, error="")
    return None


def _run(job: SyncJob) -> datetime | None:
    integration = job.integration
    if not integration.enabled:
        _finish(job, JobState.CANCELLED, error="The integration was deactivated before the sync ran.")
        return None
    if integration.type not in registry:
        _finish(job, JobState.FAILED, error=f"The integration type {integration.type!r} is not installed.")
        return None
    installation = integration.installation()
    connectors = {connector.key: connector for connector in installation.connectors()}
    steps = list(job.steps.order_by("position"))
    failed: list[tuple[SyncStep, Failure]] = []
    for step in steps:
        if step.state in (StepState.SUCCEEDED, StepState.SKIPPED, StepState.FAILED, StepState.CANCELLED):
            continue
        connector = connectors.get(step.connector)
        if connector is None:
            _set_step(step, StepState.SKIPPED, message="This connector is no longer part of the integration type.")
            continue
        _set_step(step, StepState.RUNNING, started=True)
        context = SyncContext(job=job, step=step, installation=installation)
        try:
            connector.run(context)
        except JobLost:
            raise  # another worker's job now: write nothing more
        except JobCancelled:
            context.flush_notes()
            _set_step(step, StepState.CANCELLED, message="Cancelled at a page boundary.")
            _finish(job, JobState.CANCELLED, error="")
            return None
        except Exception as error:  # noqa: BLE001 - the installation says what it means
            context.flush_notes()  # what the connector noted after its last report
            failure = installation.explain_failure(error)
            _count_calls(job, context)
            if failure.kind == "rate_limited":
                return _wait_for_rate_limit(job, step, failure)
            message = failure.message + (f" (call: {failure.call})" if failure.call else "")
            logger.warning("Sync #%s: %s failed: %s", job.pk, step.connector, message)
            _set_step(step, StepState.FAILED, message=message, finished=True)
            failed.append((step, failure))
            if failure.kind == "credentials":
                Integration.objects.filter(pk=integration.pk).update(sync_blocked_reason=failure.message[:500])
                break
            continue
        installation.after_step(context)
        context.flush_notes()  # what the connector (or the hook after it) noted after its last report
        _count_calls(job, context)
        _set_step(step, StepState.SUCCEEDED, finished=True)
    if failed:
        error = "; ".join(f"{step.label}: {failure.message}" for step, failure in failed)
        _finish(job, JobState.FAILED, error=error, error_connector=failed[0][0].connector)
    else:
        _finish(job, JobState.SUCCEEDED, error="")
    return None


def _count_calls(job: SyncJob, context: SyncContext) -> None:
    calls = context.installation.api_calls()
    new_calls, context._api_calls_reported = calls - context._api_calls_reported, calls
    if new_calls:
        SyncJob.objects.filter(pk=job.pk).update(api_calls=F("api_calls") + new_calls)


def _wait_for_rate_limit(job: SyncJob, step: SyncStep, failure: Failure) -> datetime:
    retry_at = failure.retry_at or timezone.now() + DEFAULT_RATE_LIMIT_WAIT
    local = timezone.localtime(retry_at)
    waiting_for = failure.waiting_for or f"the {job.integration.type_label} rate limit"
    message = f"Waiting for {waiting_for} until {local:%H:%M} ({failure.message})"
    _set_step(step, StepState.WAITING, message=message)
    updated = SyncJob.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
        state=JobState.WAITING, wait_until=retry_at, heartbeat_at=timezone.now()
    )
    if not updated:
        raise JobLost()
    logger.info("Sync #%s waits for the rate limit until %s", job.pk, retry_at)
    return retry_at


def _set_step(
    step: SyncStep, state: str, *, message: str | None = None, started: bool = False, finished: bool = False
) -> None:
    changes: dict = {"state": state}
    now = timezone.now()
    if started:
        changes["started_at"] = Coalesce(F("started_at"), now)
    if finished:
        changes["finished_at"] = now
    if message is not None:
        changes["message"] = message
    SyncStep.objects.filter(pk=step.pk).update(**changes)
    step.state = state


def _finish(job: SyncJob, state: str, *, error: str, error_connector: str = "") -> None:
    """End the job: its state, timings and totals, the steps left over, and the integration's last sync."""
    now = timezone.now()
    with transaction.atomic():
        totals = job.steps.aggregate(changed=Sum(F("created") + F("updated") + F("deleted")))
        updated = SyncJob.objects.filter(pk=job.pk, state__in=ACTIVE_JOB_STATES).update(
            state=state,
            finished_at=now,
            heartbeat_at=now,
            wait_until=None,
            error=error[:5000],
            error_connector=error_connector,
            records_changed=totals["changed"] or 0,
        )
        if not updated:
            return
        leftover = StepState.CANCELLED if state == JobState.CANCELLED else StepState.SKIPPED
        job.steps.filter(state__in=(StepState.PENDING, StepState.RUNNING, StepState.WAITING)).update(
            state=leftover, finished_at=now
        )
        if state in (JobState.SUCCEEDED, JobState.FAILED):
            Integration.objects.filter(pk=job.integration_id).update(
                last_sync_at=now,
                last_sync_result=SyncResult.SUCCEEDED if state == JobState.SUCCEEDED else SyncResult.FAILED,
            )
    job.state = state
    logger.info("Sync #%s ended: %s%s", job.pk, state, f" ({error})" if error else "")


# -- cancelling, dead jobs, the schedule ----------------------------------------------------------------------------


def cancel_sync_job(job: SyncJob) -> bool:
    """Cancel a job: at once when it has not started (or waits), at the next page boundary when it runs.

    Returns False when the job had already ended.
    """
    pending = SyncJob.objects.filter(pk=job.pk, state__in=(JobState.QUEUED, JobState.WAITING)).update(
        cancel_requested=True
    )
    if pending:
        _finish(job, JobState.CANCELLED, error="")
        return True
    return bool(SyncJob.objects.filter(pk=job.pk, state=JobState.RUNNING).update(cancel_requested=True))


def cancel_active_jobs(integration: Integration) -> int:
    """Cancel whatever job the integration has queued, running or waiting (it was deactivated)."""
    return sum(cancel_sync_job(job) for job in SyncJob.objects.active().filter(integration=integration))


def fail_dead_jobs(*, integration_id: int | None = None) -> int:
    """Fail running jobs whose heartbeat is older than the timeout ("the worker stopped"); returns how many."""
    cutoff = timezone.now() - heartbeat_timeout()
    dead = SyncJob.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=cutoff)
    if integration_id is not None:
        dead = dead.filter(integration_id=integration_id)
    count = 0
    for job in dead.only("pk", "integration_id", "heartbeat_at"):
        with transaction.atomic():
            # Conditional: a worker that beat meanwhile keeps its job.
            still_dead = SyncJob.objects.filter(pk=job.pk, state=JobState.RUNNING, heartbeat_at__lt=cutoff).update(
                cancel_requested=False
            )
            if not still_dead:
                continue
            message = WORKER_STOPPED.format(since=job.heartbeat_at.astimezone(UTC))
            job.steps.filter(state=StepState.RUNNING).update(state=StepState.FAILED, message=message)
            _finish(job, JobState.FAILED, error=message)
            count += 1
            logger.warning("Sync #%s declared dead: %s", job.pk, message)
    return count


def requeue_stuck_jobs() -> int:
    """Send again the jobs whose task message was lost: queued and not started, or waiting past their reset."""
    now = timezone.now()
    stale = now - requeue_after()
    stuck = SyncJob.objects.filter(
        Q(state=JobState.QUEUED, enqueued_at__lt=stale)
        | Q(state=JobState.WAITING, wait_until__lt=now - timedelta(seconds=30), enqueued_at__lt=stale)
    ).values_list("pk", flat=True)
    count = 0
    for job_id in list(stuck):
        if SyncJob.objects.filter(pk=job_id, enqueued_at__lt=stale).update(enqueued_at=now):
            enqueue(job_id)
            count += 1
    return count


def due_integrations(now: datetime | None = None) -> list[Integration]:
    """Active integrations with a sync interval whose last job started longer ago than it, not syncing now, and
    not paused for refused credentials."""
    now = now or timezone.now()
    candidates = (
        Integration.objects.active()
        .filter(sync_interval_minutes__gt=0, sync_blocked_reason="", type__in=[t.key for t in registry.all()])
        .exclude(sync_jobs__state__in=ACTIVE_JOB_STATES)
        .annotate(last_job_at=Max("sync_jobs__created_at"))
        .select_related("default_owner")
    )
    return [
        integration
        for integration in candidates
        if integration.last_job_at is None
        or integration.last_job_at + timedelta(minutes=integration.sync_interval_minutes) <= now
    ]


def schedule_due_syncs() -> list[ScheduleResult]:
    """The beat entry, every minute: fail dead jobs, re-send lost ones, and queue the integrations that are due."""
    fail_dead_jobs()
    requeue_stuck_jobs()
    results = []
    due = due_integrations()
    for integration in due:
        results.append(schedule_sync(integration, trigger=SyncTrigger.SCHEDULE))
    results.extend(schedule_due_connectors(exclude={integration.pk for integration in due}))
    return results


def schedule_due_connectors(*, exclude: Iterable[int] = ()) -> list[ScheduleResult]:
    """Queue a job of just the connectors each idle active integration's type says are due now (a local change
    waiting to be sent, say); an integration with a job queued, running or waiting is asked again at the next tick."""
    results = []
    idle = (
        Integration.objects.active()
        .filter(sync_blocked_reason="", type__in=[t.key for t in registry.all()])
        .exclude(pk__in=list(exclude))
        .exclude(sync_jobs__state__in=ACTIVE_JOB_STATES)
        .select_related("default_owner")
    )
    for integration in idle:
        keys = list(registry[integration.type].due_connectors(integration))
        if keys:
            results.append(schedule_sync(integration, trigger=SyncTrigger.CHANGE, connectors=keys))
    return results
