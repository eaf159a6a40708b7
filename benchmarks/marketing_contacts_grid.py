"""Benchmark: the Marketing > Contacts grid with 1,000,000 contacts in PostgreSQL.

    createdb: psql -h 127.0.0.1 -U postgres -c 'create database bench_marketing'
    run:      .venv/bin/python benchmarks/marketing_contacts_grid.py

Seeds the contacts once (`seed_contacts`, reused on later runs), then renders the grid through the Django test client,
logged in as a Marketing Manager, and prints the median time of each scenario. Target: under 150 ms each.
Environment: DATABASE_URL (default below), BENCH_CONTACTS (default 1000000), BENCH_RUNS (default 21).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_marketing")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.test_settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from backoffice import roles  # noqa: E402
from marketing.models import Contact  # noqa: E402

TARGET_MS = 150


def prepare(target: int) -> tuple:
    if connection.vendor != "postgresql":
        raise SystemExit("This benchmark is for PostgreSQL: set DATABASE_URL.")
    call_command("migrate", verbosity=0)
    roles.sync_role_permissions()
    users = get_user_model().objects
    marketer, _ = users.get_or_create(username="bench-marketer", defaults={"first_name": "Bench", "last_name": "Mark"})
    marketer.groups.add(Group.objects.get(name=roles.MARKETING_MANAGER))
    for i in range(1, 5):
        users.get_or_create(username=f"bench-owner-{i}", defaults={"first_name": "Owner", "last_name": str(i)})
    existing = Contact.objects.count()
    if existing < target:
        print(f"Seeding {target - existing:,} contacts (once)…", flush=True)
        call_command("seed_contacts", target - existing, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE marketing_contact")
    return marketer, Contact.objects.count()


def measure(client: Client, url: str, runs: int) -> dict:
    for _ in range(2):  # warm the caches, as a user clicking around would
        client.get(url)
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return {
        "wall": statistics.median(wall),
        "p90": statistics.quantiles(wall, n=10)[-1],
        "cpu": statistics.median(cpu),
        "db": sum(float(q["time"]) for q in queries.captured_queries) * 1000,
        "queries": len(queries),
        "rows": response.content.count(b'<a href="mailto:'),
    }


def main() -> int:
    target = int(os.environ.get("BENCH_CONTACTS", "1000000"))
    runs = int(os.environ.get("BENCH_RUNS", "21"))
    marketer, total = prepare(target)
    owner = Contact.objects.order_by("-pk").values_list("owner_id", flat=True).first()
    client = Client()
    client.force_login(marketer)
    base = reverse("marketing:contact_list")
    far = total // 25 // 2
    scenarios = [
        ("first page", base),
        (f"page {far:,} (offset {far * 25 - 25:,})", f"{base}?page={far}"),
        ("page far in, sorted by email desc", f"{base}?sort=-email&page={far}"),
        ("name search 'nora' (19,000 matches)", f"{base}?q=nora"),
        ("name search 'nora silva' (570 matches)", f"{base}?q=nora+silva"),
        ("name search 'a' (one letter)", f"{base}?q=a"),
        ("email search 'zoe.xu'", f"{base}?q=zoe.xu"),
        ("owner filter", f"{base}?owner={owner}"),
        ("owner filter, page 1,000", f"{base}?owner={owner}&page=1000"),
    ]
    print(f"{total:,} contacts, PostgreSQL, median of {runs} renders (Django test client, logged in)")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    header = f"{'scenario':40} {'median ms':>9} {'p90 ms':>7} {'CPU ms':>7} {'SQL ms':>7} {'queries':>7} {'rows':>4}"
    print(header)
    slow = 0
    for name, url in scenarios:
        m = measure(client, url, runs)
        slow += m["wall"] >= TARGET_MS
        print(
            f"{name:40} {m['wall']:9.1f} {m['p90']:7.1f} {m['cpu']:7.1f} {m['db']:7.1f} "
            f"{m['queries']:7d} {m['rows']:4d}{'  SLOW' if m['wall'] >= TARGET_MS else ''}"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
