"""Benchmark of the Dotdigital sync on PostgreSQL against the sandbox (issue 9, "Performance").

Run: `.venv/bin/python benchmarks/sync_bench.py [--sizes 10000,100000,1000000] [--latency-contacts 10000]`
(PostgreSQL at 127.0.0.1 as user postgres; DATABASE_ROOT to change; each size gets a fresh `h11_bench_<size>`).

Per size, with the sandbox in its own process (5 address books, 5 campaigns) and DEBUG off:
1. a bare loop: the client's page iterators over every synced book's contacts, JSON decoded, nothing written;
2. the first sync, `manage.py sync_integration bench --here` in a subprocess: its wall time, its peak RSS (the
   kernel's accounting for that child), its API calls; contacts a second and the ratio to the bare loop;
3. `POST /_sandbox/change {"modify": 1% of the contacts}`, then the next sync: its time against the first;
4. up to 100,000 contacts, the raw database (`_raw`, on a database of its own): the same rows written by plain
   set-based SQL from pages already in memory, a transaction a page: what PostgreSQL alone takes for them.
Then, with 300 ms added to every sandbox call (`/_sandbox/faults`), one full first sync at `--latency-contacts`:
its time against (its API calls x 300 ms).

The contacts figures time the connectors a contacts sync needs (`--connector address_books --connector contacts`):
the full sync's campaign activity is per campaign, not per contact, and timed in the latency case. The machine is
shared: read the ratios (each measured in the same run, one right after the other), not the absolute seconds.
Records nothing by itself: copy the printed figures into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_ROOT = os.environ.get("DATABASE_ROOT", "postgres://postgres@127.0.0.1:5432")
SEED = 7
BOOKS = 5
CAMPAIGNS = 5
CONTACT_CONNECTORS = ("address_books", "contacts")
RAW_UP_TO = 100_000  # the raw-database baseline holds every page in memory first: not at a million
FINISHED = re.compile(r"Sync #\d+ (\w+) in ([\d.]+) s, (\d+) API calls, (\d+) records changed")


def product_env(database: str, api_url: str, broker_dir: str) -> dict[str, str]:
    """The environment of a production-like process: DEBUG off (no query log), the sandbox on the allow-list."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-secret-key-not-for-production-0123456789",
        "FIELD_ENCRYPTION_KEY": "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE=",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"{DATABASE_ROOT}/{database}",
        "DOTDIGITAL_API_URL": api_url,
        "CELERY_BROKER_DIR": broker_dir,  # the job's task message lands here, unread: --here runs it
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def sandbox(contacts: int, *, address_books: int = BOOKS, campaigns: int = CAMPAIGNS, options: tuple[str, ...] = ()):
    """`manage.py dotdigital_sandbox` in its own process (more command-line `options` appended); yields its URL."""
    import requests

    port = free_port()
    command = [sys.executable, str(ROOT / "manage.py"), "dotdigital_sandbox", "--port", str(port), "--seed", str(SEED)]
    command += ["--contacts", str(contacts), "--address-books", str(address_books), "--campaigns", str(campaigns)]
    command += list(options)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DEBUG": "1"}
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, env=env)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{url}/_sandbox/state", timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def sandbox_post(url: str, path: str, body: dict) -> dict:
    import requests

    sys.path.insert(0, str(ROOT))
    from dotdigital.sandbox.config import credentials_for_seed

    response = requests.post(f"{url}{path}", json=body, auth=credentials_for_seed(SEED), timeout=120)
    response.raise_for_status()
    return response.json()


def fresh_database(name: str) -> None:
    psql = ["psql", f"{DATABASE_ROOT}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name}"], check=True)  # noqa: S603
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True)  # noqa: S603


