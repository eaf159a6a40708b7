"""Pages of System > Integrations: the grid, create/edit with Check connection, the view page, activate, delete."""

from __future__ import annotations

import secrets as token_generator
from functools import wraps

from django.contrib import messages
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.db.models.deletion import CASCADE
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.generic import DetailView, TemplateView

from backoffice.generic import BackofficeMixin, GridView

from . import crypto, services
from .filters import IntegrationFilter
from .forms import CHECK_CONNECTION, IntegrationForm, connection_check_values
from .models import Integration
from .registry import ConnectionResult, IntegrationType, registry
from .tables import IntegrationTable

BREADCRUMBS = (("System", None), ("Integrations", None))
LIST_CRUMB = ("Manage Integrations", reverse_lazy("integrations:list"))
PENDING_SESSION_KEY = "integrations.pending_secrets"
MAX_PENDING = 5


class IntegrationListView(GridView):
    permission_required = "integrations.view_integration"
    table_class = IntegrationTable
    filterset_class = IntegrationFilter
    title = "Manage Integrations"
    breadcrumbs = BREADCRUMBS
    empty_message = "No integrations yet."
    page_actions = (
        {
            "label": "Create Integration",
            "url": reverse_lazy("integrations:create"),
            "permission": "integrations.add_integration",
            "icon": "plus-lg",
        },
    )

    def get_queryset(self):
        return Integration.objects.select_related("default_owner")

    def get_empty_action(self):
        if self.request.user.has_perm("integrations.add_integration"):
            return {"label": "Create Integration", "url": reverse("integrations:create")}
        return None


PENDING_FIELD = "pending_secrets"  # the form field carrying the token of secrets kept in the session
DUPLICATE_NAME = "An integration with this name already exists."


def secret_post_parameters(view):
    """Mark the secret fields of every registered type (and the pending-secrets token) as sensitive POST
    parameters, so error reports never show them. The names are read per request: types register in ready()."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        names = {name for integration_type in registry.all() for name in integration_type.secret_fields}
        return sensitive_post_parameters(*sorted(names), PENDING_FIELD)(view)(request, *args, **kwargs)

    return wrapper


class IntegrationObjectMixin:
    """Looks the integration of `pk` up only once the login and permission checks of BackofficeMixin passed
    (it comes after BackofficeMixin in the bases), so an anonymous visitor learns nothing from a 404."""

    integration: Integration | None = None

    def dispatch(self, request, *args, **kwargs):
        if "pk" in kwargs:
            self.integration = get_object_or_404(Integration.objects.select_related("default_owner"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)


def _add_or_change(view: View) -> tuple[str]:
    """The permission of a create-or-edit view: change with a pk in the URL, else add."""
    return ("integrations.change_integration",) if "pk" in view.kwargs else ("integrations.add_integration",)


@sensitive_variables()
def _stash_pending_secrets(request, values: dict[str, str]) -> str:
    """Keep secrets typed into a form whose save failed its connection check, encrypted, in the session only."""
    if not values:
        return ""
    pending = dict(request.session.get(PENDING_SESSION_KEY, {}))
    while len(pending) >= MAX_PENDING:
        pending.pop(next(iter(pending)))
    token = token_generator.token_urlsafe(16)
    pending[token] = crypto.encrypt_json(values)
    request.session[PENDING_SESSION_KEY] = pending
    return token


@sensitive_variables()
def _pending_secrets(request, token: str, *, pop: bool = False) -> dict[str, str]:
    pending = dict(request.session.get(PENDING_SESSION_KEY, {}))
    stored = pending.pop(token, None) if pop else pending.get(token)
    if pop:
        request.session[PENDING_SESSION_KEY] = pending
    if not stored:
        return {}
    try:
        return crypto.decrypt_json(stored)
    except crypto.SecretsUnreadable:
        return {}


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
            context["pending_token"] = _stash_pending_secrets(self.request, typed)

    @sensitive_variables()
    def post(self, request, *args, **kwargs):
        integration_type = self.get_type()
        if integration_type is None:
            messages.error(request, "Choose a type from the list.")
            return redirect("integrations:create")
        action = request.POST.get("action", "save_close")
        pending_token = request.POST.get(PENDING_FIELD, "")
        pending = _pending_secrets(request, pending_token) if pending_token else {}
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
            _pending_secrets(request, pending_token, pop=True)
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
            pending_secrets=_pending_secrets(request, pending_token) if pending_token else None,
        )
        result, errors = _run_check(form)
        return TemplateResponse(
            request, "integrations/includes/check_result.html", {"check_result": result, "check_errors": errors}
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

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
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


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


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
        return HttpResponseRedirect(_safe_next(request, reverse("integrations:list")))


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
