"""The grid of integrations, activate/deactivate, and delete (which says how much imported data goes with it)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import ProtectedError
from django.db.models.deletion import CASCADE
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.views import View
from django.views.generic import DetailView

from backoffice.generic import BackofficeMixin, GridView, action, safe_next

from .. import services
from ..filters import IntegrationFilter
from ..models import Integration
from ..tables import IntegrationTable
from .common import BREADCRUMBS, LIST_CRUMB


class IntegrationListView(GridView):
    permission_required = "integrations.view_integration"
    table_class = IntegrationTable
    filterset_class = IntegrationFilter
    title = "Manage Integrations"
    breadcrumbs = BREADCRUMBS
    empty_message = "No integrations yet."
    page_actions = (
        action(
            "Create Integration",
            reverse_lazy("integrations:create"),
            permission="integrations.add_integration",
            icon="plus-lg",
        ),
    )

    def get_queryset(self):
        return Integration.objects.select_related("default_owner")

    def get_empty_action(self):
        if self.request.user.has_perm("integrations.add_integration"):
            return {"label": "Create Integration", "url": reverse("integrations:create")}
        return None


class IntegrationToggleView(BackofficeMixin, View):
    """Activate or deactivate (POST `enabled` = 1 or 0)."""

    permission_required = "integrations.change_integration"
    http_method_names = ["post"]

    def post(self, request, pk: int):
        integration = get_object_or_404(Integration, pk=pk)
        enabled = request.POST.get("enabled") == "1"
        if services.set_enabled(integration, enabled, user=request.user):
            if enabled:
                messages.success(request, f"Integration “{integration.name}” activated.")
            else:
                messages.success(
                    request, f"Integration “{integration.name}” deactivated: it is no longer synchronized."
                )
        return HttpResponseRedirect(safe_next(request, reverse("integrations:list")))


def _cascade_counts(integration: Integration) -> list[tuple[str, int]]:
    """How many imported rows of each directly related kind a delete removes (one COUNT per relation)."""
    counts = []
    for relation in Integration._meta.related_objects:
        model = relation.related_model
        # The integration's own history is not imported data; it goes too, as the page says.
        if relation.on_delete is not CASCADE or relation.many_to_many or model._meta.app_label == "integrations":
            continue
        count = model._default_manager.filter(**{relation.field.name: integration}).count()
        if count:
            counts.append((str(model._meta.verbose_name_plural), count))
    return counts


class IntegrationDeleteView(BackofficeMixin, DetailView):
    permission_required = "integrations.delete_integration"
    template_name = "integrations/integration_confirm_delete.html"
    context_object_name = "integration"
    model = Integration

    def get_title(self) -> str:
        return f"Delete {self.object.name}"

    def get_breadcrumbs(self):
        detail = reverse("integrations:detail", args=[self.object.pk])
        return [*BREADCRUMBS, LIST_CRUMB, (self.object.name, detail), ("Delete", None)]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cascade_counts"] = _cascade_counts(self.object)
        return context

    def post(self, request, pk: int):
        self.object = self.get_object()
        name = self.object.name
        try:
            services.delete_integration(self.object)
        except ProtectedError:
            messages.error(request, f"“{name}” cannot be deleted: other records still depend on it.")
            return redirect("integrations:detail", pk=pk)
        messages.success(request, f"Integration “{name}” deleted.")
        return redirect("integrations:list")
