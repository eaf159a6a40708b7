"""The sandbox's WSGI application: routing, HTTP Basic auth, faults on demand, and Dotdigital's error shapes."""

from __future__ import annotations

import base64
import binascii
import logging
import random
import re
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from dotdigital.sandbox import admin, api, campaigns, data_fields, imports, oauth
from dotdigital.sandbox.config import SandboxConfig
from dotdigital.sandbox.http import ApiError, Request, Response, json_response
from dotdigital.sandbox.store import Store

logger = logging.getLogger("dotdigital.sandbox")

AUTH_DENIED = "Authorization has been denied for this request."
UNAVAILABLE = "The service is temporarily unavailable. ERROR_SYSTEM_SERVICETEMPORARILYUNAVAILABLE"
REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

Handler = Callable[..., Response]
ID = r"(?P<{}>-?\d+)"
SEGMENT = r"(?P<{}>[^/]+)"
BOOK = "/v2/address-books/" + ID.format("book_id")
CAMPAIGN = "/v2/campaigns/" + ID.format("campaign_id")

ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v2/account-info", api.account_info),
    ("GET", "/v2/server-time", api.server_time),
    ("GET", "/v2/address-books", api.list_address_books),
    ("GET", "/v2/address-books/(?P<visibility>private|public)", api.list_address_books),
    ("POST", "/v2/address-books", api.create_address_book),
    ("GET", BOOK, api.get_address_book),
    ("PUT", BOOK, api.update_address_book),
    ("DELETE", BOOK, api.delete_address_book),
    ("GET", BOOK + "/contacts", api.book_contacts),
    ("POST", BOOK + "/contacts", api.add_contact_to_book),
    ("POST", BOOK + "/contacts/delete", api.remove_contacts_from_book),
    ("POST", BOOK + "/contacts/import", imports.start_import),
    ("POST", BOOK + "/contacts/import/with-merge-option/" + SEGMENT.format("merge"), imports.start_import),
    ("GET", BOOK + "/contacts/modified-since/" + SEGMENT.format("date"), api.book_contacts_modified_since),
    ("GET", BOOK + "/contacts/unsubscribed-since/" + SEGMENT.format("date"), api.book_unsubscribed_since),
    ("DELETE", BOOK + "/contacts/" + ID.format("contact_id"), api.remove_contact_from_book),
    ("GET", BOOK + "/campaigns", campaigns.book_campaigns),
    ("GET", "/v2/contacts", api.list_contacts),
    ("POST", "/v2/contacts", api.create_contact),
    ("GET", "/v2/contacts/count", api.count_contacts),
    ("POST", "/v2/contacts/import", imports.start_import),
    ("POST", "/v2/contacts/import/with-merge-option/" + SEGMENT.format("merge"), imports.start_import),
    ("GET", "/v2/contacts/import/" + SEGMENT.format("import_id"), imports.import_status),
    ("GET", "/v2/contacts/import/" + SEGMENT.format("import_id") + "/report", imports.import_report),
    ("GET", "/v2/contacts/import/" + SEGMENT.format("import_id") + "/report-faults", imports.import_faults),
    ("GET", "/v2/contacts/deletion/" + SEGMENT.format("deletion_id"), api.deletion_status),
    ("GET", "/v2/contacts/(?P<kind>modified|created|unsubscribed|suppressed)-since/(?P<date>[^/]+)", api.since),
    ("GET", "/v2/contacts/" + SEGMENT.format("identifier"), api.get_contact),
    ("GET", "/v2/campaigns", campaigns.list_campaigns),
    ("GET", "/v2/campaigns/" + ID.format("campaign_id"), campaigns.get_campaign),
    ("GET", "/v2/campaigns/" + ID.format("campaign_id") + "/summary", campaigns.campaign_summary),
    ("GET", "/v2/campaigns/" + ID.format("campaign_id") + "/activities", campaigns.campaign_activities),
    (
        "GET",
        "/v2/campaigns/" + ID.format("campaign_id") + "/activities/since-date/" + SEGMENT.format("date"),
        campaigns.campaign_activities,
    ),
    ("GET", CAMPAIGN + "/opens", campaigns.campaign_opens),
    ("GET", CAMPAIGN + "/opens/since-date/" + SEGMENT.format("date"), campaigns.campaign_opens),
    ("GET", CAMPAIGN + "/clicks", campaigns.campaign_clicks),
    ("GET", CAMPAIGN + "/clicks/since-date/" + SEGMENT.format("date"), campaigns.campaign_clicks),
    ("GET", "/v2/data-fields", data_fields.list_data_fields),
    ("POST", "/v2/data-fields", data_fields.create_data_field),
    ("DELETE", "/v2/data-fields/" + SEGMENT.format("name"), data_fields.delete_data_field),
    ("GET", "/oauth2/(?:authorise|authorize)\\.aspx", oauth.authorise),
    ("POST", "/oauth2/(?:authorise|authorize)\\.aspx", oauth.authorise),
    ("POST", "/oauth2/tokens\\.ashx", oauth.tokens),
    ("GET", "/", oauth.home),
    ("POST", "/_sandbox/change", admin.change),
    ("GET", "/_sandbox/state", admin.state),
    ("POST", "/_sandbox/faults", admin.set_faults),
    ("POST", "/_sandbox/oauth/revoke", admin.revoke_oauth),
]
COMPILED = [(method, re.compile(pattern, re.IGNORECASE), handler) for method, pattern, handler in ROUTES]


