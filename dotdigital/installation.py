"""One Dotdigital integration row seen through its type: its clients, its connectors and how its failures read.

Nothing else reads `settings["username"]` or decrypts the password: views, connectors, SSO, the export and the
API reach Dotdigital through `integration.installation()`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from dotdigital.client import DotdigitalClient
from dotdigital.client.api import DEFAULT_API_URL
from dotdigital.client.hosts import check_endpoint_allowed, is_dotdigital_domain
from dotdigital.exceptions import AuthenticationError, DotdigitalError, HostNotAllowedError, RateLimitedError
from integrations.sync import Connector, Failure, Installation, SyncContext

SOURCE = "dotdigital"
# A person waits for a page or a button: fail fast rather than wait out a batch job's patience.
INTERACTIVE_TIMEOUT = (5.0, 30.0)
# A worker nobody watches: long read timeouts and patient, bounded retries on 5xx and timeouts.
BATCH_TIMEOUT = (10.0, 121.0)
FLAT_LIMIT_WAIT = timedelta(minutes=5)  # the flat limit counts calls over a rolling hour and names no reset
SHORT_WAIT = timedelta(minutes=1)
# The app (UI and OAuth) host of a region: r1-api.dotdigital.com serves r1-app.dotdigital.com; the legacy dotmailer
# domain's app moved to dotdigital.com (as Dotdigital's Magento extension maps it).
_REGION_API_HOST = re.compile(r"^(?P<region>r[0-9]+)-api(?P<suffix>[a-z0-9-]*)\.(?:dotdigital|dotmailer)\.com\.?$")
DEFAULT_APP_HOST = "https://r1-app.dotdigital.com"
CREDENTIALS_REFUSED = "Dotdigital rejected the API user's credentials: check Username and Password on the integration."


@sensitive_variables()
def interactive_client(username: str, password: str, **kwargs: Any) -> DotdigitalClient:
    """A client for calls a person waits for (a page or a button): short timeouts, at most one retry."""
    return DotdigitalClient(
        username, password, timeout=INTERACTIVE_TIMEOUT, max_retries=1, retry_time_budget=10.0, **kwargs
    )


@sensitive_variables()
def batch_client(username: str, password: str, **kwargs: Any) -> DotdigitalClient:
    """A client for sync workers: long timeouts, five retries within two minutes, waits of up to 5 s for a 429."""
    return DotdigitalClient(username, password, timeout=BATCH_TIMEOUT, max_retries=5, retry_time_budget=120.0, **kwargs)


class DotdigitalInstallation(Installation):
    """The account of one Dotdigital integration: `client()` for workers, `interactive_client()` for pages."""

    def __init__(self, integration) -> None:
        super().__init__(integration)
        self._clients: list[DotdigitalClient] = []

    @property
    def source_key(self) -> str:
        return SOURCE

    @classmethod
    def connector_classes(cls) -> Sequence[type[Connector]]:
        from dotdigital.connectors import CONNECTORS

        return CONNECTORS

    @property
    def username(self) -> str:
        return self.integration.settings.get("username", "")

    @property
    def api_endpoint(self) -> str | None:
        return self.integration.settings.get("api_endpoint") or None

    def setting(self, name: str, default: Any = None) -> Any:
        return self.integration.settings.get(name, default)

    @sensitive_variables()
    def _build(self, factory, **kwargs: Any) -> DotdigitalClient:
        password = self.integration.get_secrets().get("password", "")
        client = factory(self.username, password, api_endpoint=self.api_endpoint, **kwargs)
        self._clients.append(client)
        return client

    @cached_property
    def _batch(self) -> DotdigitalClient:
        return self._build(batch_client)

    def client(self) -> DotdigitalClient:
        """The batch client (one per installation: its session and call count are shared by the connectors)."""
        return self._batch

    def new_client(self) -> DotdigitalClient:
        """Another batch client, for calls made in parallel threads (a Session is not shared across threads)."""
        return self._build(batch_client)

    def interactive_client(self, **kwargs: Any) -> DotdigitalClient:
        return self._build(interactive_client, **kwargs)

    def api_calls(self) -> int:
        return sum(client.call_count for client in self._clients)

    def after_step(self, context: SyncContext) -> None:
        """After the data fields are read: the default mappings of an integration's first data-field sync."""
        if context.step.connector == "data_fields":
            from dotdigital.mappings import create_default_mappings

            created = create_default_mappings(self.integration)
            if created:
                context.note(f"Default data field mappings created: {created} (FIRSTNAME, LASTNAME, FULLNAME)")

    def explain_failure(self, error: BaseException) -> Failure:
        from dotdigital.connectors.export import ImportsBusy
        from dotdigital.integration import explain

        call = getattr(error, "call", "") or ""
        if isinstance(error, ImportsBusy):
            return Failure(
                kind="rate_limited",
                message=error.message,
                retry_at=error.retry_at,
                call=call,
                waiting_for="Dotdigital to finish the imports already sent",
            )
        if isinstance(error, RateLimitedError):
            retry_at = error.reset_at
            if retry_at is None:  # the flat (hourly, rolling) limit says no reset time: look again in a while
                retry_at = timezone.now() + (FLAT_LIMIT_WAIT if error.code == "ERROR_APIUSAGE_EXCEEDED" else SHORT_WAIT)
            return Failure(kind="rate_limited", message=error.message, retry_at=retry_at, call=call)
        if isinstance(error, AuthenticationError):
            return Failure(kind="credentials", message=CREDENTIALS_REFUSED, call=call)
        if isinstance(error, HostNotAllowedError):
            return Failure(kind="error", message=explain(error), call=call)
        if isinstance(error, DotdigitalError):
            return Failure(kind="error", message=explain(error), call=call)
        return super().explain_failure(error)

    # -- Email Studio single sign-on -----------------------------------------------------------------------------

    def oauth_host(self) -> str:
        """The Dotdigital app address for Email Studio's OAuth and sign-in, without a trailing slash.

        The Custom OAuth Domain when one other than the default was set; otherwise the app host of the account's
        region, from its API endpoint (`https://r2-api.dotdigital.com` gives `https://r2-app.dotdigital.com`).
        An endpoint that is not on a Dotdigital domain (the sandbox at DOTDIGITAL_API_URL) serves the app on its
        own origin. Checked against the client's allow-list now, at use, and not only when the form was saved:
        raises HostNotAllowedError.
        """
        from dotdigital.forms import DEFAULT_OAUTH_DOMAIN

        custom = str(self.setting("custom_domain") or "").strip()
        if custom and custom.rstrip("/") != DEFAULT_OAUTH_DOMAIN.rstrip("/"):
            return check_endpoint_allowed(custom)
        endpoint = self.api_endpoint or getattr(settings, "DOTDIGITAL_API_URL", "") or DEFAULT_API_URL
        return check_endpoint_allowed(app_host_for(endpoint))

    @sensitive_variables()
    def oauth_client(self) -> tuple[str, str]:
        """(Client ID, Client Secret key) of the account's OAuth client; blanks when either is not set.

        Raises `integrations.crypto.SecretsUnreadable` when the stored secrets cannot be decrypted.
        """
        client_id = str(self.setting("client_id") or "").strip()
        client_secret = self.integration.get_secrets().get("client_key", "")
        if not (client_id and client_secret):
            return "", ""
        return client_id, client_secret


def app_host_for(api_endpoint: str) -> str:
    """The app host that goes with an API endpoint (see `DotdigitalInstallation.oauth_host`); not checked here."""
    parts = urlsplit(api_endpoint.strip())
    host = (parts.hostname or "").lower()
    if not host or not parts.scheme:
        return DEFAULT_APP_HOST
    if not is_dotdigital_domain(host):
        return f"{parts.scheme.lower()}://{parts.netloc.lower()}"
    match = _REGION_API_HOST.match(host)
    if match is None:
        return DEFAULT_APP_HOST
    return f"https://{match['region']}-app{match['suffix']}.dotdigital.com"
