"""Address books: every book of the account (name, visibility, contact count); books gone from Dotdigital are
removed here (their contacts' memberships with them; a linked marketing list stays)."""

from __future__ import annotations

from django.utils import timezone

from dotdigital.models import AddressBook
from integrations.sync import SyncContext

from .base import DotdigitalConnector, as_int, field, text


class AddressBooksConnector(DotdigitalConnector):
    key = "address_books"
    label = "Address books"

    def run(self, context: SyncContext) -> None:
        client = context.installation.client()
        integration = context.integration
        seen: set[int] = set()
        now = timezone.now()
        for page in client.address_books():
            rows: dict[int, dict] = {}
            skipped = 0
            for row in page:
                book_id = as_int(field(row, "id"))
                name = text(field(row, "name"), 255)
                if book_id is None or not name:
                    context.note(f"Address book skipped: no id or name in {str(row)[:120]}", skipped=1)
                    skipped += 1
                    continue
                rows[book_id] = {
                    "name": name,
                    "visibility": text(field(row, "visibility"), 20),
                    "contact_count": max(0, as_int(field(row, "contacts")) or 0),
                }
            seen.update(rows)
            with context.atomic():
                existing = {
                    book.dotdigital_id: book
                    for book in AddressBook.objects.filter(integration=integration, dotdigital_id__in=list(rows))
                }
                new = [
                    AddressBook(integration=integration, dotdigital_id=book_id, last_synced_at=now, **values)
                    for book_id, values in rows.items()
                    if book_id not in existing
                ]
                AddressBook.objects.bulk_create(new)
                changed = []
                for book_id, book in existing.items():
                    values = rows[book_id]
                    if any(getattr(book, name) != value for name, value in values.items()):
                        for name, value in values.items():
                            setattr(book, name, value)
                        changed.append(book)
                    book.last_synced_at = now
                AddressBook.objects.bulk_update(
                    list(existing.values()), ["name", "visibility", "contact_count", "last_synced_at"]
                )
            context.report(
                read=len(page),
                created=len(new),
                updated=len(changed),
                unchanged=len(existing) - len(changed),
                done=len(page) - skipped,
            )
        with context.atomic():
            gone = AddressBook.objects.filter(integration=integration).exclude(dotdigital_id__in=seen)
            deleted = gone.count()
            if deleted:
                gone.delete()
        context.report(deleted=deleted)
