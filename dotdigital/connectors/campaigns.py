"""Campaigns: every campaign of the account, each linked to a marketing email campaign created with the Default
Owner; campaigns gone from Dotdigital are marked deleted there, never lost."""

from __future__ import annotations

from django.utils import timezone

from dotdigital.models import Campaign
from integrations.sync import SyncContext
from marketing import services as marketing
from marketing.choices import CampaignStatus

from .base import DotdigitalConnector, as_int, field, text

# Dotdigital's campaign statuses, as marketing's vocabulary names them.
STATUSES = {
    "unsent": CampaignStatus.UNSENT,
    "sending": CampaignStatus.SENDING,
    "sent": CampaignStatus.SENT,
    "paused": CampaignStatus.PAUSED,
    "cancelled": CampaignStatus.CANCELLED,
    "requiressystemapproval": CampaignStatus.SCHEDULED,
    "requiressmsapproval": CampaignStatus.SCHEDULED,
    "requiresworkflowapproval": CampaignStatus.SCHEDULED,
    "triggered": CampaignStatus.SENT,
}


def from_address(row: dict) -> str:
    value = field(row, "fromAddress")
    if isinstance(value, dict):
        value = field(value, "email")
    return text(value, 254) if isinstance(value, str) and "@" in value else ""


class CampaignsConnector(DotdigitalConnector):
    key = "campaigns"
    label = "Campaigns"

    def run(self, context: SyncContext) -> None:
        client = context.installation.client()
        integration = context.integration
        seen: set[int] = set()
        now = timezone.now()
        for page in client.campaigns():
            rows: dict[int, dict] = {}
            for row in page:
                campaign_id = as_int(field(row, "id"))
                name = text(field(row, "name"), 255)
                if campaign_id is None or not name:
                    context.note(f"Campaign skipped: no id or name in {str(row)[:120]}", skipped=1)
                    continue
                status_word = text(field(row, "status"), 40)
                rows[campaign_id] = {
                    "name": name,
                    "subject": text(field(row, "subject"), 255),
                    "from_name": text(field(row, "fromName"), 255),
                    "from_email": from_address(row),
                    "status": STATUSES.get(status_word.lower(), CampaignStatus.UNSENT),
                    "dotdigital_status": status_word,
                }
            seen.update(rows)
            with context.atomic():
                links = {
                    link.dotdigital_id: link
                    for link in Campaign.objects.filter(integration=integration, dotdigital_id__in=list(rows))
                }
                result = marketing.upsert_email_campaigns(
                    rows=[
                        {
                            "key": campaign_id,
                            "id": links[campaign_id].email_campaign_id if campaign_id in links else None,
                            "external_id": str(campaign_id),
                            **{k: v for k, v in values.items() if k != "dotdigital_status"},
                        }
                        for campaign_id, values in rows.items()
                    ],
                    owner=context.owner,
                    source=context.installation.source_key,
                )
                new_links, changed_links = [], []
                for campaign_id, values in rows.items():
                    link = links.get(campaign_id)
                    email_campaign_id = result.ids.get(campaign_id)
                    if link is None:
                        new_links.append(
                            Campaign(
                                integration=integration,
                                dotdigital_id=campaign_id,
                                name=values["name"],
                                status=values["dotdigital_status"],
                                email_campaign_id=email_campaign_id,
                                last_synced_at=now,
                            )
                        )
                    else:
                        link.name, link.status = values["name"], values["dotdigital_status"]
                        link.email_campaign_id = email_campaign_id or link.email_campaign_id
                        link.removed_at, link.last_synced_at = None, now
                        changed_links.append(link)
                Campaign.objects.bulk_create(new_links)
                Campaign.objects.bulk_update(
                    changed_links, ["name", "status", "email_campaign", "removed_at", "last_synced_at"]
                )
            context.report(
                read=len(page),
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                done=len(rows),
            )
        with context.atomic():
            gone = Campaign.objects.filter(integration=integration, removed_at__isnull=True).exclude(
                dotdigital_id__in=seen
            )
            email_campaign_ids = [pk for pk in gone.values_list("email_campaign_id", flat=True) if pk]
            deleted = gone.update(removed_at=now)
            if email_campaign_ids:
                marketing.mark_campaigns_removed(ids=email_campaign_ids, at=now)
        context.report(deleted=deleted)