def run_child(command: list[str], env: dict[str, str], timeout: float) -> tuple[str, float, int]:
    """Run a child to its end; (its output, wall seconds, peak RSS in KiB of that child alone, from wait4)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.05)
        process.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}:\n{output[-3000:]}")
    return output, elapsed, usage.ru_maxrss


def manage(env: dict[str, str], *args: str, timeout: float = 3600, profile: str = "") -> tuple[str, float, int]:
    python = [sys.executable, "-m", "cProfile", "-o", profile] if profile else [sys.executable]
    return run_child([*python, str(ROOT / "manage.py"), *args], env, timeout)


def sync(env: dict[str, str], connectors: tuple[str, ...] = (), timeout: float = 3600, profile: str = "") -> dict:
    """One `sync_integration bench --here` in a subprocess: wall and job seconds, API calls, changes, peak RSS."""
    args = ["sync_integration", "bench", "--here"]
    for key in connectors:
        args += ["--connector", key]
    output, wall, rss_kib = manage(env, *args, timeout=timeout, profile=profile)
    found = FINISHED.search(output)
    if not found or found.group(1) != "succeeded":
        raise RuntimeError(f"The sync did not succeed:\n{output[-3000:]}")
    contacts_line = [line for line in output.splitlines() if line.startswith("Contacts: succeeded")]
    return {
        "wall": wall,
        "job": float(found.group(2)),
        "calls": int(found.group(3)),
        "changed": int(found.group(4)),
        "rss_mb": rss_kib / 1024,
        "contacts": contacts_line[-1] if contacts_line else "",
    }


def child_env_python(
    env: dict[str, str], mode: str, *args: str, timeout: float = 3600, script: str = __file__
) -> tuple[dict, float, int]:
    """A mode of `script` (this one by default) in a child process: (its last JSON line, wall seconds, peak RSS in
    KiB)."""
    output, wall, rss = run_child([sys.executable, script, mode, *args], env, timeout)
    return json.loads(output.strip().splitlines()[-1]), wall, rss


# -- what runs inside the product's environment (child processes) ------------------------------------------------


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def create_bench_integration(url: str):
    """The Default Owner and the integration `bench` on the sandbox at `url`, through the product's service (call
    after setup_django())."""
    from django.contrib.auth import get_user_model

    from dotdigital.sandbox import credentials_for_seed
    from integrations import services

    username, password = credentials_for_seed(SEED)
    owner = get_user_model().objects.create_user("bench-owner", "bench-owner@example.com", "not-used-1234")
    return services.create_integration(
        type_key="dotdigital",
        name="bench",
        default_owner=owner,
        settings={"username": username},
        secrets={"password": password},
        discovered_settings={"api_endpoint": url},
        user=owner,
    )


def mode_setup(url: str) -> None:
    """Create the Default Owner and the integration `bench` through the product's service."""
    setup_django()
    print(json.dumps({"integration": create_bench_integration(url).pk}))


def mode_bare() -> None:
    """The bare loop: the same contact pages the sync reads (every synced book, full data), decoded, not written."""
    setup_django()
    from dotdigital.models import AddressBook
    from integrations.models import Integration

    integration = Integration.objects.get(name="bench")
    client = integration.installation().new_client()
    books = list(AddressBook.objects.filter(integration=integration, sync_contacts=True).order_by("dotdigital_id"))
    started = time.perf_counter()
    rows = pages = 0
    for book in books:
        for page in client.address_book_contacts(book.dotdigital_id, with_full_data=True):
            rows += len(page)
            pages += 1
    print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows, "pages": pages}))


def mode_raw() -> None:
    """The raw database: the rows a first sync writes (a marketing contact and a link per contact, a membership per
    book row), written by plain set-based SQL from arrays already in memory, a transaction per page of 1,000 book
    rows as the sync does, `synchronous_commit off` as the job runs. The pages are fetched first, untimed. What the
    database alone costs for these rows with the product's tables, indexes and foreign keys."""
    setup_django()
    from django.db import connection, transaction
    from django.utils import timezone

    from dotdigital.models import AddressBook
    from integrations.models import Integration

    integration = Integration.objects.get(name="bench")
    owner_id = integration.default_owner_id
    client = integration.installation().new_client()
    books = list(AddressBook.objects.filter(integration=integration, sync_contacts=True).order_by("dotdigital_id"))
    pages = []
    for book in books:
        for page in client.address_book_contacts(book.dotdigital_id, with_full_data=True):
            fields = [{d["key"]: d["value"] for d in row.get("dataFields") or []} for row in page]
            pages.append(
                (
                    book.pk,
                    [row["id"] for row in page],
                    [row["email"] for row in page],
                    [row["email"].lower() for row in page],
                    [str(f.get("FIRSTNAME") or "") for f in fields],
                    [str(f.get("LASTNAME") or "") for f in fields],
                    [json.dumps(f) for f in fields],
                    [row.get("status") or "" for row in page],
                )
            )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    for book_id, ids, emails, keys, firsts, lasts, data, statuses in pages:
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO marketing_contact (first_name, last_name, email, phone, job_title, company, source, "
                "created_at, updated_at, owner_id) SELECT f, l, e, '', '', '', 'dotdigital', %s, %s, %s "
                "FROM UNNEST(%s::text[], %s::text[], %s::text[]) AS u(f, l, e) ON CONFLICT DO NOTHING",
                [now, now, owner_id, firsts, lasts, emails],
            )
            cursor.execute(
                "INSERT INTO dotdigital_dotdigitalcontact (integration_id, dotdigital_id, email, status, opt_in_type, "
                "email_type, data_fields, updated_at, contact_id) SELECT %s, u.i, u.e, u.s, 'Single', 'Html', "
                "u.d::jsonb, %s, c.id FROM UNNEST(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]) "
                "AS u(i, e, k, s, d) JOIN marketing_contact c ON lower(c.email) = u.k ON CONFLICT DO NOTHING",
                [integration.pk, now, ids, emails, keys, statuses, data],
            )
            cursor.execute(
                "INSERT INTO dotdigital_addressbookmembership (address_book_id, contact_id) SELECT %s, id "
                "FROM dotdigital_dotdigitalcontact WHERE integration_id = %s AND dotdigital_id = ANY(%s::bigint[]) "
                "ON CONFLICT DO NOTHING",
                [book_id, integration.pk, ids],
            )
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "pages": len(pages)}))


# -- the driver --------------------------------------------------------------------------------------------------


