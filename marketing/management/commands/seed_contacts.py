"""Fill a development database with many contacts, to try the grids at scale: `manage.py seed_contacts 100000`."""

from __future__ import annotations

import random
import secrets
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from marketing import services, sources

FIRST_NAMES = [
    "Ada",
    "Alan",
    "Alice",
    "Amir",
    "Ana",
    "Anna",
    "Ben",
    "Bea",
    "Carl",
    "Chen",
    "Chloe",
    "Dan",
    "Dara",
    "Eli",
    "Emma",
    "Eva",
    "Finn",
    "Gia",
    "Hana",
    "Hugo",
    "Ida",
    "Ines",
    "Ivan",
    "Jack",
    "Jana",
    "Joao",
    "Kai",
    "Kim",
    "Lars",
    "Lea",
    "Leo",
    "Lina",
    "Luca",
    "Maya",
    "Mia",
    "Nia",
    "Noah",
    "Nora",
    "Omar",
    "Otto",
    "Pia",
    "Raj",
    "Rosa",
    "Sam",
    "Sara",
    "Tom",
    "Uma",
    "Vera",
    "Wen",
    "Yara",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Adams",
    "Baker",
    "Berg",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Lopez",
    "Martin",
    "Meyer",
    "Moreau",
    "Novak",
    "Olsen",
    "Patel",
    "Quinn",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Smith",
    "Tanaka",
    "Urban",
    "Varga",
    "Wagner",
    "Weber",
    "Wilson",
    "Xu",
    "Young",
    "Zhang",
]
COMPANIES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Cyberdyne", "")
TITLES = ("Buyer", "Marketing Manager", "CEO", "Engineer", "Designer", "Analyst", "")


class Command(BaseCommand):
    help = "Create COUNT contacts with plausible names, owned in turn by the active users, in bulk."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int)
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=1, help="Random seed, for repeatable data.")
        parser.add_argument("--source", default=sources.IMPORT, help="Source of the contacts (default: import).")

    def handle(self, count: int, batch_size: int, seed: int, source: str, **options):
        owners = list(get_user_model().objects.filter(is_active=True).order_by("pk")[:20])
        if not owners:
            raise CommandError("No active user to own the contacts: create one first (manage.py create_demo_users).")
        rng = random.Random(seed)
        # A random run tag keeps emails unique across several runs on the same database.
        tag = secrets.token_hex(3)
        started, created = time.monotonic(), 0
        for start in range(0, count, batch_size):
            rows = []
            for n in range(start, min(start + batch_size, count)):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                rows.append(
                    {
                        "first_name": first,
                        "last_name": last,
                        "email": f"{first}.{last}.{tag}.{n}@example.com".lower(),
                        "company": rng.choice(COMPANIES),
                        "job_title": rng.choice(TITLES),
                        "phone": f"+44 20 {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}",
                    }
                )
            owner = owners[(start // batch_size) % len(owners)]
            result = services.upsert_contacts(rows=rows, owner=owner, source=source, batch_size=batch_size)
            created += result.created
            if options["verbosity"] > 1:
                self.stdout.write(f"{created:,} contacts created…")
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Created {created:,} contacts in {elapsed:.1f} s."))
