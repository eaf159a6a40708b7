"""Celery entry points of the sync: each takes ids and makes one call into `services.sync`."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import sync


@shared_task(
    bind=True,
    name="integrations.run_sync_job",
    acks_late=True,
    max_retries=None,  # the rate limit may make a job wait any number of times; database errors are bounded below
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_kwargs={"max_retries": 10},
)
def run_sync_job(self, job_id: int) -> None:
    """Run one sync job; when it waits for the remote rate limit, come back at the reset time."""
    retry_at = sync.run_sync_job(job_id)
    if retry_at is not None:
        raise self.retry(eta=retry_at)


@shared_task(name="integrations.schedule_due_syncs", ignore_result=True)
def schedule_due_syncs() -> int:
    """The beat entry (every minute): queue the active integrations whose sync interval has passed."""
    return len(sync.schedule_due_syncs())


@shared_task(name="integrations.schedule_due_connectors", ignore_result=True)
def schedule_due_connectors() -> int:
    """Queue the connectors types say are due now (a local change to send); sent with a countdown by a type that
    wants its change out sooner than the next minute's tick, which does the same."""
    return len(sync.schedule_due_connectors())
