"""Benchmarks of the Dotdigital sandbox and of the client paging through it.

Run: `.venv/bin/python benchmarks/sandbox_bench.py [--contacts 1000000] [--pages 200]`
Records nothing by itself: copy the printed figures into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

import requests  # noqa: E402

from dotdigital.client import DotdigitalClient  # noqa: E402
from dotdigital.sandbox import RunningSandbox, SandboxApp, SandboxConfig  # noqa: E402


def wsgi_get(app: SandboxApp, path: str, query: str) -> bytes:
    """One request straight through the WSGI app (no sockets): what the sandbox itself costs."""
    import base64

    token = base64.b64encode(f"{app.config.username}:{app.config.password}".encode()).decode()
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_AUTHORIZATION": f"Basic {token}",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
    }
    status: list[str] = []
    body = b"".join(app(environ, lambda s, h: status.append(s)))
    assert status[0].startswith("200"), status
    return body


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench_pages(contacts: int, pages: int) -> None:
    app = SandboxApp(SandboxConfig(seed=1, contacts=contacts, address_books=8))
    app.store.touch()
    rng = random.Random(1)  # noqa: S311
    cases = {
        "all contacts, withFullData": ("/v2/contacts", "withFullData=true&select=1000&skip={skip}"),
        "address book 1003, withFullData": (
            "/v2/address-books/1003/contacts",
            "withFullData=true&select=1000&skip={skip}",
        ),
        "modified-since 2024-01-01, withFullData": (
            "/v2/contacts/modified-since/2024-01-01T00:00:00Z",
            "withFullData=true&select=1000&skip={skip}",
        ),
    }
    print(f"Sandbox with {contacts:,} contacts; {pages} pages of 1000 per case (random skip)")
    for label, (path, query) in cases.items():
        samples = []
        for _ in range(pages):
            skip = rng.randrange(0, max(1, contacts // 4)) // 1000 * 1000
            started = time.perf_counter()
            body = wsgi_get(app, path, query.format(skip=skip))
            samples.append(time.perf_counter() - started)
            assert body.startswith(b"[{")
        print(
            f"  in-process WSGI  {label:42s} median {median_ms(samples):6.2f} ms  p95 "
            f"{sorted(samples)[int(len(samples) * 0.95)] * 1000:6.2f} ms"
        )
    running = RunningSandbox(app)
    try:
        session = requests.Session()
        session.auth = (app.config.username, app.config.password)
        samples = []
        for _ in range(pages):
            skip = rng.randrange(0, contacts - 1000) // 1000 * 1000
            started = time.perf_counter()
            response = session.get(f"{running.url}/v2/contacts?withFullData=true&select=1000&skip={skip}", timeout=30)
            _ = response.content
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200
        label = "all contacts, withFullData"
        print(
            f"  over HTTP        {label:42s} median {median_ms(samples):6.2f} ms  p95 "
            f"{sorted(samples)[int(len(samples) * 0.95)] * 1000:6.2f} ms  ({len(response.content) / 1024:.0f} KiB)"
        )
    finally:
        running.stop()


def bench_client_paging(contacts: int) -> None:
    running = RunningSandbox(SandboxApp(SandboxConfig(seed=2, contacts=contacts)))
    try:
        client = DotdigitalClient(running.app.config.username, running.app.config.password, api_url=running.url)
        client.account_info()
        discovery_calls = client.call_count
        started = time.perf_counter()
        seen: set[int] = set()
        total = 0
        for page in client.contacts(with_full_data=True):
            total += len(page)
            seen.update(contact["id"] for contact in page)
        elapsed = time.perf_counter() - started
        contact_calls = client.call_count - discovery_calls
        print(
            f"Client paging {contacts:,} contacts (withFullData): {total:,} contacts, {len(seen):,} distinct, "
            f"{contact_calls} contact calls (+{discovery_calls} account-info), {elapsed:.2f} s"
        )
        assert total == len(seen) == contacts
        assert contact_calls <= contacts // 1000 + 1
    finally:
        running.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--paging-contacts", type=int, default=100_000)
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    bench_pages(args.contacts, args.pages)
    bench_client_paging(args.paging_contacts)


if __name__ == "__main__":
    main()
