"""Create and edit (one form: the generic fields plus the chosen type's settings), and Check connection."""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.debug import sensitive_variables
from django.views.generic import TemplateView

from backoffice.generic import BackofficeMixin

from .. import services
from ..forms import CHECK_CONNECTION, IntegrationForm, connection_check_values
from ..models import Integration
from ..registry import ConnectionResult, IntegrationType, registry
from .common import BREADCRUMBS, LIST_CRUMB, IntegrationObjectMixin
from .pending import PENDING_FIELD, pending_secrets, secret_post_parameters, stash_pending_secrets

DUPLICATE_NAME = "An integration with this name already exists."


def _add_or_change(view: View) -> tuple[str]:
    """The permission of a create-or-edit view: change with a pk in the URL, else add."""
    return ("integrations.change_integration",) if "pk" in view.kwargs else ("integrations.add_integration",)


@method_decorator(secret_post_parameters, name="dispatch")
class IntegrationFormView(BackofficeMixin, IntegrationObjectMixin, TemplateView):
    """Create and edit share this view: the generic fields plus the chosen type's settings form."""

    template_name = "integrations/integration_form.html"

    def get_permission_required(self):
        return _add_or_change(self)

    def get_title(self) -> str:
        return f"Edit {self.integration.name}" if self.integration else "Create Integration"

    def get_breadcrumbs(self):
        crumbs = [*BREADCRUMBS, LIST_CRUMB]
        if self.integration:
            crumbs.append((self.integration.name, reverse("integrations:detail", args=[self.integration.pk])))
        return [*crumbs, (self.get_title(), None)]

    def get_type(self) -> IntegrationType | None:
        if self.integration:
            integration_type = self.integration.integration_type
            if integration_type is None:
                raise Http404("The app of this integration's type is not installed.")
            return integration_type
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        return registry.get(source.get("type", ""))

    def build_form(self, integration_type: IntegrationType, data=None, pending=None) -> IntegrationForm:
        instance = self.integration or Integration(type=integration_type.key)
        return IntegrationForm(
            data, instance=instance, integration_type=integration_type, user=self.request.user, pending_secrets=pending
        )

    def cancel_url(self) -> str:
        if self.integration:
            return reverse("integrations:detail", args=[self.integration.pk])
        return reverse("integrations:list")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        integration_type = kwargs.get("integration_type")
        check_url = (
            reverse("integrations:check_connection_existing", args=[self.integration.pk])
            if self.integration
            else reverse("integrations:check_connection")
        )
        context.update(
            integration=self.integration,
            type_choices=registry.choices(),
            cancel_url=self.cancel_url(),
            check_connection_marker=CHECK_CONNECTION,
            check_url=check_url,
            selected_type=integration_type.key if integration_type else self.request.GET.get("type", ""),
        )
        return context

    def get(self, request, *args, **kwargs):
        integration_type = self.get_type()
        if request.GET.get("type") and integration_type is None and not self.integration:
            messages.error(request, "Choose a type from the list.")
        form = self.build_form(integration_type) if integration_type else None
        return self.render_to_response(self.get_context_data(form=form, integration_type=integration_type))

    def keep_typed_secrets(self, form: IntegrationForm, context: dict) -> None:
        """The page comes back without the secrets (never rendered): keep what was typed, encrypted in the
        session, so a later Save uses it."""
        typed = form.typed_secrets()
        if typed:
            form.settings_form.keep_pending(typed)
            context["pending_token"] = stash_pending_secrets(self.request, typed)

    @sensitive_variables()
    def post(self, request, *args, **kwargs):
        integration_type = self.get_type()
        if integration_type is None:
            messages.error(request, "Choose a type from the list.")
            return redirect("integrations:create")
        action = request.POST.get("action", "save_close")
        pending_token = request.POST.get(PENDING_FIELD, "")
        pending = pending_secrets(request, pending_token) if pending_token else {}
        form = self.build_form(integration_type, request.POST, pending)
        context = {"form": form, "integration_type": integration_type}

        if action == "check":  # the Check connection button without JavaScript
            context["check_result"], context["check_errors"] = _run_check(form)
            self.keep_typed_secrets(form, context)
            return self.render_to_response(self.get_context_data(**context))

        if not form.is_valid():
            return self.render_to_response(self.get_context_data(**context))

        result: ConnectionResult | None = None
        if action != "save_anyway":
            result = services.check_connection(integration_type.key, form.connection_values())
            if not result.ok:
                context.update(save_failure=result, then=action)
                self.keep_typed_secrets(form, context)
                return self.render_to_response(self.get_context_data(**context))
        close = (request.POST.get("then") if action == "save_anyway" else action) != "save"
        discovered = dict(result.discovered_settings) if result else {}
        try:
            integration = self.save(form, discovered)
        except IntegrityError:
            # Another save took the name between validation and now (the unique index decides).
            form.add_error("name", DUPLICATE_NAME)
            self.keep_typed_secrets(form, context)
            return self.render_to_response(self.get_context_data(**context))
        if pending_token:
            pending_secrets(request, pending_token, pop=True)
        if result is None:
            messages.warning(request, f"Integration “{integration.name}” saved without a successful connection check.")
        else:
            messages.success(request, f"Integration “{integration.name}” saved. Connection Successful.")
        if close:
            return redirect("integrations:list")
        return redirect("integrations:edit", pk=integration.pk)

    @sensitive_variables()
    def save(self, form: IntegrationForm, discovered: dict) -> Integration:
        data = form.cleaned_data
        if self.integration:
            services.update_integration(
                self.integration,
                user=self.request.user,
                name=data["name"],
                default_owner=data["default_owner"],
                sync_interval_minutes=data["sync_interval_minutes"],
                settings=form.settings_values(),
                secrets=form.typed_secrets(),
                discovered_settings=discovered,
                remove_secrets=form.removed_secrets(),
            )
            return Integration.objects.get(pk=self.integration.pk)
        return services.create_integration(
            type_key=form.integration_type.key,
            name=data["name"],
            default_owner=data["default_owner"],
            sync_interval_minutes=data["sync_interval_minutes"],
            settings=form.settings_values(),
            secrets=form.typed_secrets(),
            discovered_settings=discovered,
            user=self.request.user,
        )


@sensitive_variables()
def _run_check(form: IntegrationForm) -> tuple[ConnectionResult | None, dict[str, list[str]]]:
    values, errors = connection_check_values(form)
    if errors:
        return None, errors
    return services.check_connection(form.integration_type.key, values), {}


@method_decorator(secret_post_parameters, name="dispatch")
class CheckConnectionView(BackofficeMixin, IntegrationObjectMixin, View):
    """htmx: try what is typed in the form (a blank secret on edit means the stored one); saves nothing."""

    http_method_names = ["post"]

    def get_permission_required(self):
        return _add_or_change(self)

    @sensitive_variables()
    def post(self, request, *args, **kwargs):
        type_key = self.integration.type if self.integration else request.POST.get("type", "")
        integration_type = registry.get(type_key)
        if integration_type is None:
            return HttpResponse("Choose a type first.", status=400)
        pending_token = request.POST.get(PENDING_FIELD, "")
        form = IntegrationForm(
            request.POST,
            instance=self.integration or Integration(type=type_key),
            integration_type=integration_type,
            user=request.user,
            pending_secrets=pending_secrets(request, pending_token) if pending_token else None,
        )
        result, errors = _run_check(form)
        return TemplateResponse(
            request, "integrations/includes/check_result.html", {"check_result": result, "check_errors": errors}
        )
