"""Benchmarks of the Dotdigital sandbox and of the client paging through it.

Run: `.venv/bin/python benchmarks/sandbox_bench.py [--contacts 1000000] [--pages 200]`
Records nothing by itself: copy the printed figures into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import random
import socket
import statistics
import subprocess
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
from dotdigital.sandbox import SandboxApp, SandboxConfig, credentials_for_seed  # noqa: E402


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


def _summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"median {median_ms(samples):6.2f} ms, p95 {ordered[int(len(ordered) * 0.95)] * 1000:6.2f} ms"


def bench_pages(contacts: int, pages: int) -> None:
    app = SandboxApp(SandboxConfig(seed=1, contacts=contacts, address_books=8))
    rng = random.Random(1)  # noqa: S311
    cases = {
        "all contacts": "/v2/contacts",
        "address book 1003 (every 3rd contact)": "/v2/address-books/1003/contacts",
        "modified-since 2024-01-01": "/v2/contacts/modified-since/2024-01-01T00:00:00Z",
    }
    print(f"Sandbox with {contacts:,} contacts; {pages} pages of 1000 with full data per case, random skip")
    for label, path in cases.items():
        wall, cpu = [], []
        for _ in range(pages):
            skip = rng.randrange(0, contacts // 3 - 1000) // 1000 * 1000
            started, started_cpu = time.perf_counter(), time.thread_time()
            body = wsgi_get(app, path, f"withFullData=true&select=1000&skip={skip}")
            wall.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - started_cpu)
            assert body.count(b'"email":') == 1000
        print(f"  in-process WSGI  {label:40s} wall {_summary(wall)}; CPU {_summary(cpu)}")
    # Over HTTP, with the sandbox in its own process as `make demo` runs it (a thread would share our GIL).
    with sandbox_process(contacts, seed=1) as (url, username, password):
        session = requests.Session()
        session.auth = (username, password)
        wall, served = [], []
        for _ in range(pages):
            skip = rng.randrange(0, contacts - 1000) // 1000 * 1000
            started = time.perf_counter()
            response = session.get(f"{url}/v2/contacts?withFullData=true&select=1000&skip={skip}", timeout=30)
            size = len(response.content)
            wall.append(time.perf_counter() - started)
            served.append(float(response.headers["Server-Timing"].partition("dur=")[2]) / 1000)
            assert response.status_code == 200
        print(
            f"  over HTTP        {'all contacts, round trip':40s} wall {_summary(wall)} ({size / 1024:.0f} KiB a page)"
        )
        print(f"  over HTTP        {'all contacts, server side (Server-Timing)':40s} wall {_summary(served)}")


@contextlib.contextmanager
def sandbox_process(contacts: int, seed: int):
    """Run `manage.py dotdigital_sandbox` on a free port; yield (url, username, password)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, str(root / "manage.py"), "dotdigital_sandbox", "--port", str(port)]
    command += ["--contacts", str(contacts), "--seed", str(seed)]
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, env={**os.environ, "DEBUG": "1"})
    try:
        username, password = credentials_for_seed(seed)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url, username, password
    finally:
        process.terminate()
        process.wait(timeout=10)


def bench_client_paging(contacts: int) -> None:
    with sandbox_process(contacts, seed=2) as (url, username, password):
        client = DotdigitalClient(username, password, api_url=url)
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


def bench_campaign_events(contacts: int, pages: int) -> None:
    """Pages of 1000 campaign opens and clicks at random skips (campaign 2001 went to every contact)."""
    app = SandboxApp(SandboxConfig(seed=1, contacts=contacts, address_books=5, campaigns=5))
    rng = random.Random(2)  # noqa: S311
    cases = {
        "campaign opens": ("/v2/campaigns/2001/opens", b'"dateOpened":'),
        "campaign clicks": ("/v2/campaigns/2001/clicks", b'"dateClicked":'),
        "campaign opens since-date": ("/v2/campaigns/2001/opens/since-date/2025-04-30T00:00:00Z", b'"dateOpened":'),
    }
    print(f"Sandbox with {contacts:,} contacts; {pages} pages of 1000 events per case, random skip")
    for label, (path, marker) in cases.items():
        wall = []
        for _ in range(pages):
            skip = rng.randrange(0, contacts // 2) // 1000 * 1000
            started = time.perf_counter()
            body = wsgi_get(app, path, f"select=1000&skip={skip}")
            wall.append(time.perf_counter() - started)
            assert body.count(marker) == 1000
        print(f"  in-process WSGI  {label:40s} wall {_summary(wall)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--paging-contacts", type=int, default=100_000)
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    bench_pages(args.contacts, args.pages)
    bench_campaign_events(args.paging_contacts, args.pages)
    bench_client_paging(args.paging_contacts)


if __name__ == "__main__":
    main()
