"""What the integration pages share: breadcrumbs, and the lookup after the permission checks."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy

from ..models import Integration

BREADCRUMBS = (("System", None), ("Integrations", None))
LIST_CRUMB = ("Manage Integrations", reverse_lazy("integrations:list"))


class IntegrationObjectMixin:
    """Looks the integration of `pk` up only once the login and permission checks of BackofficeMixin passed
    (it comes after BackofficeMixin in the bases), so an anonymous visitor learns nothing from a 404."""

    integration: Integration | None = None

    def dispatch(self, request, *args, **kwargs):
        if "pk" in kwargs:
            self.integration = get_object_or_404(Integration.objects.select_related("default_owner"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)
