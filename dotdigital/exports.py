"""When the export runs outside the sync interval: a person's change to a connected list, debounced.

marketing sends `contacts_changed` and `list_members_changed` for the changes people make (never for a sync's own
bulk writes); the receivers here only note "export wanted since T" on the connected address books
(`AddressBook.export_requested_at`, the first request kept). The beat tick, every minute, asks the type for its due
connectors: the export once a request is `DEBOUNCE` old (so a burst of edits makes one job), and while imports sent
earlier are still open (to poll them). A request also sends a check delayed by the debounce, so the change need
not wait for the tick. The export clears the requests it covers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from dotdigital.models import AddressBook, AddressBookImport, DataFieldMappingRow
from marketing.choices import MemberStatus
from marketing.models import MarketingListMember

logger = logging.getLogger(__name__)
DEBOUNCE = timedelta(seconds=20)
POLL_AFTER = timedelta(seconds=20)  # an open import is polled by an export-only job this long after it was sent
ALWAYS_SENT = frozenset({"email"})


def request_export(books) -> None:
    """Note that these books' export is wanted, keeping an earlier request (the debounce counts from the first),
    and ask for a look once the debounce has passed, so the change is in Dotdigital well within a minute rather
    than at the next minute's tick (which would find it too)."""
    if books.filter(export_requested_at__isnull=True).update(export_requested_at=timezone.now()):
        transaction.on_commit(_look_after_the_debounce)


def _look_after_the_debounce() -> None:
    from integrations.tasks import schedule_due_connectors

    try:
        schedule_due_connectors.apply_async(countdown=DEBOUNCE.total_seconds() + 1)
    except Exception:  # noqa: BLE001 - a broker that is down leaves it to the next tick
        logger.warning("Could not send the debounced export check; the next tick will queue the export")


def _mapped_fields(integration_ids: Iterable[int]) -> dict[int, set[str]]:
    fields: dict[int, set[str]] = {pk: set(ALWAYS_SENT) for pk in integration_ids}
    rows = DataFieldMappingRow.objects.filter(mapping__integration_id__in=list(fields)).values_list(
        "mapping__integration_id", "contact_fields"
    )
    for integration_id, names in rows:
        fields[integration_id].update(names)
    return fields


def on_contacts_changed(sender, *, contact_ids: list[int], fields: frozenset[str], **kwargs) -> None:
    """A person changed contacts: the books of their (not removed) lists want an export when a changed field is
    mapped (or is the email)."""
    members = MarketingListMember.objects.filter(
        marketing_list_id=OuterRef("marketing_list_id"), contact_id__in=list(contact_ids)
    ).exclude(status=MemberStatus.REMOVED)
    books = AddressBook.objects.filter(marketing_list__isnull=False, integration__enabled=True).filter(Exists(members))
    candidates = list(books.values_list("pk", "integration_id"))
    if not candidates:
        return
    mapped = _mapped_fields({integration_id for _pk, integration_id in candidates})
    wanted = [pk for pk, integration_id in candidates if mapped[integration_id] & set(fields)]
    if wanted:
        request_export(AddressBook.objects.filter(pk__in=wanted))


def on_list_members_changed(sender, *, marketing_list_id: int, contact_ids: list[int], **kwargs) -> None:
    """Members were added, unsubscribed, subscribed again or removed: the list's book wants an export."""
    request_export(AddressBook.objects.filter(marketing_list_id=marketing_list_id, integration__enabled=True))


def due_connectors(integration) -> list[str]:
    """["export"] when a connected book's export was requested at least DEBOUNCE ago, or an import sent at least
    POLL_AFTER ago is still open; else nothing."""
    now = timezone.now()
    requested = AddressBook.objects.filter(
        integration=integration, marketing_list__isnull=False, export_requested_at__lte=now - DEBOUNCE
    )
    open_imports = AddressBookImport.objects.filter(
        Q(address_book__integration=integration),
        status=AddressBookImport.Status.NOT_FINISHED,
        started_at__lte=now - POLL_AFTER,
    )
    return ["export"] if requested.exists() or open_imports.exists() else []
