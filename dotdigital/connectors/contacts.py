"""Contacts: per synced address book, all of them on the first run, then those modified since the book's mark,
with their status, opt-in type, email type and data fields. Each is linked to the marketing contact with its email
(ignoring case); one is created with the Default Owner when none exists and *Create marketing contacts* is on, and
an existing contact keeps its owner; its two-way mapped fields take Dotdigital's data-field values. A book linked
to a marketing list makes its contacts members of that list."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.utils import timezone

from backoffice.bulk_insert import insert_rows, update_rows
from dotdigital.mappings import NotConvertible, contact_value, two_way_fields
from dotdigital.models import AddressBook, AddressBookMembership, DotdigitalContact
from integrations.models import SyncMark
from integrations.sync import SyncContext
from marketing import services as marketing
from marketing.choices import MemberStatus
from marketing.models import MarketingListMember

from .base import DotdigitalConnector, as_int, data_fields_of, field, text, write_pages

CONTACT_STATUSES = frozenset(
    {
        "subscribed",
        "unsubscribed",
        "softbounced",
        "hardbounced",
        "ispcomplained",
        "mailblocked",
        "pendingoptin",
        "directcomplaint",
        "deleted",
        "sharedsuppression",
        "suppressed",
        "notallowed",
        "domainsuppression",
        "nomxrecord",
    }
)
SUBSCRIBED_STATUSES = frozenset({"subscribed", "pendingoptin", "softbounced"})
# Dotdigital has validated the addresses it holds: a cheap shape check per row (a page is a thousand of them) keeps
# out what is plainly not an address; marketing validates fully the ones it creates contacts for.
PLAUSIBLE_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
LINK_FIELDS = ("email", "status", "opt_in_type", "email_type", "data_fields", "contact_id")


def book_scope(book: AddressBook) -> str:
    """The scope of a book's mark: how far its contacts were read (absent: the next sync reads the whole book)."""
    return f"book:{book.dotdigital_id}"


def read_whole_book_next(book: AddressBook) -> None:
    """Make the next sync read every contact of `book` again, not only those changed since its mark: what a book
    newly connected to a marketing list needs, so the contacts already synced become the list's members."""
    SyncMark.objects.filter(
        integration_id=book.integration_id, connector=ContactsConnector.key, scope=book_scope(book)
    ).delete()


def synced_books(context: SyncContext) -> list[AddressBook]:
    """The integration's books whose contacts are synced: *Sync contacts* on, and linked to a marketing list when
    the integration syncs only those."""
    books = AddressBook.objects.filter(integration=context.integration, sync_contacts=True)
    if context.installation.setting("only_linked_address_books", False):
        books = books.filter(marketing_list__isnull=False)
    return list(books.select_related("marketing_list").order_by("dotdigital_id"))


def add_memberships(book: AddressBook, integration, dotdigital_ids: list[int]) -> None:
    """The book's memberships of these (linked) Dotdigital contacts, those already there left alone: one statement
    on PostgreSQL (the links are joined there, no id goes back and forth). The array is cast to bigint: psycopg sends
    small numbers as integer[], and `bigint = ANY(integer[])` is not an index condition (a scan of every link of the
    integration per page, quadratic in the account's size)."""
    if not dotdigital_ids:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {AddressBookMembership._meta.db_table} (address_book_id, contact_id) "  # noqa: S608
                f"SELECT %s, id FROM {DotdigitalContact._meta.db_table} "
                "WHERE integration_id = %s AND dotdigital_id = ANY(%s::bigint[]) ON CONFLICT DO NOTHING",
                [book.pk, integration.pk, dotdigital_ids],
            )
        return
    link_ids = DotdigitalContact.objects.filter(integration=integration, dotdigital_id__in=dotdigital_ids).values_list(
        "pk", flat=True
    )
    AddressBookMembership.objects.bulk_create(
        [AddressBookMembership(address_book=book, contact_id=pk) for pk in link_ids], ignore_conflicts=True
    )