class SandboxApp:
    """A WSGI app emulating Dotdigital's v2 API and Email Studio OAuth for one seeded account."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.store = Store(self.config)
        self.oauth = oauth.OAuthState()
        self._fault_lock = threading.Lock()
        self._random = random.Random(self.config.seed)  # noqa: S311 - fault injection, not security
        self._window_start = 0.0
        self._window_calls = 0
        self.requests: deque[tuple[str, str, str]] = deque(maxlen=10000)

    @property
    def faults(self):
        return self.config.faults

    # -- WSGI ----------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        request = Request(environ)
        try:
            response = self.handle(request)
        except _Garbage:
            response = Response(200, b"<html><body>Proxy error: upstream reset</body></html>", "text/html")
        except ApiError as exc:
            response = json_response({"message": exc.message}, exc.status)
            response.headers.extend(exc.headers)
        except Exception:  # noqa: BLE001 - never a traceback to the client, as Dotdigital never sends one
            logger.error("Sandbox error on %s %s\n%s", request.method, request.path, traceback.format_exc())
            response = json_response({"message": "An error has occurred."}, 500)
        headers = [("Content-Type", response.content_type), ("Content-Length", str(len(response.body)))]
        headers.extend(response.headers)
        headers.append(("Server-Timing", f"app;dur={(time.perf_counter() - started) * 1000:.2f}"))
        start_response(f"{response.status} {REASONS.get(response.status, 'Status')}", headers)
        return [response.body]

    def handle(self, request: Request) -> Response:
        self.requests.append((request.method, request.path, request.header("Host")))
        path = request.path.rstrip("/") or "/"
        is_api = path.lower().startswith("/v2/")
        if is_api or path.lower().startswith("/_sandbox/"):
            self.authenticate(request)
        extra_headers: list[tuple[str, str]] = []
        if is_api:
            extra_headers = self.apply_faults()
        allowed: list[str] = []
        for method, pattern, handler in COMPILED:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if method != request.method:
                allowed.append(method)
                continue
            with self.store.lock:
                imports.finish_due_imports(self.store)
            response = handler(self, request, **match.groupdict())
            response.headers.extend(extra_headers)
            return response
        if allowed:
            raise ApiError(405, f"The requested resource does not support http method '{request.method}'.")
        raise ApiError(404, f"No HTTP resource was found that matches the request URI '{request.path}'.")

    def authenticate(self, request: Request) -> None:
        header = request.header("Authorization")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                username, _, password = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                username, password = "", ""
            if username.lower() == self.config.username.lower() and password == self.config.password:
                return
        raise ApiError(401, AUTH_DENIED, [("WWW-Authenticate", 'Basic realm="sandbox"')])

    # -- faults --------------------------------------------------------------------------------------------

    def apply_faults(self) -> list[tuple[str, str]]:
        faults = self.config.faults
        if faults.latency_ms > 0:
            time.sleep(faults.latency_ms / 1000)
        headers: list[tuple[str, str]] = []
        with self._fault_lock:
            if faults.rate_limit > 0:
                now = time.time()
                window = max(faults.rate_limit_window, 0.001)
                start = now - now % window
                if start != self._window_start:
                    self._window_start, self._window_calls = start, 0
                self._window_calls += 1
                reset = int(start + window) if window >= 1 else start + window
                remaining = max(0, faults.rate_limit - self._window_calls)
                headers = [
                    ("X-RateLimit-Limit", str(faults.rate_limit)),
                    ("X-RateLimit-Remaining", str(remaining)),
                    ("X-RateLimit-Reset", str(reset if window >= 1 else round(reset, 3))),
                    ("X-RateLimit-Scope", "mediumCallRate"),
                ]
                if self._window_calls > faults.rate_limit:
                    if faults.rate_limit_mode == "flat":
                        raise ApiError(
                            400,
                            "Your account has generated excess API activity and is being temporarily capped. "
                            "Please contact support. ERROR_APIUSAGE_EXCEEDED",
                        )
                    raise ApiError(429, "Too Many Requests", headers)
            if faults.fail_next > 0:
                faults.fail_next -= 1
                raise ApiError(
                    faults.fail_status,
                    "The service is temporarily unavailable. ERROR_SYSTEM_SERVICETEMPORARILYUNAVAILABLE",
                )
            if faults.error_rate > 0 and self._random.random() < faults.error_rate:
                raise ApiError(
                    503, "The service is temporarily unavailable. ERROR_SYSTEM_SERVICETEMPORARILYUNAVAILABLE"
                )
            if faults.garbage_next > 0:
                faults.garbage_next -= 1
                raise _Garbage()
        return headers


class _Garbage(ApiError):
    def __init__(self) -> None:
        super().__init__(200, "")
