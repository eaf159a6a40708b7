"""The sandbox itself: seeded determinism at scale, changes while running, faults, OAuth, and its commands."""

from __future__ import annotations

import io
import threading
import time
import tracemalloc
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError

from dotdigital.sandbox import SandboxApp, SandboxConfig, credentials_for_seed, oauth_client_for_seed
from dotdigital.sandbox.seeded import Progression, View


def _page(app: SandboxApp, path: str) -> list:
    store = app.store
    if path == "all":
        return [store.render_contact(i, True) for i in store.all_contacts().page(0, 1000)]
    raise AssertionError(path)


def test_same_seed_same_data_other_seed_other_data():
    first, second, other = (SandboxApp(SandboxConfig(seed=s, contacts=3000)) for s in (4, 4, 5))
    assert _page(first, "all") == _page(second, "all")
    assert _page(first, "all") != _page(other, "all")
    assert first.config.username == second.config.username != other.config.username
    assert (first.config.username, first.config.password) == credentials_for_seed(4)


def test_a_million_contacts_in_bounded_memory():
    tracemalloc.start()
    try:
        app = SandboxApp(SandboxConfig(seed=1, contacts=1_000_000, address_books=8))
        store = app.store
        with store.lock:
            deep = store.all_contacts().page(999_000, 1000)
            book = store.book_contacts(1003)
            book_page = book.page(len(book) - 10, 1000)
            unsub = store.contacts_since(store.modified_of(900_000), "unsubscribed")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert deep == list(range(999_001, 1_000_001))
    assert len(book_page) == 10 and all(i in store.books[1003].seeded for i in book_page)
    assert len(unsub) == 3000  # ids 900,000..1,000,000: 3 in every 100 unsubscribed
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_views_page_exactly_like_a_list():
    base = Progression(1, 500, 6, (1, 4))
    expected_base = [i for i in range(1, 501) if i % 6 in (1, 4)]
    excluded = expected_base[::7]
    extra = sorted({2, 3, 600, 601, *expected_base[::14]})
    view = View(base, excluded, extra)
    expected = sorted((set(expected_base) - set(excluded)) | set(extra))
    assert len(view) == len(expected)
    for skip in range(0, len(expected) + 2, 13):
        assert view.page(skip, 17) == expected[skip : skip + 17]


def test_changes_while_running_show_in_totals(sandbox):
    client = sandbox.client()
    total_before = sum(len(p) for p in client.contacts(with_full_data=False))
    changes = sandbox.change(add=5, modify=2, unsubscribe=1)
    assert len(changes["added"]) == 5 and len(changes["modified"]) == 2 and len(changes["unsubscribed"]) == 1
    total_after = sum(len(p) for p in client.contacts(with_full_data=False))
    assert total_after == total_before + 5
    unsubscribed = client.get_contact(changes["unsubscribed"][0])
    assert unsubscribed["status"] == "Unsubscribed"


def test_admin_endpoints_over_http(sandbox):
    auth = (sandbox.username, sandbox.password)
    changed = requests.post(f"{sandbox.url}/_sandbox/change", json={"add": 2, "book_id": 1002}, auth=auth, timeout=5)
    assert changed.status_code == 200 and len(changed.json()["added"]) == 2
    refused = requests.post(f"{sandbox.url}/_sandbox/change", json={"add": 2}, timeout=5)
    assert refused.status_code == 401
    bad = requests.post(f"{sandbox.url}/_sandbox/change", json={"add": "many"}, auth=auth, timeout=5)
    assert bad.status_code == 400
    faults = requests.post(f"{sandbox.url}/_sandbox/faults", json={"latency_ms": 5}, auth=auth, timeout=5)
    assert faults.json()["latency_ms"] == 5
    assert requests.post(f"{sandbox.url}/_sandbox/faults", json={"nope": 1}, auth=auth, timeout=5).status_code == 400
    state = requests.get(f"{sandbox.url}/_sandbox/state", auth=auth, timeout=5).json()
    assert state["contacts"] == 2502 and state["faults"]["latency_ms"] == 5


