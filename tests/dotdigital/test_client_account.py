"""The client's account-info call, region switch, allow-list and authentication errors, against the sandbox."""

from __future__ import annotations

import pytest

from dotdigital.client import AccountInfo, DotdigitalClient, check_host_allowed
from dotdigital.exceptions import AuthenticationError, HostNotAllowedError


def test_account_info_reads_the_properties(sandbox):
    client = sandbox.client()
    info = client.account_info()
    assert isinstance(info, AccountInfo)
    assert info.id == sandbox.app.config.account_id
    assert info.name == "Sandbox Account"
    assert info.main_email.endswith("@example.com")
    assert info.api_endpoint == sandbox.url
    assert info.properties["APILocale"] == "en-GB"
    assert client.call_count == 1


def test_trailing_slash_endpoint_is_normalised(make_sandbox):
    sb = make_sandbox(seed=3, contacts=10, endpoint_trailing_slash=True)
    client = sb.client()
    assert client.account_info().api_endpoint == sb.url
    assert client.get_address_book(1001)["id"] == 1001


def test_region_switch_sends_later_calls_to_the_reported_endpoint(make_sandbox):
    region = make_sandbox(seed=5, contacts=30)
    discovery = make_sandbox(seed=5, contacts=30, api_endpoint=region.url)
    client = DotdigitalClient(
        discovery.username,
        discovery.password,
        api_url=discovery.url,
        backoff_factor=0.01,
        extra_allowed_urls=[region.url],  # another port of the same loopback host is allowed only when named
    )
    assert client.api_endpoint == region.url  # discovered on first use
    pages = list(client.contacts())
    assert sum(len(p) for p in pages) == 30
    assert [path for _m, path, _h in discovery.app.requests] == ["/v2/account-info"]
    assert [path for _m, path, _h in region.app.requests] == ["/v2/contacts"]
    assert client.call_count == 2


def test_foreign_endpoint_is_refused_before_any_request(make_sandbox):
    sb = make_sandbox(seed=5, contacts=5, api_endpoint="https://evil.example.net")
    client = sb.client()
    with pytest.raises(HostNotAllowedError) as caught:
        client.account_info()
    assert "evil.example.net" in str(caught.value)
    assert client.call_count == 1  # only the account-info call; nothing went to the foreign host
    with pytest.raises(HostNotAllowedError):
        DotdigitalClient("u", "p", api_url=sb.url, api_endpoint="http://r1-api.dotdigital.com")


def test_an_endpoint_on_another_port_of_the_configured_loopback_host_is_refused(make_sandbox, settings):
    elsewhere = make_sandbox(seed=5, contacts=5)
    discovery = make_sandbox(seed=5, contacts=5, api_endpoint=elsewhere.url)
    settings.DOTDIGITAL_API_URL = discovery.url
    client = DotdigitalClient(discovery.username, discovery.password)
    with pytest.raises(HostNotAllowedError) as caught:
        client.account_info()
    assert elsewhere.url.rpartition(":")[2] in str(caught.value)  # the refused port is named
    assert list(elsewhere.app.requests) == []  # no credentials went to the other port


def test_wrong_password_is_an_authentication_error_with_dotdigital_message(sandbox):
    client = DotdigitalClient(sandbox.username, "wrong-password", api_url=sandbox.url)
    with pytest.raises(AuthenticationError) as caught:
        client.account_info()
    assert caught.value.status == 401
    assert caught.value.message == "Authorization has been denied for this request."
    assert client.call_count == 1  # no retry on 401


