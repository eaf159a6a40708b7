"""Typed errors, retries that stop, rate limits and the call count, against the sandbox over real HTTP."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime

import pytest
import responses

from dotdigital.client import DotdigitalClient
from dotdigital.exceptions import (
    DotdigitalError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
    ValidationError,
)


def test_not_found_carries_status_code_and_message(sandbox):
    client = sandbox.client()
    with pytest.raises(NotFoundError) as caught:
        client.get_contact("nobody@example.com")
    assert (caught.value.status, caught.value.code) == (404, "ERROR_CONTACT_NOT_FOUND")
    assert client.call_count == 2  # account-info + one call: no retry on 404


def test_validation_error_for_a_bad_address_book_name(sandbox):
    client = sandbox.client()
    with pytest.raises(ValidationError) as caught:
        client.create_address_book("x" * 129)
    assert (caught.value.status, caught.value.code) == (400, "ERROR_ADDRESSBOOK_INVALID")


def test_5xx_is_retried_then_succeeds(sandbox):
    client = sandbox.client(max_retries=3)
    client.account_info()
    sandbox.set_faults(fail_next=2)
    pages = list(client.address_books())
    assert len(pages[0]) == 4
    assert client.call_count == 1 + 3  # the GET was sent three times


def test_retries_stop_and_raise_unavailable(sandbox):
    client = sandbox.client(max_retries=2)
    client.account_info()
    sandbox.set_faults(error_rate=1.0)
    with pytest.raises(UnavailableError) as caught:
        client.get_address_book(1001)
    assert caught.value.status == 503
    assert caught.value.code == "ERROR_SYSTEM_SERVICETEMPORARILYUNAVAILABLE"
    assert client.call_count == 1 + 3  # first try + 2 retries, then it stops


def test_writes_are_not_retried_on_5xx(sandbox):
    client = sandbox.client(max_retries=3)
    client.account_info()
    sandbox.set_faults(fail_next=1)
    with pytest.raises(UnavailableError):
        client.create_address_book("Once Only")
    assert client.call_count == 2
    names = {book.name for book in sandbox.store.books.values()}
    assert "Once Only" not in names


def test_retry_time_budget_bounds_the_retries(sandbox):
    client = sandbox.client(max_retries=50, backoff_factor=0.05, retry_time_budget=0.3)
    client.account_info()
    sandbox.set_faults(error_rate=1.0)
    started = time.monotonic()
    with pytest.raises(UnavailableError):
        client.get_address_book(1001)
    assert time.monotonic() - started < 3
    assert 2 < client.call_count < 50


def test_garbage_is_a_malformed_response(sandbox):
    client = sandbox.client()
    client.account_info()
    sandbox.set_faults(garbage_next=1)
    with pytest.raises(MalformedResponseError) as caught:
        client.get_address_book(1001)
    assert "not JSON" in caught.value.message
    assert caught.value.status == 200


def test_rate_limit_far_away_raises_with_the_reset_time(sandbox):
    client = sandbox.client(rate_limit_max_wait=0.5)
    client.account_info()
    sandbox.set_faults(rate_limit=2, rate_limit_window=3600)
    client.get_address_book(1001)
    with pytest.raises(RateLimitedError) as caught:
        for _ in range(3):
            client.get_address_book(1001)
    error = caught.value
    assert error.status == 429
    assert error.reset_at is not None and error.reset_at > datetime.now(UTC)
    assert error.retry_after is not None and error.retry_after > 0.5


def test_rate_limit_a_moment_away_is_waited_for(sandbox):
    client = sandbox.client(rate_limit_max_wait=3)
    client.account_info()
    sandbox.set_faults(rate_limit=1, rate_limit_window=1)
    for _ in range(3):
        assert client.get_address_book(1001)["id"] == 1001
    assert client.call_count >= 1 + 3 + 1  # at least one 429 was answered by waiting, then resent


def test_flat_rate_limit_code_is_a_rate_limited_error(sandbox):
    client = sandbox.client()
    client.account_info()
    sandbox.set_faults(rate_limit=1, rate_limit_window=3600, rate_limit_mode="flat")
    client.get_address_book(1001)
    with pytest.raises(RateLimitedError) as caught:
        client.get_address_book(1001)
    assert (caught.value.status, caught.value.code) == (400, "ERROR_APIUSAGE_EXCEEDED")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_unavailable_in_plain_words():
    port = _free_port()
    client = DotdigitalClient("u", "p", api_url=f"http://127.0.0.1:{port}", max_retries=1, backoff_factor=0.01)
    with pytest.raises(UnavailableError) as caught:
        client.account_info()
    assert caught.value.message == f"Could not connect to 127.0.0.1:{port}: connection refused"
    assert caught.value.status is None
    assert client.call_count == 2  # connection errors are retried too


def test_read_timeout_is_unavailable_in_plain_words(sandbox):
    sandbox.set_faults(latency_ms=400)
    client = sandbox.client(timeout=(2, 0.1), max_retries=0)
    with pytest.raises(UnavailableError) as caught:
        client.account_info()
    assert caught.value.message == "Dotdigital did not answer within 0.1 seconds"


def test_the_retry_time_budget_counts_from_the_first_attempt(sandbox):
    # The first attempt alone outlasts the budget (as a 121 s read timeout does a 60 s one): no retry follows.
    client = sandbox.client(timeout=(2, 0.3), max_retries=3, retry_time_budget=0.25)
    sandbox.set_faults(latency_ms=600)
    with pytest.raises(UnavailableError):
        client.account_info()
    assert client.call_count == 1
    assert len(sandbox.app.requests) == 1
    # A budget that leaves room still retries: the read timeouts are retried until it is spent.
    roomy = sandbox.client(timeout=(2, 0.3), max_retries=3, retry_time_budget=0.5)
    with pytest.raises(UnavailableError):
        roomy.account_info()
    assert roomy.call_count == 2  # 0.3 s, retry, 0.6 s: over 0.5, so it stops


@responses.activate
def test_errors_from_odd_replies():
    api = "https://r1-api.dotdigital.com"
    responses.get(f"{api}/v2/account-info", json={"id": 1, "properties": [{"name": "ApiEndpoint", "value": api}]})
    responses.get(f"{api}/v2/address-books/1", body="<html>oops</html>", status=502)
    responses.get(f"{api}/v2/address-books/2", json={"message": "Access is denied"}, status=403)
    responses.get(f"{api}/v2/address-books/3", status=429, headers={"Retry-After": "120"})
    client = DotdigitalClient("u", "p", api_url=api, max_retries=0)
    with pytest.raises(UnavailableError) as bad_gateway:
        client.get_address_book(1)
    assert bad_gateway.value.status == 502
    with pytest.raises(ValidationError) as forbidden:
        client.get_address_book(2)
    assert (forbidden.value.status, forbidden.value.message) == (403, "Access is denied")
    with pytest.raises(RateLimitedError) as limited:
        client.get_address_book(3)
    assert limited.value.retry_after == pytest.approx(120, abs=2)
    assert isinstance(limited.value, DotdigitalError)
    sent = responses.calls[0].request
    assert sent.headers["Authorization"].startswith("Basic ")
    assert sent.headers["User-Agent"].startswith("MarketingBackoffice/")


@responses.activate
def test_rate_limit_reset_as_epoch_or_as_seconds_from_now():
    api = "https://r1-api.dotdigital.com"
    epoch = int(time.time()) + 600
    responses.get(f"{api}/v2/address-books/1", status=429, headers={"X-RateLimit-Reset": str(epoch)})
    responses.get(f"{api}/v2/address-books/2", status=429, headers={"X-RateLimit-Reset": "300"})
    client = DotdigitalClient("u", "p", api_url=api, api_endpoint=api, max_retries=0)
    with pytest.raises(RateLimitedError) as absolute:
        client.get_address_book(1)
    assert absolute.value.reset_at == datetime.fromtimestamp(epoch, tz=UTC)
    with pytest.raises(RateLimitedError) as relative:
        client.get_address_book(2)
    assert relative.value.retry_after == pytest.approx(300, abs=2)
    assert client.call_count == 2  # api_endpoint given: no discovery call
