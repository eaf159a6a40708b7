"""Every write to integrations and their sync jobs: the functions views, tasks, the API and commands call."""

from .integrations import (
    check_connection,
    create_integration,
    delete_integration,
    rotate_encryption_key,
    set_enabled,
    update_integration,
)
from .sync import (
    ScheduleResult,
    cancel_active_jobs,
    cancel_sync_job,
    fail_dead_jobs,
    run_sync_job,
    schedule_due_syncs,
    schedule_sync,
)

__all__ = [
    "ScheduleResult",
    "cancel_active_jobs",
    "cancel_sync_job",
    "check_connection",
    "create_integration",
    "delete_integration",
    "fail_dead_jobs",
    "rotate_encryption_key",
    "run_sync_job",
    "schedule_due_syncs",
    "schedule_sync",
    "set_enabled",
    "update_integration",
]
