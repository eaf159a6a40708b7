"""The Address Books grid: sortable columns, a Yes/No badge for Sync contacts, a per-row actions menu."""

from __future__ import annotations

import django_tables2 as tables
from django.contrib.humanize.templatetags.humanize import intcomma, naturaltime
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from dotdigital.models import AddressBook
from marketing.tables import ActionsColumn, badge

NUMBER = {"td": {"class": "text-end"}, "th": {"class": "text-end"}}


def relative_time(value) -> str:
    """ "3 minutes ago", with the date and time in the user's time zone as its tooltip; a dash when never."""
    if not value:
        return format_html('<span class="text-body-secondary">{}</span>', "Never")
    return format_html(
        '<span title="{}">{}</span>', date_format(timezone.localtime(value), "j M Y, H:i"), naturaltime(value)
    )


class AddressBookActionsColumn(ActionsColumn):
    """The row menu; its POST forms send the grid's own address back, so a toggle keeps the filters and page."""

    def render(self, record, table, **kwargs):
        if not hasattr(table, "_actions_context"):
            super().render(record, table, **kwargs)  # builds the shared context once
            table._actions_context["next"] = table.request.get_full_path()
        return super().render(record, table, **kwargs)


class AddressBookTable(tables.Table):
    integration = tables.Column(order_by=("integration__name", "name", "id"))
    name = tables.Column(order_by=("name", "id"), attrs={"td": {"class": "fw-medium"}})
    visibility = tables.Column(order_by=("visibility", "name", "id"))
    contact_count = tables.Column("Contacts", order_by=("contact_count", "id"), attrs=NUMBER)
    marketing_list = tables.Column(
        "Linked marketing list",
        order_by=("marketing_list__name", "id"),
        linkify=lambda record: record.marketing_list.get_absolute_url(),
        default="—",
    )
    sync_contacts = tables.Column("Sync contacts", order_by=("sync_contacts", "id"))
    last_synced_at = tables.Column("Last synced", order_by=("last_synced_at", "id"), empty_values=())
    actions = AddressBookActionsColumn("dotdigital/includes/address_book_actions.html")

    class Meta:
        model = AddressBook
        fields = (
            "integration",
            "name",
            "visibility",
            "contact_count",
            "marketing_list",
            "sync_contacts",
            "last_synced_at",
            "actions",
        )
        order_by = "integration"
        attrs = {"class": "table table-hover align-middle mb-0", "data-testid": "address-books-grid"}
        row_attrs = {"data-book": lambda record: record.name}

    def render_integration(self, record):
        if record.integration.enabled:
            return record.integration.name
        return format_html("{} {}", record.integration.name, badge("Inactive", "secondary"))

    def render_contact_count(self, value):
        return intcomma(value)

    def render_sync_contacts(self, value):
        return badge("Yes", "success") if value else badge("No", "secondary")

    def render_last_synced_at(self, value):
        return relative_time(value)