def links_of(integration, dotdigital_ids: list[int]) -> dict[int, tuple]:
    """The integration's links of these Dotdigital contacts as value tuples (pk, dotdigital_id, *LINK_FIELDS), by
    Dotdigital id. On PostgreSQL the ids go as one bigint array (`= ANY(...)`: one parameter to bind and plan, not a
    thousand)."""
    if not dotdigital_ids:
        return {}
    if connection.vendor == "postgresql":
        columns = ", ".join(
            DotdigitalContact._meta.get_field(name).column for name in ("id", "dotdigital_id", *LINK_FIELDS)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {DotdigitalContact._meta.db_table} "  # noqa: S608
                "WHERE integration_id = %s AND dotdigital_id = ANY(%s::bigint[])",
                [integration.pk, dotdigital_ids],
            )
            rows = cursor.fetchall()
        json_at = 2 + LINK_FIELDS.index("data_fields")
        # Django reads jsonb as text (its JSONField decodes it): decode it here the same way.
        return {
            row[1]: (
                *row[:json_at],
                json.loads(row[json_at]) if isinstance(row[json_at], str) else row[json_at],
                *row[json_at + 1 :],
            )
            for row in rows
        }
    return {
        row[1]: row
        for row in DotdigitalContact.objects.filter(
            integration=integration, dotdigital_id__in=dotdigital_ids
        ).values_list("pk", "dotdigital_id", *LINK_FIELDS)
    }


def parse_contact(row: dict[str, Any]) -> tuple[int, dict[str, Any]] | str:
    """(Dotdigital id, link values) of a contact row, or why it is skipped."""
    contact_id = as_int(field(row, "id"))
    email = text(field(row, "email"), 300).strip()
    if contact_id is None:
        return f"Contact skipped: no id ({email or 'no email'})"
    if not PLAUSIBLE_EMAIL.match(email):
        return f"Contact {contact_id} skipped: not a valid email ({email[:80]!r})"
    if len(email) > 254:
        return f"Contact {contact_id} skipped: email longer than 254 characters"
    status = text(field(row, "status"), 40)
    if status and status.lower() not in CONTACT_STATUSES:
        return f"Contact {contact_id} skipped: unknown status {status[:40]!r}"
    return contact_id, {
        "email": email,
        "status": status,
        "opt_in_type": text(field(row, "optInType"), 20),
        "email_type": text(field(row, "emailType"), 20),
        "data_fields": data_fields_of(row),
    }


