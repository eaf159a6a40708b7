"""Marketing > Dotdigital > Email Studio: single sign-on into Dotdigital's app, against the sandbox over HTTP."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connection
from django.test import Client
from django.urls import reverse

from backoffice import roles
from dotdigital import sso
from dotdigital.exceptions import HostNotAllowedError
from dotdigital.installation import app_host_for
from dotdigital.models import EmailStudioChoice, EmailStudioConnection
from integrations import crypto, services
from integrations.models import Integration
from tests.backoffice.test_security_headers import directives
from tests.dotdigital.test_integration_form import CREATE_URL, full_data

pytestmark = pytest.mark.django_db

PAGE = reverse("dotdigital:email_studio")
CALLBACK = reverse("dotdigital:email_studio_callback")
REDIRECT_URI = f"http://testserver{CALLBACK}"


def make_integration(sandbox, owner, name="Dotdigital EU", **settings_overrides) -> Integration:
    config = sandbox.app.config
    settings_values = {
        "username": sandbox.username,
        "client_id": config.oauth_client_id,
        "custom_domain": "https://r1-app.dotdigital.com/",
        **settings_overrides,
    }
    secrets = {"password": sandbox.password, "client_key": config.oauth_client_secret}
    if not settings_values.get("client_id"):
        secrets.pop("client_key")
    return services.create_integration(
        type_key="dotdigital",
        name=name,
        default_owner=owner,
        settings=settings_values,
        secrets=secrets,
        discovered_settings={"api_endpoint": sandbox.url},
        user=owner,
    )


@pytest.fixture
def integration(settings, sandbox, administrator) -> Integration:
    settings.DOTDIGITAL_API_URL = sandbox.url
    return make_integration(sandbox, administrator)


def page_of(integration: Integration) -> str:
    return reverse("dotdigital:email_studio_account", args=[integration.pk])


def start(client, integration: Integration) -> str:
    """Press Connect; returns Dotdigital's authorise URL the browser is sent to."""
    response = client.get(reverse("dotdigital:email_studio_connect", args=[integration.pk]))
    assert response.status_code == 302
    return response["Location"]


def approve(authorise_url: str) -> str:
    """What the user does at Dotdigital: open the authorise page and press Approve; returns our callback's path."""
    page = requests.get(authorise_url, timeout=5)
    assert page.status_code == 200 and "Approve" in page.text
    params = {name: values[0] for name, values in parse_qs(urlsplit(authorise_url).query).items()}
    answer = requests.post(authorise_url, data={**params, "decision": "approve"}, allow_redirects=False, timeout=5)
    assert answer.status_code in (302, 303)
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return location.removeprefix("http://testserver")


def connect(client, integration: Integration) -> None:
    response = client.get(approve(start(client, integration)))
    assert response.status_code == 302 and response["Location"] == page_of(integration)


def token_calls(sandbox) -> int:
    return sum(1 for method, path, _host in sandbox.app.requests if path.lower() == "/oauth2/tokens.ashx")


def frame_url_of(response) -> str:
    assert response.status_code == 200
    assert response.context["state"] == "connected", response.context.get("problem")
    return response.context["frame_url"]


def revoke_all(sandbox) -> None:
    answer = requests.post(
        f"{sandbox.url}/_sandbox/oauth/revoke", auth=(sandbox.username, sandbox.password), json={}, timeout=5
    )
    assert answer.status_code == 200


# -- the whole flow ---------------------------------------------------------------------------------------------------


