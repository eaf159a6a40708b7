"""Schedule Sync, cancel, a sync job's own page, and the small fragment the pages poll while a job runs."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.views import View
from django.views.generic import TemplateView

from backoffice.generic import BackofficeMixin, ConfirmPostMixin, action, safe_next

from .. import services
from ..actions import INACTIVE_CANNOT_SYNC
from ..models import JobState, SyncJob, SyncTrigger
from .common import BREADCRUMBS, LIST_CRUMB, IntegrationObjectMixin

PROGRESS_TEMPLATE = "integrations/includes/sync_job_live.html"


def job_link(job: SyncJob) -> str:
    return format_html('<a class="alert-link" href="{}">Sync #{}</a>', job.get_absolute_url(), job.pk)


def cancel_action(job: SyncJob) -> dict:
    return action(
        "Cancel",
        reverse("integrations:cancel_sync", args=[job.integration_id, job.pk]),
        method="post",
        permission="integrations.run_sync",
        style="outline-danger",
        icon="x-octagon",
        confirm=f"Cancel sync #{job.pk}? A running sync stops at the next page boundary; what it wrote stays.",
        confirm_label="Cancel the sync",
        testid="cancel-sync",
    )


def live_context(request, job: SyncJob, *, detailed: bool) -> dict:
    """What the live fragment shows: the job, its steps and whether the user may cancel it."""
    url = reverse("integrations:sync_job_progress", args=[job.integration_id, job.pk])
    can_cancel = job.is_active and request.user.has_perm("integrations.run_sync")
    return {
        "job": job,
        "steps": list(job.steps.order_by("position")),
        "detailed": detailed,
        "progress_url": f"{url}?detail=1" if detailed else url,
        "cancel": cancel_action(job) if can_cancel else None,
    }


class ScheduleSyncView(BackofficeMixin, IntegrationObjectMixin, View):
    """Schedule Sync: queue a job (or say which one already runs) and go back where the button was."""

    permission_required = "integrations.run_sync"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        integration = self.integration
        back = safe_next(request, reverse("integrations:detail", args=[integration.pk]))
        if not integration.enabled:
            messages.error(request, f"{INACTIVE_CANNOT_SYNC}.")
            return HttpResponseRedirect(back)
        if integration.integration_type is None:
            messages.error(request, f"The app of the type “{integration.type}” is not installed: it cannot sync.")
            return HttpResponseRedirect(back)
        result = services.schedule_sync(integration, trigger=SyncTrigger.BUTTON, user=request.user)
        if result.created:
            messages.success(request, format_html("Sync queued. {}", job_link(result.job)))
        else:
            messages.info(request, format_html("A sync is already running: {}.", job_link(result.job)))
        return HttpResponseRedirect(back)


class SyncJobMixin(IntegrationObjectMixin):
    """The job of `job_pk`, looked up (within the integration of `pk`) after the permission checks."""

    @cached_property
    def job(self) -> SyncJob:
        return get_object_or_404(
            SyncJob.objects.select_related("integration", "requested_by"),
            pk=self.kwargs["job_pk"],
            integration=self.integration,
        )


class CancelSyncView(ConfirmPostMixin, BackofficeMixin, SyncJobMixin, View):
    """Cancel a queued, waiting or running job; asks first (the dialog, or a confirmation page without JavaScript)."""

    permission_required = "integrations.run_sync"
    http_method_names = ["post"]
    confirm_label = "Cancel the sync"

    def get_confirm_question(self) -> str:
        return f"Cancel sync #{self.job.pk} of “{self.job.integration}”? What it already wrote stays."

    def post(self, request, *args, **kwargs):
        job = self.job
        if self.needs_confirmation():
            return self.ask_confirmation(cancel_url=job.get_absolute_url())
        if services.cancel_sync_job(job):
            job.refresh_from_db(fields=["state"])
            if job.state == JobState.CANCELLED:
                messages.success(request, format_html("{} cancelled.", job_link(job)))
            else:
                messages.success(request, format_html("{} stops at the next page boundary.", job_link(job)))
        else:
            messages.info(request, format_html("{} had already ended.", job_link(job)))
        return HttpResponseRedirect(safe_next(request, job.get_absolute_url()))


class SyncJobView(BackofficeMixin, SyncJobMixin, TemplateView):
    """A job's own page: its trigger, who, timings, API calls and error, and every step with its notes."""

    permission_required = "integrations.view_integration"
    template_name = "integrations/sync_job.html"

    def get_title(self) -> str:
        return f"Sync #{self.job.pk}"

    def get_breadcrumbs(self):
        integration = self.job.integration
        return [
            *BREADCRUMBS,
            LIST_CRUMB,
            (integration.name, reverse("integrations:detail", args=[integration.pk])),
            (self.get_title(), None),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(live_context(self.request, self.job, detailed=True), integration=self.job.integration)
        return context


class SyncJobProgressView(BackofficeMixin, SyncJobMixin, View):
    """The fragment htmx polls every 2 s; rendered for an ended job it carries no trigger, so the polling stops."""

    permission_required = "integrations.view_integration"
    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        detailed = request.GET.get("detail") == "1"
        response = TemplateResponse(request, PROGRESS_TEMPLATE, live_context(request, self.job, detailed=detailed))
        if not self.job.is_active and request.headers.get("HX-Request"):
            # The poll that sees the end: the page swaps its last-sync summary and history in again.
            response["HX-Trigger"] = "sync-ended"
        return response
