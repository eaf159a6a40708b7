"""The fixed vocabularies of the marketing domain."""

from django.db import models


class MemberStatus(models.TextChoices):
    """Where a contact stands in a marketing list (Oro's list item / unsubscribed item / removed item)."""

    SUBSCRIBED = "subscribed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    REMOVED = "removed", "Removed"


class CampaignStatus(models.TextChoices):
    """The state of an email campaign as the sending platform reports it."""

    UNSENT = "unsent", "Unsent"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"


class CampaignEventKind(models.TextChoices):
    """What a contact did with a campaign, one event at a time."""

    OPEN = "open", "Open"
    CLICK = "click", "Click"


class BounceType(models.TextChoices):
    NONE = "", "None"
    SOFT = "soft", "Soft bounce"
    HARD = "hard", "Hard bounce"


# Bootstrap colour of the badge for each status (the word is always shown too).
MEMBER_STATUS_BADGES = {
    MemberStatus.SUBSCRIBED: "success",
    MemberStatus.UNSUBSCRIBED: "warning",
    MemberStatus.REMOVED: "secondary",
}
CAMPAIGN_STATUS_BADGES = {
    CampaignStatus.UNSENT: "secondary",
    CampaignStatus.SCHEDULED: "info",
    CampaignStatus.SENDING: "primary",
    CampaignStatus.SENT: "success",
    CampaignStatus.PAUSED: "warning",
    CampaignStatus.CANCELLED: "dark",
}
# The badge beside the status of a campaign the platform no longer has (kept here with its numbers).
REMOVED_CAMPAIGN_LABEL = "Deleted in the platform"