def test_connect_callback_frame_refresh_and_disconnect(client, marketer, sandbox, integration):
    client.force_login(marketer)
    first = client.get(PAGE)
    assert first.context["state"] == "not_connected"
    assert reverse("dotdigital:email_studio_connect", args=[integration.pk]) in first.content.decode()
    assert "Connect to Email Studio" in first.content.decode()

    authorise = start(client, integration)
    parts = urlsplit(authorise)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{sandbox.url}/OAuth2/authorise.aspx"
    query = parse_qs(parts.query)
    assert query["client_id"] == [sandbox.app.config.oauth_client_id]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert query["response_type"] == ["code"] and query["scope"] == ["Account"]
    [state] = query["state"]
    assert len(state) >= 40 and str(integration.pk) != state

    response = client.get(approve(authorise), follow=True)
    assert "Connected to the Email Studio of Dotdigital EU." in response.content.decode()
    row = EmailStudioConnection.objects.get(integration=integration, user=marketer)
    [issued] = sandbox.app.oauth.refresh_tokens
    assert row.refresh_token != issued and crypto.decrypt(row.refresh_token) == issued

    calls = token_calls(sandbox)
    visit = client.get(page_of(integration))
    frame_url = frame_url_of(visit)
    assert token_calls(sandbox) == calls + 1  # the refresh, on this visit
    access = parse_qs(urlsplit(frame_url).query)["oauthtoken"][0]
    assert frame_url == f"{sandbox.url}/?oauthtoken={access}&suppressfooter=true"
    assert directives(visit)["frame-src"] == ["'self'", sandbox.url]
    assert "no-store" in visit["Cache-Control"]
    body = visit.content.decode()
    assert f'src="{frame_url.replace("&", "&amp;")}"' in body and "email-studio-frame" in body
    assert "Open in a new tab" in body and reverse("dotdigital:email_studio_open", args=[integration.pk]) in body
    signed_in = requests.get(frame_url, timeout=5)
    assert signed_in.status_code == 200 and "signed in" in signed_in.text

    # The next visit signs in again with the stored refresh token: no Connect, another access token.
    again = frame_url_of(client.get(PAGE))
    assert again != frame_url and token_calls(sandbox) == calls + 2
    assert EmailStudioConnection.objects.get(pk=row.pk).last_signed_in_at is not None

    tab = client.get(reverse("dotdigital:email_studio_open", args=[integration.pk]))
    assert tab.status_code == 302 and tab["Location"].startswith(f"{sandbox.url}/?oauthtoken=")
    assert tab["Location"] not in (frame_url, again)

    gone = client.post(reverse("dotdigital:email_studio_disconnect", args=[integration.pk]), follow=True)
    assert "Disconnected from the Email Studio of Dotdigital EU." in gone.content.decode()
    assert not EmailStudioConnection.objects.exists()
    after = client.get(PAGE)
    assert after.context["state"] == "not_connected"
    assert directives(after)["frame-src"] == ["'self'"]


def test_disconnect_is_post_only(client, marketer, integration):
    client.force_login(marketer)
    connect(client, integration)
    assert client.get(reverse("dotdigital:email_studio_disconnect", args=[integration.pk])).status_code == 405
    assert EmailStudioConnection.objects.count() == 1


def test_disconnect_needs_the_csrf_token(marketer, integration):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(marketer)
    connect(browser, integration)
    url = reverse("dotdigital:email_studio_disconnect", args=[integration.pk])
    assert browser.post(url).status_code == 403
    assert EmailStudioConnection.objects.count() == 1
    page = browser.get(page_of(integration))
    token = page.context["csrf_token"]
    assert browser.post(url, {"csrfmiddlewaretoken": str(token)}).status_code == 302
    assert not EmailStudioConnection.objects.exists()


# -- state -----------------------------------------------------------------------------------------------------------


def _with_state(path: str, state: str | None) -> str:
    query = {name: values[0] for name, values in parse_qs(urlsplit(path).query).items()}
    if state is None:
        query.pop("state")
    else:
        query["state"] = state
    return CALLBACK + "?" + "&".join(f"{k}={v}" for k, v in query.items())


@pytest.mark.parametrize(
    ("case", "explanation"),
    [
        ("missing", "has no state"),
        ("wrong", "the state is unknown"),
        ("expired", "has expired"),
        ("replayed", "has been used already"),
    ],
)
def test_a_bad_state_is_403_with_an_explanation_and_changes_nothing(
    client, marketer, sandbox, integration, monkeypatch, case, explanation
):
    client.force_login(marketer)
    connect(client, integration)  # an existing sign-in that a bad answer must leave alone
    before = EmailStudioConnection.objects.get()
    callback = approve(start(client, integration))
    if case == "missing":
        callback = _with_state(callback, None)
    elif case == "wrong":
        callback = _with_state(callback, "x" * 43)
    elif case == "expired":
        now = sso._now()
        monkeypatch.setattr(sso, "_now", lambda: now + sso.STATE_LIFETIME + 1)
    else:
        assert client.get(callback).status_code == 302
        before = EmailStudioConnection.objects.get()
    calls = token_calls(sandbox)
    response = client.get(callback)
    assert response.status_code == 403
    body = response.content.decode()
    assert "This answer from Dotdigital was not accepted." in body and explanation in body
    assert "Nothing was changed" in body and "Back to Email Studio" in body
    assert token_calls(sandbox) == calls  # the code was not even tried
    after = EmailStudioConnection.objects.get()
    assert (after.pk, after.refresh_token) == (before.pk, before.refresh_token)


