"""Every write in the marketing domain: what the views, the seed command and the integrations' importers call.

The `upsert_*` functions are for importers: they take thousands of plain dict rows, write them in batches of a few
queries each, and return counts. Records they create get the `owner` and `source` given (an integration passes its
default owner and its key); records that already exist keep their owner and source.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.utils import timezone

from . import sources
from .choices import MemberStatus
from .models import (
    DUPLICATE_EMAIL_MESSAGE,
    DUPLICATE_LIST_NAME_MESSAGE,
    STATISTIC_FIELDS,
    Contact,
    EmailCampaign,
    EmailCampaignActivity,
    EmailCampaignStatistics,
    MarketingList,
    MarketingListMember,
)

CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "job_title", "company")
CAMPAIGN_FIELDS = ("name", "subject", "from_name", "from_email", "status", "sent_at", "marketing_list_id")
ACTIVITY_FIELDS = (
    "sent_at",
    "opens",
    "first_opened_at",
    "last_opened_at",
    "clicks",
    "last_clicked_at",
    "unsubscribed_at",
    "bounce",
    "bounced_at",
)
BATCH_SIZE = 1000
INSERT_ATTEMPTS = 3  # a batch's INSERT is retried this often when other writers keep adding the same keys meanwhile


@dataclass
class UpsertResult:
    """What a bulk write did: rows created, rows changed, rows already up to date, rows refused (with why)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[str] | None = None

    def add_error(self, message: str) -> None:
        self.skipped += 1
        if self.errors is None:
            self.errors = []
        if len(self.errors) < 100:  # enough to act on, bounded for a million bad rows
            self.errors.append(message)


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _insert_missing(
    model: type[models.Model],
    find_existing: Callable[[], dict[Any, Any]],
    build_new: Callable[[dict[Any, Any]], list[models.Model]],
) -> tuple[dict[Any, Any], list[models.Model]]:
    """Insert the rows of a batch that do not exist yet, and say exactly which ones were inserted.

    `find_existing()` reads the batch's existing records (key -> record); `build_new(existing)` makes the records to
    insert. A plain INSERT (no ON CONFLICT DO NOTHING) either inserts every new record or fails on a key another writer
    added after the read; then it is rolled back to a savepoint and the batch read again, so that record is treated as
    existing (updated with the batch's values) rather than skipped silently and miscounted as created. Call inside a
    transaction.
    """
    for attempt in range(1, INSERT_ATTEMPTS + 1):
        existing = find_existing()
        new = build_new(existing)
        if not new:
            return existing, new
        try:
            with transaction.atomic():
                model.objects.bulk_create(new)
        except IntegrityError:
            if attempt == INSERT_ATTEMPTS:
                raise
            continue
        return existing, new
    raise AssertionError("unreachable")  # pragma: no cover


def _merge_by_key(rows: Iterable[tuple[Any, dict[str, Any]]]) -> dict[Any, dict[str, Any]]:
    """One set of values per key, applying a batch's rows in order: a later row's values win, keys it leaves out keep
    an earlier row's. (PostgreSQL refuses an INSERT ... ON CONFLICT DO UPDATE that touches a row twice.)"""
    merged: dict[Any, dict[str, Any]] = {}
    for key, values in rows:
        merged.setdefault(key, {}).update(values)
    return merged


def _by_field_set(values_by_key: Mapping[Any, dict[str, Any]]) -> dict[tuple[str, ...], list[Any]]:
    """The keys grouped by which fields their row gives, so each group is written with exactly its own fields: an
    upsert updating the union of a batch's fields would reset a field one row leaves out to the model default."""
    groups: dict[tuple[str, ...], list[Any]] = {}
    for key, values in values_by_key.items():
        groups.setdefault(tuple(sorted(values)), []).append(key)
    return groups