def bench_size(contacts: int, broker_dir: str, *, full_sync: bool, profile: str = "") -> dict:
    database = f"h11_bench_{contacts}"
    fresh_database(database)
    with sandbox(contacts) as url:
        env = product_env(database, url, broker_dir)
        manage(env, "migrate", "--no-input", "-v", "0")
        child_env_python(env, "_setup", url)
        # The books must be known to the bare loop: the address-books connector alone is a handful of calls.
        sync(env, ("address_books",))
        bare, _, bare_rss = child_env_python(env, "_bare")
        connectors = () if full_sync else CONTACT_CONNECTORS
        first = sync(env, connectors, profile=f"{profile}/first-{contacts}.prof" if profile else "")
        changed = max(1, contacts // 100)
        sandbox_post(url, "/_sandbox/change", {"modify": changed})
        second = sync(env, connectors, profile=f"{profile}/second-{contacts}.prof" if profile else "")
        raw = None
        if contacts <= RAW_UP_TO:
            # The raw database on a database of its own, the same books (1% of the contacts now modified: the same
            # number of rows to write).
            fresh_database(f"{database}_raw")
            raw_env = product_env(f"{database}_raw", url, broker_dir)
            manage(raw_env, "migrate", "--no-input", "-v", "0")
            child_env_python(raw_env, "_setup", url)
            sync(raw_env, ("address_books",))
            raw, _, _ = child_env_python(raw_env, "_raw")
    result = {
        "contacts": contacts,
        "bare": bare,
        "bare_rss_mb": bare_rss / 1024,
        "first": first,
        "changed": changed,
        "second": second,
        "per_second": contacts / first["job"],
        "bare_per_second": contacts / bare["seconds"],
        "ratio_to_bare": first["job"] / bare["seconds"],
        "second_ratio": second["job"] / first["job"],
        "raw": raw,
    }
    raw_text = (
        f"raw database {raw['seconds']:.1f} s ({contacts / raw['seconds']:,.0f} contacts/s): the sync "
        f"{first['job'] / raw['seconds']:.2f} x the raw database; "
        if raw
        else ""
    )
    print(
        f"{contacts:>9,} contacts, {bare['rows']:,} book rows in {bare['pages']} pages: "
        f"bare loop {bare['seconds']:.1f} s ({result['bare_per_second']:,.0f}/s, {bare_rss / 1024:.0f} MB); "
        f"first sync {first['job']:.1f} s (wall {first['wall']:.1f} s) = {result['per_second']:,.0f} contacts/s, "
        f"{result['ratio_to_bare']:.2f} x the bare loop, {first['calls']} calls, peak RSS {first['rss_mb']:.0f} MB; "
        f"{raw_text}"
        f"after {changed:,} modified: {second['job']:.2f} s = {result['second_ratio']:.3f} of the first, "
        f"{second['calls']} calls, {second['changed']} records changed, peak RSS {second['rss_mb']:.0f} MB",
        flush=True,
    )
    print(f"    {first['contacts']}", flush=True)
    return result


def bench_latency(contacts: int, latency_ms: float, broker_dir: str) -> dict:
    database = f"h11_bench_latency_{contacts}"
    fresh_database(database)
    with sandbox(contacts) as url:
        env = product_env(database, url, broker_dir)
        manage(env, "migrate", "--no-input", "-v", "0")
        child_env_python(env, "_setup", url)
        base = sync(env)  # the same sync without latency first: the calls it makes and the work it does
        fresh_database(database)
        manage(env, "migrate", "--no-input", "-v", "0")
        child_env_python(env, "_setup", url)
        sandbox_post(url, "/_sandbox/faults", {"latency_ms": latency_ms})
        slow = sync(env)
        sandbox_post(url, "/_sandbox/faults", {"latency_ms": 0})
    budget = slow["calls"] * latency_ms / 1000
    ratio = slow["job"] / budget
    print(
        f"{contacts:,} contacts, full first sync: {base['job']:.1f} s without latency ({base['calls']} calls); "
        f"with {latency_ms:.0f} ms a call: {slow['job']:.1f} s for {slow['calls']} calls "
        f"= {ratio:.2f} x (calls x {latency_ms:.0f} ms = {budget:.1f} s)",
        flush=True,
    )
    return {"base": base, "slow": slow, "ratio": ratio}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_setup":
        return mode_setup(sys.argv[2])
    if len(sys.argv) > 1 and sys.argv[1] == "_bare":
        return mode_bare()
    if len(sys.argv) > 1 and sys.argv[1] == "_raw":
        return mode_raw()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="contacts per run, comma-separated")
    parser.add_argument("--latency-contacts", type=int, default=10000, help="0 to skip the latency case")
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--full", action="store_true", help="time the full sync (every connector) per size")
    parser.add_argument(
        "--profile", metavar="DIR", default="", help="cProfile each first and second sync into DIR (slower)"
    )
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, load {load[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="sync-bench-broker-") as broker_dir:
        for size in [int(s) for s in args.sizes.split(",") if s]:
            bench_size(size, broker_dir, full_sync=args.full, profile=args.profile)
        if args.latency_contacts:
            bench_latency(args.latency_contacts, args.latency_ms, broker_dir)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
