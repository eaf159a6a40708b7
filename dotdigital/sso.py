"""Email Studio: single sign-on into an integration's Dotdigital app with the OAuth 2.0 code flow.

The protocol is authlib's (`OAuth2Session`); this module adds what Dotdigital and the back-office need around it:

- the OAuth host, Client ID and Client Secret key come from the integration's installation, and the host is held to
  the client's allow-list every time it is used;
- `state` is random, single-use, expires, and is bound to the browser session, the user and the integration (Oro
  sent the integration id, which anyone can guess);
- only the refresh token is stored, encrypted like the integration's secrets, per (integration, user); each visit
  exchanges it for an access token that is put in the frame's URL and nowhere else (no column, no log line).

Every failure is an `EmailStudioError` whose `message` the page shows; nothing here raises an HTTP error.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from dotdigital.exceptions import HostNotAllowedError
from dotdigital.installation import INTERACTIVE_TIMEOUT
from dotdigital.models import EmailStudioChoice, EmailStudioConnection
from integrations import crypto
from integrations.models import Integration

logger = logging.getLogger(__name__)

SCOPE = "Account"
AUTHORISE_PATH = "/OAuth2/authorise.aspx"  # British spelling, as every Dotdigital client sends it
TOKEN_PATH = "/OAuth2/Tokens.ashx"  # noqa: S105 - a path, not a secret
STATE_LIFETIME = 600.0  # seconds from Connect to the callback: time enough to sign in to Dotdigital first
MAX_PENDING_STATES = 5  # per browser session: several tabs may be connecting at once, but not without bound
SESSION_KEY = "dotdigital_email_studio_states"
# The settings whose change makes the stored refresh tokens meaningless: another OAuth client, another app host,
# or another account behind the integration.
TOKEN_SETTINGS = frozenset({"client_id", "client_key", "custom_domain", "username", "api_endpoint"})

NOT_CONFIGURED = "Ask an administrator to set Client ID and Client Secret key on the integration."


class EmailStudioError(Exception):
    """Why Email Studio cannot open now, in words for the page (`message`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotConfigured(EmailStudioError):
    """The integration has no Client ID or no Client Secret key."""


class HostRefused(EmailStudioError):
    """The OAuth host (Custom OAuth Domain or region app host) is not on the allow-list."""


class NotConnected(EmailStudioError):
    """The user has not connected to this integration's Email Studio yet (or was disconnected)."""


class Refused(EmailStudioError):
    """Dotdigital refused the authorisation code, the refresh token or the OAuth client (`error` is its code)."""

    def __init__(self, message: str, error: str = "") -> None:
        super().__init__(message)
        self.error = error


class Unreachable(EmailStudioError):
    """Dotdigital could not be reached, or did not answer as expected: try again."""


class StateRejected(EmailStudioError):
    """The callback's `state` is missing, unknown, expired, used already or another user's (a 403)."""


@dataclass(frozen=True)
class OAuthApp:
    """One integration's OAuth client: the checked app host (no trailing slash) and its credentials."""

    host: str
    client_id: str
    client_secret: str = field(repr=False)

    @property
    def authorise_url(self) -> str:
        return f"{self.host}{AUTHORISE_PATH}"

    @property
    def token_url(self) -> str:
        return f"{self.host}{TOKEN_PATH}"

    @property
    def origin(self) -> str:
        """The host as a Content-Security-Policy source (`scheme://host[:port]`)."""
        return self.host

    @sensitive_variables()
    def sign_in_url(self, access_token: str) -> str:
        return f"{self.host}/?{urlencode({'oauthtoken': access_token, 'suppressfooter': 'true'})}"


@sensitive_variables()
def oauth_app(integration: Integration) -> OAuthApp:
    """The integration's OAuth client, read through its installation; raises NotConfigured or HostRefused."""
    installation = integration.installation()
    try:
        client_id, client_secret = installation.oauth_client()
    except crypto.SecretsUnreadable as error:
        raise NotConfigured(f"{NOT_CONFIGURED} ({error})") from error
    if not (client_id and client_secret):
        raise NotConfigured(NOT_CONFIGURED)
    try:
        host = installation.oauth_host()
    except HostNotAllowedError as error:
        logger.warning("Email Studio of integration %s: OAuth host refused by the allow-list", integration.pk)
        raise HostRefused(
            "Email Studio cannot open: the integration's Custom OAuth Domain (or its account's app host) is not an "
            f"allowed Dotdigital address. {error.message} Ask an administrator to correct Custom OAuth Domain."
        ) from error
    return OAuthApp(host=host, client_id=client_id, client_secret=client_secret)


def _session(app: OAuthApp, redirect_uri: str | None = None) -> OAuth2Session:
    # Dotdigital reads the client's credentials from the form body (client_secret_post), not from Basic auth.
    return OAuth2Session(
        client_id=app.client_id,
        client_secret=app.client_secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name
    )


# -- state ------------------------------------------------------------------------------------------------------------


def _digest(state: str) -> str:
    # The session keeps a digest: the state itself travels only in the two redirects.
    return hashlib.sha256(state.encode()).hexdigest()


def _now() -> float:
    return time.time()


def _pending(request: HttpRequest) -> dict[str, dict[str, Any]]:
    """The session's states, without those expired long enough ago that their refusal needs no explanation."""
    states = request.session.get(SESSION_KEY)
    if not isinstance(states, dict):
        return {}
    horizon = _now() - STATE_LIFETIME
    return {
        key: entry for key, entry in states.items() if isinstance(entry, dict) and entry.get("expires", 0) > horizon
    }


def new_state(request: HttpRequest, integration: Integration) -> str:
    """A random single-use state for one Connect, remembered in the user's session with the integration."""
    state = secrets.token_urlsafe(32)
    states = _pending(request)
    fresh = sorted((entry["expires"], key) for key, entry in states.items() if not entry.get("used"))
    for _expires, key in fresh[: max(0, len(fresh) - MAX_PENDING_STATES + 1)]:
        states.pop(key)
    states[_digest(state)] = {
        "integration": integration.pk,
        "user": request.user.pk,
        "expires": _now() + STATE_LIFETIME,
    }
    request.session[SESSION_KEY] = states
    return state


def accept_state(request: HttpRequest) -> int:
    """Check the callback's `state` and use it up; returns the integration id it was issued for.

    Raises StateRejected saying why (missing, unknown, expired, already used, another user's); a rejected state
    changes nothing but the session's bookkeeping.
    """
    state = request.GET.get("state", "")
    if not state:
        raise StateRejected(
            "Dotdigital's answer has no state, so it cannot be matched to a Connect you started here. "
            "Nothing was changed."
        )
    states = _pending(request)
    key = _digest(state)
    entry = states.get(key)
    if entry is None:
        raise StateRejected(
            "Dotdigital's answer does not match a Connect started in this browser session (the state is unknown). "
            "Nothing was changed: open Email Studio and press Connect to Email Studio again."
        )
    if entry.get("user") != request.user.pk:
        raise StateRejected(
            "This sign-in was started by another user, so it cannot connect your Email Studio. Nothing was changed."
        )
    if entry.get("used"):
        raise StateRejected(
            "This sign-in answer has been used already; each one works once. Nothing was changed: if you are not "
            "connected, press Connect to Email Studio again."
        )
    entry["used"] = True
    request.session[SESSION_KEY] = states
    if entry.get("expires", 0) < _now():
        raise StateRejected(
            f"This sign-in took longer than {int(STATE_LIFETIME // 60)} minutes and has expired. Nothing was "
            "changed: press Connect to Email Studio again."
        )
    return int(entry["integration"])


# -- the token endpoint -----------------------------------------------------------------------------------------------


def _refusal(error: OAuthError) -> Refused:
    said = error.description or error.error or "no reason given"
    if error.error == "invalid_client":
        return Refused(
            f"Dotdigital refused the integration's Client ID or Client Secret key ({said}). Ask an administrator to "
            "check them on the integration.",
            error.error,
        )
    return Refused(f"Dotdigital refused the sign-in ({said}). Connect to Email Studio again.", error.error or "")


@sensitive_variables()
def _token_request(app: OAuthApp, call: str, **kwargs: Any) -> Mapping[str, Any]:
    """POST to the token endpoint through authlib; every failure becomes Refused or Unreachable."""
    with _session(app, kwargs.pop("redirect_uri", None)) as session:
        try:
            if call == "refresh":
                token = session.refresh_token(
                    app.token_url, timeout=INTERACTIVE_TIMEOUT, allow_redirects=False, **kwargs
                )
            else:
                token = session.fetch_token(
                    app.token_url,
                    grant_type="authorization_code",
                    timeout=INTERACTIVE_TIMEOUT,
                    allow_redirects=False,
                    **kwargs,
                )
        except OAuthError as error:
            logger.warning("Email Studio %s refused by %s: %s", call, app.host, error.error)
            raise _refusal(error) from None
        except requests.Timeout:
            logger.warning("Email Studio %s: %s timed out", call, app.host)
            raise Unreachable(f"Dotdigital could not be reached: {app.host} did not answer in time.") from None
        except requests.ConnectionError:
            logger.warning("Email Studio %s: cannot connect to %s", call, app.host)
            raise Unreachable(f"Dotdigital could not be reached: cannot connect to {app.host}.") from None
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else None
            logger.warning("Email Studio %s: %s answered HTTP %s", call, app.host, status)
            if status is not None and status < 500:
                raise Refused(
                    f"Dotdigital refused the sign-in (HTTP {status}). Connect to Email Studio again."
                ) from None
            raise Unreachable(f"Dotdigital could not be reached: {app.host} answered HTTP {status}.") from None
        except (requests.RequestException, ValueError):
            # ValueError: authlib found no JSON object (a redirect, an HTML page from a proxy).
            logger.warning("Email Studio %s: %s answered something unexpected", call, app.host)
            raise Unreachable(f"Dotdigital answered something unexpected at {app.host}.") from None
    return dict(token)


# -- the flow ---------------------------------------------------------------------------------------------------------


@sensitive_variables()
def authorisation_url(request: HttpRequest, integration: Integration, redirect_uri: str) -> str:
    """Where Connect sends the browser: Dotdigital's authorise page with a new state for this user and integration."""
    app = oauth_app(integration)
    state = new_state(request, integration)
    with _session(app, redirect_uri) as session:
        url, _state = session.create_authorization_url(app.authorise_url, state=state)
    return url


@sensitive_variables()
def connect(integration: Integration, user: AbstractBaseUser, query: Mapping[str, str], redirect_uri: str) -> None:
    """Finish Connect (after `accept_state`): exchange the callback's code for a refresh token and store it encrypted.

    Raises Refused (Dotdigital said no, or the user denied access), Unreachable, NotConfigured or HostRefused.
    """
    if query.get("error"):
        said = query.get("error_description") or query.get("error")
        raise Refused(f"Dotdigital did not grant access ({said}). Connect to Email Studio again to retry.")
    code = query.get("code", "")
    if not code:
        raise Refused("Dotdigital's answer has no authorisation code. Connect to Email Studio again.")
    app = oauth_app(integration)
    token = _token_request(app, "code", code=code, redirect_uri=redirect_uri)
    refresh = token.get("refresh_token")
    if not isinstance(refresh, str) or not refresh:
        raise Unreachable("Dotdigital answered without a refresh token. Connect to Email Studio again.")
    EmailStudioConnection.objects.update_or_create(
        integration=integration, user=user, defaults={"refresh_token": crypto.encrypt(refresh)}
    )
    logger.info("Email Studio: user %s connected to integration %s", user.pk, integration.pk)


@sensitive_variables()
def sign_in_url(integration: Integration, user: AbstractBaseUser) -> str:
    """The URL that signs the user in to the integration's Dotdigital app, with a fresh access token.

    Raises NotConnected, NotConfigured, HostRefused, Refused (a refresh token Dotdigital no longer accepts is
    forgotten: the user connects again) or Unreachable.
    """
    app = oauth_app(integration)
    connection = EmailStudioConnection.objects.filter(integration=integration, user=user).first()
    if connection is None:
        raise NotConnected("Connect to Email Studio once; later visits sign you in without asking.")
    try:
        refresh = crypto.decrypt(connection.refresh_token)
    except crypto.SecretsUnreadable:
        connection.delete()
        raise Refused(
            "Your Email Studio sign-in cannot be read with the current encryption key. Connect to Email Studio again."
        ) from None
    try:
        token = _token_request(app, "refresh", refresh_token=refresh)
    except Refused as error:
        if error.error == "invalid_client":
            raise  # the OAuth client is at fault, not the user's sign-in: keep it for when an admin fixes the client
        connection.delete()  # a refresh token Dotdigital refused never works again
        logger.info("Email Studio: forgot the refused sign-in of user %s on integration %s", user.pk, integration.pk)
        raise
    access = token.get("access_token")
    if not isinstance(access, str) or not access:
        raise Unreachable("Dotdigital answered without an access token. Try again.")
    changes: dict[str, Any] = {"last_signed_in_at": timezone.now()}
    rotated = token.get("refresh_token")
    if isinstance(rotated, str) and rotated and rotated != refresh:
        changes["refresh_token"] = crypto.encrypt(rotated)  # Dotdigital may rotate it; the old one may stop working
    EmailStudioConnection.objects.filter(pk=connection.pk).update(**changes)
    return app.sign_in_url(access)


def disconnect(integration: Integration, user: AbstractBaseUser) -> bool:
    """Forget the user's Email Studio sign-in for the integration; returns whether there was one."""
    deleted, _ = EmailStudioConnection.objects.filter(integration=integration, user=user).delete()
    if deleted:
        logger.info("Email Studio: user %s disconnected from integration %s", user.pk, integration.pk)
    return bool(deleted)


def forget_sign_ins(integration: Integration) -> int:
    """Forget every user's Email Studio sign-in for the integration; returns how many were forgotten."""
    deleted, _ = EmailStudioConnection.objects.filter(integration=integration).delete()
    if deleted:
        logger.info("Email Studio: forgot %s sign-in(s) of integration %s", deleted, integration.pk)
    return deleted


def is_connected(integration: Integration, user: AbstractBaseUser) -> bool:
    return EmailStudioConnection.objects.filter(integration=integration, user=user).exists()


# -- the integration a user opens -----------------------------------------------------------------------------------


def remember_choice(user: AbstractBaseUser, integration: Integration) -> None:
    """Open this integration first on the user's next visit."""
    EmailStudioChoice.objects.update_or_create(user=user, defaults={"integration": integration})


def chosen_integration(user: AbstractBaseUser, integrations: Sequence[Integration]) -> Integration | None:
    """The integration the user chose last if it is among `integrations`, else the first of them."""
    if not integrations:
        return None
    chosen = EmailStudioChoice.objects.filter(user=user).values_list("integration_id", flat=True).first()
    return next((i for i in integrations if i.pk == chosen), integrations[0])
