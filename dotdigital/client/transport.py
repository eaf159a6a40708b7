"""HTTP transport of the Dotdigital client: session, retries, rate limits, and the mapping of failures to
the typed errors of `dotdigital.exceptions`."""

from __future__ import annotations

import functools
import logging
import math
import re
import socket
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib import metadata
from typing import Any

import requests
from django.views.decorators.debug import sensitive_variables
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util import parse_url
from urllib3.util.retry import Retry

from dotdigital.client.hosts import check_host_allowed
from dotdigital.exceptions import (
    AuthenticationError,
    DotdigitalError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
    ValidationError,
)

logger = logging.getLogger("dotdigital.client")

RETRY_STATUSES = frozenset({500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_CODE_RE = re.compile(r"(ERROR_[A-Z0-9_]+)")
DEFAULT_AUTH_MESSAGE = "Authorization has been denied for this request."


def _product_version() -> str:
    try:
        return metadata.version("marketing-backoffice")
    except metadata.PackageNotFoundError:
        return "0"


USER_AGENT = f"MarketingBackoffice/{_product_version()} (Dotdigital integration; python-requests)"


class BoundedRetry(Retry):
    """urllib3 Retry that also stops once `max_elapsed` seconds have passed since the call started, and
    reports every retry (= one more HTTP request) through `on_retry`, so the client can count its calls.

    The budget is a total: `Transport.request` sets `started_at` when it sends the first attempt, so a first
    attempt that used the whole budget (a 121 s read timeout against a 60 s budget) is not retried. Without a
    start time (the Retry used on its own), the clock starts at the first failure.
    """

    def __init__(
        self,
        *args: Any,
        max_elapsed: float = 60.0,
        started_at: float | None = None,
        on_retry: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_elapsed = max_elapsed
        self.started_at = started_at
        self.on_retry = on_retry

    def new(self, **kwargs: Any) -> BoundedRetry:
        kwargs.setdefault("max_elapsed", self.max_elapsed)
        kwargs.setdefault("started_at", self.started_at if self.started_at is not None else time.monotonic())
        kwargs.setdefault("on_retry", self.on_retry)
        return super().new(**kwargs)

    def is_exhausted(self) -> bool:
        if self.started_at is not None and time.monotonic() - self.started_at > self.max_elapsed:
            return True
        return super().is_exhausted()

    def increment(self, *args: Any, **kwargs: Any) -> BoundedRetry:
        new = super().increment(*args, **kwargs)  # raises MaxRetryError when no retry is left
        if self.on_retry is not None:
            self.on_retry()
        return new


def _names_the_call(send: Callable[..., Any]) -> Callable[..., Any]:
    """A typed error raised by `send(self, method, url, ...)` names the call (`error.call`, "GET /v2/contacts", no
    query), so a sync job can say which call failed."""

    @functools.wraps(send)
    def wrapper(self: Any, method: str, url: str, **kwargs: Any) -> Any:
        try:
            return send(self, method, url, **kwargs)
        except DotdigitalError as error:
            if not error.call:
                try:
                    path = parse_url(url).path or "/"
                except ValueError:
                    path = "?"
                error.call = f"{method} {path}"
            raise

    return wrapper


def error_code(message: str) -> str | None:
    """The `ERROR_*` code a Dotdigital message carries (it usually ends with it), or None."""
    codes = _CODE_RE.findall(message or "")
    return codes[-1] if codes else None


def _format_seconds(value: float) -> str:
    return f"{value:g}"


def _reason_words(exc: BaseException) -> str:
    """Plain words for the root cause of a connection failure."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    last: BaseException = exc
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        last = current
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, socket.gaierror):
            return "host name not found"
        if isinstance(current, ConnectionResetError):
            return "connection reset by the server"
        for nested in (getattr(current, "reason", None), current.__cause__, current.__context__, *current.args):
            if isinstance(nested, BaseException):
                stack.append(nested)
    text = str(last)
    if "Connection refused" in text:
        return "connection refused"
    if "RemoteDisconnected" in text or "closed connection" in text.lower():
        return "the server closed the connection without answering"
    return text or type(last).__name__


def _read_timed_out(exc: BaseException) -> bool:
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ReadTimeoutError | requests.exceptions.ReadTimeout):
            return True
        for nested in (getattr(current, "reason", None), current.__cause__, current.__context__, *current.args):
            if isinstance(nested, BaseException):
                stack.append(nested)
    return False


def _message_of(response: requests.Response) -> str:
    """Dotdigital's error message: the `message` of a JSON body, else the body text, else the reason."""
    try:
        body = response.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the decoder goes
        body = None
    if isinstance(body, dict):
        for key, value in body.items():
            if key.lower() in ("message", "error_description", "error") and isinstance(value, str) and value:
                return value
    if isinstance(body, str) and body:
        return body
    text = (response.text or "").strip()
    if text and len(text) <= 300 and "<" not in text:
        return text
    return f"HTTP {response.status_code} {response.reason or ''}".strip()


def _finite(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _moment(epoch: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(epoch, tz=UTC)
    except (OverflowError, OSError, ValueError):  # a year past 9999, or before the platform's epoch
        return None


def rate_limit_reset(response: requests.Response, now: float | None = None) -> tuple[datetime | None, float | None]:
    """When the rate limit resets: from `X-RateLimit-Reset` (UTC epoch seconds) or `Retry-After`.

    A value that is not a finite number or a date, or one past what a datetime can hold, is ignored: the answer
    is still a RateLimitedError, only without a reset time.
    """
    now = time.time() if now is None else now
    reset = response.headers.get("X-RateLimit-Reset")
    if reset:
        epoch = _finite(reset)
        if epoch is not None:
            if epoch < 1_000_000_000:  # documented as epoch seconds; a small number can only be "seconds from now"
                epoch = now + epoch
            when = _moment(epoch)
            if when is not None:
                return when, max(0.0, epoch - now)
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        seconds = _finite(retry_after)
        if seconds is None:
            try:
                when = parsedate_to_datetime(retry_after)
                return when, max(0.0, when.timestamp() - now)
            except (TypeError, ValueError, OverflowError, IndexError):
                return None, None
        when = _moment(now + seconds)
        return (when, max(0.0, seconds)) if when is not None else (None, None)
    return None, None


def error_for(response: requests.Response) -> DotdigitalError:
    """The typed error for a failed response."""
    status = response.status_code
    message = _message_of(response)
    code = error_code(message)
    if status == 429 or code == "ERROR_APIUSAGE_EXCEEDED":
        reset_at, retry_after = rate_limit_reset(response)
        if status == 429 and message.startswith("HTTP 429"):
            message = "Dotdigital's rate limit was reached (HTTP 429 Too Many Requests)."
        return RateLimitedError(message, status=status, code=code, reset_at=reset_at, retry_after=retry_after)
    if status == 401:
        return AuthenticationError(
            message if message and not message.startswith("HTTP ") else DEFAULT_AUTH_MESSAGE, status=status, code=code
        )
    if status == 404:
        return NotFoundError(message, status=status, code=code)
    if status >= 500:
        return UnavailableError(f"Dotdigital answered HTTP {status}: {message}", status=status, code=code)
    return ValidationError(message, status=status, code=code)


class CheckedAdapter(HTTPAdapter):
    """An HTTPAdapter that checks the URL it is about to connect to (the prepared one, after requests has
    re-quoted it and merged the query) against the allow-list, so nothing the session does on the way can send the
    credentials to another host."""

    def __init__(self, *args: Any, allowed_urls: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_urls = tuple(allowed_urls)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        check_host_allowed(request.url or "", extra_hosts=self.allowed_urls)
        return super().send(request, *args, **kwargs)


def _hostport(url: str) -> str:
    """host:port of an URL that passed `check_host_allowed`, for messages."""
    return parse_url(url).netloc or url


class Transport:
    """One requests.Session with HTTP Basic auth, timeouts, retries and a call counter.

    Every request is checked against the allow-list (`check_host_allowed` with `allowed_urls` as the extra hosts)
    before it is sent, whatever code built its URL.
    """

    @sensitive_variables()  # error reports show no local of this frame or below (the credentials, the auth header)
    def __init__(
        self,
        username: str,
        password: str,
        *,
        timeout: tuple[float, float],
        max_retries: int,
        session: requests.Session | None,
        backoff_factor: float,
        retry_time_budget: float,
        rate_limit_max_wait: float,
        allowed_urls: Sequence[str] = (),
    ) -> None:
        self.timeout = timeout
        self.allowed_urls = tuple(allowed_urls)
        self.rate_limit_max_wait = rate_limit_max_wait
        self.call_count = 0
        self.session = session or requests.Session()
        # Dotdigital reads the Basic credentials as UTF-8. requests would encode str credentials as Latin-1 and
        # raise UnicodeEncodeError for a character outside it (a password with "€"), so send UTF-8 bytes.
        self.session.auth = (username.encode("utf-8", "replace"), password.encode("utf-8", "replace"))
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        retry = BoundedRetry(
            total=max_retries,
            connect=max_retries,
            read=max_retries,
            status=max_retries,
            other=0,
            redirect=0,
            allowed_methods=IDEMPOTENT_METHODS,
            status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff_factor,
            backoff_jitter=backoff_factor,
            backoff_max=10.0,
            raise_on_status=False,
            raise_on_redirect=False,
            respect_retry_after_header=False,
            max_elapsed=retry_time_budget,
            on_retry=self._count_retry,
        )
        self._retry = retry
        adapter = CheckedAdapter(max_retries=retry, allowed_urls=self.allowed_urls)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def _count_retry(self) -> None:
        self.call_count += 1

    @_names_the_call
    @sensitive_variables()
    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send one logical call (retries included) and return a successful response or raise a typed error."""
        # Checked here for every call, not only where the endpoint is learnt: no URL reaches the session unchecked.
        check_host_allowed(url, extra_hosts=self.allowed_urls)
        hostport = _hostport(url)
        waited_for_rate_limit = False
        while True:
            started = time.monotonic()
            before = self.call_count
            self.call_count += 1
            self._retry.started_at = started  # the retry time budget counts from the first attempt
            try:
                response = self.session.request(method, url, timeout=self.timeout, allow_redirects=False, **kwargs)
            except requests.exceptions.ConnectTimeout as exc:
                raise UnavailableError(
                    f"Could not connect to {hostport} within {_format_seconds(self.timeout[0])} seconds"
                ) from exc
            except requests.exceptions.ReadTimeout as exc:
                raise UnavailableError(
                    f"Dotdigital did not answer within {_format_seconds(self.timeout[1])} seconds"
                ) from exc
            except requests.exceptions.SSLError as exc:
                raise UnavailableError(f"Could not connect securely to {hostport}: {_reason_words(exc)}") from exc
            except requests.exceptions.ConnectionError as exc:
                if _read_timed_out(exc):
                    raise UnavailableError(
                        f"Dotdigital did not answer within {_format_seconds(self.timeout[1])} seconds"
                    ) from exc
                raise UnavailableError(f"Could not connect to {hostport}: {_reason_words(exc)}") from exc
            except requests.exceptions.RequestException as exc:
                raise UnavailableError(f"The call to {hostport} failed: {exc}") from exc
            finally:
                logger.debug(
                    "%s %s (%d request(s)) in %.0f ms",
                    method,
                    url,
                    self.call_count - before,
                    (time.monotonic() - started) * 1000,
                )
            logger.debug("%s %s -> HTTP %s", method, url, response.status_code)
            if response.status_code < 400:
                return response
            error = error_for(response)
            if (
                isinstance(error, RateLimitedError)
                and error.status == 429
                and not waited_for_rate_limit
                and error.retry_after is not None
                and error.retry_after <= self.rate_limit_max_wait
            ):
                # The window resets in a moment: wait once instead of failing the whole sync step.
                waited_for_rate_limit = True
                logger.debug("Rate limited; waiting %.1f s for the reset", error.retry_after)
                time.sleep(error.retry_after + 0.05)
                continue
            raise error

    @_names_the_call
    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        """The decoded JSON of a successful call; MalformedResponseError if the body is not JSON."""
        response = self.request(method, url, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except (ValueError, RecursionError) as exc:  # not JSON, or nested deeper than the decoder goes
            content_type = response.headers.get("Content-Type", "no content type")
            preview = response.text[:60].replace("\n", " ")
            raise MalformedResponseError(
                f"Dotdigital answered {method} {parse_url(url).path} with something that is not JSON "
                f"(HTTP {response.status_code}, {content_type}): {preview!r}",
                status=response.status_code,
            ) from exc