def _save_unique(record: models.Model, clash: Callable[[], dict[str, str]]) -> None:
    """Save `record`; when the database refuses it because another writer took a unique value after `full_clean()`
    checked it, raise the ValidationError the check would have given (`clash()` names the field and message; it
    returns {} when the IntegrityError is about something else, which is then raised as it is)."""
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        errors = clash()
        if errors:
            raise ValidationError(errors) from None
        raise


def _email_clash(contact: Contact) -> dict[str, str]:
    others = Contact.objects.annotate(email_key=Lower("email")).filter(email_key=contact.email.lower())
    if contact.pk:
        others = others.exclude(pk=contact.pk)
    return {"email": DUPLICATE_EMAIL_MESSAGE} if others.exists() else {}


def _list_name_clash(marketing_list: MarketingList) -> dict[str, str]:
    others = MarketingList.objects.annotate(name_key=Lower("name")).filter(name_key=marketing_list.name.lower())
    if marketing_list.pk:
        others = others.exclude(pk=marketing_list.pk)
    return {"name": DUPLICATE_LIST_NAME_MESSAGE} if others.exists() else {}


# Contacts ------------------------------------------------------------------------------------------------------------


def create_contact(*, owner: AbstractBaseUser, source: str = sources.MANUAL, **fields: Any) -> Contact:
    """A new contact; `fields` are among first_name, last_name, email, phone, job_title, company.

    Raises ValidationError when the email is taken (ignoring case), also when another writer takes it between the
    check and the INSERT."""
    contact = Contact(owner=owner, source=source, **fields)
    contact.full_clean()
    _save_unique(contact, lambda: _email_clash(contact))
    return contact


def update_contact(contact: Contact, **fields: Any) -> Contact:
    """Change a contact's details or owner; the email stays unique ignoring case (ValidationError otherwise, as in
    `create_contact`)."""
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.full_clean()
    _save_unique(contact, lambda: _email_clash(contact))
    return contact


def contact_deletion_summary(contact: Contact) -> dict[str, int]:
    """What deleting `contact` takes with it: its list memberships and its campaign activity."""
    return {
        "memberships": contact.memberships.count(),
        "activities": contact.campaign_activities.count(),
    }


def delete_contact(contact: Contact) -> dict[str, int]:
    """Delete a contact with its list memberships and campaign activity (campaign totals are not recounted)."""
    summary = contact_deletion_summary(contact)
    contact.delete()
    return summary


def upsert_contacts(
    rows: Iterable[Mapping[str, Any]],
    owner: AbstractBaseUser,
    source: str,
    *,
    batch_size: int = BATCH_SIZE,
) -> UpsertResult:
    """Create or update contacts keyed by their email ignoring case; for importers of thousands of rows.

    Each row is a mapping with `email` and any of first_name, last_name, phone, job_title, company; keys a row leaves
    out keep their stored value. New contacts get `owner` and `source`; existing ones keep theirs. Rows without a valid
    email are skipped and counted; when a batch names an email twice, the last row wins.

    Per batch: one SELECT of the existing contacts, one INSERT of the new ones and one UPDATE of the changed ones.
    Django's `bulk_create(update_conflicts=...)` cannot name the functional unique index on `Lower("email")` as its
    conflict target, hence the SELECT first. When another writer creates one of the batch's contacts between the
    SELECT and the INSERT, the INSERT is rolled back and the batch read again (see `_insert_missing`): `created`
    counts only the contacts this call inserted.
    """
    result = UpsertResult()
    for batch in _batches(rows, batch_size):
        by_key: dict[str, dict[str, Any]] = {}
        for row in batch:
            email = str(row.get("email") or "").strip()
            try:
                validate_email(email)
            except ValidationError:
                result.add_error(f"Not a valid email: {email!r}")
                continue
            values = {k: (v if v is not None else "") for k, v in row.items() if k in CONTACT_FIELDS}
            values["email"] = email
            by_key[email.lower()] = values
        if not by_key:
            continue
        with transaction.atomic():
            existing, new = _insert_missing(
                Contact,
                lambda by_key=by_key: {
                    c.email_key: c
                    for c in Contact.objects.annotate(email_key=Lower("email")).filter(email_key__in=list(by_key))
                },
                lambda existing, by_key=by_key: [
                    Contact(owner=owner, source=source, **values)
                    for key, values in by_key.items()
                    if key not in existing
                ],
            )
            result.created += len(new)
            changed, fields = [], set()
            for key, contact in existing.items():
                values = by_key[key]
                diff = {k: v for k, v in values.items() if getattr(contact, k) != v}
                if diff:
                    for name, value in diff.items():
                        setattr(contact, name, value)
                    fields.update(diff)
                    changed.append(contact)
                else:
                    result.unchanged += 1
            if changed:
                now = timezone.now()
                for contact in changed:
                    contact.updated_at = now
                Contact.objects.bulk_update(changed, sorted(fields | {"updated_at"}))
                result.updated += len(changed)
    return result


