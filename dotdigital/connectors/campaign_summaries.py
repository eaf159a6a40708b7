"""Campaign summaries: the statistics of every sent campaign, on its marketing email campaign."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal, InvalidOperation
from typing import Any

from dotdigital.models import Campaign
from integrations.sync import SyncContext
from marketing import services as marketing

from .base import DotdigitalConnector, as_datetime, as_int, field

# Marketing's statistic -> Dotdigital's summary field (the totals across HTML and text).
STATISTICS = {
    "sent": "numTotalSent",
    "delivered": "numTotalDelivered",
    "opens": "numTotalOpens",
    "unique_opens": "numTotalUniqueOpens",
    "clicks": "numTotalClicks",
    "unique_clicks": "numRecipientsClicked",
    "unsubscribes": "numTotalUnsubscribes",
    "hard_bounces": "numTotalHardBounces",
    "soft_bounces": "numTotalSoftBounces",
    "complaints": "numTotalIspComplaints",
}
BATCH = 100
PARALLEL_CALLS = 4  # summaries fetched at once: within Dotdigital's rate limit
SENT_STATUSES = ("Sent", "Triggered", "Sending")


def revenue(value: Any) -> Decimal:
    """Dotdigital sends revenue as text with a currency sign ("$1,234.50")."""
    cleaned = "".join(ch for ch in str(value or "") if ch.isdigit() or ch in ".-")
    try:
        return Decimal(cleaned).quantize(Decimal("0.01")) if cleaned else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def statistics_row(email_campaign_id: int, summary: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"campaign_id": email_campaign_id}
    for name, source in STATISTICS.items():
        value = as_int(field(summary, source))
        if value is None:  # older accounts: the HTML-only figure
            value = as_int(field(summary, source.replace("numTotal", "num")))
        row[name] = max(0, value or 0)
    row["revenue"] = revenue(field(summary, "revenue"))
    return row


class CampaignSummariesConnector(DotdigitalConnector):
    key = "campaign_summaries"
    label = "Campaign summaries"

    def run(self, context: SyncContext) -> None:
        installation = context.installation
        campaigns = list(
            Campaign.objects.filter(
                integration=context.integration,
                removed_at__isnull=True,
                email_campaign__isnull=False,
                status__in=SENT_STATUSES,
            ).order_by("dotdigital_id")
        )
        context.set_total(len(campaigns))
        # One call per campaign, independent of each other: a few at a time, each thread with a client of its own
        # (a requests Session is not thread-safe); the writes, reports and heartbeat stay on this thread.
        local = threading.local()

        def summary_of(campaign_id: int) -> dict[str, Any]:
            if not hasattr(local, "client"):
                local.client = installation.new_client()
            return local.client.campaign_summary(campaign_id)

        with ThreadPoolExecutor(max_workers=PARALLEL_CALLS, thread_name_prefix="dotdigital-summary") as pool:
            self.import_summaries(context, campaigns, pool, summary_of)

    @staticmethod
    def import_summaries(context: SyncContext, campaigns: list[Campaign], pool, summary_of) -> None:
        for start in range(0, len(campaigns), BATCH):
            batch = campaigns[start : start + BATCH]
            summaries = list(pool.map(lambda campaign: summary_of(campaign.dotdigital_id), batch))
            rows = [statistics_row(c.email_campaign_id, summary) for c, summary in zip(batch, summaries, strict=True)]
            # The summary is where Dotdigital says when the campaign went out (the campaign list does not).
            sent = [
                {"key": c.email_campaign_id, "id": c.email_campaign_id, "sent_at": sent_at}
                for c, summary in zip(batch, summaries, strict=True)
                if (sent_at := as_datetime(field(summary, "dateSent"))) is not None
            ]
            with context.atomic():
                result = marketing.record_campaign_statistics(rows=rows)
                if sent:
                    marketing.upsert_email_campaigns(
                        rows=sent, owner=context.owner, source=context.installation.source_key
                    )
            context.report(
                read=len(batch),
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                done=len(batch),
            )
