"""The marketing grids: sortable columns (each backed by an index), badges for states, a per-row actions menu.

Every sort ends with a unique key (`id`, or `contact_id` in the grids of one list's members or one campaign's
activity), so rows never repeat or go missing between pages when values tie."""

from __future__ import annotations

import django_tables2 as tables
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from backoffice.people import person_name as person
from backoffice.tables import ActionsColumn

from .choices import CAMPAIGN_STATUS_BADGES, MEMBER_STATUS_BADGES, REMOVED_CAMPAIGN_LABEL
from .models import Contact, EmailCampaign, EmailCampaignActivity, MarketingList, MarketingListMember


def badge(label: str, colour: str) -> str:
    return format_html('<span class="badge text-bg-{}">{}</span>', colour, label)


class ContactTable(tables.Table):
    name = tables.Column(
        "Name",
        accessor="last_name",
        order_by=("last_name", "first_name", "id"),
        linkify=True,
        attrs={"td": {"class": "fw-medium"}},
    )
    email = tables.EmailColumn(order_by=("email", "id"))
    company = tables.Column(order_by=("company", "id"))
    owner = tables.Column(orderable=False)
    source = tables.Column(orderable=False)
    created_at = tables.DateTimeColumn(verbose_name="Created", order_by=("created_at", "id"), format="j M Y")
    actions = ActionsColumn("marketing/includes/contact_actions.html")

    class Meta:
        model = Contact
        fields = ("name", "email", "company", "owner", "source", "created_at", "actions")
        order_by = "name"
        attrs = {"class": "table table-hover align-middle mb-0", "data-testid": "contacts-grid"}
        template_name = "marketing/includes/contacts_table.html"

    def render_name(self, record):
        return record.full_name or "(no name)"

    def render_owner(self, value):
        return person(value)

    def render_source(self, record):
        return badge(record.source_label, "light border")


class MarketingListTable(tables.Table):
    name = tables.Column(linkify=True, order_by=("name", "id"), attrs={"td": {"class": "fw-medium"}})
    members = tables.Column(
        "Members", accessor="pk", orderable=False, attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}}
    )
    subscribed = tables.Column(
        "Subscribed", accessor="pk", orderable=False, attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}}
    )
    unsubscribed = tables.Column(
        "Unsubscribed", accessor="pk", orderable=False, attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}}
    )
    owner = tables.Column(orderable=False)
    source = tables.Column(orderable=False)
    updated_at = tables.DateTimeColumn(verbose_name="Updated", order_by=("updated_at", "id"), format="j M Y H:i")
    actions = ActionsColumn("marketing/includes/list_actions.html")

    class Meta:
        model = MarketingList
        fields = ("name", "members", "subscribed", "unsubscribed", "owner", "source", "updated_at", "actions")
        order_by = "name"
        attrs = {"class": "table table-hover align-middle mb-0", "data-testid": "lists-grid"}

    def render_members(self, record):
        return intcomma(record.counts["members"])

    def render_subscribed(self, record):
        return intcomma(record.counts["subscribed"])

    def render_unsubscribed(self, record):
        return intcomma(record.counts["unsubscribed"])

    def render_owner(self, value):
        return person(value)

    def render_source(self, record):
        return badge(record.source_label, "light border")


class MemberTable(tables.Table):
    contact = tables.Column(
        "Contact",
        order_by=("contact__last_name", "contact__first_name", "contact_id"),
        linkify=lambda record: record.contact.get_absolute_url(),
    )
    email = tables.Column("Email", accessor="contact__email", order_by=("contact__email", "contact_id"))
    status = tables.Column(order_by=("status", "contact_id"))
    subscribed_at = tables.DateTimeColumn(verbose_name="Subscribed", format="j M Y", order_by=("subscribed_at", "id"))
    changed = tables.Column("Unsubscribed / removed", accessor="pk", orderable=False)
    actions = ActionsColumn("marketing/includes/member_actions.html")

    class Meta:
        model = MarketingListMember
        fields = ("contact", "email", "status", "subscribed_at", "changed", "actions")
        order_by = "contact"
        attrs = {"class": "table table-hover align-middle mb-0", "data-testid": "members-grid"}
        row_attrs = {"data-member": lambda record: record.contact.email}

    def render_contact(self, record):
        return record.contact.full_name or record.contact.email

    def render_status(self, record):
        return badge(record.get_status_display(), MEMBER_STATUS_BADGES[record.status])

    def render_changed(self, record):
        if record.removed_at:
            return format_html("Removed {}", when(record.removed_at, "j M Y"))
        if record.unsubscribed_at:
            reason = (
                format_html(' <span class="text-body-secondary">({})</span>', record.unsubscribe_reason)
                if record.unsubscribe_reason
                else ""
            )
            return format_html("{}{}", when(record.unsubscribed_at, "j M Y"), reason)
        return "—"