# Marketing lists -----------------------------------------------------------------------------------------------------


def create_marketing_list(
    *, name: str, owner: AbstractBaseUser, description: str = "", source: str = sources.MANUAL
) -> MarketingList:
    """A new, empty marketing list; ValidationError when the name is taken (ignoring case), even by a concurrent
    writer."""
    marketing_list = MarketingList(name=name, owner=owner, description=description, source=source)
    marketing_list.full_clean()
    _save_unique(marketing_list, lambda: _list_name_clash(marketing_list))
    return marketing_list


def update_marketing_list(marketing_list: MarketingList, **fields: Any) -> MarketingList:
    """Change a list's name, description or owner; the name stays unique ignoring case."""
    for name, value in fields.items():
        setattr(marketing_list, name, value)
    marketing_list.full_clean()
    _save_unique(marketing_list, lambda: _list_name_clash(marketing_list))
    return marketing_list


def member_counts(marketing_list: MarketingList) -> dict[str, int]:
    """Members per status, plus `members` (subscribed and unsubscribed: everyone not removed)."""
    rows = marketing_list.members.values("status").annotate(n=Count("pk")).order_by()
    counts = {status: 0 for status in MemberStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    counts["members"] = counts[MemberStatus.SUBSCRIBED] + counts[MemberStatus.UNSUBSCRIBED]
    return counts


def delete_marketing_list(marketing_list: MarketingList) -> int:
    """Delete a list and its memberships; the contacts stay. Returns how many memberships went with it."""
    with transaction.atomic():
        members = marketing_list.members.count()
        marketing_list.delete()
    return members


@dataclass
class AddResult:
    added: int = 0
    resubscribed: int = 0
    already: int = 0


def add_contacts_to_list(
    marketing_list: MarketingList, contact_ids: Iterable[int], *, at: datetime.datetime | None = None
) -> AddResult:
    """Subscribe contacts to a list: new members are created, removed ones come back subscribed, present ones
    (subscribed or unsubscribed) are left as they are: re-adding never overrides an unsubscribe.

    For people ticking contacts on a page; importers setting thousands of states use `upsert_list_members`.
    """
    at = at or timezone.now()
    ids = set(contact_ids)
    result = AddResult()
    with transaction.atomic():
        # Members another writer adds meanwhile are found by the second read, and counted as already there.
        existing, new = _insert_missing(
            MarketingListMember,
            lambda: {
                m.contact_id: m
                for m in MarketingListMember.objects.select_for_update().filter(
                    marketing_list=marketing_list, contact_id__in=ids
                )
            },
            lambda existing: [
                MarketingListMember(marketing_list=marketing_list, contact_id=pk, subscribed_at=at)
                for pk in Contact.objects.filter(pk__in=ids - set(existing)).values_list("pk", flat=True)
            ],
        )
        removed = [m for m in existing.values() if m.status == MemberStatus.REMOVED]
        for member in removed:
            member.status, member.removed_at, member.unsubscribed_at = MemberStatus.SUBSCRIBED, None, None
            member.unsubscribe_reason, member.subscribed_at, member.updated_at = "", at, at
        if removed:
            MarketingListMember.objects.bulk_update(
                removed,
                ["status", "removed_at", "unsubscribed_at", "unsubscribe_reason", "subscribed_at", "updated_at"],
            )
        MarketingList.objects.filter(pk=marketing_list.pk).update(updated_at=at)
    result.added, result.resubscribed = len(new), len(removed)
    result.already = len(existing) - len(removed)
    return result


def unsubscribe_member(
    member: MarketingListMember, *, reason: str = "", at: datetime.datetime | None = None
) -> MarketingListMember:
    """Mark a subscribed member unsubscribed, with when and why; the contact stays in the list."""
    if member.status == MemberStatus.REMOVED:
        raise ValidationError("A removed member cannot be unsubscribed; add the contact to the list again first.")
    member.status = MemberStatus.UNSUBSCRIBED
    member.unsubscribed_at = at or timezone.now()
    member.unsubscribe_reason = reason.strip()
    member.removed_at = None
    member.save()
    return member


def resubscribe_member(member: MarketingListMember, *, at: datetime.datetime | None = None) -> MarketingListMember:
    """Subscribe an unsubscribed or removed member again."""
    member.status = MemberStatus.SUBSCRIBED
    member.subscribed_at = at or timezone.now()
    member.unsubscribed_at, member.unsubscribe_reason, member.removed_at = None, "", None
    member.save()
    return member


def remove_member(member: MarketingListMember, *, at: datetime.datetime | None = None) -> MarketingListMember:
    """Take a contact out of a list. The row stays, marked removed, so a sync knows not to add the contact back;
    an unsubscribe date and reason are kept."""
    member.status = MemberStatus.REMOVED
    member.removed_at = at or timezone.now()
    member.save()
    return member


def upsert_list_members(marketing_list: MarketingList, rows: Iterable[Mapping[str, Any]]) -> UpsertResult:
    """Set the state of many members at once, for importers (e.g. unsubscribes read from a platform).

    Each row: `contact_id`, `status` (a `MemberStatus`), and optionally `at` (when it happened: the unsubscribe or
    removal date, or the subscription date) and `reason`. Creates missing members. One INSERT ... ON CONFLICT per
    batch, so the result cannot tell created from changed rows: `updated` counts every member written. When a batch
    names a contact twice, its last row wins.
    """
    result = UpsertResult()
    now = timezone.now()
    for batch in _batches(rows, BATCH_SIZE):
        members: dict[Any, MarketingListMember] = {}  # by contact: a later row for the same contact wins
        for row in batch:
            status = row.get("status")
            if status not in MemberStatus.values:
                result.add_error(f"Unknown member status {status!r} for contact {row.get('contact_id')}")
                continue
            at = row.get("at") or now
            members[row["contact_id"]] = MarketingListMember(
                marketing_list=marketing_list,
                contact_id=row["contact_id"],
                status=status,
                subscribed_at=at if status == MemberStatus.SUBSCRIBED else now,
                unsubscribed_at=at if status == MemberStatus.UNSUBSCRIBED else None,
                unsubscribe_reason=(row.get("reason") or "")[:255] if status == MemberStatus.UNSUBSCRIBED else "",
                removed_at=at if status == MemberStatus.REMOVED else None,
                updated_at=now,
            )
        if members:
            MarketingListMember.objects.bulk_create(
                list(members.values()),
                update_conflicts=True,
                unique_fields=["marketing_list", "contact"],
                update_fields=["status", "unsubscribed_at", "unsubscribe_reason", "removed_at", "updated_at"],
            )
            result.updated += len(members)
    return result


# Email campaigns -----------------------------------------------------------------------------------------------------


def upsert_email_campaigns(rows: Iterable[Mapping[str, Any]], owner: AbstractBaseUser, source: str) -> dict[str, int]:
    """Create or update campaigns reported by an integration, keyed by (`source`, row["external_id"]).

    Each row has `external_id` and `name`, and any of subject, from_name, from_email, status (a `CampaignStatus`),
    sent_at, marketing_list_id. New campaigns get `owner`; existing ones keep theirs, and keep the stored value of
    every field their row leaves out. When a batch names an external_id twice, its rows are applied in order (the
    later value of a field wins). One INSERT ... ON CONFLICT per batch and set of fields given, then one SELECT.
    Returns external_id -> campaign id for every row written, so the caller can link its own records and write
    statistics and activity.
    """
    ids: dict[str, int] = {}
    now = timezone.now()
    for batch in _batches(rows, BATCH_SIZE):
        by_key = _merge_by_key(
            (str(row["external_id"]), {k: v for k, v in row.items() if k in CAMPAIGN_FIELDS}) for row in batch
        )
        for fields, keys in _by_field_set(by_key).items():
            EmailCampaign.objects.bulk_create(
                [
                    EmailCampaign(owner=owner, source=source, external_id=key, updated_at=now, **by_key[key])
                    for key in keys
                ],
                update_conflicts=True,
                unique_fields=["source", "external_id"],
                update_fields=[*fields, "updated_at"],
            )
        ids.update(
            EmailCampaign.objects.filter(source=source, external_id__in=list(by_key)).values_list("external_id", "pk")
        )
    return ids


def record_campaign_statistics(campaign_id: int, **values: int | Decimal) -> EmailCampaignStatistics:
    """Store a campaign's totals as the platform counted them (sent, delivered, opens, ..., revenue)."""
    unknown = set(values) - set(STATISTIC_FIELDS) - {"revenue"}
    if unknown:
        raise ValueError(f"Unknown campaign statistics: {', '.join(sorted(unknown))}")
    statistics, _ = EmailCampaignStatistics.objects.update_or_create(campaign_id=campaign_id, defaults=values)
    return statistics


def upsert_campaign_activities(campaign_id: int, rows: Iterable[Mapping[str, Any]]) -> UpsertResult:
    """Create or update per-contact activity of one campaign, keyed by `contact_id`.

    Each row: `contact_id` and any of sent_at, opens, first_opened_at, last_opened_at, clicks, last_clicked_at,
    unsubscribed_at, bounce ("soft" / "hard"), bounced_at; fields a row leaves out keep their stored value. When a
    batch names a contact twice, its rows are applied in order (the later value of a field wins). One INSERT ... ON
    CONFLICT per batch and set of fields given: `updated` counts every activity written, created or changed.
    """
    result = UpsertResult()
    now = timezone.now()
    for batch in _batches(rows, BATCH_SIZE):
        by_contact = _merge_by_key(
            (row["contact_id"], {k: v for k, v in row.items() if k in ACTIVITY_FIELDS}) for row in batch
        )
        for fields, contact_ids in _by_field_set(by_contact).items():
            EmailCampaignActivity.objects.bulk_create(
                [
                    EmailCampaignActivity(
                        campaign_id=campaign_id, contact_id=contact_id, updated_at=now, **by_contact[contact_id]
                    )
                    for contact_id in contact_ids
                ],
                update_conflicts=True,
                unique_fields=["campaign", "contact"],
                update_fields=[*fields, "updated_at"],
            )
        result.updated += len(by_contact)
    return result


def campaign_activity_summary(campaign: EmailCampaign) -> dict[str, int]:
    """How many contacts opened, clicked, unsubscribed and bounced, counted from the recorded activity."""
    return campaign.activities.aggregate(
        contacts=Count("pk"),
        opened=Count("pk", filter=Q(opens__gt=0)),
        clicked=Count("pk", filter=Q(clicks__gt=0)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
        bounced=Count("pk", filter=~Q(bounce="")),
    )
