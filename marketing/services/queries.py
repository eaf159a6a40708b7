"""Read queries the pages show: member counts, what a deletion takes with it, a campaign's activity in numbers."""

from __future__ import annotations

import datetime
import zoneinfo

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..choices import CampaignEventKind, MemberStatus
from ..models import Contact, EmailCampaign, MarketingList


def member_counts(marketing_list: MarketingList) -> dict[str, int]:
    """Members per status, plus `members` (subscribed and unsubscribed: everyone not removed)."""
    rows = marketing_list.members.values("status").annotate(n=Count("pk")).order_by()
    counts = {status: 0 for status in MemberStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    counts["members"] = counts[MemberStatus.SUBSCRIBED] + counts[MemberStatus.UNSUBSCRIBED]
    return counts


def contact_deletion_summary(contact: Contact) -> dict[str, int]:
    """What deleting `contact` takes with it: its list memberships and its campaign activity."""
    return {
        "memberships": contact.memberships.count(),
        "activities": contact.campaign_activities.count(),
    }


def campaign_activity_summary(campaign: EmailCampaign) -> dict[str, int]:
    """How many contacts opened, clicked, unsubscribed and bounced, counted from the recorded activity."""
    return campaign.activities.aggregate(
        contacts=Count("pk"),
        opened=Count("pk", filter=Q(opens__gt=0)),
        clicked=Count("pk", filter=Q(clicks__gt=0)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
        bounced=Count("pk", filter=~Q(bounce="")),
    )


def campaign_events_per_day(
    campaign: EmailCampaign, *, tz: datetime.tzinfo | zoneinfo.ZoneInfo | None = None
) -> list[tuple[datetime.date, int, int]]:
    """(day, opens, clicks) for each day with an open or a click, oldest first; days are those of `tz` (by default
    the current time zone: the user's, which the middleware activates). One GROUP BY query on the (campaign,
    occurred_at) index."""
    rows = (
        campaign.events.annotate(day=TruncDate("occurred_at", tzinfo=tz or timezone.get_current_timezone()))
        .values("day")
        .annotate(
            opens=Count("pk", filter=Q(kind=CampaignEventKind.OPEN)),
            clicks=Count("pk", filter=Q(kind=CampaignEventKind.CLICK)),
        )
        .order_by("day")
    )
    return [(row["day"], row["opens"], row["clicks"]) for row in rows]
