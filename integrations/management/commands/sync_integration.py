"""`manage.py sync_integration NAME_OR_ID [--connector KEY] [--full] [--wait] [--here]`: the Schedule Sync button
from the command line."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integrations import services
from integrations.models import Integration, JobState, SyncJob, SyncTrigger

POLL_SECONDS = 1.0


def find_integration(name_or_id: str) -> Integration:
    integration = Integration.objects.filter(name=name_or_id).first()
    if integration is None and name_or_id.isascii() and name_or_id.isdigit() and len(name_or_id) < 19:
        integration = Integration.objects.filter(pk=int(name_or_id)).first()
    if integration is None:
        raise CommandError(f"No integration is named {name_or_id!r} or has that id.")
    return integration


class Command(BaseCommand):
    help = (
        "Queue a sync of an integration (the same as its Schedule Sync button). With --wait, print its progress "
        "and exit non-zero when it fails; with --here, run it in this process instead of a Celery worker."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("integration", help="The integration's name or id.")
        parser.add_argument(
            "--connector", action="append", dest="connectors", metavar="KEY", help="Only this connector (repeatable)."
        )
        parser.add_argument("--full", action="store_true", help="Ignore the marks: read everything again.")
        parser.add_argument("--wait", action="store_true", help="Wait for the job to end, printing its progress.")
        parser.add_argument("--here", action="store_true", help="Run the job in this process (implies --wait).")

    def handle(self, *args, **options) -> None:
        integration = find_integration(options["integration"])
        if not integration.enabled:
            raise CommandError(f"{integration} is inactive: activate it to sync it.")
        try:
            result = services.schedule_sync(
                integration, trigger=SyncTrigger.COMMAND, connectors=options["connectors"], full=options["full"]
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        job = result.job
        if result.created:
            self.stdout.write(f"Sync #{job.pk} of {integration} queued.")
        else:
            self.stdout.write(f"A sync is already running: #{job.pk} ({job.get_state_display()}).")
        if options["here"]:
            retry_at = services.run_sync_job(job.pk)
            while retry_at is not None:
                self.stdout.write(f"Waiting for the rate limit until {retry_at:%H:%M:%S} UTC")
                time.sleep(max(0.0, (retry_at - timezone.now()).total_seconds()))
                retry_at = services.run_sync_job(job.pk)
        if options["wait"] or options["here"]:
            job = self.follow(job)
            if job.state != JobState.SUCCEEDED:
                reason = job.error or "no reason given"
                raise CommandError(f"Sync #{job.pk} {job.get_state_display().lower()}: {reason}")

    def follow(self, job: SyncJob) -> SyncJob:
        """Print a line whenever a step's progress changes, until the job ends."""
        last: dict[str, tuple] = {}
        while True:
            job.refresh_from_db()
            for step in job.steps.all():
                shown = (step.state, step.read, step.created, step.updated, step.deleted, step.skipped, step.failed)
                if last.get(step.connector) != shown:
                    last[step.connector] = shown
                    total = f"/{step.progress_total}" if step.progress_total else ""
                    self.stdout.write(
                        f"{step.label}: {step.get_state_display().lower()}, {step.progress_done}{total} done; "
                        f"read {step.read}, created {step.created}, updated {step.updated}, "
                        f"unchanged {step.unchanged}, deleted {step.deleted}, skipped {step.skipped}, "
                        f"failed {step.failed}" + (f" ({step.message})" if step.message else "")
                    )
            if not job.is_active:
                duration = job.duration.total_seconds() if job.duration else 0
                self.stdout.write(
                    f"Sync #{job.pk} {job.get_state_display().lower()} in {duration:.1f} s, "
                    f"{job.api_calls} API calls, {job.records_changed} records changed."
                )
                return job
            time.sleep(POLL_SECONDS)