@pytest.mark.parametrize(
    "url",
    [
        "https://r1-api.dotdigital.com",
        "https://r3-api.dotdigital.com/",
        "https://r1-api.dotmailer.com",
        "https://api-stg.dotmailer.com/v2",
    ],
)
def test_allowed_hosts(url):
    assert check_host_allowed(url) is None


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8025", "http://127.5.5.5", "http://localhost:9000", "http://[::1]:80"]
)
def test_plain_http_is_allowed_on_a_configured_loopback_host(url, settings):
    settings.DOTDIGITAL_API_URL = "https://r1-api.dotdigital.com"  # not the demo's sandbox, whatever is exported
    with pytest.raises(HostNotAllowedError):
        check_host_allowed(url)  # loopback is not allow-listed by itself...
    check_host_allowed(url, extra_hosts=[url])  # ...but once configured, plain HTTP is fine there


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("https://evil.com", "evil.com"),
        ("https://dotdigital.com.evil.com", "dotdigital.com.evil.com"),
        ("https://evildotdigital.com", "evildotdigital.com"),
        ("http://r1-api.dotdigital.com", "r1-api.dotdigital.com"),
        ("https://10.0.0.1", "10.0.0.1"),
        ("http://api.example.org", "api.example.org"),
        ("ftp://r1-api.dotdigital.com", "ftp://"),
        ("https://r1-api.dotdigital.com:8443", "port 8443"),
        ("https://r1-api.dotmailer.com:80/v2", "port 80"),
    ],
)
def test_refused_hosts_are_named(url, named, settings):
    settings.DOTDIGITAL_API_URL = "https://r1-api.dotdigital.com"
    with pytest.raises(HostNotAllowedError) as caught:
        check_host_allowed(url)
    assert named in str(caught.value)


def test_configured_api_host_and_extra_hosts_are_allowed(settings):
    settings.DOTDIGITAL_API_URL = "https://r1-api.dotdigital.com"
    with pytest.raises(HostNotAllowedError):
        check_host_allowed("https://api.example.org")
    check_host_allowed("https://api.example.org", extra_hosts=["api.example.org"])
    settings.DOTDIGITAL_API_URL = "https://api.example.org"
    check_host_allowed("https://api.example.org/v2")
    with pytest.raises(HostNotAllowedError, match="HTTPS"):
        check_host_allowed("http://api.example.org/v2")  # configured, but not loopback: HTTPS only
    with pytest.raises(HostNotAllowedError, match="8443"):
        check_host_allowed("https://api.example.org:8443/v2")  # same host, another port


def test_the_configured_loopback_url_allows_its_own_scheme_and_port_only(settings):
    settings.DOTDIGITAL_API_URL = "http://127.0.0.1:8025"
    check_host_allowed("http://127.0.0.1:8025/")
    for other in ("http://127.0.0.1:8026", "http://127.0.0.1", "https://127.0.0.1:8025", "http://localhost:8025"):
        with pytest.raises(HostNotAllowedError):
            check_host_allowed(other)
    check_host_allowed("http://127.0.0.1:8026", extra_hosts=["http://127.0.0.1:8026/"])


def test_each_call_is_logged_at_debug_without_credentials(sandbox, caplog):
    caplog.set_level("DEBUG", logger="dotdigital.client")
    client = sandbox.client()
    client.account_info()
    client.get_address_book(1001)
    messages = [r.getMessage() for r in caplog.records if r.name == "dotdigital.client"]
    assert any("/v2/account-info" in m for m in messages)
    assert any("/v2/address-books/1001" in m for m in messages)
    joined = "\n".join(messages)
    assert sandbox.password not in joined and sandbox.username not in joined


def test_a_non_latin1_password_is_sent_as_utf8_and_accepted(make_sandbox):
    sb = make_sandbox(seed=8, contacts=5, username="apiuser-000000000008@apiconnector.com", password="pass€wörd-ключ")
    client = sb.client()
    assert client.account_info().api_endpoint == sb.url  # the sandbox decodes Basic auth as UTF-8, like Dotdigital


def test_a_wrong_non_latin1_password_is_an_authentication_error_not_a_crash(sandbox):
    client = DotdigitalClient(sandbox.username, "pass€word", api_url=sandbox.url)
    with pytest.raises(AuthenticationError) as caught:
        client.account_info()
    assert caught.value.status == 401
