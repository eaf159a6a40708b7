"""Activities: per campaign since its mark, the per-contact summary (opens, clicks, unsubscribe, bounces) and the
individual opens and clicks with their dates and URLs, on the linked marketing email campaign."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from django.utils import timezone

from dotdigital.client import DotdigitalClient
from dotdigital.models import Campaign, DotdigitalContact
from integrations.sync import SyncContext
from marketing import services as marketing
from marketing.choices import BounceType

from .base import DotdigitalConnector, as_datetime, as_int, field, iso, streams_ahead, text


def synced_campaigns(context: SyncContext) -> list[Campaign]:
    return list(
        Campaign.objects.filter(
            integration=context.integration, removed_at__isnull=True, email_campaign__isnull=False
        ).order_by("dotdigital_id")
    )


class ContactResolver:
    """Marketing contact ids for Dotdigital contact ids (through the links), else by email; one query a page."""

    def __init__(self, context: SyncContext) -> None:
        self.integration = context.integration

    def resolve(self, rows: list[tuple[int | None, str]]) -> dict[tuple[int | None, str], int]:
        ids = {contact_id for contact_id, _ in rows if contact_id is not None}
        linked = dict(
            DotdigitalContact.objects.filter(
                integration=self.integration, dotdigital_id__in=list(ids), contact__isnull=False
            ).values_list("dotdigital_id", "contact_id")
        )
        emails = {email.lower() for contact_id, email in rows if email and contact_id not in linked}
        by_email = marketing.contact_ids_by_key(list(emails))
        resolved = {}
        for contact_id, email in rows:
            found = linked.get(contact_id) if contact_id is not None else None
            found = found or by_email.get(email.lower())
            if found:
                resolved[(contact_id, email)] = found
        return resolved


KINDS = ("activity", "open", "click")
STREAMS_AHEAD = 4  # listings in flight at once: within Dotdigital's rate limit, enough to hide the network


def listing(kind: str, campaign_id: int, since: str | None, client: DotdigitalClient) -> Iterator[list]:
    """The pages of one of a campaign's listings: all of them on a first run, else those since the mark."""
    if since is None:
        return {
            "activity": client.campaign_activities,
            "open": client.campaign_opens,
            "click": client.campaign_clicks,
        }[kind](campaign_id)
    return {
        "activity": client.campaign_activities_since,
        "open": client.campaign_opens_since,
        "click": client.campaign_clicks_since,
    }[kind](campaign_id, since)


def _key(row: dict[str, Any]) -> tuple[int | None, str]:
    return as_int(field(row, "contactId")), text(field(row, "email"), 254).strip()


class ActivitiesConnector(DotdigitalConnector):
    key = "activities"
    label = "Activities, opens and clicks"

    def run(self, context: SyncContext) -> None:
        campaigns = synced_campaigns(context)
        marks = context.marks()
        resolver = ContactResolver(context)
        context.set_total(len(campaigns))
        installation = context.installation
        # Campaigns are independent: their listings are fetched a few at a time (each thread on a client of its
        # own), while this thread writes them in order, reports and keeps the heartbeat.
        clients = [installation.client(), *(installation.new_client() for _ in range(STREAMS_AHEAD - 1))]

        def listings():
            for campaign in campaigns:
                since = marks.get(f"campaign:{campaign.dotdigital_id}")
                started = timezone.now()  # before any of the campaign's listings is read: the next run's mark
                for kind in KINDS:
                    yield (campaign, kind, started), partial(listing, kind, campaign.dotdigital_id, since)

        for (campaign, kind, started), pages in streams_ahead(listings(), clients):
            for page, _is_last in pages:
                with context.atomic():
                    counts = self.write_page(context, campaign, kind, page, resolver)
                context.report(**counts)
            if kind == KINDS[-1]:
                # Every page of the three listings is written (re-reading them is harmless: upserts and unique
                # events).
                with context.atomic():
                    context.save_mark(iso(started), f"campaign:{campaign.dotdigital_id}")
                context.report(done=1)

    def write_page(
        self, context: SyncContext, campaign: Campaign, kind: str, page: list, resolver: ContactResolver
    ) -> dict[str, int]:
        rows = [row for row in page if isinstance(row, dict)]
        resolved = resolver.resolve([_key(row) for row in rows])
        unknown = len(page) - len(rows)
        if kind == "activity":
            activities = []
            for row in rows:
                contact_id = resolved.get(_key(row))
                if contact_id is None:
                    unknown += 1
                    continue
                sent_at = as_datetime(field(row, "dateSent"))
                bounce = (
                    BounceType.HARD
                    if field(row, "hardBounced") is True
                    else BounceType.SOFT
                    if field(row, "softBounced") is True
                    else BounceType.NONE
                )
                activities.append(
                    {
                        "contact_id": contact_id,
                        "sent_at": sent_at,
                        "opens": max(0, as_int(field(row, "numOpens")) or 0),
                        "first_opened_at": as_datetime(field(row, "dateFirstOpened")),
                        "last_opened_at": as_datetime(field(row, "dateLastOpened")),
                        "clicks": max(0, as_int(field(row, "numClicks")) or 0),
                        "unsubscribed_at": sent_at if field(row, "unsubscribed") is True else None,
                        "bounce": bounce,
                        "bounced_at": sent_at if bounce else None,
                    }
                )
            result = marketing.upsert_campaign_activities(campaign_id=campaign.email_campaign_id, rows=activities)
        else:
            events = []
            for row in rows:
                contact_id = resolved.get(_key(row))
                occurred_at = as_datetime(field(row, "dateOpened" if kind == "open" else "dateClicked"))
                if contact_id is None or occurred_at is None:
                    unknown += 1
                    continue
                events.append(
                    {
                        "contact_id": contact_id,
                        "kind": kind,
                        "occurred_at": occurred_at,
                        "url": text(field(row, "url"), 2000) if kind == "click" else "",
                    }
                )
            result = marketing.record_campaign_events(campaign_id=campaign.email_campaign_id, rows=events)
            if kind == "click" and events:
                # The per-contact summary has no date of the last click: the clicks themselves give it (they come
                # in date order per contact, so a later page's is later).
                last_clicks: dict[int, Any] = {}
                for event in events:
                    last_clicks[event["contact_id"]] = max(
                        event["occurred_at"], last_clicks.get(event["contact_id"], event["occurred_at"])
                    )
                marketing.upsert_campaign_activities(
                    campaign_id=campaign.email_campaign_id,
                    rows=[{"contact_id": c, "last_clicked_at": at} for c, at in last_clicks.items()],
                )
        if unknown:
            context.note(
                f"Campaign {campaign.dotdigital_id}: {unknown} {kind} rows skipped (contact not imported here)"
            )
        return {
            "read": len(page),
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "skipped": unknown + result.skipped,
        }
