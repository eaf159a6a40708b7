"""Hostile `ApiEndpoint` answers (issue 8, findings 1 and 2): the host the client checks is the host urllib3
connects to, every request is checked again before it is sent, and nothing parsed from a remote answer escapes
the client as an untyped exception (a 500 on Check connection)."""

from __future__ import annotations

import json
import socket
import threading

import pytest
import requests
import responses
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from urllib3.util import parse_url

from dotdigital.client import DotdigitalClient, check_host_allowed
from dotdigital.client.api import parse_account_info
from dotdigital.client.hosts import ALLOWED_DOMAINS, check_endpoint_allowed
from dotdigital.exceptions import (
    DotdigitalError,
    HostNotAllowedError,
    MalformedResponseError,
    RateLimitedError,
    ValidationError,
)
from dotdigital.models import DataField
from integrations import services
from integrations.models import Integration

DEFAULT_API_URL = "https://r1-api.dotdigital.com"
REFUSAL = "Refused to connect to a host that is not allowed"

# ApiEndpoint answers that must be refused, whatever DOTDIGITAL_API_URL says (here: its default).
HOSTILE_ENDPOINTS = [
    # urllib3 ends the host at a backslash; urlsplit does not
    "https://attacker.example\\@r1-api.dotdigital.com",
    "https://attacker.example\\r1-api.dotdigital.com",
    "https://attacker.example\\.dotdigital.com",
    "https://r1-api.dotdigital.com\\@attacker.example",
    "https://r1-api.dotdigital.com\\",
    # whitespace and control characters
    "https://r1-api.dotdigital.com /",
    "https://attacker.example .dotdigital.com",
    "https://r1-api.dotdigital.com\t",
    " https://r1-api.dotdigital.com",
    "https://r1-api.dotdigital.com\n@attacker.example",
    "https://r1-api.dotdigital.com\r\n",
    "https://attacker.example\x00.dotdigital.com",
    "https://r1-api.dotdigital.com\x7f",
    # userinfo
    "https://user@r1-api.dotdigital.com",
    "https://user:password@r1-api.dotdigital.com",
    "https://attacker.example@r1-api.dotdigital.com",
    "https://r1-api.dotdigital.com@attacker.example",
    "https://@r1-api.dotdigital.com",
    "https://:@r1-api.dotdigital.com",
    # a path, a query, a fragment
    "https://r1-api.dotdigital.com/v2",
    "https://r1-api.dotdigital.com//",
    "https://r1-api.dotdigital.com/.",
    "https://r1-api.dotdigital.com/@attacker.example",
    "https://r1-api.dotdigital.com?x=1",
    "https://r1-api.dotdigital.com/?",
    "https://r1-api.dotdigital.com?@attacker.example",
    "https://r1-api.dotdigital.com#x",
    "https://r1-api.dotdigital.com/#",
    "https://r1-api.dotdigital.com#@attacker.example",
    # percent-encoded separators
    "https://attacker.example%5C@r1-api.dotdigital.com",
    "https://attacker.example%40r1-api.dotdigital.com",
    "https://r1-api.dotdigital.com%2F@attacker.example",
    "https://attacker.example%2F.dotdigital.com",
    "https://attacker.example%23.dotdigital.com",
    "https://r1-api%2Edotdigital.com",
    "https://r1-api.dotdigital.com%3A443",
    "https://r1-api.dotdigital.com%00",
    # Unicode: fullwidth and compatibility forms that NFKC or IDNA turn into separators
    "https://attacker.example\uff3c@r1-api.dotdigital.com",  # fullwidth reverse solidus
    "https://attacker.example\uff20r1-api.dotdigital.com",  # fullwidth commercial at
    "https://attacker.example\uff0f.dotdigital.com",  # fullwidth solidus
    "https://attacker.example\uff03.dotdigital.com",  # fullwidth number sign
    "https://evil.c\u2100.dotdigital.com",  # ACCOUNT OF: NFKC gives "a/c"
    "https://evil.c\u2101.dotdigital.com",  # ADDRESSED TO THE SUBJECT: "a/s"
    "https://r1-api\uff0edotdigital\uff0ecom",  # fullwidth full stops
    "https://r1-api\u3002dotdigital.com",  # ideographic full stop
    "https://\uff521-api.dotdigital.com",  # fullwidth letter r
    "https://r1-api.dotdigital.com:\uff14\uff14\uff13",  # fullwidth digits
    "https://r1-api.dotdigital.com\u2028",  # LINE SEPARATOR
    "https://attacker.example\u00a0.dotdigital.com",  # NO-BREAK SPACE
    "https://attacker.example\u200b.dotdigital.com",  # ZERO WIDTH SPACE
    "https://r1-api.dotdigital.com\u3000",  # IDEOGRAPHIC SPACE
    "https://r1-api.dotdigital.c\u00f6m",
    # ports and shapes urllib3 and urlsplit read differently
    "https://r1-api.dotdigital.com:",
    "https://r1-api.dotdigital.com:443:443",
    "https://r1-api.dotdigital.com:+443",
    "https://r1-api.dotdigital.com:99999",
    "https://r1-api.dotdigital.com:8443",
    "https:/r1-api.dotdigital.com",
    "https:///r1-api.dotdigital.com",
    "https://[::1]@r1-api.dotdigital.com",
    "https://r1-api..dotdigital.com",
    "https://-r1-api.dotdigital.com",
    "https://r1_api.dotdigital.com",
    "//r1-api.dotdigital.com",
    "http://r1-api.dotdigital.com",
    "https://attacker.example",
]

