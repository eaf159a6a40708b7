"""The marketing domain: contacts, marketing lists with their members, email campaigns with statistics and activity.

Nothing here knows which integration fed a record: `source` names it ("manual", "import" or an integration's key,
see `marketing.sources`), and integrations link their own records to these, never the reverse.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from . import sources
from .choices import BounceType, CampaignEventKind, CampaignStatus, MemberStatus

DUPLICATE_EMAIL_MESSAGE = "A contact with this email already exists."
DUPLICATE_LIST_NAME_MESSAGE = "A marketing list with this name already exists."


class Contact(models.Model):
    """A person marketing can write to.

    The email is stored as given but unique ignoring case (a functional unique index on `Lower("email")`), which is
    also the key integrations upsert by. Every sort and filter the grid offers has an index; the prefix searches on
    names and email get PostgreSQL pattern indexes in migration 0002.
    """

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=50, blank=True)
    job_title = models.CharField("Job title", max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    # Indexed by mkt_contact_owner_idx (owner, names, id), which also serves the owner filter's sort.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="marketing_contacts", db_index=False
    )
    source = models.CharField(max_length=64, default=sources.MANUAL)
    created_at = models.DateTimeField("Created", auto_now_add=True)
    updated_at = models.DateTimeField("Updated", auto_now=True)

    class Meta:
        ordering = ("last_name", "first_name", "id")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="marketing_contact_email_ci_uniq", violation_error_message=DUPLICATE_EMAIL_MESSAGE
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="mkt_contact_name_idx"),
            models.Index(fields=["first_name", "last_name", "id"], name="mkt_contact_first_idx"),
            models.Index(fields=["email", "id"], name="mkt_contact_email_idx"),
            models.Index(fields=["company", "id"], name="mkt_contact_company_idx"),
            models.Index(fields=["created_at", "id"], name="mkt_contact_created_idx"),
            models.Index(fields=["owner", "last_name", "first_name", "id"], name="mkt_contact_owner_idx"),
            models.Index(fields=["source", "last_name", "first_name", "id"], name="mkt_contact_source_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_absolute_url(self) -> str:
        return reverse("marketing:contact_detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def source_label(self) -> str:
        return sources.source_label(self.source)


class MarketingList(models.Model):
    """A named set of contacts to send to; each membership is a `MarketingListMember` with its own state.

    Deleting a list deletes its memberships, never the contacts.
    """

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="marketing_lists")
    source = models.CharField(max_length=64, default=sources.MANUAL)
    contacts = models.ManyToManyField(Contact, through="MarketingListMember", related_name="marketing_lists")
    created_at = models.DateTimeField("Created", auto_now_add=True)
    updated_at = models.DateTimeField("Updated", auto_now=True)

    class Meta:
        ordering = ("name", "id")
        constraints = [
            models.UniqueConstraint(
                Lower("name"), name="marketing_list_name_ci_uniq", violation_error_message=DUPLICATE_LIST_NAME_MESSAGE
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "name"], name="mkt_list_owner_idx"),
            models.Index(fields=["updated_at", "id"], name="mkt_list_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("marketing:list_detail", args=[self.pk])

    @property
    def source_label(self) -> str:
        return sources.source_label(self.source)


class MarketingListMember(models.Model):
    """A contact's place in a marketing list: subscribed, unsubscribed (when and why) or removed (when).

    A removed member keeps its row, so a sync knows the contact left the list and is not to be added back.
    """

    marketing_list = models.ForeignKey(MarketingList, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="memberships")
    status = models.CharField(max_length=16, choices=MemberStatus.choices, default=MemberStatus.SUBSCRIBED)
    subscribed_at = models.DateTimeField("Subscribed")
    unsubscribed_at = models.DateTimeField("Unsubscribed", null=True, blank=True)
    unsubscribe_reason = models.CharField("Reason", max_length=255, blank=True)
    removed_at = models.DateTimeField("Removed", null=True, blank=True)
    updated_at = models.DateTimeField("Updated", auto_now=True)

    class Meta:
        verbose_name = "marketing list member"
        ordering = ("marketing_list", "contact")
        constraints = [
            models.UniqueConstraint(fields=["marketing_list", "contact"], name="marketing_member_list_contact_uniq"),
            models.CheckConstraint(
                condition=(
                    Q(status=MemberStatus.SUBSCRIBED, unsubscribed_at__isnull=True, removed_at__isnull=True)
                    | Q(status=MemberStatus.UNSUBSCRIBED, unsubscribed_at__isnull=False, removed_at__isnull=True)
                    | Q(status=MemberStatus.REMOVED, removed_at__isnull=False)
                ),
                name="marketing_member_status_dates",
                violation_error_message="A member's dates must match its status.",
            ),
        ]
        indexes = [
            models.Index(fields=["marketing_list", "status", "contact"], name="mkt_member_list_status_idx"),
            models.Index(fields=["contact", "status"], name="mkt_member_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} in {self.marketing_list} ({self.get_status_display()})"

    @property
    def is_subscribed(self) -> bool:
        return self.status == MemberStatus.SUBSCRIBED


class EmailCampaign(models.Model):
    """An email sent (or to be sent) by a marketing platform, as an integration reports it.

    Campaigns are written by integrations through `services.upsert_email_campaigns`, by primary key: an integration
    keeps its own link from its account's campaign id to the campaign (two accounts may both have a campaign 123), so
    `external_id` is only shown, never a key. A campaign the platform no longer has is marked `removed_at`, never
    deleted, so its numbers stay. People read campaigns. Their numbers live in `EmailCampaignStatistics`, their
    per-contact summary in `EmailCampaignActivity` and the individual opens and clicks in `EmailCampaignEvent`.
    """

    name = models.CharField(max_length=255)
    subject = models.CharField(max_length=255, blank=True)
    from_name = models.CharField("From name", max_length=255, blank=True)
    from_email = models.EmailField("From address", max_length=254, blank=True)
    status = models.CharField(max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.UNSENT)
    sent_at = models.DateTimeField("Sent", null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="email_campaigns")
    marketing_list = models.ForeignKey(
        MarketingList, on_delete=models.SET_NULL, null=True, blank=True, related_name="email_campaigns"
    )
    source = models.CharField(max_length=64, default=sources.MANUAL)
    external_id = models.CharField("External ID", max_length=100, null=True, blank=True)
    removed_at = models.DateTimeField("Deleted in the platform", null=True, blank=True)
    created_at = models.DateTimeField("Created", auto_now_add=True)
    updated_at = models.DateTimeField("Updated", auto_now=True)

    class Meta:
        ordering = ("-sent_at", "-id")
        indexes = [
            models.Index(fields=["sent_at", "id"], name="mkt_campaign_sent_idx"),
            models.Index(fields=["name", "id"], name="mkt_campaign_name_idx"),
            models.Index(fields=["status", "sent_at", "id"], name="mkt_campaign_status_idx"),
            models.Index(fields=["owner", "sent_at"], name="mkt_campaign_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("marketing:campaign_detail", args=[self.pk])

    @property
    def source_label(self) -> str:
        return sources.source_label(self.source)


STATISTIC_FIELDS = (
    "sent",
    "delivered",
    "opens",
    "unique_opens",
    "clicks",
    "unique_clicks",
    "unsubscribes",
    "hard_bounces",
    "soft_bounces",
    "complaints",
)


class EmailCampaignStatistics(models.Model):
    """A campaign's totals as the sending platform counted them (Oro's campaign summary); never typed in by hand."""

    campaign = models.OneToOneField(
        EmailCampaign, on_delete=models.CASCADE, primary_key=True, related_name="statistics"
    )
    sent = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    opens = models.PositiveIntegerField(default=0)
    unique_opens = models.PositiveIntegerField("Unique opens", default=0)
    clicks = models.PositiveIntegerField(default=0)
    unique_clicks = models.PositiveIntegerField("Unique clicks", default=0)
    unsubscribes = models.PositiveIntegerField(default=0)
    hard_bounces = models.PositiveIntegerField("Hard bounces", default=0)
    soft_bounces = models.PositiveIntegerField("Soft bounces", default=0)
    complaints = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    updated_at = models.DateTimeField("Updated", auto_now=True)

    class Meta:
        verbose_name = "email campaign statistics"
        verbose_name_plural = "email campaign statistics"

    def __str__(self) -> str:
        return f"Statistics of {self.campaign}"

    def rate(self, field: str, of: str = "delivered") -> float | None:
        """`field` as a percentage of `of` (delivered by default); None when there is nothing to divide by."""
        base = getattr(self, of)
        return round(100 * getattr(self, field) / base, 1) if base else None


class EmailCampaignActivity(models.Model):
    """What one contact did with one campaign: opens, clicks, unsubscribe and bounce, with their dates."""

    campaign = models.ForeignKey(EmailCampaign, on_delete=models.CASCADE, related_name="activities")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="campaign_activities")
    sent_at = models.DateTimeField("Sent", null=True, blank=True)
    opens = models.PositiveIntegerField(default=0)
    first_opened_at = models.DateTimeField("First opened", null=True, blank=True)
    last_opened_at = models.DateTimeField("Last opened", null=True, blank=True)
    clicks = models.PositiveIntegerField(default=0)
    last_clicked_at = models.DateTimeField("Last clicked", null=True, blank=True)
    unsubscribed_at = models.DateTimeField("Unsubscribed", null=True, blank=True)
    bounce = models.CharField(max_length=8, choices=BounceType.choices, default=BounceType.NONE, blank=True)
    bounced_at = models.DateTimeField("Bounced", null=True, blank=True)
    updated_at = models.DateTimeField("Updated", auto_now=True)

    class Meta:
        verbose_name = "email campaign activity"
        verbose_name_plural = "email campaign activities"
        ordering = ("campaign", "contact")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "contact"], name="marketing_activity_campaign_contact_uniq"),
        ]
        indexes = [
            models.Index(fields=["contact", "campaign"], name="mkt_activity_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} / {self.campaign}"


class EmailCampaignEvent(models.Model):
    """One open or one click of a campaign by a contact, when it happened and (for a click) the link followed.

    Unique on everything it says, so importing the same opens and clicks again never doubles them. Read for the
    campaign's opens and clicks per day; written only by importers (`services.record_campaign_events`).
    """

    # No index of its own: the (campaign, occurred_at) index and the unique constraint both start with it.
    campaign = models.ForeignKey(EmailCampaign, on_delete=models.CASCADE, related_name="events", db_index=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="campaign_events")
    kind = models.CharField(max_length=8, choices=CampaignEventKind.choices)
    occurred_at = models.DateTimeField("When")
    url = models.CharField("URL", max_length=2000, blank=True)

    class Meta:
        verbose_name = "email campaign event"
        ordering = ("campaign", "occurred_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "contact", "kind", "occurred_at", "url"], name="marketing_event_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "occurred_at"], name="mkt_event_campaign_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.campaign} by {self.contact}"
