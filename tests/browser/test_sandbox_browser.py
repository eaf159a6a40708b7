"""The sandbox's Email Studio sign-in pages in a real browser (Chromium through Playwright)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser]


@pytest.fixture
def browser_page(chromium):
    """A page of the suite's one Chromium (one Playwright per process: a second would clash with its event loop)."""
    context = chromium.new_context(viewport={"width": 1000, "height": 700})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_approve_then_sign_in_to_email_studio(sandbox, browser_page):
    page = browser_page
    config = sandbox.app.config
    callback = f"{sandbox.url}/"
    page.goto(
        f"{sandbox.url}/OAuth2/authorise.aspx?redirect_uri={callback}&response_type=code&scope=Account"
        f"&state=s-42&client_id={config.oauth_client_id}"
    )
    assert page.get_by_role("heading").inner_text() == "Allow access to your Dotdigital account?"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox-oauth-authorise.png"), full_page=True)
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(lambda url: "code=" in url)
    query = parse_qs(urlsplit(page.url).query)
    assert query["state"] == ["s-42"]
    form = {"client_id": config.oauth_client_id, "client_secret": config.oauth_client_secret}
    tokens = requests.post(
        f"{sandbox.url}/OAuth2/Tokens.ashx",
        data={**form, "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": callback},
        timeout=5,
    ).json()
    access = requests.post(
        f"{sandbox.url}/OAuth2/Tokens.ashx",
        data={**form, "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        timeout=5,
    ).json()["access_token"]
    page.goto(f"{sandbox.url}/?suppressfooter=true&oauthtoken={access}")
    assert page.get_by_role("heading").inner_text() == "Email Studio (sandbox)"
    assert "You are signed in" in page.content()
    page.screenshot(path=str(ARTIFACTS / "sandbox-email-studio.png"), full_page=True)