def test_another_users_state_is_refused(client, make_user, sandbox, integration):
    alice = make_user(roles.MARKETING_MANAGER, username="alice")
    bob = make_user(roles.MARKETING_MANAGER, username="bob")
    client.force_login(alice)
    callback = approve(start(client, integration))
    other = Client()
    other.force_login(bob)
    response = other.get(callback)
    assert response.status_code == 403 and "the state is unknown" in response.content.decode()
    # Even with Alice's pending state copied into Bob's session, the state stays hers.
    session = other.session
    session[sso.SESSION_KEY] = client.session[sso.SESSION_KEY]
    session.save()
    response = other.get(callback)
    assert response.status_code == 403 and "started by another user" in response.content.decode()
    assert not EmailStudioConnection.objects.exists()
    # Alice's own answer still works.
    assert client.get(callback).status_code == 302
    assert EmailStudioConnection.objects.get().user == alice


def test_pending_states_are_bounded_per_session(client, marketer, integration):
    client.force_login(marketer)
    for _ in range(sso.MAX_PENDING_STATES + 3):
        start(client, integration)
    assert len(client.session[sso.SESSION_KEY]) == sso.MAX_PENDING_STATES


def test_a_denied_authorisation_is_a_message(client, marketer, sandbox, integration):
    client.force_login(marketer)
    authorise = start(client, integration)
    params = {name: values[0] for name, values in parse_qs(urlsplit(authorise).query).items()}
    answer = requests.post(authorise, data={**params, "decision": "deny"}, allow_redirects=False, timeout=5)
    response = client.get(answer.headers["Location"].removeprefix("http://testserver"), follow=True)
    assert response.status_code == 200
    assert "Dotdigital did not grant access (access_denied)" in response.content.decode()
    assert not EmailStudioConnection.objects.exists()


# -- Dotdigital refuses, or cannot be reached ------------------------------------------------------------------------


def test_a_revoked_refresh_token_asks_to_connect_again(client, marketer, sandbox, integration):
    client.force_login(marketer)
    connect(client, integration)
    revoke_all(sandbox)
    response = client.get(PAGE)
    assert response.status_code == 200 and response.context["state"] == "refused"
    body = response.content.decode()
    assert "Dotdigital refused the sign-in (The refresh token is not valid.). Connect to Email Studio again." in body
    assert "Connect to Email Studio" in body and "email-studio-frame" not in body
    assert not EmailStudioConnection.objects.exists()  # a refused token never works again
    connect(client, integration)
    frame_url_of(client.get(PAGE))


def test_a_refused_code_is_a_message(client, marketer, sandbox, integration):
    client.force_login(marketer)
    callback = approve(start(client, integration))
    sandbox.app.oauth.codes.clear()  # the code expired at Dotdigital
    response = client.get(callback, follow=True)
    assert "The authorisation code is not valid or has expired." in response.content.decode()
    assert "Connect to Email Studio again" in response.content.decode()
    assert not EmailStudioConnection.objects.exists()


def test_a_refused_client_secret_names_the_integrations_settings_and_keeps_the_sign_in(
    client, marketer, sandbox, integration
):
    client.force_login(marketer)
    connect(client, integration)
    sandbox.app.config.oauth_client_secret = "rotated-at-dotdigital"
    response = client.get(PAGE)
    assert response.context["state"] == "refused"
    assert "refused the integration&#x27;s Client ID or Client Secret key" in response.content.decode()
    assert EmailStudioConnection.objects.count() == 1


