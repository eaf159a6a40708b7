"""The JSON API of sync jobs (Django REST framework): list and schedule an integration's syncs, read one with its
steps, cancel it. The same services as the Schedule Sync button; session authentication with CSRF, and the same
permissions as the pages (`view_integration` to read, `run_sync` to schedule and cancel)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .models import Integration, SyncJob, SyncStep, SyncTrigger


class HasPermission(permissions.BasePermission):
    """Signed in, with the view's `required_permission` (reading) or `write_permission` (POST)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        needed = view.write_permission if request.method == "POST" else view.read_permission
        return user.has_perm(needed)


class SyncStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncStep
        fields = (
            "connector",
            "label",
            "state",
            "started_at",
            "finished_at",
            "read",
            "created",
            "updated",
            "unchanged",
            "deleted",
            "skipped",
            "failed",
            "progress_done",
            "progress_total",
            "message",
            "details",
        )


class SyncJobSerializer(serializers.ModelSerializer):
    requested_by = serializers.SerializerMethodField()
    steps = SyncStepSerializer(many=True, read_only=True)

    class Meta:
        model = SyncJob
        fields = (
            "id",
            "integration",
            "trigger",
            "requested_by",
            "connectors",
            "full",
            "state",
            "created_at",
            "started_at",
            "finished_at",
            "wait_until",
            "api_calls",
            "records_changed",
            "error",
            "error_connector",
            "steps",
        )

    def get_requested_by(self, job: SyncJob) -> str | None:
        return job.requested_by.get_username() if job.requested_by else None


class ScheduleSyncSerializer(serializers.Serializer):
    connectors = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)
    full = serializers.BooleanField(required=False, default=False)


def integration_or_404(pk: int) -> Integration:
    return get_object_or_404(Integration, pk=pk)  # the URL's id converter already bounds it


class IntegrationSyncsView(ListAPIView):
    """GET: the integration's sync jobs, newest first. POST: Schedule Sync (201 with the new job, or 409 with the job
    already queued, running or waiting)."""

    permission_classes = (HasPermission,)
    read_permission = "integrations.view_integration"
    write_permission = "integrations.run_sync"
    serializer_class = SyncJobSerializer

    def get_queryset(self):
        integration = integration_or_404(self.kwargs["pk"])
        return (
            SyncJob.objects.filter(integration=integration)
            .select_related("requested_by")
            .prefetch_related("steps")
            .order_by("-created_at", "-id")
        )

    @extend_schema(request=ScheduleSyncSerializer, responses={201: SyncJobSerializer, 409: SyncJobSerializer})
    def post(self, request, pk: int):
        integration = integration_or_404(pk)
        options = ScheduleSyncSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        if not integration.enabled:
            return Response({"detail": "Activate the integration to sync it."}, status=status.HTTP_409_CONFLICT)
        try:
            result = services.schedule_sync(
                integration,
                trigger=SyncTrigger.API,
                user=request.user,
                connectors=options.validated_data["connectors"] or None,
                full=options.validated_data["full"],
            )
        except ValueError as error:
            return Response({"connectors": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        body = SyncJobSerializer(SyncJob.objects.prefetch_related("steps").get(pk=result.job.pk)).data
        if not result.created:
            return Response({"detail": "A sync is already running.", "job": body}, status=status.HTTP_409_CONFLICT)
        return Response(body, status=status.HTTP_201_CREATED)


class SyncJobView(RetrieveAPIView):
    """One sync job with its steps."""

    permission_classes = (HasPermission,)
    read_permission = "integrations.view_integration"
    write_permission = "integrations.run_sync"
    serializer_class = SyncJobSerializer
    queryset = SyncJob.objects.select_related("requested_by").prefetch_related("steps")


class CancelSyncJobView(APIView):
    """Cancel a job: at once when it has not started, at the next page boundary when it runs (202)."""

    permission_classes = (HasPermission,)
    read_permission = "integrations.run_sync"
    write_permission = "integrations.run_sync"

    @extend_schema(request=None, responses={202: SyncJobSerializer, 409: None})
    def post(self, request, pk: int):
        job = get_object_or_404(SyncJob, pk=pk)
        if not services.cancel_sync_job(job):
            return Response({"detail": "This sync has already ended."}, status=status.HTTP_409_CONFLICT)
        job = SyncJob.objects.prefetch_related("steps").get(pk=job.pk)
        return Response(SyncJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
