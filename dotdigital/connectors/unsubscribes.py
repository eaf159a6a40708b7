"""Unsubscribes and suppressions: per synced address book and account-wide, since the connector's marks. The
Dotdigital contact takes the reason as its status, and the member of each linked marketing list becomes
unsubscribed with Dotdigital's date and reason, unless it was re-subscribed here after that date."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.utils import timezone

from dotdigital.models import AddressBook, AddressBookMembership, DotdigitalContact
from integrations.sync import SyncContext
from marketing import services as marketing
from marketing.choices import MemberStatus

from .base import EPOCH, DotdigitalConnector, as_datetime, as_int, field, iso, text, write_pages
from .contacts import synced_books

ACCOUNT_SCOPE = "account"


def parse_suppression(row: Any) -> tuple[int | None, str, datetime, str] | str:
    """(Dotdigital id, email, date removed, reason) of an ApiContactSuppression, or why it is skipped."""
    if not isinstance(row, dict):
        return "Unsubscribe skipped: not a JSON object"
    contact = field(row, "suppressedContact")
    if not isinstance(contact, dict):
        return "Unsubscribe skipped: no suppressedContact"
    contact_id = as_int(field(contact, "id"))
    email = text(field(contact, "email"), 254).strip()
    if contact_id is None and not email:
        return "Unsubscribe skipped: neither id nor email"
    removed = as_datetime(field(row, "dateRemoved")) or timezone.now()
    reason = text(field(row, "reason"), 40) or "Unsubscribed"
    return contact_id, email, removed, reason


class UnsubscribesConnector(DotdigitalConnector):
    key = "unsubscribes"
    label = "Unsubscribes and suppressions"

    def run(self, context: SyncContext) -> None:
        client = context.installation.client()
        marks = context.marks()
        for book in synced_books(context):
            scope = f"book:{book.dotdigital_id}"
            since = marks.get(scope) or iso(EPOCH)
            self.import_pages(
                context, client.address_book_unsubscribed_since(book.dotdigital_id, since), scope, book=book
            )
        since = marks.get(ACCOUNT_SCOPE) or iso(EPOCH)
        self.import_pages(context, client.contacts_suppressed_since(since), ACCOUNT_SCOPE, book=None)

    def import_pages(self, context: SyncContext, pages, scope: str, *, book: AddressBook | None) -> None:
        write_pages(
            context, pages, lambda page: self.write_page(context, page, book), scope=scope, started=timezone.now()
        )

    def write_page(self, context: SyncContext, page: list, book: AddressBook | None) -> dict[str, int]:
        integration = context.integration
        by_id: dict[int, tuple[datetime, str]] = {}
        by_email: dict[str, tuple[datetime, str]] = {}
        skipped = 0
        for row in page:
            parsed = parse_suppression(row)
            if isinstance(parsed, str):
                context.note(parsed)
                skipped += 1
                continue
            contact_id, email, removed, reason = parsed
            if contact_id is not None:
                by_id[contact_id] = (removed, reason)
            else:
                by_email[email.lower()] = (removed, reason)
        links = list(DotdigitalContact.objects.filter(integration=integration, dotdigital_id__in=list(by_id)))
        if by_email:
            links += list(
                DotdigitalContact.objects.filter(integration=integration, email__in=list(by_email)).exclude(
                    dotdigital_id__in=list(by_id)
                )
            )
        changed = []
        events: dict[int, tuple[datetime, str]] = {}
        for link in links:
            removed, reason = by_id.get(link.dotdigital_id) or by_email[link.email.lower()]
            events[link.pk] = (removed, reason)
            if link.status != reason or link.unsubscribed_at != removed:
                link.status, link.unsubscribed_at = reason, removed
                changed.append(link)
        if changed:
            DotdigitalContact.objects.bulk_update(changed, ["status", "unsubscribed_at", "updated_at"])
        not_imported = len(by_id) + len(by_email) - len(links)
        self.unsubscribe_members(links, events, book)
        return {
            "read": len(page),
            "updated": len(changed),
            "unchanged": len(links) - len(changed),
            "skipped": skipped + not_imported,
            "done": len(page),
        }

    @staticmethod
    def unsubscribe_members(
        links: list[DotdigitalContact], events: dict[int, tuple[datetime, str]], book: AddressBook | None
    ) -> None:
        """Unsubscribe the members of the linked lists: of `book`'s list, or, for an account-wide suppression,
        of every linked list of a book the contact is in."""
        rows_by_list: dict[int, list[dict]] = defaultdict(list)
        lists = {}
        if book is not None:
            if book.marketing_list_id is None:
                return
            lists[book.marketing_list_id] = book.marketing_list
            for link in links:
                if link.contact_id:
                    rows_by_list[book.marketing_list_id].append(_member_row(link, events[link.pk]))
        else:
            memberships = AddressBookMembership.objects.filter(
                contact__in=[link for link in links if link.contact_id], address_book__marketing_list__isnull=False
            ).select_related("address_book__marketing_list")
            by_pk = {link.pk: link for link in links}
            for membership in memberships:
                marketing_list = membership.address_book.marketing_list
                lists[marketing_list.pk] = marketing_list
                link = by_pk[membership.contact_id]
                rows_by_list[marketing_list.pk].append(_member_row(link, events[link.pk]))
        for list_id, rows in rows_by_list.items():
            marketing.upsert_list_members(marketing_list=lists[list_id], rows=rows, respect_local_resubscribe=True)


def _member_row(link: DotdigitalContact, event: tuple[datetime, str]) -> dict:
    removed, reason = event
    return {"contact_id": link.contact_id, "status": MemberStatus.UNSUBSCRIBED, "at": removed, "reason": reason}