class ContactsConnector(DotdigitalConnector):
    key = "contacts"
    label = "Contacts"

    def run(self, context: SyncContext) -> None:
        client = context.installation.client()
        books = synced_books(context)
        marks = context.marks()
        first_runs = [book for book in books if marks.get(book_scope(book)) is None]
        context.set_total(sum(book.contact_count for book in first_runs) if len(first_runs) == len(books) else None)
        self.created_contacts = 0
        self.two_way = two_way_fields(context.integration)
        for book in books:
            scope = book_scope(book)
            since = marks.get(scope)
            started = timezone.now()
            if since is None:
                pages = client.address_book_contacts(book.dotdigital_id, with_full_data=True)
            else:
                pages = client.address_book_contacts_modified_since(book.dotdigital_id, since, with_full_data=True)
            write_pages(
                context,
                pages,
                lambda page, book=book: self.write_page(context, book, page),
                scope=scope,
                started=started,
            )
            AddressBook.objects.filter(pk=book.pk).update(last_synced_at=timezone.now())
        if self.created_contacts:
            context.note(f"{self.created_contacts} marketing contacts created, owned by {context.owner}")

    def write_page(self, context: SyncContext, book: AddressBook, page: list[dict[str, Any]]) -> dict[str, int]:
        integration = context.integration
        parsed: dict[int, dict[str, Any]] = {}
        skipped = 0
        for row in page:
            result = parse_contact(row) if isinstance(row, dict) else "Contact skipped: not a JSON object"
            if isinstance(result, str):
                context.note(result)
                skipped += 1
                continue
            parsed[result[0]] = result[1]

        # The links first, as value tuples: on a book after the first most contacts are linked already, unchanged,
        # and need nothing more than their membership (no lookup by email, no model instance per row).
        existing = links_of(integration, list(parsed))
        unresolved = []
        for contact_id, values in parsed.items():
            row = existing.get(contact_id)
            if row is not None and row[2] == values["email"] and row[-1] is not None:
                values["contact_id"] = row[-1]  # same email, still linked
            else:
                unresolved.append(values)
        if unresolved:
            self.resolve_contacts(context, unresolved)
        if self.two_way:
            self.write_back(context, parsed.values())

        new = [(contact_id, values) for contact_id, values in parsed.items() if contact_id not in existing]
        now = timezone.now()
        insert_rows(
            DotdigitalContact,
            ("integration", "dotdigital_id", *LINK_FIELDS, "unsubscribed_at", "updated_at"),
            [
                (integration.pk, contact_id, *(values[name] for name in LINK_FIELDS), None, now)
                for contact_id, values in new
            ],
        )
        changed = [
            (row[0], *(parsed[contact_id][name] for name in LINK_FIELDS), now)
            for contact_id, row in existing.items()
            if row[2:] != tuple(parsed[contact_id][name] for name in LINK_FIELDS)
        ]
        update_rows(DotdigitalContact, (*LINK_FIELDS, "updated_at"), changed)
        add_memberships(book, integration, list(parsed))
        if book.marketing_list_id:
            # Every link now holds its row's values: the list members follow from them.
            self.add_members(book, [DotdigitalContact(**values) for values in parsed.values()])
        return {
            "read": len(page),
            "created": len(new),
            "updated": len(changed),
            "unchanged": len(existing) - len(changed),
            "skipped": skipped,
            "done": len(page),
        }

    def resolve_contacts(self, context: SyncContext, rows: list[dict[str, Any]]) -> None:
        """Set `contact_id` on rows without a linked marketing contact: the one with their email, or a new one owned
        by the Default Owner when *Create marketing contacts* is on (else None: linked later, once one exists)."""
        if context.installation.setting("create_contacts", True):
            # Found or created in one go; a contact that exists keeps its names and owner.
            found = marketing.ensure_contacts(
                rows=[
                    {
                        "email": values["email"],
                        "first_name": text(values["data_fields"].get("FIRSTNAME"), 100),
                        "last_name": text(values["data_fields"].get("LASTNAME"), 100),
                    }
                    for values in rows
                ],
                owner=context.owner,
                source=context.installation.source_key,
            )
            contact_ids = found.ids
            self.created_contacts += found.created
        else:
            contact_ids = marketing.contact_ids_by_key(list({values["email"].lower() for values in rows}))
        for values in rows:
            values["contact_id"] = contact_ids.get(values["email"].lower())

    def write_back(self, context: SyncContext, contacts: Iterable[dict[str, Any]]) -> None:
        """Two-way mapped data fields into the linked marketing contacts (only the fields the mapping names, and
        only contacts that exist: the upsert creates none here). A value that does not convert is noted, not
        written."""
        rows = []
        for values in contacts:
            if values["contact_id"] is None:
                continue
            row = {"email": values["email"]}
            for name, target in self.two_way:
                if name not in values["data_fields"]:
                    continue  # not in this answer: leave the contact's value alone
                try:
                    row[target.name] = contact_value(target, values["data_fields"][name])
                except NotConvertible as problem:
                    context.note(f"{values['email']}: {name} not written back to {target.label}: {problem}")
            if len(row) > 1:
                rows.append(row)
        if rows:
            marketing.upsert_contacts(rows=rows, owner=context.owner, source=context.installation.source_key)

    @staticmethod
    def add_members(book: AddressBook, links: list[DotdigitalContact]) -> None:
        """New members of the linked list; a member already there (even removed or unsubscribed here) is left
        as it is: the unsubscribes connector carries Dotdigital's unsubscribes with their dates."""
        by_contact = {link.contact_id: link for link in links if link.contact_id}
        if not by_contact:
            return
        present = set(
            MarketingListMember.objects.filter(
                marketing_list_id=book.marketing_list_id, contact_id__in=list(by_contact)
            ).values_list("contact_id", flat=True)
        )
        rows = []
        for contact_id, link in by_contact.items():
            if contact_id in present:
                continue
            if link.status.lower() in SUBSCRIBED_STATUSES or not link.status:
                rows.append({"contact_id": contact_id, "status": MemberStatus.SUBSCRIBED})
            else:
                rows.append({"contact_id": contact_id, "status": MemberStatus.UNSUBSCRIBED, "reason": link.status})
        if rows:
            marketing.upsert_list_members(marketing_list=book.marketing_list, rows=rows)
