"""Marketing > Dotdigital > Email Studio: the page that frames Dotdigital's app, Connect, its callback, Disconnect."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views import View
from django.views.generic import TemplateView

from backoffice.csp import allow_frames_on
from backoffice.generic import BackofficeMixin
from dotdigital import sso
from dotdigital.integration import KEY
from integrations.models import Integration

PERMISSION = "dotdigital.use_email_studio"


def active_integrations() -> list[Integration]:
    return list(Integration.objects.active().of_type(KEY).order_by("name"))


def page_url(integration: Integration) -> str:
    return reverse("dotdigital:email_studio_account", args=[integration.pk])


def callback_url(request: HttpRequest) -> str:
    """The absolute redirect_uri: the same for every integration (the OAuth client registers one)."""
    return request.build_absolute_uri(reverse("dotdigital:email_studio_callback"))


class EmailStudioMixin(BackofficeMixin):
    permission_required = PERMISSION
    title = "Email Studio"
    breadcrumbs = (("Marketing", None), ("Dotdigital", None))

    def get_integration(self, pk: int) -> Integration:
        integration = Integration.objects.active().of_type(KEY).filter(pk=pk).first()
        if integration is None:
            raise Http404("No active Dotdigital integration with this id.")
        return integration


class EmailStudioView(EmailStudioMixin, TemplateView):
    """Email Studio of the chosen integration: Dotdigital's app in a frame, or what to do before it can open.

    Each visit exchanges the user's stored refresh token for a new access token; the page (whose frame URL
    carries that token) is never cached, and its Content-Security-Policy frames exactly that integration's app host.
    """

    template_name = "dotdigital/email_studio.html"

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        integrations = active_integrations()
        picked = request.GET.get("integration", "")
        if picked:
            chosen = next((i for i in integrations if str(i.pk) == picked), None)
            if chosen is None:
                raise Http404("No active Dotdigital integration with this id.")
            sso.remember_choice(request.user, chosen)
            return redirect(page_url(chosen))
        if pk is None:
            integration = sso.chosen_integration(request.user, integrations)
        else:
            integration = next((i for i in integrations if i.pk == pk), None)
            if integration is None:
                raise Http404("No active Dotdigital integration with this id.")
            sso.remember_choice(request.user, integration)
        context = self.get_context_data(integrations=integrations, integration=integration, state="none")
        origin = ""
        if integration is not None:
            origin = self._open(integration, context)
            context["has_sign_in"] = bool(origin) or sso.is_connected(integration, request.user)
        response = self.render_to_response(context)
        if origin:
            allow_frames_on(response, origin)
        add_never_cache_headers(response)
        return response

    def _open(self, integration: Integration, context: dict) -> str:
        """Fill `context` with the frame URL or the reason there is none; return the origin to allow in frames."""
        try:
            app = sso.oauth_app(integration)
            context["frame_url"] = sso.sign_in_url(integration, self.request.user)
        except sso.NotConfigured as error:
            context.update(state="not_configured", problem=error.message)
        except sso.HostRefused as error:
            context.update(state="host_refused", problem=error.message)
        except sso.NotConnected as error:
            context.update(state="not_connected", problem=error.message)
        except sso.Refused as error:
            context.update(state="refused", problem=error.message)
        except sso.Unreachable as error:
            context.update(state="unreachable", problem=error.message)
        else:
            context.update(state="connected", frame_origin=app.origin)
            return app.origin
        return ""


class ConnectView(EmailStudioMixin, View):
    """Connect to Email Studio: send the browser to Dotdigital's authorise page with a fresh state."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        integration = self.get_integration(pk)
        try:
            url = sso.authorisation_url(request, integration, callback_url(request))
        except sso.EmailStudioError as error:
            messages.error(request, error.message)
            return redirect(page_url(integration))
        response = HttpResponseRedirect(url)
        add_never_cache_headers(response)
        return response


class CallbackView(EmailStudioMixin, View):
    """Dotdigital sends the browser back here with `code` and `state` (or `error`)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            pk = sso.accept_state(request)
        except sso.StateRejected as error:
            context = {"title": "Email Studio sign-in refused", "reason": error.message, "breadcrumbs": []}
            return render(request, "dotdigital/email_studio_refused.html", context, status=403)
        integration = Integration.objects.active().of_type(KEY).filter(pk=pk).first()
        if integration is None:
            messages.error(request, "The integration you were connecting to is no longer active.")
            return redirect("dotdigital:email_studio")
        try:
            sso.connect(integration, request.user, request.GET, callback_url(request))
        except sso.EmailStudioError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Connected to the Email Studio of {integration.name}.")
        return redirect(page_url(integration))


class OpenInNewTabView(EmailStudioMixin, View):
    """Open in a new tab: a fresh access token of its own, so the tab does not reuse the frame's."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        integration = self.get_integration(pk)
        try:
            url = sso.sign_in_url(integration, request.user)
        except sso.EmailStudioError as error:
            messages.error(request, error.message)
            return redirect(page_url(integration))
        response = HttpResponseRedirect(url)
        add_never_cache_headers(response)
        return response


class DisconnectView(EmailStudioMixin, View):
    """Disconnect (POST with the CSRF token): forget the user's sign-in for the integration."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        integration = self.get_integration(pk)
        if sso.disconnect(integration, request.user):
            messages.success(request, f"Disconnected from the Email Studio of {integration.name}.")
        return redirect(page_url(integration))