@pytest.mark.parametrize(
    "body",
    [
        {"modify": 3, "unsubscribe": 2, "book_id": [1]},
        {"modify": 3, "unsubscribe": 2, "book_id": "1002"},
        {"modify": 3, "unsubscribe": 2, "add": -1},
        {"modify": 3, "unsubscribe": 2, "add": "many"},
        {"modify": 3, "unsubscribe": 2, "remove": 1},
    ],
)
def test_an_invalid_change_is_refused_with_400_before_anything_is_applied(sandbox, body):
    auth = (sandbox.username, sandbox.password)
    before = requests.get(f"{sandbox.url}/_sandbox/state", auth=auth, timeout=5).json()
    refused = requests.post(f"{sandbox.url}/_sandbox/change", json=body, auth=auth, timeout=5)
    assert refused.status_code == 400
    assert refused.json()["message"].endswith("ERROR_PARAMETER_INVALID")
    after = requests.get(f"{sandbox.url}/_sandbox/state", auth=auth, timeout=5).json()
    assert (after["contacts"], after["changed"]) == (before["contacts"], before["changed"])  # nothing was applied


@pytest.mark.parametrize(
    ("field_type", "good", "bad", "stored"),
    [
        ("String", "text", {"nested": "object"}, "text"),
        ("String", 12, [1, 2], 12),
        ("Numeric", 4.5, "four", 4.5),
        ("Numeric", "42", True, 42),
        ("Date", "2024-05-01T10:00:00Z", 20240501, "2024-05-01T10:00:00.000Z"),
        ("Date", "2024-05-01", "yesterday", "2024-05-01T00:00:00.000Z"),
        ("Boolean", True, "yes", True),
        ("Boolean", "false", 1, False),
    ],
)
def test_a_contact_data_field_value_must_fit_the_fields_type(sandbox, field_type, good, bad, stored):
    auth = (sandbox.username, sandbox.password)
    name = f"F_{field_type.upper()}"
    created = requests.post(
        f"{sandbox.url}/v2/data-fields", json={"name": name, "type": field_type}, auth=auth, timeout=5
    )
    assert created.status_code == 201

    def post(value):
        contact = {"email": "typed@example.com", "dataFields": [{"key": name, "value": value}]}
        return requests.post(f"{sandbox.url}/v2/contacts", json=contact, auth=auth, timeout=5)

    refused = post(bad)
    assert refused.status_code == 400
    assert refused.json()["message"].endswith("ERROR_PARAMETER_INVALID")
    assert name in refused.json()["message"]
    assert requests.get(f"{sandbox.url}/v2/contacts/typed@example.com", auth=auth, timeout=5).status_code == 404
    accepted = post(good)
    assert accepted.status_code in (200, 201)
    values = {item["key"]: item["value"] for item in accepted.json()["dataFields"]}
    assert values[name] == stored and type(values[name]) is type(stored)  # typed as Dotdigital answers it


def test_latency_is_added(sandbox):
    sandbox.set_faults(latency_ms=150)
    started = time.monotonic()
    requests.get(f"{sandbox.url}/v2/address-books", auth=(sandbox.username, sandbox.password), timeout=5)
    assert time.monotonic() - started >= 0.15


def test_rate_limit_headers(sandbox):
    sandbox.set_faults(rate_limit=2, rate_limit_window=60)
    auth = (sandbox.username, sandbox.password)
    answers = [requests.get(f"{sandbox.url}/v2/data-fields", auth=auth, timeout=5) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    limited = answers[-1]
    assert limited.headers["X-RateLimit-Limit"] == "2"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["X-RateLimit-Reset"]) > time.time()
    assert limited.headers["X-RateLimit-Scope"]


def test_error_rate_answers_some_5xx(sandbox):
    sandbox.set_faults(error_rate=0.5)
    auth = (sandbox.username, sandbox.password)
    codes = [requests.get(f"{sandbox.url}/v2/data-fields", auth=auth, timeout=5).status_code for _ in range(40)]
    assert 5 < codes.count(503) < 35 and codes.count(200) == 40 - codes.count(503)


