"""Playwright for Python driving Debian's Chromium (/usr/bin/chromium), headless. Never `playwright install`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.dotdigital.conftest import start_sandbox

# Playwright's sync API runs an event loop in this thread; the live server's database calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        skip_or_fail(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A page on the live server; the test fails if the browser reports a Content-Security-Policy violation."""
    context = chromium.new_context(viewport={"width": 1280, "height": 860}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: _note_violation(violations, message.text, page.url))
    yield page
    context.close()
    if violations:
        pytest.fail("Content-Security-Policy violations in the console:\n" + "\n".join(violations))


def _note_violation(violations: list[str], text: str, url: str) -> None:
    # Chromium logs every blocked script, style, image, frame or form as "... violates the following Content
    # Security Policy directive ...".
    if "Content Security Policy" in text or "Content-Security-Policy" in text:
        violations.append(f"{url}: {text}")


@pytest.fixture
def screenshot():
    """screenshot(page, name): save a full-page PNG under test-artifacts/screenshots/ and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
        return path

    return take


def log_in(page, username: str, password: str = "correct-horse-battery") -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.fixture
def sandbox():
    """A small Dotdigital sandbox over real HTTP, stopped after the test."""
    handle = start_sandbox(seed=7, contacts=200, address_books=2, campaigns=2)
    yield handle
    handle.running.stop()