def test_unreachable_dotdigital_shows_the_reason_and_a_retry(client, marketer, sandbox, integration):
    client.force_login(marketer)
    connect(client, integration)
    sandbox.running.stop()
    response = client.get(PAGE)
    assert response.status_code == 200 and response.context["state"] == "unreachable"
    body = response.content.decode()
    assert f"Dotdigital could not be reached: cannot connect to {sandbox.url}." in body
    assert "Retry" in body and f'href="{page_of(integration)}"' in body
    assert EmailStudioConnection.objects.count() == 1  # kept: it works again once Dotdigital answers


def test_a_server_error_at_the_token_endpoint_is_unreachable(client, marketer, integration, responses_mock):
    client.force_login(marketer)
    EmailStudioConnection.objects.create(
        integration=integration, user=marketer, refresh_token=crypto.encrypt("some-refresh-token")
    )
    host = integration.installation().oauth_host()
    responses_mock.add("POST", f"{host}/OAuth2/Tokens.ashx", body="<html>Bad gateway</html>", status=502)
    response = client.get(PAGE)
    assert response.context["state"] == "unreachable"
    assert "answered HTTP 502" in response.content.decode()


@pytest.fixture
def responses_mock():
    import responses

    with responses.RequestsMock() as mock:
        yield mock


# -- settings ---------------------------------------------------------------------------------------------------------


def test_missing_client_settings_ask_an_administrator(client, settings, sandbox, administrator, marketer):
    settings.DOTDIGITAL_API_URL = sandbox.url
    integration = make_integration(sandbox, administrator, client_id="")
    message = "Ask an administrator to set Client ID and Client Secret key on the integration"
    edit = reverse("integrations:edit", args=[integration.pk])
    client.force_login(marketer)
    response = client.get(PAGE)
    assert response.context["state"] == "not_configured"
    assert message in response.content.decode() and edit not in response.content.decode()
    connect_response = client.get(reverse("dotdigital:email_studio_connect", args=[integration.pk]), follow=True)
    assert message in connect_response.content.decode()
    assert not client.session.get(sso.SESSION_KEY)
    client.force_login(administrator)
    body = client.get(PAGE).content.decode()
    assert message in body and f'href="{edit}"' in body
    assert token_calls(sandbox) == 0


def test_a_custom_oauth_domain_the_allow_list_refuses_is_refused_at_use(client, marketer, sandbox, integration):
    client.force_login(marketer)
    connect(client, integration)
    # Stored behind the form's back (an old row, a shell, a migration): the check at use still refuses it.
    Integration.objects.filter(pk=integration.pk).update(
        settings={**integration.settings, "custom_domain": "https://login.evil.example/"}
    )
    calls = token_calls(sandbox)
    response = client.get(PAGE)
    assert response.context["state"] == "host_refused"
    body = response.content.decode()
    assert "not an allowed Dotdigital address" in body and "login.evil.example is not allowed" in body
    assert directives(response)["frame-src"] == ["'self'"]
    refused = client.get(reverse("dotdigital:email_studio_connect", args=[integration.pk]))
    assert refused.status_code == 302 and refused["Location"] == page_of(integration)
    assert token_calls(sandbox) == calls


def test_the_form_accepts_the_sandbox_as_custom_oauth_domain(admin_client, settings, sandbox, administrator):
    settings.DOTDIGITAL_API_URL = sandbox.url
    data = full_data(sandbox, administrator, custom_domain=f"{sandbox.url}/")
    assert admin_client.post(CREATE_URL, data).status_code == 302
    integration = Integration.objects.get()
    assert integration.settings["custom_domain"] == f"{sandbox.url}/"
    assert integration.installation().oauth_host() == sandbox.url


@pytest.mark.parametrize(
    ("endpoint", "app_host"),
    [
        ("https://r1-api.dotdigital.com", "https://r1-app.dotdigital.com"),
        ("https://r2-api.dotdigital.com/", "https://r2-app.dotdigital.com"),
        ("https://r3-api.dotmailer.com", "https://r3-app.dotdigital.com"),
        ("https://r1-api-stg.dotdigital.com", "https://r1-app-stg.dotdigital.com"),
        ("https://api.dotmailer.com", "https://r1-app.dotdigital.com"),
        ("http://127.0.0.1:8025", "http://127.0.0.1:8025"),
    ],
)
def test_the_app_host_of_an_api_endpoint(endpoint, app_host):
    assert app_host_for(endpoint) == app_host


