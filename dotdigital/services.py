"""Every write a person makes to Dotdigital's link records: what the Address Books page (and later the API) calls.

An address book is connected to at most one marketing list and a list to at most one book; the unique one-to-one
column is what enforces it, so two people connecting at once get a field error, never a second link.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from dotdigital.connectors.contacts import read_whole_book_next
from dotdigital.installation import SOURCE
from dotdigital.models import AddressBook
from marketing.models import MarketingList
from marketing.services import create_marketing_list

logger = logging.getLogger(__name__)

LIST_NAME_MAX = MarketingList._meta.get_field("name").max_length


def _list_name_taken(name: str) -> bool:
    return MarketingList.objects.annotate(name_key=Lower("name")).filter(name_key=name.lower()).exists()


def suggested_list_name(book: AddressBook) -> str:
    """The name a new list would get after a clash with the book's own name: "<book name> (Dotdigital)"."""
    suffix = " (Dotdigital)"
    return f"{book.name[: LIST_NAME_MAX - len(suffix)]}{suffix}"


def _connected_book(marketing_list: MarketingList, book: AddressBook) -> AddressBook | None:
    """The other address book already connected to `marketing_list`, if any."""
    return (
        AddressBook.objects.select_related("integration")
        .filter(marketing_list=marketing_list)
        .exclude(pk=book.pk)
        .first()
    )


def _name_clash_error(name: str, book: AddressBook) -> ValidationError:
    message = f'A marketing list named "{name}" already exists: connect the book to it instead, or choose another name'
    suggestion = suggested_list_name(book)
    if suggestion.lower() != name.lower() and not _list_name_taken(suggestion):
        message += f', for example "{suggestion}"'
    return ValidationError({"list_name": message + "."}, code="list_name_taken")


def _create_list_for(book: AddressBook, name: str) -> MarketingList:
    integration = book.integration
    try:
        return create_marketing_list(
            name=name,
            owner=integration.default_owner,
            source=SOURCE,
            description=f"Created for the Dotdigital address book {book.name} of {integration.name}.",
        )
    except ValidationError:
        # marketing reports the clash on the list's own form fields (or as a constraint error): restate it on ours.
        if _list_name_taken(name):
            raise _name_clash_error(name, book) from None
        raise


def connect_address_book(
    book: AddressBook,
    *,
    marketing_list: MarketingList | None = None,
    create_list: bool = False,
    list_name: str | None = None,
    user: AbstractBaseUser | None,
) -> AddressBook:
    """Connect `book` to `marketing_list`, or with `create_list` to a new list named `list_name` (default: the book's
    name) owned by the integration's Default Owner with source "dotdigital".

    Raises ValidationError naming the field to fix (`marketing_list` or `list_name`) when the list is connected to
    another book (even by a writer that got there a moment earlier), when the name is taken, or when the book is
    already connected. Nothing is written then: a list created for the book goes with the failed connection.
    """
    if (marketing_list is None) == (not create_list):
        raise ValueError("Pass either marketing_list or create_list=True")
    with transaction.atomic():
        # Locked so two people connecting the same book queue up and the second sees the first's link.
        locked = (
            AddressBook.objects.select_for_update(of=("self",))
            .select_related("integration__default_owner")
            .get(pk=book.pk)
        )
        if locked.marketing_list_id is not None:
            raise ValidationError(
                f"The address book {locked.name} is already connected to a marketing list: disconnect it first.",
                code="book_connected",
            )
        field = "list_name" if create_list else "marketing_list"
        if create_list:
            name = " ".join((list_name or locked.name).split())[:LIST_NAME_MAX]
            marketing_list = _create_list_for(locked, name)
        else:
            other = _connected_book(marketing_list, locked)
            if other is not None:
                raise ValidationError(
                    {
                        field: f"{marketing_list} is already connected to the address book {other.name} of "
                        f"{other.integration.name}: a list is connected to one address book at most."
                    },
                    code="list_connected",
                )
        locked.marketing_list = marketing_list
        try:
            with transaction.atomic():
                locked.save(update_fields=["marketing_list"])
        except IntegrityError:
            # Another book took the list between the check above and this write: the unique column refused it.
            raise ValidationError(
                {field: f"{marketing_list} was connected to another address book a moment ago: choose another list."},
                code="list_connected",
            ) from None
        # The next sync reads the whole book, not only what changed since its mark: the contacts it already holds
        # become the list's members then (a modified-since read would add none of them).
        read_whole_book_next(locked)
    logger.info("Address book %s connected to marketing list %s by %s", locked.pk, marketing_list.pk, user)
    book.marketing_list = marketing_list
    return book


def disconnect_address_book(book: AddressBook, *, user: AbstractBaseUser | None) -> AddressBook:
    """Undo the connection of `book` to its marketing list. Both keep their data: the list its members, the book its
    contacts; the next syncs stop adding the book's contacts to the list."""
    AddressBook.objects.filter(pk=book.pk).update(marketing_list=None)
    logger.info("Address book %s disconnected from marketing list %s by %s", book.pk, book.marketing_list_id, user)
    book.marketing_list = None
    return book


def set_sync_contacts(book: AddressBook, enabled: bool, *, user: AbstractBaseUser | None) -> AddressBook:
    """Include the book's contacts in the contacts import (`enabled`) or leave them out."""
    AddressBook.objects.filter(pk=book.pk).update(sync_contacts=enabled)
    logger.info("Address book %s sync contacts set to %s by %s", book.pk, enabled, user)
    book.sync_contacts = enabled
    return book


def create_and_connect_address_book(
    integration, marketing_list: MarketingList, *, name: str, visibility: str, user: AbstractBaseUser | None
) -> AddressBook:
    """Create an address book in Dotdigital (through the integration's interactive client: a person waits) and
    connect it to `marketing_list`. Raises DotdigitalError when Dotdigital refuses (the name is taken, say) and
    ValidationError when the list is connected meanwhile; the book then stays in Dotdigital, unconnected here."""
    from dotdigital.connectors.base import as_int, field

    client = integration.installation().interactive_client()
    answer = client.create_address_book(name.strip(), visibility or "Private")
    book, _created = AddressBook.objects.update_or_create(
        integration=integration,
        dotdigital_id=as_int(field(answer, "id")),
        defaults={
            "name": str(field(answer, "name") or name)[:255],
            "visibility": str(field(answer, "visibility") or visibility)[:20],
            "contact_count": as_int(field(answer, "contacts")) or 0,
        },
    )
    logger.info("Address book %s created in Dotdigital for list %s by %s", book.pk, marketing_list.pk, user)
    return connect_address_book(book, marketing_list=marketing_list, user=user)