ACCEPTED_ENDPOINTS = [
    "https://r1-api.dotdigital.com",
    "https://r1-api.dotdigital.com/",
    "https://R3-API.DotDigital.com",
    "https://r1-api.dotdigital.com:443",
    "https://r1-api.dotmailer.com/",
    "https://r1-api.dotdigital.com.",
]


class Listener:
    """A TCP listener on a free loopback port that records what each connection sends (and answers `[]`), so a
    test can prove that no request, and so no Authorization header, reached it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]")
                except OSError:
                    pass
                self.received.append(data)

    @property
    def authorization_seen(self) -> bool:
        return any(b"authorization:" in data.lower() for data in self.received)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener():
    running = Listener()
    yield running
    running.stop()


def hostile_loopback_endpoints(listen_port: int, sandbox_port: int) -> list[str]:
    """ApiEndpoint answers that name the sandbox's origin to urlsplit but the listener, or userinfo, to urllib3."""
    return [
        f"http://127.0.0.1:{listen_port}\\@127.0.0.1:{sandbox_port}",
        f"http://127.0.0.1:{listen_port}\\127.0.0.1:{sandbox_port}",
        f"http://127.0.0.1:{listen_port}%5C@127.0.0.1:{sandbox_port}",
        f"http://127.0.0.1:{listen_port}\uff3c@127.0.0.1:{sandbox_port}",
        f"http://user:password@127.0.0.1:{sandbox_port}",
        f"http://127.0.0.1:{listen_port}@127.0.0.1:{sandbox_port}",
        f"http://127.0.0.1:{sandbox_port}/v2",
        f"http://127.0.0.1:{sandbox_port}?x",
    ]


def _port(url: str) -> int:
    return int(url.rpartition(":")[2])


# -- the allow-list, without a network --------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", HOSTILE_ENDPOINTS)
def test_a_hostile_api_endpoint_is_refused_with_a_typed_error(endpoint, settings):
    settings.DOTDIGITAL_API_URL = DEFAULT_API_URL
    with pytest.raises(HostNotAllowedError):
        check_endpoint_allowed(endpoint)
    with pytest.raises(HostNotAllowedError):
        DotdigitalClient("apiuser@example.com", "password", api_url=DEFAULT_API_URL, api_endpoint=endpoint)


@pytest.mark.parametrize("endpoint", ACCEPTED_ENDPOINTS)
def test_plain_dotdigital_endpoints_are_still_accepted(endpoint, settings):
    settings.DOTDIGITAL_API_URL = DEFAULT_API_URL
    check_endpoint_allowed(endpoint)
    client = DotdigitalClient("apiuser@example.com", "password", api_url=DEFAULT_API_URL, api_endpoint=endpoint)
    assert client.api_endpoint == endpoint.rstrip("/")


