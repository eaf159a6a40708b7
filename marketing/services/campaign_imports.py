"""The importers' bulk writes of email campaigns: the campaigns (by primary key: the caller keeps its own keys),
the platform's totals, the per-contact activity and the individual opens and clicks. Same shape as `imports`: keyword
arguments, rows streamed in batches of a few queries, an `UpsertResult` back."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from ..choices import CampaignEventKind
from ..models import (
    STATISTIC_FIELDS,
    Contact,
    EmailCampaign,
    EmailCampaignActivity,
    EmailCampaignEvent,
    EmailCampaignStatistics,
    MarketingList,
)
from . import bulk
from .bulk import BATCH_SIZE, RowProblem, UpsertResult

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
            bulk.write_changes(EmailCampaign, {pk: found[pk] for pk in values_by_pk}, values_by_pk, result)
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
        result.ids.update(bulk.write_changes(model, existing, by_key, result))
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
