"""The importers' bulk writes of contacts and list members (campaigns: `campaign_imports`): what an integration's
connectors call with each page they read.

Each takes keyword arguments only and an iterable of plain dict rows (streamed: read `batch_size` at a time), writes
each batch in a few queries in one transaction (never a query per row), and returns an `UpsertResult`: exact counts of
what was created, updated, left unchanged and skipped (with why), and the primary key of every record by the row's
key. A row with a problem (a bad email, an unknown status, a value longer than its column) is skipped and counted,
never fails its batch. Records they create get the `owner` and `source` given (an integration passes its Default
Owner and its key); records that already exist keep theirs.

Nothing here knows an integration's own ids: a caller that keeps its own keys (Dotdigital's link models) names the
records it already linked by primary key (`upsert_email_campaigns`' `id`) and links the ids it gets back.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from backoffice.bulk_insert import insert_values

from ..choices import MemberStatus
from ..models import (
    Contact,
    MarketingList,
    MarketingListMember,
)
from . import bulk
from .bulk import BATCH_SIZE, RowProblem, UpsertResult

CONTACT_FIELDS = ("first_name", "last_name", "phone", "job_title", "company")


# Contacts ------------------------------------------------------------------------------------------------------------


def upsert_contacts(
    *,
    rows: Iterable[Mapping[str, Any]],
    owner: AbstractBaseUser,
    source: str,
    batch_size: int = BATCH_SIZE,
) -> UpsertResult:
    """Create or update contacts keyed by their email ignoring case; `ids` maps each lower-cased email to its contact.

    Each row is a mapping with `email` and any of first_name, last_name, phone, job_title, company (None stores "");
    fields a row leaves out keep their stored value, and the email is stored as the row spells it. New contacts get
    `owner` and `source`; existing ones keep theirs. When a batch names an email twice its rows are applied in order.

    Per batch: one SELECT of the existing contacts, one INSERT of the new ones and one UPDATE of the changed ones.
    Django's `bulk_create(update_conflicts=...)` cannot name the functional unique index on `Lower("email")` as its
    conflict target, hence the SELECT first. When another writer creates one of the batch's contacts between the
    SELECT and the INSERT, the INSERT is rolled back and the batch read again (see `bulk.insert_missing`): `created`
    counts only the contacts this call inserted.
    """
    result = UpsertResult()
    for batch in bulk.batches(rows, batch_size):
        by_key = contact_values_by_key(batch, result)
        if not by_key:
            continue
        with transaction.atomic():
            existing, new = insert_missing_contacts(by_key, owner, source)
            result.ids.update(bulk.write_changes(Contact, existing, by_key, result))
        result.created += len(new)
        result.ids.update((contact.email.lower(), contact.pk) for contact in new)
    return result


def ensure_contacts(
    *,
    rows: Iterable[Mapping[str, Any]],
    owner: AbstractBaseUser,
    source: str,
    batch_size: int = BATCH_SIZE,
) -> UpsertResult:
    """The contact of every row's email (ignoring case): created from the row (the fields `upsert_contacts` takes),
    with `owner` and `source`, when there is none; one that exists is left exactly as it is (counted unchanged),
    whatever the row says. `ids` maps each lower-cased email to its contact; bad rows are skipped as by
    `upsert_contacts`.

    For importers that link their own records to marketing contacts and must not overwrite what people keep here.
    On PostgreSQL a batch is one `INSERT ... ON CONFLICT DO NOTHING RETURNING` and one SELECT of the rows that were
    there (a contact another writer commits meanwhile is found by that SELECT, never doubled nor miscounted);
    elsewhere the SELECT comes first and the INSERT is retried as in `upsert_contacts`.
    """
    result = UpsertResult()
    now = timezone.now()
    for batch in bulk.batches(rows, batch_size):
        by_key = contact_values_by_key(batch, result)
        if not by_key:
            continue
        with transaction.atomic():
            if connection.vendor == "postgresql":
                inserted = dict(
                    insert_values(
                        Contact,
                        (*CONTACT_FIELDS, "email", "owner", "source", "created_at", "updated_at"),
                        [
                            (*(values.get(name, "") for name in CONTACT_FIELDS), values["email"], owner.pk, source)
                            + (now, now)
                            for values in by_key.values()
                        ],
                        returning=("lower(email)", "id"),
                    )
                )
                present = contact_ids_by_key([key for key in by_key if key not in inserted])
                created = inserted
            else:
                existing, new = insert_missing_contacts(by_key, owner, source)
                present = {key: contact.pk for key, contact in existing.items()}
                created = {contact.email.lower(): contact.pk for contact in new}
        result.created += len(created)
        result.unchanged += len(present)
        result.ids.update(created)
        result.ids.update(present)
    return result


def contact_values_by_key(batch: list[Mapping[str, Any]], result: UpsertResult) -> dict[str, dict[str, Any]]:
    """A batch's rows checked and cleaned, merged by lower-cased email in order; the refused ones skipped on
    `result`."""
    by_key: dict[str, dict[str, Any]] = {}
    for row in batch:
        email = str(row.get("email") or "").strip()
        try:
            validate_email(email)
        except ValidationError:
            result.skip(email.lower() or None, f"Not a valid email: {email!r}")
            continue
        try:
            values = bulk.clean_values(Contact, {k: v for k, v in row.items() if k in CONTACT_FIELDS})
            values["email"] = bulk.clean_value(Contact, "email", email)
        except RowProblem as problem:
            result.skip(email.lower(), str(problem))
            continue
        by_key.setdefault(email.lower(), {}).update(values)
    return by_key


def insert_missing_contacts(
    by_key: dict[str, dict[str, Any]], owner: AbstractBaseUser, source: str
) -> tuple[dict[str, Contact], list[Contact]]:
    """The batch's existing contacts by key, and the new ones inserted with `owner` and `source` (race-safe: see
    `bulk.insert_missing`)."""
    return bulk.insert_missing(
        Contact,
        lambda: contacts_by_key(list(by_key)),
        lambda existing: [
            Contact(owner=owner, source=source, **values) for key, values in by_key.items() if key not in existing
        ],
    )


def contacts_by_key(keys: list[str]) -> dict[str, Contact]:
    """The contacts with these lower-cased emails, by that key."""
    return {c.email_key: c for c in Contact.objects.annotate(email_key=Lower("email")).filter(email_key__in=keys)}


def contact_ids_by_key(keys: list[str]) -> dict[str, int]:
    """The ids of the contacts with these lower-cased emails, by that key (one array parameter on PostgreSQL, where
    the functional unique index answers `lower(email) = ANY(...)`)."""
    if not keys:
        return {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT lower(email), id FROM {Contact._meta.db_table} WHERE lower(email) = ANY(%s::text[])",  # noqa: S608
                [keys],
            )
            return dict(cursor.fetchall())
    return dict(
        Contact.objects.annotate(email_key=Lower("email")).filter(email_key__in=keys).values_list("email_key", "pk")
    )


# Marketing list members ----------------------------------------------------------------------------------------------


def upsert_list_members(
    *,
    marketing_list: MarketingList,
    rows: Iterable[Mapping[str, Any]],
    batch_size: int = BATCH_SIZE,
    respect_local_resubscribe: bool = True,
) -> UpsertResult:
    """Set the state of many members of one list at once, keyed by `contact_id`; `ids` maps contact id -> member id.

    Each row: `contact_id`, `status` (a `MemberStatus`), and optionally `at` (when it happened: the subscription,
    unsubscribe or removal date; now when not given, or the stored date when the member already has that status) and
    `reason` (of an unsubscribe; cut to its column's 255 characters rather than skipped, since dropping an unsubscribe
    for the length of its reason would keep mailing someone who asked to stop). Missing members are created.

    With `respect_local_resubscribe`, an unsubscribe dated before a subscribed member's `subscribed_at` is left
    alone (counted unchanged): the contact was (re-)subscribed here after the platform's date, and the later decision
    stands. When a batch names a contact twice, its last row wins.

    Per batch: a SELECT of the batch's members, a SELECT of the contacts new to the list (rows naming a deleted
    contact are skipped), one INSERT and one UPDATE.
    """
    result = UpsertResult()
    now = timezone.now()
    for batch in bulk.batches(rows, batch_size):
        wanted: dict[int, tuple[str, datetime.datetime | None, str | None]] = {}
        for row in batch:
            key = row.get("contact_id")
            status = row.get("status")
            try:
                contact_id = bulk.clean_id("contact_id", key)
                if status not in MemberStatus.values:
                    raise RowProblem(f"Unknown member status {status!r}")
                at = bulk.clean_moment("at", row.get("at"))
                reason = row.get("reason")
                if reason is not None and not isinstance(reason, str):
                    raise RowProblem("reason is not text")
            except RowProblem as problem:
                result.skip(key, str(problem))
                continue
            wanted[contact_id] = (status, at, reason)
        if not wanted:
            continue
        with transaction.atomic():
            known: set[int] = set()

            def find_existing(wanted=wanted):
                return {
                    m.contact_id: m
                    for m in MarketingListMember.objects.select_for_update()
                    .filter(marketing_list=marketing_list, contact_id__in=list(wanted))
                    .order_by("pk")
                }

            def build_new(existing, wanted=wanted, known=known):
                missing = set(wanted) - set(existing)
                known |= bulk.existing_pks(Contact, missing - known)
                return [
                    MarketingListMember(
                        marketing_list=marketing_list, contact_id=pk, **_new_member_values(*wanted[pk], now)
                    )
                    for pk in sorted(missing & known)
                ]

            existing, new = bulk.insert_missing(MarketingListMember, find_existing, build_new)
            for pk in sorted(set(wanted) - set(existing) - known):
                result.skip(pk, f"contact {pk} does not exist")
            values_by_key = {
                pk: _member_changes(member, *wanted[pk], now, respect_local_resubscribe)
                for pk, member in existing.items()
            }
            result.ids.update(bulk.write_changes(MarketingListMember, existing, values_by_key, result))
        result.created += len(new)
        result.ids.update((member.contact_id, member.pk) for member in new)
    return result


def _reason(reason: str | None) -> str:
    return (reason or "").strip()[: MarketingListMember._meta.get_field("unsubscribe_reason").max_length]


def _new_member_values(status: str, at: datetime.datetime | None, reason: str | None, now) -> dict[str, Any]:
    at = at or now
    return {
        "status": status,
        "subscribed_at": at,
        "unsubscribed_at": at if status == MemberStatus.UNSUBSCRIBED else None,
        "unsubscribe_reason": _reason(reason) if status == MemberStatus.UNSUBSCRIBED else "",
        "removed_at": at if status == MemberStatus.REMOVED else None,
    }


def _member_changes(
    member: MarketingListMember,
    status: str,
    at: datetime.datetime | None,
    reason: str | None,
    now: datetime.datetime,
    respect_local_resubscribe: bool,
) -> dict[str, Any]:
    """The values that put `member` in the row's state (compared with the stored ones by the caller)."""
    same = member.status == status
    if status == MemberStatus.SUBSCRIBED:
        if same:
            return {}  # subscribed already: the local subscription date stands
        return {
            "status": status,
            "subscribed_at": at or now,
            "unsubscribed_at": None,
            "unsubscribe_reason": "",
            "removed_at": None,
        }
    if status == MemberStatus.UNSUBSCRIBED:
        if (
            respect_local_resubscribe
            and member.status == MemberStatus.SUBSCRIBED
            and at is not None
            and at < member.subscribed_at
        ):
            return {}
        return {
            "status": status,
            "unsubscribed_at": at or (member.unsubscribed_at if same else now),
            "unsubscribe_reason": member.unsubscribe_reason if same and reason is None else _reason(reason),
            "removed_at": None,
        }
    return {
        "status": status,
        "removed_at": at or (member.removed_at if same else now),
        "unsubscribed_at": None,
        "unsubscribe_reason": "",
    }