def test_concurrent_requests_are_served(sandbox):
    auth = (sandbox.username, sandbox.password)
    results: list[int] = []

    def fetch(skip: int) -> None:
        response = requests.get(f"{sandbox.url}/v2/contacts?select=100&skip={skip}", auth=auth, timeout=10)
        results.append(len(response.json()))

    threads = [threading.Thread(target=fetch, args=(i * 100,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [100] * 10


def test_oauth_code_flow_and_sign_in(sandbox):
    config = sandbox.app.config
    browser = requests.Session()
    params = {
        "redirect_uri": "https://backoffice.example.com/dotdigital/oauth/callback",
        "response_type": "code",
        "scope": "Account",
        "state": "random-state-123",
        "client_id": config.oauth_client_id,
    }
    page = browser.get(f"{sandbox.url}/OAuth2/authorise.aspx", params=params, timeout=5)
    assert page.status_code == 200 and "Approve" in page.text
    approved = browser.post(
        f"{sandbox.url}/OAuth2/authorise.aspx", data={**params, "decision": "approve"}, allow_redirects=False, timeout=5
    )
    assert approved.status_code == 302
    location = urlsplit(approved.headers["Location"])
    query = parse_qs(location.query)
    assert location.netloc == "backoffice.example.com" and query["state"] == ["random-state-123"]
    token_url = f"{sandbox.url}/OAuth2/Tokens.ashx"
    grant = {
        "client_id": config.oauth_client_id,
        "client_secret": config.oauth_client_secret,
        "redirect_uri": params["redirect_uri"],
        "grant_type": "authorization_code",
        "code": query["code"][0],
    }
    tokens = requests.post(token_url, data=grant, timeout=5).json()
    assert tokens["refresh_token"]
    reused = requests.post(token_url, data=grant, timeout=5)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    refreshed = requests.post(
        token_url,
        data={
            "client_id": config.oauth_client_id,
            "client_secret": config.oauth_client_secret,
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
        },
        timeout=5,
    ).json()
    assert refreshed["access_token"]
    signed_in = requests.get(
        f"{sandbox.url}/", params={"suppressfooter": "true", "oauthtoken": refreshed["access_token"]}, timeout=5
    )
    assert signed_in.status_code == 200 and "signed in" in signed_in.text and "Email Studio" in signed_in.text
    assert requests.get(f"{sandbox.url}/?oauthtoken=forged", timeout=5).status_code == 401
    bad_secret = requests.post(token_url, data={**grant, "client_secret": "nope"}, timeout=5)
    assert bad_secret.json()["error"] == "invalid_client" and bad_secret.json()["error_description"]


def test_oauth_refuses_unknown_clients_and_supports_deny(sandbox):
    base = {"redirect_uri": "https://x.example.com/cb", "response_type": "code", "state": "s1"}
    unknown = requests.get(f"{sandbox.url}/oauth2/AUTHORIZE.aspx", params={**base, "client_id": "who"}, timeout=5)
    assert unknown.status_code == 400
    denied = requests.get(
        f"{sandbox.url}/OAuth2/authorise.aspx",
        params={**base, "client_id": sandbox.app.config.oauth_client_id, "decision": "deny"},
        allow_redirects=False,
        timeout=5,
    )
    assert denied.status_code == 302 and "error=access_denied" in denied.headers["Location"]


def test_print_credentials_is_deterministic():
    out = io.StringIO()
    call_command("dotdigital_sandbox", "--seed", "9", "--print-credentials", stdout=out)
    username, password = credentials_for_seed(9)
    client_id, client_secret = oauth_client_for_seed(9)
    assert out.getvalue().splitlines() == [
        f"Dotdigital sandbox API user: {username}",
        f"Dotdigital sandbox password: {password}",
        f"Dotdigital sandbox OAuth Client ID: {client_id}",
        f"Dotdigital sandbox OAuth Client Secret key: {client_secret}",
    ]
    assert SandboxApp(SandboxConfig(seed=9)).config.oauth_client_id == client_id
    assert len(password) >= 8 and any(not ch.isalnum() for ch in password)


def test_sandbox_change_command(make_sandbox):
    sb = make_sandbox(seed=1, contacts=100)
    out = io.StringIO()
    call_command("sandbox_change", "--url", sb.url, "--seed", "1", "--add", "3", "--unsubscribe", "1", stdout=out)
    assert "Added: 3 contact(s) [101, 102, 103]" in out.getvalue()
    assert len(sb.store.all_contacts()) == 103
    with pytest.raises(CommandError):
        call_command("sandbox_change", "--url", sb.url, "--seed", "2", "--add", "1", stdout=io.StringIO())


def test_fast_json_of_seeded_contacts_equals_the_general_rendering():
    import json

    from dotdigital.sandbox.store import DataField

    app = SandboxApp(SandboxConfig(seed=3, contacts=5000))
    store = app.store
    store.fields["SCORE"] = DataField("Score", "Numeric", "Public", 5)
    store.touch()
    for i in (1, 2, 7, 19, 63, 88, 999, 4321, 5000):
        for full in (True, False):
            assert json.loads(store.seeded_json(i, full)) == store.render_contact(i, full)
    assert json.loads(store.seeded_json(10, True))["dataFields"][-1] == {"key": "Score", "value": 5}
