"""Benchmark: the Marketing > Contacts grid with 1,000,000 contacts in PostgreSQL.

    createdb: psql -h 127.0.0.1 -U postgres -c 'create database bench_marketing'
    run:      .venv/bin/python benchmarks/marketing_contacts_grid.py

Seeds the contacts once (`seed_contacts`, reused on later runs), then renders the grid through the Django test client,
logged in as a Marketing Manager, and prints the median time of each scenario. Target: under 150 ms each.
Environment: DATABASE_URL (default below), BENCH_CONTACTS (default 1000000), BENCH_RUNS (default 15).
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


def measure(client: Client, url: str, runs: int) -> tuple[float, int, int]:
    for _ in range(2):  # warm the caches, as a user clicking around would
        client.get(url)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    rows = response.content.count(b'href="/marketing/contacts/') // 2
    return statistics.median(times), len(queries), rows


def main() -> int:
    target = int(os.environ.get("BENCH_CONTACTS", "1000000"))
    runs = int(os.environ.get("BENCH_RUNS", "15"))
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
        ("name search 'nora'", f"{base}?q=nora"),
        ("full name search 'nora silva'", f"{base}?q=nora+silva"),
        ("email search", f"{base}?q=zoe.xu"),
        ("owner filter", f"{base}?owner={owner}"),
        ("owner filter, page 1,000", f"{base}?owner={owner}&page=1000"),
    ]
    print(f"{total:,} contacts, PostgreSQL, median of {runs} renders (Django test client, logged in)")
    print(f"{'scenario':45} {'median ms':>10} {'queries':>8} {'rows':>5}")
    slow = 0
    for name, url in scenarios:
        median, queries, rows = measure(client, url, runs)
        slow += median >= TARGET_MS
        print(f"{name:45} {median:10.1f} {queries:8d} {rows:5d}{'  SLOW' if median >= TARGET_MS else ''}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