class EmailCampaignTable(tables.Table):
    name = tables.Column(linkify=True, order_by=("name", "id"), attrs={"td": {"class": "fw-medium"}})
    subject = tables.Column(orderable=False)
    status = tables.Column(order_by=("status", "sent_at", "id"))
    sent_at = tables.DateTimeColumn(verbose_name="Sent", order_by=("sent_at", "id"), format="j M Y H:i")
    sent = tables.Column(
        "Recipients",
        accessor="statistics__sent",
        orderable=False,
        default="—",
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    open_rate = tables.Column(
        "Open rate",
        accessor="statistics",
        orderable=False,
        default="—",
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    click_rate = tables.Column(
        "Click rate",
        accessor="statistics",
        orderable=False,
        default="—",
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    owner = tables.Column(orderable=False)
    source = tables.Column(orderable=False)

    class Meta:
        model = EmailCampaign
        fields = ("name", "subject", "status", "sent_at", "sent", "open_rate", "click_rate", "owner", "source")
        order_by = "-sent_at"
        attrs = {"class": "table table-hover align-middle mb-0", "data-testid": "campaigns-grid"}

    def render_status(self, record):
        status = badge(record.get_status_display(), CAMPAIGN_STATUS_BADGES.get(record.status, "secondary"))
        if record.removed_at:
            return format_html("{} {}", status, badge(REMOVED_CAMPAIGN_LABEL, "danger"))
        return status

    def render_sent(self, value):
        return intcomma(value)

    def render_open_rate(self, value):
        rate = value.rate("unique_opens")
        return "—" if rate is None else f"{rate}%"

    def render_click_rate(self, value):
        rate = value.rate("unique_clicks")
        return "—" if rate is None else f"{rate}%"

    def render_owner(self, value):
        return person(value)

    def render_source(self, record):
        return badge(record.source_label, "light border")


def when(value, fmt: str = "j M Y H:i") -> str:
    """A timestamp in the user's time zone (the middleware activates it), or a dash."""
    return date_format(timezone.localtime(value), fmt) if value else "—"


class ActivityTable(tables.Table):
    contact = tables.Column(
        "Contact",
        order_by=("contact__last_name", "contact__first_name", "contact_id"),
        linkify=lambda record: record.contact.get_absolute_url(),
    )
    email = tables.Column("Email", accessor="contact__email", orderable=False)
    opened = tables.Column("Opened", accessor="opens", order_by=("-opens", "id"))
    clicked = tables.Column("Clicked", accessor="clicks", order_by=("-clicks", "id"))
    unsubscribed_at = tables.Column("Unsubscribed", orderable=False)
    bounce = tables.Column("Bounced", orderable=False)

    class Meta:
        model = EmailCampaignActivity
        fields = ("contact", "email", "opened", "clicked", "unsubscribed_at", "bounce")
        attrs = {"class": "table table-hover align-middle mb-0", "data-testid": "activity-grid"}
        empty_text = "No activity recorded for this campaign yet."

    def render_contact(self, record):
        return record.contact.full_name or record.contact.email

    def render_opened(self, record):
        if not record.opens:
            return "—"
        return format_html(
            '{}× <span class="text-body-secondary small">first {}</span>', record.opens, when(record.first_opened_at)
        )

    def render_clicked(self, record):
        if not record.clicks:
            return "—"
        return format_html(
            '{}× <span class="text-body-secondary small">last {}</span>', record.clicks, when(record.last_clicked_at)
        )

    def render_unsubscribed_at(self, value):
        return when(value)

    def render_bounce(self, record):
        if not record.bounce:
            return "—"
        return format_html(
            '{} <span class="text-body-secondary small">{}</span>',
            badge(record.get_bounce_display(), "danger" if record.bounce == "hard" else "warning"),
            when(record.bounced_at),
        )
