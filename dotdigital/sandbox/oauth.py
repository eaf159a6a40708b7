"""Email Studio single sign-on: the authorise page, the token endpoint and the signed-in landing page."""

from __future__ import annotations

import html
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from dotdigital.sandbox.http import Request, Response, html_response, json_response, redirect

if TYPE_CHECKING:
    from dotdigital.sandbox.app import SandboxApp

CODE_LIFETIME = 300.0
ACCESS_LIFETIME = 3600.0
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:3rem auto;max-width:36rem;color:#222}}
.card{{border:1px solid #ccd;border-radius:8px;padding:1.5rem}}
button{{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}}
.approve{{background:#1b6ac9;color:#fff;border:0;border-radius:4px}}.muted{{color:#667}}</style></head>
<body><div class="card"><h1>{title}</h1>{body}</div>
<p class="muted">Dotdigital sandbox (not the real service)</p></body></html>"""


@dataclass
class OAuthState:
    """Authorisation codes and tokens issued by the sandbox."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    codes: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    access_tokens: dict[str, float] = field(default_factory=dict)


def _page(title: str, body: str, status: int = 200) -> Response:
    return html_response(PAGE.format(title=html.escape(title), body=body), status)


def _param(request: Request, name: str) -> str:
    # Magento sends the key as "client_id=" (wire form client_id%3D); accept it too.
    return request.query.get(name) or request.query.get(f"{name}=") or ""


def authorise(app: SandboxApp, request: Request) -> Response:
    params = dict(request.query)
    if request.method == "POST":
        params.update({k.lower(): v for k, v in request.form().items()})
    client_id = params.get("client_id") or params.get("client_id=") or ""
    redirect_uri = params.get("redirect_uri", "")
    state = params.get("state", "")
    if client_id != app.config.oauth_client_id:
        return _page("Unknown application", "<p>The client_id is not registered with this account.</p>", 400)
    if urlsplit(redirect_uri).scheme not in ("http", "https") or params.get("response_type", "code") != "code":
        return _page("Invalid request", "<p>redirect_uri must be an http(s) URL and response_type code.</p>", 400)
    decision = params.get("decision", "")
    separator = "&" if "?" in redirect_uri else "?"
    if decision == "deny":
        return redirect(f"{redirect_uri}{separator}{urlencode({'error': 'access_denied', 'state': state})}")
    if decision == "approve":
        code = secrets.token_urlsafe(24)
        with app.oauth.lock:
            app.oauth.codes[code] = (client_id, redirect_uri, time.monotonic() + CODE_LIFETIME)
        return redirect(f"{redirect_uri}{separator}{urlencode({'code': code, 'state': state})}")
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in (
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("state", state),
            ("response_type", "code"),
            ("scope", params.get("scope", "Account")),
        )
    )
    body = (
        f"<p>An application wants to sign you in to <strong>{html.escape(app.config.account_name)}</strong> "
        f"(scope: {html.escape(params.get('scope', 'Account'))}).</p>"
        f'<p class="muted">It will be sent back to {html.escape(redirect_uri)}</p>'
        f'<form method="post">{hidden}'
        '<button class="approve" type="submit" name="decision" value="approve">Approve</button>'
        '<button type="submit" name="decision" value="deny">Deny</button></form>'
    )
    return _page("Allow access to your Dotdigital account?", body)


def _token_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def tokens(app: SandboxApp, request: Request) -> Response:
    form = request.form()
    if (
        form.get("client_id") != app.config.oauth_client_id
        or form.get("client_secret") != app.config.oauth_client_secret
    ):
        return _token_error("invalid_client", "The client id or client secret is not valid.", 401)
    grant = form.get("grant_type", "")
    now = time.monotonic()
    with app.oauth.lock:
        if grant == "authorization_code":
            issued = app.oauth.codes.pop(form.get("code", ""), None)
            if issued is None or issued[2] < now:
                return _token_error("invalid_grant", "The authorisation code is not valid or has expired.")
            if form.get("redirect_uri") and form["redirect_uri"] != issued[1]:
                return _token_error("invalid_grant", "redirect_uri does not match the authorisation request.")
            refresh = secrets.token_urlsafe(32)
            app.oauth.refresh_tokens[refresh] = form["client_id"]
        elif grant == "refresh_token":
            refresh = form.get("refresh_token", "")
            if app.oauth.refresh_tokens.get(refresh) != form["client_id"]:
                return _token_error("invalid_grant", "The refresh token is not valid.")
        else:
            return _token_error("unsupported_grant_type", f"grant_type {grant!r} is not supported.")
        access = secrets.token_urlsafe(32)
        app.oauth.access_tokens[access] = now + ACCESS_LIFETIME
    return json_response(
        {"access_token": access, "token_type": "bearer", "expires_in": int(ACCESS_LIFETIME), "refresh_token": refresh}
    )


def home(app: SandboxApp, request: Request) -> Response:
    token = request.query.get("oauthtoken")
    if token is None:
        body = (
            f"<p>This is the Dotdigital sandbox for <strong>{html.escape(app.config.account_name)}</strong>.</p>"
            f"<p>API: <code>{html.escape(request.host_url)}</code> (HTTP Basic, the API user printed at start).</p>"
        )
        return _page("Dotdigital sandbox", body)
    with app.oauth.lock:
        expires = app.oauth.access_tokens.get(token)
    if expires is None or expires < time.monotonic():
        return _page(
            "Sign-in failed", "<p>The access token is not valid or has expired. ERROR_OAUTH_TOKEN_INVALID</p>", 401
        )
    body = (
        f"<p>You are signed in to the sandbox <strong>Email Studio</strong> of "
        f"<strong>{html.escape(app.config.account_name)}</strong>.</p>"
        "<p>Campaigns, contacts and reports would appear here in the real Dotdigital app.</p>"
    )
    return _page("Email Studio (sandbox)", body)