def test_the_refusal_names_what_is_wrong(settings):
    settings.DOTDIGITAL_API_URL = DEFAULT_API_URL
    cases = {
        "https://attacker.example\\@r1-api.dotdigital.com": "backslash",
        "https://r1-api.dotdigital.com\u2028": "character",
        "https://user@r1-api.dotdigital.com": "user name",
        "https://r1-api.dotdigital.com/v2": "path",
        "https://r1-api.dotdigital.com?x": "query",
        "https://r1-api.dotdigital.com#x": "fragment",
        "https://evil.c\u2100.dotdigital.com": "character",
    }
    for endpoint, words in cases.items():
        with pytest.raises(HostNotAllowedError) as caught:
            check_endpoint_allowed(endpoint)
        assert words in caught.value.message, endpoint


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example\\@r1-api.dotdigital.com/v2/data-fields",
        "https://user@r1-api.dotdigital.com/v2/data-fields",
        "https://evil.c\u2100.dotdigital.com/v2/data-fields",
        "https://r1-api.dotdigital.com%2F@attacker.example/v2",
        "https://r1-api.dotdigital.com\uff03@attacker.example/v2",
    ],
)
def test_check_host_allowed_refuses_request_urls_with_the_same_tricks(url, settings):
    settings.DOTDIGITAL_API_URL = DEFAULT_API_URL
    with pytest.raises(HostNotAllowedError):
        check_host_allowed(url)


def test_check_host_allowed_still_accepts_a_request_url_with_a_path(settings):
    settings.DOTDIGITAL_API_URL = DEFAULT_API_URL
    check_host_allowed("https://r1-api.dotdigital.com/v2/contacts/someone@example.com")
    check_host_allowed("https://r1-api.dotdigital.com/v2/contacts/modified-since/2025-05-25T00:00:00+0000")


def test_the_custom_oauth_domain_shares_the_strict_check():
    from dotdigital.forms import DotdigitalSettingsForm

    for value in (
        "https://attacker.example\\@r1-app.dotdigital.com/",
        "https://evil.c\u2100.dotdigital.com/",
        "https://attacker.example%40r1-app.dotdigital.com/",
        "https://r1-app.dotdigital.com\uff03@attacker.example/",
    ):
        form = DotdigitalSettingsForm(
            data={"username": "apiuser-1@apiconnector.com", "password": "password-1", "custom_domain": value}
        )
        assert not form.is_valid(), value
        assert "custom_domain" in form.errors, value


# Pieces from which hypothesis builds URLs: allowed hosts, separators, and their encoded and Unicode look-alikes.
URL_PIECES = st.sampled_from(
    [
        "https://",
        "http://",
        "r1-api.dotdigital.com",
        ".dotdigital.com",
        "dotmailer.com",
        "attacker.example",
        "127.0.0.1",
        "[::1]",
        ":8742",
        ":443",
        ":",
        "@",
        "\\",
        "/",
        "//",
        "?",
        "#",
        ".",
        "user:pw",
        "%5C",
        "%40",
        "%2F",
        "%2E",
        "%00",
        "\uff3c",
        "\uff20",
        "\uff0f",
        "\uff0e",
        "\u2100",
        "\u2028",
        "\u00a0",
        "\u3002",
        " ",
        "\t",
        "\n",
        "\x00",
    ]
)
JUNK = st.just("") | st.lists(URL_PIECES | st.text(max_size=2), min_size=1, max_size=3).map("".join)
# Near-valid URLs (a scheme, a host, a port, a path) with junk between the parts, and free-form strings.
URLS = st.tuples(
    st.sampled_from(["https://", "http://", "HTTPS://", "https:/", "https:///", ""]),
    JUNK,
    st.sampled_from(["r1-api.dotdigital.com", "r1-api.dotmailer.com", "attacker.example", "127.0.0.1", "[::1]"]),
    JUNK,
    st.sampled_from(["", ":8742", ":443", ":80", ":"]),
    JUNK,
    st.sampled_from(["", "/", "/v2/data-fields", "?select=1", "#top"]),
).map("".join) | st.lists(URL_PIECES | st.text(max_size=3), min_size=1, max_size=10).map("".join)


