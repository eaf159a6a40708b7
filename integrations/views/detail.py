"""An integration's page: its sections, the live sync, the sync history and its chart."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.timesince import timeuntil
from django.views.generic import DetailView
from django_tables2 import RequestConfig

from backoffice.generic import PAGE_SIZES, BackofficeMixin

from ..actions import integration_actions
from ..models import Integration, SyncInterval, SyncJob
from ..tables import SyncJobTable
from .common import BREADCRUMBS, LIST_CRUMB
from .sync import live_context

CHART_JOBS = 30
HISTORY_PAGE_SIZE = 10


def next_sync_text(integration: Integration, *, last_job_at: datetime | None, syncing: bool, now=None) -> str:
    """When the schedule queues the next sync, in words: "in 4 minutes", "Off", "Paused: <why>"."""
    now = now or timezone.now()
    if integration.sync_interval_minutes == SyncInterval.OFF:
        return "Off"
    if not integration.enabled:
        return "Off while the integration is inactive"
    if integration.sync_blocked_reason:
        return f"Paused: {integration.sync_blocked_reason}"
    if syncing:
        return "After the running sync"
    if last_job_at is None:
        return "At the next scheduler tick (within a minute)"
    due = last_job_at + timedelta(minutes=integration.sync_interval_minutes)
    if due <= now + timedelta(minutes=1):
        return "At the next scheduler tick (within a minute)"
    return f"in {timeuntil(due, now)}"


def chart_points(integration: Integration) -> list[dict]:
    """The last jobs that started, oldest first: duration in seconds and records changed (the page's chart)."""
    now = timezone.now()
    jobs = (
        SyncJob.objects.filter(integration=integration, started_at__isnull=False)
        .order_by("-created_at", "-id")
        .values("pk", "state", "started_at", "finished_at", "records_changed")[:CHART_JOBS]
    )
    points = []
    for job in reversed(list(jobs)):
        seconds = ((job["finished_at"] or now) - job["started_at"]).total_seconds()
        points.append(
            {
                "id": job["pk"],
                "label": f"#{job['pk']} {timezone.localtime(job['started_at']):%d %b %H:%M}",
                "started": job["started_at"].isoformat(),
                "duration": round(seconds, 1),
                "changed": job["records_changed"],
                "state": job["state"],
            }
        )
    return points


def chart_summary(points: list[dict]) -> str:
    if not points:
        return "No sync has run yet."
    durations = sorted(p["duration"] for p in points)
    median = durations[len(durations) // 2]
    changed = sum(p["changed"] for p in points)
    return (
        f"The last {len(points)} syncs took from {durations[0]:g} to {durations[-1]:g} seconds (median {median:g}) "
        f"and changed {changed:,} records in all; the Sync history table lists each one."
    )


class IntegrationDetailView(BackofficeMixin, DetailView):
    permission_required = "integrations.view_integration"
    template_name = "integrations/integration_detail.html"
    context_object_name = "integration"

    def get_queryset(self):
        return Integration.objects.select_related("default_owner", "created_by", "updated_by")

    def get_title(self) -> str:
        return self.object.name

    def get_breadcrumbs(self):
        return [*BREADCRUMBS, LIST_CRUMB, (self.object.name, None)]

    def get_actions(self) -> list[dict]:
        return integration_actions(self.object)

    def history_table(self) -> SyncJobTable:
        jobs = SyncJob.objects.filter(integration=self.object).select_related("requested_by", "integration")
        table = SyncJobTable(jobs, prefix="syncs-")
        try:
            per_page = int(self.request.GET.get("syncs-per_page", HISTORY_PAGE_SIZE))
        except ValueError:
            per_page = HISTORY_PAGE_SIZE
        per_page = per_page if per_page in PAGE_SIZES else HISTORY_PAGE_SIZE
        RequestConfig(self.request, paginate={"per_page": per_page}).configure(table)
        table.page_sizes = PAGE_SIZES
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        latest = SyncJob.objects.filter(integration=self.object).select_related("requested_by", "integration").first()
        points = chart_points(self.object)
        context.update(
            live=live_context(self.request, latest, detailed=False) if latest else None,
            history_table=self.history_table(),
            chart_points=points,
            chart_summary=chart_summary(points),
            next_sync=next_sync_text(
                self.object,
                last_job_at=latest.created_at if latest else None,
                syncing=bool(latest and latest.is_active),
            ),
        )
        integration_type = self.object.integration_type
        settings_rows = (
            integration_type.describe_settings(
                self.object, reveal_credentials=self.request.user.has_perm("integrations.change_integration")
            )
            if integration_type
            else []
        )
        context.update(
            settings_rows=settings_rows,
            changes=self.object.changes.select_related("user")[:100],
            type_installed=integration_type is not None,
        )
        return context
