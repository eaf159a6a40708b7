"""Fixtures for the Dotdigital tests: a sandbox served over real HTTP on a free loopback port."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dotdigital.sandbox import Faults, RunningSandbox, SandboxApp, SandboxConfig
from dotdigital.sandbox.admin import apply_change

REFERENCE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "reference"


class SandboxHandle:
    """A running sandbox: `.url`, `.username`, `.password`, and ways to change its data and faults."""

    def __init__(self, running: RunningSandbox) -> None:
        self.running = running
        self.app = running.app

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def username(self) -> str:
        return self.app.config.username

    @property
    def password(self) -> str:
        return self.app.config.password

    @property
    def store(self):
        return self.app.store

    def set_faults(self, **changes) -> None:
        for name, value in changes.items():
            if not hasattr(self.app.config.faults, name):
                raise AttributeError(name)
            setattr(self.app.config.faults, name, value)

    def change(self, **counts) -> dict[str, list[int]]:
        """Modify, unsubscribe and add contacts, as the admin endpoint does."""
        return apply_change(self.app.store, counts)

    def client(self, **kwargs):
        from dotdigital.client import DotdigitalClient

        kwargs.setdefault("api_url", self.url)
        kwargs.setdefault("backoff_factor", 0.01)
        return DotdigitalClient(self.username, self.password, **kwargs)

    def hosts_seen(self) -> list[str]:
        return [host for _method, _path, host in self.app.requests]


def start_sandbox(**config) -> SandboxHandle:
    faults = config.pop("faults", None) or Faults()
    config.setdefault("import_delay", 0.2)
    return SandboxHandle(RunningSandbox(SandboxApp(SandboxConfig(faults=faults, **config))))


@pytest.fixture
def make_sandbox():
    """make_sandbox(**SandboxConfig fields): start a sandbox; all are stopped after the test."""
    started: list[SandboxHandle] = []

    def make(**config) -> SandboxHandle:
        handle = start_sandbox(**config)
        started.append(handle)
        return handle

    yield make
    for handle in started:
        handle.running.stop()


@pytest.fixture
def sandbox(make_sandbox) -> SandboxHandle:
    """A small seeded sandbox (2,500 contacts, 4 address books, 4 campaigns) over real HTTP."""
    return make_sandbox(seed=7, contacts=2500, address_books=4, campaigns=4)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def openapi(reference_dir) -> dict:
    from tests.conftest import skip_or_fail

    path = reference_dir / "dotdigital-v2-openapi.json"
    if not path.is_file():
        skip_or_fail(f"Dotdigital's OpenAPI description is not at {path}")
    return json.loads(path.read_text(encoding="utf-8"))