def test_the_oauth_host_is_the_custom_domain_or_the_regions_app_host(settings, sandbox, administrator):
    settings.DOTDIGITAL_API_URL = "https://r1-api.dotdigital.com"
    integration = make_integration(sandbox, administrator)
    installation = integration.installation()
    integration.settings["api_endpoint"] = "https://r2-api.dotdigital.com"
    assert installation.oauth_host() == "https://r2-app.dotdigital.com"  # the default domain follows the region
    integration.settings["custom_domain"] = "https://studio.dotdigital.com/"
    assert installation.oauth_host() == "https://studio.dotdigital.com"
    integration.settings["custom_domain"] = ""
    integration.settings["api_endpoint"] = sandbox.url  # no longer the configured DOTDIGITAL_API_URL
    with pytest.raises(HostNotAllowedError):
        installation.oauth_host()


# -- forgetting sign-ins -----------------------------------------------------------------------------------------------


@pytest.fixture
def two_sign_ins(client, make_user, integration):
    users = [make_user(roles.MARKETING_MANAGER, username=name) for name in ("ann", "ben")]
    for user in users:
        browser = Client()
        browser.force_login(user)
        connect(browser, integration)
    assert EmailStudioConnection.objects.count() == 2
    return users


@pytest.mark.parametrize(
    ("change", "forgets"),
    [
        ({"settings": {"client_id": "another-client"}}, True),
        ({"secrets": {"client_key": "another-secret-key"}}, True),
        ({"settings": {"custom_domain": "https://studio.dotdigital.com/"}}, True),
        ({"name": "Renamed"}, False),
        ({"settings": {"create_contacts": False}}, False),
    ],
    ids=["client-id", "client-secret-key", "custom-oauth-domain", "name", "other-setting"],
)
def test_changing_the_oauth_client_forgets_every_users_sign_in(
    administrator, integration, two_sign_ins, change, forgets
):
    services.update_integration(integration, user=administrator, **change)
    assert EmailStudioConnection.objects.exists() is not forgets


def test_deactivating_or_deleting_forgets_every_sign_in(administrator, integration, two_sign_ins):
    services.set_enabled(integration, False, user=administrator)
    assert not EmailStudioConnection.objects.exists()
    services.set_enabled(integration, True, user=administrator)
    browser = Client()
    browser.force_login(two_sign_ins[0])
    connect(browser, integration)
    services.delete_integration(integration)
    assert not EmailStudioConnection.objects.exists() and not EmailStudioChoice.objects.exists()


