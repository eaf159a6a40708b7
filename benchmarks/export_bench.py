"""Benchmark of the export of a marketing list to an address book, on PostgreSQL against the sandbox (issue 10).

Run: `.venv/bin/python benchmarks/export_bench.py [--sizes 10000,100000] [--import-delay 1]`
(PostgreSQL at 127.0.0.1 as user postgres; DATABASE_ROOT to change; each size gets a fresh `h12_export_<size>`).

Per size, with the sandbox in its own process and DEBUG off:
1. setup (not timed): the integration, its data fields, a FIRSTNAME/LASTNAME mapping, `size` contacts in one list,
   connected to a new address book created in the sandbox through the product's service;
2. the export in a child process (its peak RSS from wait4): export-only jobs run in-process, each resumed when it
   waits for Dotdigital's four running imports, then export-only jobs as the beat tick would queue them until
   every import is Finished: the wall time from start to the last import finished, imports, API calls;
3. 1% of the contacts changed (first name), then the same again: rows sent (only those), wall time.
Records nothing by itself: copy the printed figures into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync_bench import (  # noqa: E402
    DATABASE_ROOT,
    child_env_python,  # noqa: E402
    create_bench_integration,
    fresh_database,
    product_env,
    sandbox,
    setup_django,
)

run_mode = partial(child_env_python, script=__file__)  # a mode of this script in a child process


TICK = 0.5  # seconds between the export-only jobs of the driver (the beat's minute, shortened)


# -- what runs inside the product's environment (child processes) ------------------------------------------------


def run_job(integration, connectors) -> int:
    from django.utils import timezone

    from integrations import services
    from integrations.models import SyncJob, SyncTrigger
    from integrations.services import sync as sync_services

    sync_services.enqueue = lambda job_id, eta=None: None  # run here, not on a worker
    job = services.schedule_sync(integration, trigger=SyncTrigger.COMMAND, connectors=list(connectors)).job
    while (retry_at := services.run_sync_job(job.pk)) is not None:
        time.sleep(max(0.0, min(5.0, (retry_at - timezone.now()).total_seconds())))  # the worker's retry eta
        SyncJob.objects.filter(pk=job.pk).update(wait_until=retry_at.replace(year=2000))
    job.refresh_from_db()
    if job.state != "succeeded":
        raise RuntimeError(f"Job {job.pk} {job.state}: {job.error}")
    return job.pk


def mode_setup(url: str, size: str) -> None:
    setup_django()
    from django.utils import timezone

    from dotdigital import services as dd_services
    from dotdigital.mappings import RowSpec, save_mapping
    from dotdigital.models import DataField
    from marketing.models import Contact, MarketingList, MarketingListMember

    integration = create_bench_integration(url)
    owner = integration.default_owner
    run_job(integration, ["address_books", "data_fields"])
    fields = {f.name: f for f in DataField.objects.filter(integration=integration)}
    save_mapping(
        integration,
        [RowSpec(fields["FIRSTNAME"], ("first_name",), False), RowSpec(fields["LASTNAME"], ("last_name",), False)],
        user=None,
    )
    marketing_list = MarketingList.objects.create(name="Bench list", owner=owner)
    now = timezone.now()
    count = int(size)
    for start in range(0, count, 10_000):
        contacts = Contact.objects.bulk_create(
            Contact(email=f"export{n}@bench.example.org", first_name=f"First{n}", last_name="Bench", owner=owner)
            for n in range(start, min(count, start + 10_000))
        )
        MarketingListMember.objects.bulk_create(
            MarketingListMember(marketing_list=marketing_list, contact=c, subscribed_at=now) for c in contacts
        )
    dd_services.create_and_connect_address_book(
        integration, marketing_list, name="Bench export", visibility="Private", user=None
    )
    print(json.dumps({"integration": integration.pk}))


def export_until_finished() -> dict:
    """Export-only jobs until no import is open; wall time, jobs, imports and rows of this round, API calls."""
    from django.db.models import Sum

    from dotdigital.models import AddressBookImport
    from integrations.models import Integration, SyncJob

    integration = Integration.objects.get(name="bench")
    before = set(AddressBookImport.objects.values_list("pk", flat=True))
    started = time.perf_counter()
    jobs = [run_job(integration, ["export"])]
    sent_at = time.perf_counter() - started
    while AddressBookImport.objects.filter(status="NotFinished").exists():
        time.sleep(TICK)
        jobs.append(run_job(integration, ["export"]))
    elapsed = time.perf_counter() - started
    mine = AddressBookImport.objects.exclude(pk__in=before)
    return {
        "seconds": elapsed,
        "first_job_seconds": sent_at,
        "jobs": len(jobs),
        "imports": mine.count(),
        "rows": mine.aggregate(rows=Sum("rows_sent"))["rows"] or 0,
        "finished": mine.filter(status="Finished").count(),
        "api_calls": SyncJob.objects.filter(pk__in=jobs).aggregate(calls=Sum("api_calls"))["calls"] or 0,
    }


def mode_export() -> None:
    setup_django()
    print(json.dumps(export_until_finished()))


def mode_change(size: str) -> None:
    setup_django()
    from django.utils import timezone

    from marketing.models import Contact

    step = 100  # 1%
    ids = list(Contact.objects.order_by("pk").values_list("pk", flat=True)[::step])
    Contact.objects.filter(pk__in=ids).update(first_name="Changed", updated_at=timezone.now())
    result = export_until_finished()
    result["changed"] = len(ids)
    print(json.dumps(result))


def mode_check(url: str) -> None:
    """Rows in the sandbox's book, read back with the product's client."""
    setup_django()
    from dotdigital.models import AddressBook
    from integrations.models import Integration

    integration = Integration.objects.get(name="bench")
    book = AddressBook.objects.get(integration=integration, marketing_list__isnull=False)
    client = integration.installation().new_client()
    rows = changed = 0
    for page in client.address_book_contacts(book.dotdigital_id, with_full_data=True):
        rows += len(page)
        changed += sum(1 for row in page for item in row.get("dataFields") or [] if item.get("value") == "Changed")
    print(json.dumps({"rows": rows, "changed_in_book": changed}))


# -- the driver --------------------------------------------------------------------------------------------------


def bench_size(size: int, import_delay: float) -> dict:
    database = f"h12_export_{size}"
    fresh_database(database)
    with (
        tempfile.TemporaryDirectory() as broker_dir,
        sandbox(1000, address_books=2, campaigns=0, options=("--import-delay", str(import_delay))) as url,
    ):
        env = product_env(database, url, broker_dir)
        from sync_bench import manage

        manage(env, "migrate", "--no-input", "-v", "0")
        run_mode(env, "_setup", url, str(size))
        first, first_wall, first_rss = run_mode(env, "_export")
        again, again_wall, again_rss = run_mode(env, "_change", str(size))
        check, _, _ = run_mode(env, "_check", url)
    result = {
        "size": size,
        "export": first,
        "export_rss_mb": first_rss / 1024,
        "change": again,
        "change_rss_mb": again_rss / 1024,
        "book": check,
    }
    print(
        f"{size:,} members: exported in {first['seconds']:.1f} s to the last import finished "
        f"(first job {first['first_job_seconds']:.1f} s), {first['imports']} imports, {first['rows']:,} rows, "
        f"{first['jobs']} export jobs, {first['api_calls']} API calls, peak RSS {first_rss / 1024:.0f} MB; "
        f"after {again['changed']:,} changed: {again['rows']:,} rows sent in {again['imports']} import(s), "
        f"{again['seconds']:.1f} s; the book holds {check['rows']:,} rows, {check['changed_in_book']:,} changed",
        flush=True,
    )
    return result


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        mode, args = sys.argv[1], sys.argv[2:]
        {"_setup": mode_setup, "_export": mode_export, "_change": mode_change, "_check": mode_check}[mode](*args)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--import-delay", type=float, default=1.0, help="seconds a sandbox import stays NotFinished")
    options = parser.parse_args()
    print(f"PostgreSQL at {DATABASE_ROOT}; sandbox import delay {options.import_delay} s", flush=True)
    results = [bench_size(int(size), options.import_delay) for size in options.sizes.split(",")]
    print(json.dumps(results))


if __name__ == "__main__":
    main()
