"""Export: what marketers put in the marketing lists connected to address books goes to Dotdigital.

For every connected list of the integration, in one step:
1. every import still unfinished is polled once (`import_status`); a finished one has its faults read, and each
   rejected row's contact keeps the reason (`ExportFault`); one unfinished for longer than `STUCK_AFTER` is marked
   stuck and its rows are sent again;
2. members removed from the list leave the book in bulk (the Dotdigital ids of their links);
3. subscribed members added or changed since the book's mark (the member's or the contact's `updated_at`; all of
   them when the mapping changed since, on the first export and on a full sync) go as CSV (Email plus the mapped
   data fields) through the bulk import, at most `IMPORT_LIMIT` rows per import. Contacts Dotdigital reports
   unsubscribed or suppressed are never sent again, and neither are those the book already holds with the same
   values (what the contacts sync brought in from Dotdigital goes no way back).

Nothing waits for Dotdigital here: an import is recorded with its id and polled in a later step or run (the beat
tick queues an export-only job while imports are open). When Dotdigital already runs `MAX_OPEN_IMPORTS` of ours,
the job waits a few seconds (the runner's rate-limit wait) and resumes from the cursor it saved after each import.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from dotdigital.client.api import rows_to_csv
from dotdigital.exceptions import DotdigitalError
from dotdigital.mappings import ExportMapping, export_values, holds, mapping_for_export
from dotdigital.models import AddressBook, AddressBookImport, AddressBookMembership, DotdigitalContact, ExportFault
from integrations.models import SyncMark
from integrations.sync import SyncContext
from marketing.choices import MemberStatus
from marketing.models import Contact, MarketingListMember

from .base import DotdigitalConnector, as_datetime, field

IMPORT_LIMIT = 10_000  # rows per bulk import (Oro's batch, and what Dotdigital handles comfortably)
REMOVE_BATCH = 1_000  # Dotdigital ids per removal call
STREAM_CHUNK = 2_000  # members read from the database at a time
MAX_OPEN_IMPORTS = 4  # Dotdigital refuses a fifth running import (ERROR_IMPORT_TOOMANYACTIVEIMPORTS)
BUSY_WAIT = timedelta(seconds=5)
STUCK_AFTER = timedelta(hours=1)
FAULT_SAMPLE = 20
# Dotdigital statuses a contact may be sent in; any other (Unsubscribed, HardBounced, Suppressed...) is never re-sent.
SENDABLE_STATUSES = ("", "subscribed", "pendingoptin", "softbounced")
TERMINAL = {choice.value for choice in AddressBookImport.Status} - {"NotFinished"}


class ImportsBusy(DotdigitalError):
    """Dotdigital runs as many of our imports as it takes: the job waits until `retry_at` and resumes."""

    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message, code="ERROR_IMPORT_TOOMANYACTIVEIMPORTS")
        self.retry_at = retry_at


def connected_books(integration) -> list[AddressBook]:
    return list(
        AddressBook.objects.filter(integration=integration, marketing_list__isnull=False)
        .select_related("marketing_list")
        .order_by("pk")
    )


def import_line(book_import: AddressBookImport, book_name: str) -> str:
    """The readable line of one import on the job page."""
    line = (
        f"Import {book_import.import_id} into {book_name}: {book_import.rows_sent:,} "
        f"row{'' if book_import.rows_sent == 1 else 's'} sent, "
        f"status {book_import.get_status_display()}"
    )
    if book_import.status == AddressBookImport.Status.FINISHED:
        line += f", {book_import.faults_count:,} fault{'' if book_import.faults_count == 1 else 's'}"
        if book_import.faults_sample:
            first = book_import.faults_sample[0]
            line += f" (first: {first['email']}: {first['reason']})"
    return line


class ExportConnector(DotdigitalConnector):
    key = "export"
    label = "Export to address books"

    def run(self, context: SyncContext) -> None:
        self.client = context.installation.client()
        self.context = context
        resend = self.poll_imports(context)
        books = connected_books(context.integration)
        if not books and not resend:
            return
        mapping = mapping_for_export(context.integration)
        for book in books:
            self.remove_members(context, book)
            self.export_book(context, book, mapping, resend.pop(book.pk, []))
        # Stuck imports of books no longer connected: nothing to send them to.
        for book_id, ids in resend.items():
            context.note(f"{len(ids):,} rows of a stuck import not sent again: address book {book_id} disconnected")

    # -- 1. the imports sent before -------------------------------------------------------------------------------

    def open_imports(self, context: SyncContext):
        return AddressBookImport.objects.filter(
            address_book__integration=context.integration, status=AddressBookImport.Status.NOT_FINISHED
        ).select_related("address_book")

    def poll_imports(self, context: SyncContext) -> dict[int, list[int]]:
        """Poll each unfinished import once; returns the contact ids of stuck imports to send again, by book."""
        resend: dict[int, list[int]] = {}
        now = timezone.now()
        for book_import in self.open_imports(context).order_by("started_at", "pk"):
            book = book_import.address_book
            if book_import.started_at < now - STUCK_AFTER:
                book_import.status = AddressBookImport.Status.STUCK
                book_import.retried = True
                book_import.finished_at = now
                book_import.save(update_fields=["status", "retried", "finished_at"])
                resend.setdefault(book.pk, []).extend(book_import.contact_ids)
                context.note(
                    f"Import {book_import.import_id} into {book.name} unfinished since "
                    f"{timezone.localtime(book_import.started_at):%Y-%m-%d %H:%M}: marked stuck, its "
                    f"{book_import.rows_sent:,} rows are sent again",
                    failed=1,
                )
                continue
            self.poll_one(context, book_import)
        context.report()
        return resend

    def poll_one(self, context: SyncContext, book_import: AddressBookImport) -> None:
        book = book_import.address_book
        book_import.attempts += 1
        try:
            answer = self.client.import_status(book_import.import_id)
        except DotdigitalError as error:
            book_import.save(update_fields=["attempts"])
            context.note(
                f"Import {book_import.import_id} into {book.name}: status not read ({error}); asked again later"
            )
            return
        status = str(field(answer, "status") or "")
        if status not in TERMINAL:
            book_import.save(update_fields=["attempts"])
            return  # still running: asked again at the next step
        book_import.status = status
        book_import.finished_at = timezone.now()
        if status == AddressBookImport.Status.FINISHED:
            self.read_faults(book_import)
            AddressBook.objects.filter(pk=book.pk).update(last_exported_at=book_import.finished_at)
        book_import.save()
        context.note(import_line(book_import, book.name), failed=book_import.faults_count)

    def read_faults(self, book_import: AddressBookImport) -> None:
        """Keep each rejected row's reason on its contact; contacts of the import not rejected lose an older one."""
        text = self.client.import_report_faults(book_import.import_id)
        reader = csv.reader(io.StringIO(text))
        header = [name.strip().lower() for name in next(reader, [])]
        reason_at = header.index("reason") if "reason" in header else 0
        email_at = header.index("email") if "email" in header else 1
        reasons: dict[str, str] = {}
        for row in reader:
            if len(row) > max(reason_at, email_at) and row[email_at].strip():
                reasons.setdefault(row[email_at].strip().lower(), row[reason_at].strip()[:255] or "Rejected")
        book_import.faults_count = len(reasons)
        book_import.faults_sample = [
            {"email": email, "reason": reason} for email, reason in list(reasons.items())[:FAULT_SAMPLE]
        ]
        book = book_import.address_book
        sent = book_import.contact_ids
        ExportFault.objects.filter(address_book=book, contact_id__in=sent).delete()
        if not reasons:
            return
        contacts = (
            Contact.objects.annotate(email_key=Lower("email"))
            .filter(email_key__in=list(reasons))
            .values_list("pk", "email_key")
        )
        now = timezone.now()
        ExportFault.objects.bulk_create(
            [
                ExportFault(
                    address_book=book,
                    contact_id=pk,
                    book_import=book_import,
                    email=email,
                    reason=reasons[email],
                    reported_at=now,
                )
                for pk, email in contacts
            ],
            update_conflicts=True,
            unique_fields=["address_book", "contact"],
            update_fields=["book_import", "email", "reason", "reported_at"],
        )

    # -- 2. removals ---------------------------------------------------------------------------------------------

    def remove_members(self, context: SyncContext, book: AddressBook) -> None:
        """Members removed from the list whose Dotdigital contact is in the book leave it, a batch per call."""
        removed = MarketingListMember.objects.filter(
            marketing_list_id=book.marketing_list_id,
            status=MemberStatus.REMOVED,
            contact_id=OuterRef("contact__contact_id"),
        )
        memberships = (
            AddressBookMembership.objects.filter(address_book=book)
            .filter(Exists(removed))
            .values_list("pk", "contact__dotdigital_id")
            .order_by("pk")
        )
        batch: list[tuple[int, int]] = []
        total = 0
        for row in memberships.iterator(chunk_size=REMOVE_BATCH):
            batch.append(row)
            if len(batch) >= REMOVE_BATCH:
                total += self.remove_batch(context, book, batch)
                batch = []
        if batch:
            total += self.remove_batch(context, book, batch)
        if total:
            context.note(f"{total:,} contacts removed from {book.name} (removed from {book.marketing_list})")

    def remove_batch(self, context: SyncContext, book: AddressBook, batch: list[tuple[int, int]]) -> int:
        self.client.remove_contacts(book.dotdigital_id, [dotdigital_id for _pk, dotdigital_id in batch])
        AddressBookMembership.objects.filter(pk__in=[pk for pk, _ in batch]).delete()
        context.report(deleted=len(batch))
        return len(batch)

    # -- 3. the members to send ----------------------------------------------------------------------------------

    def members(self, book: AddressBook, since: datetime | None, after: int, only: list[int] | None):
        """Subscribed members of the book's list to send, by contact id after `after`: (contact id, email, the
        mapped contact fields...)."""
        unsendable = (
            DotdigitalContact.objects.annotate(status_key=Lower("status"))
            .filter(integration_id=book.integration_id, contact_id=OuterRef("contact_id"))
            .exclude(status_key__in=SENDABLE_STATUSES)
        )
        members = MarketingListMember.objects.filter(
            marketing_list_id=book.marketing_list_id, status=MemberStatus.SUBSCRIBED, contact_id__gt=after
        ).exclude(Exists(unsendable))
        if only is not None:
            members = members.filter(contact_id__in=only)
        elif since is not None:
            members = members.filter(Q(updated_at__gt=since) | Q(contact__updated_at__gt=since))
        return members.order_by("contact_id")

    def rows(
        self, book: AddressBook, mapping: ExportMapping, since: datetime | None, after: int, only: list[int] | None
    ) -> Iterator[tuple[int, dict[str, Any] | None]]:
        """(contact id, its CSV row) of each member to send; the row is None when Dotdigital's book already holds the
        contact with exactly these values (as the contacts sync last read them, and not sent since): a contact the
        sync brought in from this book, or one changed and changed back, is not sent again. `only` (a stuck
        import's rows) sends every row."""
        names = sorted({name for mapped in mapping.fields for name in mapped.contact_fields})
        columns = ["contact_id", "contact__email", *(f"contact__{name}" for name in names)]
        members = self.members(book, since, after, only)
        if only is None:
            held = DotdigitalContact.objects.filter(
                integration_id=book.integration_id, contact_id=OuterRef("contact_id"), memberships__address_book=book
            ).filter(Q(sent_at__isnull=True) | Q(updated_at__gt=F("sent_at")))
            members = members.annotate(
                held_email=Subquery(held.values("email")[:1]), held_fields=Subquery(held.values("data_fields")[:1])
            )
            columns += ["held_email", "held_fields"]
        for values in members.values_list(*columns).iterator(chunk_size=STREAM_CHUNK):
            contact = dict(zip(names, values[2 : 2 + len(names)], strict=True))
            row = {"Email": values[1], **export_values(mapping.fields, contact)}
            if only is None and self.held_already(mapping, row, *values[-2:]):
                yield values[0], None
            else:
                yield values[0], row

    @staticmethod
    def held_already(mapping: ExportMapping, row: dict[str, Any], email: str | None, fields: Any) -> bool:
        if email is None or email.lower() != str(row["Email"]).lower():
            return False
        if isinstance(fields, str):  # a subquery's jsonb arrives as text on some backends
            fields = json.loads(fields)
        if not isinstance(fields, dict):
            return False
        return all(holds(f.type, fields.get(f.data_field), row[f.data_field]) for f in mapping.fields)

    def export_book(self, context: SyncContext, book: AddressBook, mapping: ExportMapping, resend: list[int]) -> None:
        scope, run_scope = f"book:{book.pk}", f"book:{book.pk}:run"
        stored = dict(
            SyncMark.objects.filter(
                integration=context.integration, connector=self.key, scope__in=(scope, run_scope)
            ).values_list("scope", "value")
        )
        run = stored.get(run_scope)  # a run cut short (Dotdigital busy): go on from its cursor, even on a full sync
        if run is None:
            mark = None if context.full else stored.get(scope)
            since = as_datetime(mark.get("since")) if isinstance(mark, dict) else None
            changed_at = mapping.changed_at.isoformat() if mapping.changed_at else None
            if since is not None and (mark.get("mapping") != changed_at or mark.get("list") != book.marketing_list_id):
                since = None  # the mapping changed (or the book now feeds another list): everyone once
                context.note(f"{book.name}: the data field mapping or the list changed, every member is sent again")
            run = {
                # Full precision: a second-truncated mark would send again what changed in its last second.
                "since": since.isoformat() if since else None,
                "started": timezone.now().isoformat(),
                "after": 0,
                "mapping": changed_at,
                "list": book.marketing_list_id,
                "resend": resend,
            }
            with context.atomic():
                context.save_mark(run, run_scope)
        elif resend:
            run["resend"] = sorted(set(run.get("resend") or []) | set(resend))
        started = as_datetime(run["started"])
        AddressBook.objects.filter(pk=book.pk, export_requested_at__lte=started).update(export_requested_at=None)

        if run.get("resend"):  # a stuck import's contacts first; the cursor then starts again for the changed rows
            self.send(context, book, mapping, run, run_scope, only=run["resend"])
            run["resend"], run["after"] = [], 0
            with context.atomic():
                context.save_mark(run, run_scope)
        self.send(context, book, mapping, run, run_scope, only=None)
        with context.atomic():
            context.save_mark(
                {"since": run["started"], "mapping": run["mapping"], "list": run["list"]},
                scope,
            )
            context.forget_marks([run_scope])

    def send(
        self, context: SyncContext, book: AddressBook, mapping: ExportMapping, run: dict, run_scope: str, *, only
    ) -> None:
        """Send the members to send (or `only` these contacts) after the run's cursor, in imports of at most
        IMPORT_LIMIT rows, saving the cursor after each import."""
        since = as_datetime(run["since"]) if run.get("since") else None
        batch_ids: list[int] = []
        batch_rows: list[dict[str, Any]] = []
        held = 0
        for contact_id, row in self.rows(book, mapping, since, run["after"], only):
            if row is None:
                held += 1
                continue
            batch_ids.append(contact_id)
            batch_rows.append(row)
            if len(batch_rows) >= IMPORT_LIMIT:
                self.send_import(context, book, batch_ids, batch_rows, run, run_scope)
                batch_ids, batch_rows = [], []
        if batch_rows:
            self.send_import(context, book, batch_ids, batch_rows, run, run_scope)
        if held:
            context.note(
                f"{held:,} member{'' if held == 1 else 's'} not sent: {book.name} already holds "
                f"{'it' if held == 1 else 'them'} with these values"
            )
            context.report(read=held, unchanged=held, done=held)

    def send_import(
        self,
        context: SyncContext,
        book: AddressBook,
        contact_ids: list[int],
        rows: list[dict[str, Any]],
        run: dict,
        run_scope: str,
    ) -> None:
        open_count = self.open_imports(context).count()
        if open_count >= MAX_OPEN_IMPORTS:
            for book_import in self.open_imports(context).order_by("started_at", "pk")[:open_count]:
                self.poll_one(context, book_import)
            if self.open_imports(context).count() >= MAX_OPEN_IMPORTS:
                context.flush_notes()
                raise ImportsBusy(
                    f"Dotdigital still runs {MAX_OPEN_IMPORTS} imports of this account; the export goes on after them",
                    timezone.now() + BUSY_WAIT,
                )
        try:
            answer = self.client.import_contacts(book.dotdigital_id, rows_to_csv(rows))
        except DotdigitalError as error:
            if (error.code or "").upper() == "ERROR_IMPORT_TOOMANYACTIVEIMPORTS":
                context.flush_notes()
                raise ImportsBusy(str(error), timezone.now() + BUSY_WAIT) from error
            raise
        status = str(field(answer, "status") or AddressBookImport.Status.NOT_FINISHED)
        with context.atomic():
            book_import = AddressBookImport.objects.create(
                address_book=book,
                job=context.job,
                import_id=str(field(answer, "id") or ""),
                rows_sent=len(rows),
                contact_ids=contact_ids,
                status=status if status in AddressBookImport.Status.values else AddressBookImport.Status.UNKNOWN,
                started_at=timezone.now(),
            )
            DotdigitalContact.objects.filter(integration_id=book.integration_id, contact_id__in=contact_ids).update(
                sent_at=book_import.started_at
            )
            run["after"] = contact_ids[-1]
            context.save_mark(run, run_scope)
        context.note(import_line(book_import, book.name))
        context.report(read=len(rows), updated=len(rows), done=len(rows))