def test_the_edit_form_changing_the_client_id_forgets_sign_ins(admin_client, sandbox, administrator, integration):
    browser = Client()
    browser.force_login(administrator)
    connect(browser, integration)
    data = full_data(sandbox, administrator, client_id="another-client-id", client_key="")
    response = admin_client.post(reverse("integrations:edit", args=[integration.pk]), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert not EmailStudioConnection.objects.exists()


# -- several integrations, roles ------------------------------------------------------------------------------------


def test_the_selector_remembers_each_users_choice(client, settings, sandbox, administrator, marketer, make_user):
    settings.DOTDIGITAL_API_URL = sandbox.url
    first = make_integration(sandbox, administrator, name="Account A")
    second = make_integration(sandbox, administrator, name="Account B")
    client.force_login(marketer)
    response = client.get(PAGE)
    assert response.context["integration"] == first
    body = response.content.decode()
    assert 'data-testid="integration-selector"' in body and "Account B" in body
    picked = client.get(PAGE, {"integration": second.pk})
    assert picked.status_code == 302 and picked["Location"] == page_of(second)
    assert client.get(PAGE).context["integration"] == second
    other = Client()
    other.force_login(make_user(roles.MARKETING_MANAGER, username="other"))
    assert other.get(PAGE).context["integration"] == first
    assert client.get(PAGE, {"integration": 10**6}).status_code == 404


def test_one_integration_has_no_selector_and_none_says_what_to_do(client, marketer, integration, administrator):
    client.force_login(marketer)
    assert 'data-testid="integration-selector"' not in client.get(PAGE).content.decode()
    services.set_enabled(integration, False, user=administrator)
    response = client.get(PAGE)
    assert response.status_code == 200 and "No active Dotdigital integration." in response.content.decode()
    assert client.get(page_of(integration)).status_code == 404


@pytest.mark.parametrize(
    ("role", "allowed"), [(roles.ADMINISTRATOR, True), (roles.MARKETING_MANAGER, True), (roles.OPERATIONS, False)]
)
def test_permissions_per_role(client, role_users, integration, role, allowed):
    client.force_login(role_users[role])
    pages = [PAGE, page_of(integration), reverse("dotdigital:email_studio_connect", args=[integration.pk])]
    for url in pages:
        status = client.get(url).status_code
        assert (status in (200, 302)) if allowed else status == 403, (url, status)
    callback = client.get(CALLBACK, {"state": "x", "code": "y"})
    assert callback.status_code == 403
    assert ("not accepted" in callback.content.decode()) is allowed
    disconnect = client.post(reverse("dotdigital:email_studio_disconnect", args=[integration.pk]))
    assert disconnect.status_code == (302 if allowed else 403)


def test_signed_out_users_are_sent_to_log_in(client, integration):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# -- secrets -----------------------------------------------------------------------------------------------------------


def _database_text() -> str:
    """Every value of every table, as text: what a database dump would show."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the introspection
            chunks.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(chunks)


def test_the_secret_and_the_tokens_never_appear_in_clear(client, marketer, sandbox, integration, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(marketer)
    bodies = [client.get(PAGE).content.decode()]  # every page but those that frame Email Studio
    authorise = start(client, integration)
    callback = client.get(approve(authorise))
    assert callback.status_code == 302
    bodies.append(callback.content.decode())
    framed = []
    for _ in range(2):
        response = client.get(PAGE)
        framed.append((frame_url_of(response), response.content.decode()))
    tab = client.get(reverse("dotdigital:email_studio_open", args=[integration.pk]))
    bodies.append(tab.content.decode())
    gone = client.post(reverse("dotdigital:email_studio_disconnect", args=[integration.pk]), follow=True)
    bodies.append(gone.content.decode())

    secret = sandbox.app.config.oauth_client_secret
    [refresh] = sandbox.app.oauth.refresh_tokens
    access_tokens = [parse_qs(urlsplit(url).query)["oauthtoken"][0] for url, _body in framed]
    access_tokens.append(parse_qs(urlsplit(tab["Location"]).query)["oauthtoken"][0])
    assert len(set(access_tokens)) == 3
    for text in bodies:
        assert secret not in text and refresh not in text
        assert not any(token in text for token in access_tokens)
    for (_url, body), own in zip(framed, access_tokens, strict=False):
        assert secret not in body and refresh not in body
        assert body.count(own) == 1  # in the frame's src, once; and no other visit's token
        assert not any(token in body for token in access_tokens if token != own)
    ours = "\n".join(
        f"{record.getMessage()} {record.args}"
        for record in caplog.records
        if not record.name.startswith("dotdigital.sandbox")
    )
    assert "Email Studio: user" in ours  # the flow did log, without the values
    for value in (secret, refresh, *access_tokens):
        assert value not in ours
    stored = _database_text()
    for value in (secret, refresh, *access_tokens):
        assert value not in stored


def test_the_refresh_token_column_is_rotated_with_the_integration_secrets(client, marketer, settings, integration):
    from cryptography.fernet import Fernet

    client.force_login(marketer)
    connect(client, integration)
    row = EmailStudioConnection.objects.get()
    clear = crypto.decrypt(row.refresh_token)
    settings.FIELD_ENCRYPTION_KEY = f"{Fernet.generate_key().decode()},{settings.FIELD_ENCRYPTION_KEY}"
    assert services.rotate_encryption_key() >= 2  # the integration's secrets and this sign-in
    rotated = EmailStudioConnection.objects.get().refresh_token
    assert rotated != row.refresh_token and crypto.decrypt(rotated) == clear
    settings.FIELD_ENCRYPTION_KEY = settings.FIELD_ENCRYPTION_KEY.split(",")[0]
    frame_url_of(client.get(PAGE))
