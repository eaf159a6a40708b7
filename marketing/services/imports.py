"""The importers' bulk writes: what an integration's connectors call with each page they read.

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
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from ..choices import CampaignEventKind, MemberStatus
from ..models import (
    STATISTIC_FIELDS,
    Contact,
    EmailCampaign,
    EmailCampaignActivity,
    EmailCampaignEvent,
    EmailCampaignStatistics,
    MarketingList,
    MarketingListMember,
)
from . import bulk
from .bulk import BATCH_SIZE, RowProblem, UpsertResult

CONTACT_FIELDS = ("first_name", "last_name", "phone", "job_title", "company")
CAMPAIGN_FIELDS = (
    "name",
    "subject",
    "from_name",
    "from_email",
    "status",
    "sent_at",
    "marketing_list_id",
    "external_id",
    "removed_at",
)
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
STATISTICS_FIELDS = (*STATISTIC_FIELDS, "revenue")


# Contacts ------------------------------------------------------------------------------------------------------------


def upsert_contacts(
    *, rows: Iterable[Mapping[str, Any]], owner: AbstractBaseUser, source: str, batch_size: int = BATCH_SIZE
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
        if not by_key:
            continue
        with transaction.atomic():
            existing, new = bulk.insert_missing(
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
            result.ids.update(_write_changes(Contact, existing, by_key, result))
        result.created += len(new)
        result.ids.update((contact.email.lower(), contact.pk) for contact in new)
    return result


def _write_changes(
    model, existing: Mapping[Any, Any], values_by_key: Mapping[Any, dict[str, Any]], result: UpsertResult
) -> dict[Any, int]:
    """Update the existing records whose values differ, in one UPDATE; count them and the unchanged. Returns their
    ids by key."""
    changed, fields = [], set()
    for key, record in existing.items():
        diff = bulk.differences(record, values_by_key[key])
        if diff:
            bulk.apply(record, diff)
            fields.update(diff)
            changed.append(record)
        else:
            result.unchanged += 1
    bulk.save_changed(model, changed, fields)
    result.updated += len(changed)
    return {key: record.pk for key, record in existing.items()}


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
            result.ids.update(_write_changes(MarketingListMember, existing, values_by_key, result))
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


# Email campaigns -----------------------------------------------------------------------------------------------------


def upsert_email_campaigns(
    *, rows: Iterable[Mapping[str, Any]], owner: AbstractBaseUser, source: str, batch_size: int = BATCH_SIZE
) -> UpsertResult:
    """Create or update the campaigns an integration reports; `ids` maps each row's `key` to its campaign's id.

    Each row has `key` (the caller's own key, any hashable value: e.g. its account's campaign id), optionally `id`
    (the campaign the caller already linked to that key) and any of name, subject, from_name, from_email, status (a
    `CampaignStatus`), sent_at, marketing_list_id, external_id (shown as "External ID", never a key) and removed_at.
    A row with an `id` that exists updates only the fields it gives; a row without one, or whose campaign is gone, is
    created with `owner` and `source` (it needs a `name`). Rows sharing a key, or naming the same campaign, are applied
    in order. Per batch: a SELECT of the campaigns named, one INSERT, one UPDATE (and a SELECT of the marketing lists
    named, when rows give some).
    """
    result = UpsertResult()
    for batch in bulk.batches(rows, batch_size):
        by_key: dict[Any, dict[str, Any]] = {}
        linked: dict[Any, int] = {}
        for row in batch:
            key = row.get("key")
            try:
                if key is None:
                    raise RowProblem("key is required")
                values = bulk.clean_values(EmailCampaign, {k: v for k, v in row.items() if k in CAMPAIGN_FIELDS})
                if values.get("from_email"):
                    try:
                        validate_email(values["from_email"])
                    except ValidationError:
                        raise RowProblem(f"from_email is not a valid email: {values['from_email']!r}") from None
                pk = bulk.clean_id("id", row["id"]) if row.get("id") is not None else None
            except RowProblem as problem:
                result.skip(key, str(problem))
                continue
            by_key.setdefault(key, {}).update(values)
            if pk is not None:
                linked[key] = pk
        list_ids = {v["marketing_list_id"] for v in by_key.values() if v.get("marketing_list_id") is not None}
        known_lists = bulk.existing_pks(MarketingList, list_ids)
        for key in [k for k, v in by_key.items() if v.get("marketing_list_id") not in known_lists | {None}]:
            result.skip(key, f"marketing list {by_key.pop(key)['marketing_list_id']} does not exist")
        if not by_key:
            continue
        with transaction.atomic():
            found = {
                c.pk: c
                for c in EmailCampaign.objects.select_for_update()
                .filter(pk__in={linked[k] for k in by_key if k in linked})
                .order_by("pk")
            }
            values_by_pk: dict[int, dict[str, Any]] = {}
            keys_by_pk: dict[int, list[Any]] = {}
            new: dict[Any, EmailCampaign] = {}
            for key, values in by_key.items():
                pk = linked.get(key)
                if pk in found:
                    values_by_pk.setdefault(pk, {}).update(values)
                    keys_by_pk.setdefault(pk, []).append(key)
                elif not values.get("name"):
                    result.skip(key, "name is required to create a campaign")
                else:
                    values.setdefault("external_id", None)
                    new[key] = EmailCampaign(owner=owner, source=source, **values)
            EmailCampaign.objects.bulk_create(list(new.values()))
            _write_changes(EmailCampaign, {pk: found[pk] for pk in values_by_pk}, values_by_pk, result)
        for pk, keys in keys_by_pk.items():
            result.ids.update(dict.fromkeys(keys, pk))
        result.created += len(new)
        result.ids.update((key, campaign.pk) for key, campaign in new.items())
    return result


def mark_campaigns_removed(*, ids: Iterable[int], at: datetime.datetime | None = None) -> int:
    """Mark campaigns as deleted in the platform (kept, with their numbers and activity, and shown with a badge);
    ones already marked keep their date. Returns how many were marked. Clear the mark by upserting `removed_at=None`.
    """
    at, now, marked = at or timezone.now(), timezone.now(), 0
    for batch in bulk.batches(ids, BATCH_SIZE):
        marked += EmailCampaign.objects.filter(pk__in=batch, removed_at__isnull=True).update(
            removed_at=at, updated_at=now
        )
    return marked


def record_campaign_statistics(*, rows: Iterable[Mapping[str, Any]], batch_size: int = BATCH_SIZE) -> UpsertResult:
    """Store campaigns' totals as the platform counted them, keyed by `campaign_id` (`ids` maps it to itself: the
    statistics' primary key is the campaign's).

    Each row: `campaign_id` and any of sent, delivered, opens, unique_opens, clicks, unique_clicks, unsubscribes,
    hard_bounces, soft_bounces, complaints, revenue; fields a row leaves out keep their stored value (0 when new).
    Per batch: a SELECT of the stored statistics, a SELECT of the campaigns without any, one INSERT, one UPDATE.
    """
    result = UpsertResult()
    for batch in bulk.batches(rows, batch_size):
        by_key: dict[int, dict[str, Any]] = {}
        for row in batch:
            key = row.get("campaign_id")
            try:
                campaign_id = bulk.clean_id("campaign_id", key)
                unknown = set(row) - set(STATISTICS_FIELDS) - {"campaign_id"}
                if unknown:
                    raise RowProblem(f"Unknown campaign statistics: {', '.join(sorted(unknown))}")
                values = bulk.clean_values(
                    EmailCampaignStatistics, {k: v for k, v in row.items() if k != "campaign_id"}
                )
            except RowProblem as problem:
                result.skip(key, str(problem))
                continue
            by_key.setdefault(campaign_id, {}).update(values)
        if by_key:
            _upsert_by_key(
                EmailCampaignStatistics,
                by_key,
                result,
                key_field="campaign_id",
                find_existing=lambda by_key=by_key: {
                    s.campaign_id: s for s in EmailCampaignStatistics.objects.filter(campaign_id__in=list(by_key))
                },
                parent=EmailCampaign,
                build=lambda key, values: EmailCampaignStatistics(campaign_id=key, **values),
                missing_reason="campaign {} does not exist",
            )
    return result


def _upsert_by_key(model, by_key, result, *, key_field, find_existing, parent, build, missing_reason) -> None:
    """One batch of a keyed upsert whose key is a record of `parent` (a campaign, a contact): read the existing,
    insert the new whose parent exists (the others are skipped), update the changed."""
    known: set[int] = set()

    def build_new(existing):
        missing = set(by_key) - set(existing)
        known.update(bulk.existing_pks(parent, missing - known))
        return [build(key, by_key[key]) for key in sorted(missing & known)]

    with transaction.atomic():
        existing, new = bulk.insert_missing(model, find_existing, build_new)
        for key in sorted(set(by_key) - set(existing) - known):
            result.skip(key, missing_reason.format(key))
        result.ids.update(_write_changes(model, existing, by_key, result))
    result.created += len(new)
    result.ids.update((getattr(record, key_field), record.pk) for record in new)


def _require_campaign(campaign_id: int) -> None:
    # A wrong campaign is the caller's mistake, not a bad row: say so at once instead of skipping every row.
    if not EmailCampaign.objects.filter(pk=campaign_id).exists():
        raise ValueError(f"No email campaign with id {campaign_id!r}")


def upsert_campaign_activities(
    *, campaign_id: int, rows: Iterable[Mapping[str, Any]], batch_size: int = BATCH_SIZE
) -> UpsertResult:
    """Create or update per-contact activity of one campaign, keyed by `contact_id`; `ids` maps it to the activity.

    Each row: `contact_id` and any of sent_at, opens, first_opened_at, last_opened_at, clicks, last_clicked_at,
    unsubscribed_at, bounce ("soft" / "hard" / ""), bounced_at; fields a row leaves out keep their stored value. When a
    batch names a contact twice, its rows are applied in order (the later value of a field wins). Rows naming a deleted
    contact are skipped. Per batch: a SELECT of the stored activity, a SELECT of the contacts without any, one INSERT,
    one UPDATE. ValueError when the campaign does not exist.
    """
    _require_campaign(campaign_id)
    result = UpsertResult()
    for batch in bulk.batches(rows, batch_size):
        by_key: dict[int, dict[str, Any]] = {}
        for row in batch:
            key = row.get("contact_id")
            try:
                contact_id = bulk.clean_id("contact_id", key)
                values = bulk.clean_values(
                    EmailCampaignActivity, {k: v for k, v in row.items() if k in ACTIVITY_FIELDS}
                )
            except RowProblem as problem:
                result.skip(key, str(problem))
                continue
            by_key.setdefault(contact_id, {}).update(values)
        if by_key:
            _upsert_by_key(
                EmailCampaignActivity,
                by_key,
                result,
                key_field="contact_id",
                find_existing=lambda by_key=by_key: {
                    a.contact_id: a
                    for a in EmailCampaignActivity.objects.filter(campaign_id=campaign_id, contact_id__in=list(by_key))
                },
                parent=Contact,
                build=lambda key, values: EmailCampaignActivity(campaign_id=campaign_id, contact_id=key, **values),
                missing_reason="contact {} does not exist",
            )
    return result


EventKey = tuple[int, str, datetime.datetime, str]


def record_campaign_events(
    *, campaign_id: int, rows: Iterable[Mapping[str, Any]], batch_size: int = BATCH_SIZE
) -> UpsertResult:
    """Record individual opens and clicks of one campaign; an event already recorded is counted unchanged, never
    doubled. `ids` maps each event's key (contact_id, kind, occurred_at, url) to its id.

    Each row: `contact_id`, `kind` ("open" / "click"), `occurred_at` (a date and time) and, for a click, `url` (an
    open's url is ignored). Rows naming a deleted contact are skipped. Per batch: a SELECT of the batch's events
    already stored, a SELECT of the contacts, one INSERT; `created` is exact, also when another writer records the
    same events meanwhile. ValueError when the campaign does not exist.
    """
    _require_campaign(campaign_id)
    url_length = EmailCampaignEvent._meta.get_field("url").max_length
    result = UpsertResult()
    for batch in bulk.batches(rows, batch_size):
        keys: dict[EventKey, None] = {}
        for row in batch:
            raw_key = (row.get("contact_id"), row.get("kind"), row.get("occurred_at"), row.get("url"))
            try:
                contact_id = bulk.clean_id("contact_id", raw_key[0])
                kind = bulk.clean_value(EmailCampaignEvent, "kind", raw_key[1])
                occurred_at = bulk.clean_moment("occurred_at", raw_key[2])
                if occurred_at is None:
                    raise RowProblem("occurred_at is required")
                url = "" if kind == CampaignEventKind.OPEN else bulk.clean_value(EmailCampaignEvent, "url", raw_key[3])
                # The unique index holds the URL: PostgreSQL caps an index entry near 2,700 bytes.
                if len(url.encode()) > url_length:
                    raise RowProblem(f"url longer than {url_length} bytes")
            except RowProblem as problem:
                result.skip(raw_key, str(problem))
                continue
            keys[(contact_id, kind, occurred_at, url)] = None
        if not keys:
            continue
        contacts = bulk.existing_pks(Contact, {key[0] for key in keys})
        for key in [k for k in keys if k[0] not in contacts]:
            del keys[key]
            result.skip(key, f"contact {key[0]} does not exist")

        def find_existing(keys=keys):
            stored = EmailCampaignEvent.objects.filter(
                campaign_id=campaign_id,
                contact_id__in={key[0] for key in keys},
                occurred_at__in={key[2] for key in keys},
            ).values_list("contact_id", "kind", "occurred_at", "url", "pk")
            return {(c, k, o, u): pk for c, k, o, u, pk in stored if (c, k, o, u) in keys}

        with transaction.atomic():
            existing, new = bulk.insert_missing(
                EmailCampaignEvent,
                find_existing,
                lambda existing, keys=keys: [
                    EmailCampaignEvent(campaign_id=campaign_id, contact_id=c, kind=k, occurred_at=o, url=u)
                    for c, k, o, u in keys
                    if (c, k, o, u) not in existing
                ],
            )
        result.unchanged += len(existing)
        result.created += len(new)
        result.ids.update(existing)
        result.ids.update(((event.contact_id, event.kind, event.occurred_at, event.url), event.pk) for event in new)
    return result
