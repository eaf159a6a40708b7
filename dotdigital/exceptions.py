"""Typed errors raised by the Dotdigital client.

Every failure of a call to Dotdigital becomes one of these, so callers (sync connectors, the integration form,
Celery tasks) can react to the kind of failure without reading HTTP details.
"""

from __future__ import annotations

from datetime import datetime


class DotdigitalError(Exception):
    """Base class: `status` is the HTTP status (None when no answer came), `code` the `ERROR_*` code if any,
    `call` the method and path of the call that failed."""

    call: str = ""  # the call that failed ("GET /v2/contacts"), set by the client's transport

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return self.message


class AuthenticationError(DotdigitalError):
    """401: the API user's username or password was refused."""


class NotFoundError(DotdigitalError):
    """404: the address book, contact, campaign, import or data field does not exist."""


class ValidationError(DotdigitalError):
    """400 and any other 4xx without a more specific class: Dotdigital refused the request as invalid."""


class RateLimitedError(DotdigitalError):
    """429 or `ERROR_APIUSAGE_EXCEEDED`: too many calls. `reset_at` says when calls are allowed again."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        reset_at: datetime | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.reset_at = reset_at
        self.retry_after = retry_after


class UnavailableError(DotdigitalError):
    """5xx answers, connection failures and timeouts: Dotdigital could not be reached or did not cope."""


class MalformedResponseError(DotdigitalError):
    """Dotdigital answered, but not with what was due (e.g. not JSON where JSON was expected)."""


class HostNotAllowedError(DotdigitalError):
    """A URL points to a host that is not on the allow-list; raised before any request is sent to it."""