def _connected_origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) that urllib3 (through requests) would connect to for `url`."""
    prepared = requests.Request("GET", url).prepare()
    parsed = parse_url(prepared.url)
    scheme = (parsed.scheme or "").lower()
    host = (parsed.host or "").lower().strip("[]").rstrip(".")
    return scheme, host, parsed.port or {"http": 80, "https": 443}[scheme]


def _is_allowed_origin(origin: tuple[str, str, int], configured: tuple[str, str, int]) -> bool:
    scheme, host, port = origin
    on_domain = any(host == domain or host.endswith(f".{domain}") for domain in ALLOWED_DOMAINS)
    return (on_domain and scheme == "https" and port == 443) or origin == configured


@hypothesis_settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(url=URLS)
def test_a_url_check_host_allowed_accepts_connects_only_where_it_was_checked(url, settings):
    settings.DOTDIGITAL_API_URL = "http://127.0.0.1:8742"
    configured = ("http", "127.0.0.1", 8742)
    for check in (check_host_allowed, check_endpoint_allowed):
        try:
            check(url)
        except HostNotAllowedError:
            continue  # any other exception fails the test: the check must always answer with a typed error
        assert _is_allowed_origin(_connected_origin(url), configured), url
        assert parse_url(url).auth is None, url


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
        max_leaves=20,
    )
    | st.fixed_dictionaries(
        {
            "id": st.integers() | st.floats() | st.text(max_size=5) | st.none() | st.lists(st.integers(), max_size=2),
            "properties": st.lists(
                st.fixed_dictionaries(
                    {
                        "name": st.sampled_from(["ApiEndpoint", "Name", "MainEmail"]) | st.text(max_size=5),
                        "value": st.none() | st.integers() | st.text(max_size=40) | st.lists(st.integers()),
                    }
                )
                | st.integers()
                | st.text(max_size=5),
                max_size=4,
            )
            | st.integers()
            | st.floats()
            | st.text(max_size=5)
            | st.none(),
        }
    )
)
def test_parse_account_info_answers_an_account_or_a_malformed_response_error(body):
    try:
        info = parse_account_info(body, fallback_endpoint=DEFAULT_API_URL)
    except MalformedResponseError:
        return
    assert isinstance(info.id, int)
    assert isinstance(info.api_endpoint, str)


@pytest.mark.parametrize(
    "body",
    [
        {"id": float("inf"), "properties": []},
        {"id": float("-inf")},
        {"id": float("nan")},
        {"id": 1, "properties": 5},
        {"id": 1, "properties": 1.5},
        {"id": 1, "properties": True},
    ],
)
def test_odd_account_info_bodies_are_malformed_responses(body):
    with pytest.raises(MalformedResponseError):
        parse_account_info(body, fallback_endpoint=DEFAULT_API_URL)


# -- odd answers over HTTP, through the whole client --------------------------------------------------------------


def _mocked_client(**kwargs) -> DotdigitalClient:
    kwargs.setdefault("max_retries", 0)
    return DotdigitalClient("apiuser@example.com", "password", api_url=DEFAULT_API_URL, **kwargs)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"body": "[" * 100_000 + "]" * 100_000, "status": 200}, MalformedResponseError),  # nested past recursion
        ({"body": json.dumps({"id": 1, "properties": 7}), "status": 200}, MalformedResponseError),
        ({"body": '{"id": Infinity}', "status": 200}, MalformedResponseError),
        ({"body": '{"id": 1e400}', "status": 200}, MalformedResponseError),
        ({"body": '{"id": ' + "9" * 5000 + "}", "status": 200}, MalformedResponseError),  # past int's digit limit
        ({"body": json.dumps({"id": 1, "properties": [{"name": "ApiEndpoint", "value": {}}]})}, HostNotAllowedError),
        (
            {
                "json": {
                    "id": 1,
                    "properties": [{"name": "ApiEndpoint", "value": "https://evil.c\u2100.dotdigital.com"}],
                }
            },
            HostNotAllowedError,
        ),
        (
            {
                "json": {
                    "id": 1,
                    "properties": [{"name": "ApiEndpoint", "value": "https://a.example\\@r1-api.dotdigital.com"}],
                }
            },
            HostNotAllowedError,
        ),
        ({"body": "[" * 100_000 + "]" * 100_000, "status": 400}, ValidationError),
        ({"status": 429, "headers": {"X-RateLimit-Reset": "1e20"}}, RateLimitedError),
        ({"status": 429, "headers": {"X-RateLimit-Reset": "nan"}}, RateLimitedError),
        ({"status": 429, "headers": {"X-RateLimit-Reset": "inf"}}, RateLimitedError),
        ({"status": 429, "headers": {"Retry-After": "1e400"}}, RateLimitedError),
        ({"status": 429, "headers": {"Retry-After": "nan"}}, RateLimitedError),
        ({"status": 429, "headers": {"Retry-After": "-inf"}}, RateLimitedError),
        ({"status": 429, "headers": {"Retry-After": "Fri, 31 Dec 9999 23:59:60 GMT"}}, RateLimitedError),
    ],
)
def test_an_odd_account_info_answer_becomes_a_typed_error(answer, error):
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, f"{DEFAULT_API_URL}/v2/account-info", **answer)
        with pytest.raises(error):
            _mocked_client().account_info()


# -- against the sandbox over real HTTP --------------------------------------------------------------------------


def test_a_backslash_endpoint_sends_nothing_to_the_host_urllib3_would_reach(make_sandbox, listener):
    sb = make_sandbox(seed=5, contacts=5)
    for endpoint in hostile_loopback_endpoints(listener.port, _port(sb.url)):
        sb.app.config.api_endpoint = endpoint
        client = sb.client()
        with pytest.raises(HostNotAllowedError):
            client.account_info()
        with pytest.raises(HostNotAllowedError):
            client.data_fields()  # the next call learns the endpoint again, and is refused again
    assert listener.received == []
    assert not listener.authorization_seen


def test_every_request_is_checked_again_where_it_is_sent(make_sandbox, listener):
    sb = make_sandbox(seed=5, contacts=5)
    for endpoint in hostile_loopback_endpoints(listener.port, _port(sb.url))[:4]:
        client = sb.client()
        client.account_info()
        # An endpoint that skipped the check where it is learnt (set by later code, or read from an old row)...
        client._api_endpoint = endpoint
        with pytest.raises(HostNotAllowedError):
            client.data_fields()  # ...is refused before the request is sent
        with pytest.raises(HostNotAllowedError):
            client.import_report_faults("00000000-0000-0000-0000-000000000000")
        assert client.call_count == 1  # only the account-info call
    assert listener.received == []


def test_the_adapter_checks_the_prepared_url_it_is_about_to_connect_to(sandbox, listener):
    client = sandbox.client()
    prepared = requests.Request("GET", f"{sandbox.url}/v2/data-fields").prepare()
    prepared.url = f"http://127.0.0.1:{listener.port}\\@127.0.0.1:{_port(sandbox.url)}/v2/data-fields"
    adapter = client.session.get_adapter(prepared.url)
    with pytest.raises(HostNotAllowedError):
        adapter.send(prepared, timeout=2)
    prepared.url = f"http://127.0.0.1:{listener.port}/v2/data-fields"  # well formed, but not an allowed port
    with pytest.raises(HostNotAllowedError):
        adapter.send(prepared, timeout=2)
    assert listener.received == []


def test_the_configured_url_is_checked_before_account_info_is_sent(listener):
    client = DotdigitalClient(
        "apiuser@example.com", "password", api_url=f"http://127.0.0.1:{listener.port}\\@127.0.0.1:9", max_retries=0
    )
    with pytest.raises(HostNotAllowedError):
        client.account_info()
    assert listener.received == []


# -- the screens: Check connection, Save, Data Fields ------------------------------------------------------------


def _form_data(sb, **overrides) -> dict:
    data = {
        "type": "dotdigital",
        "name": "Dotdigital EU",
        "username": sb.username,
        "password": sb.password,
        "client_id": "",
        "client_key": "",
        "custom_domain": "https://r1-app.dotdigital.com/",
        "default_owner": "",
        "sync_interval_minutes": "60",
    }
    data.update(overrides)
    return data


def _assert_refused(response) -> None:
    body = response.content.decode()
    assert response.status_code == 200
    assert REFUSAL in body
    assert "Connection Successful" not in body


@pytest.mark.django_db
def test_check_connection_and_save_refuse_hostile_endpoints_and_store_nothing(
    admin_client, settings, make_sandbox, listener, administrator
):
    sb = make_sandbox(seed=3, contacts=10, address_books=1, campaigns=0)
    settings.DOTDIGITAL_API_URL = sb.url
    create = reverse("integrations:create") + "?type=dotdigital"
    hostile = [*hostile_loopback_endpoints(listener.port, _port(sb.url)), "https://evil.c\u2100.dotdigital.com"]
    for endpoint in hostile:
        sb.app.config.api_endpoint = endpoint
        _assert_refused(admin_client.post(reverse("integrations:check_connection"), _form_data(sb)))
        _assert_refused(admin_client.post(create, _form_data(sb, action="check")))
        saved = admin_client.post(create, _form_data(sb, default_owner=administrator.pk, action="save_close"))
        _assert_refused(saved)
    assert not Integration.objects.exists()
    assert listener.received == []


@pytest.mark.django_db
def test_check_connection_on_an_existing_integration_refuses_and_keeps_the_stored_endpoint(
    admin_client, settings, make_sandbox, listener, administrator
):
    sb = make_sandbox(seed=3, contacts=10, address_books=1, campaigns=0)
    settings.DOTDIGITAL_API_URL = sb.url
    created = admin_client.post(
        reverse("integrations:create") + "?type=dotdigital",
        _form_data(sb, default_owner=administrator.pk, action="save_close"),
    )
    assert created.status_code == 302
    assert "Connection Successful" in admin_client.get(created.url).content.decode()  # reads the flash message
    integration = Integration.objects.get()
    assert integration.settings["api_endpoint"] == sb.url
    hostile = [*hostile_loopback_endpoints(listener.port, _port(sb.url)), "https://evil.c\u2100.dotdigital.com"]
    for endpoint in hostile:
        sb.app.config.api_endpoint = endpoint
        check = reverse("integrations:check_connection_existing", args=[integration.pk])
        _assert_refused(admin_client.post(check, _form_data(sb, password="")))
        edit = reverse("integrations:edit", args=[integration.pk])
        _assert_refused(
            admin_client.post(edit, _form_data(sb, password="", default_owner=administrator.pk, action="save_close"))
        )
        integration.refresh_from_db()
        assert integration.settings["api_endpoint"] == sb.url, endpoint
    assert listener.received == []


@pytest.mark.django_db
def test_data_fields_refuses_an_endpoint_stored_before_the_check_was_strict(
    client, marketer, settings, make_sandbox, listener, administrator
):
    sb = make_sandbox(seed=3, contacts=10, address_books=1, campaigns=0)
    settings.DOTDIGITAL_API_URL = sb.url
    stored = f"http://127.0.0.1:{listener.port}\\@127.0.0.1:{_port(sb.url)}"
    services.create_integration(
        type_key="dotdigital",
        name="Dotdigital EU",
        default_owner=administrator,
        settings={"username": sb.username, "custom_domain": "https://r1-app.dotdigital.com/"},
        secrets={"password": sb.password},
        discovered_settings={"api_endpoint": stored},
        user=administrator,
    )
    integration = Integration.objects.get()
    client.force_login(marketer)
    # Create Data Field is the page that calls Dotdigital now (the grid shows what the sync stored).
    response = client.post(
        reverse("dotdigital:data_field_create"),
        {"integration": integration.pk, "name": "TIER", "type": "String", "visibility": "Private"},
    )
    assert response.status_code == 200
    assert any(REFUSAL in error for error in response.context["form"].non_field_errors())
    assert not DataField.objects.exists()
    assert listener.received == []


def test_no_client_call_lets_an_untyped_exception_out_for_a_unicode_endpoint(make_sandbox):
    sb = make_sandbox(
        seed=3, contacts=10, address_books=1, campaigns=0, api_endpoint="https://evil.c\u2100.dotdigital.com"
    )
    client = sb.client()
    for call in (client.account_info, client.data_fields, lambda: list(client.contacts())):
        with pytest.raises(DotdigitalError) as caught:
            call()
        assert isinstance(caught.value, HostNotAllowedError)
