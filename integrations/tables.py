import django_tables2 as tables
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator

from backoffice.people import person_name, user_label
from backoffice.tables import ActionsColumn

from .actions import integration_actions
from .models import Integration, SyncJob
from .presentation import format_duration, state_badge


def include(template_name: str) -> str:
    # Inline code renders in the page's context; a template_name would re-run every context processor per cell.
    return f'{{% include "{template_name}" %}}'


class IntegrationTable(tables.Table):
    name = tables.Column(linkify=("integrations:detail", {"pk": tables.A("pk")}), verbose_name="Name")
    type = tables.Column(verbose_name="Type", accessor="type_label", order_by=("type",))
    status = tables.TemplateColumn(
        template_code=include("integrations/columns/status.html"), verbose_name="Status", order_by=("-enabled", "name")
    )
    default_owner = tables.Column(verbose_name="Default Owner", order_by=("default_owner__username",))
    last_sync = tables.TemplateColumn(
        template_code=include("integrations/columns/last_sync.html"),
        verbose_name="Last sync",
        order_by=("last_sync_at",),
    )
    created_at = tables.TemplateColumn(
        template_code=include("integrations/columns/datetime.html"),
        extra_context={"field": "created_at"},
        verbose_name="Created",
    )
    actions = ActionsColumn(actions=lambda record: integration_actions(record, with_view=True))

    class Meta:
        model = Integration
        fields = ("name", "type", "status", "default_owner", "last_sync", "created_at", "actions")
        order_by = ("name",)
        attrs = {"class": "table table-hover align-middle mb-0", "data-testid": "integrations-grid"}
        row_attrs = {"data-integration": lambda record: record.name}

    def render_default_owner(self, value) -> str:
        return user_label(value)


class SyncJobTable(tables.Table):
    """An integration's sync history: one row per job, newest first; each row links to the job's page."""

    id = tables.Column("Sync", linkify=lambda record: record.get_absolute_url(), order_by=("-created_at", "-id"))
    trigger = tables.Column("Trigger", order_by=("trigger", "-id"))
    requested_by = tables.Column("Who", orderable=False, default="—")
    state = tables.Column("State", order_by=("state", "-id"))
    started_at = tables.Column("Started", order_by=("started_at", "id"), default="—")
    duration = tables.Column("Duration", accessor="pk", orderable=False)
    records_changed = tables.Column(
        "Records changed", order_by=("records_changed", "id"), attrs={"td": {"class": "text-end"}}
    )
    api_calls = tables.Column("API calls", order_by=("api_calls", "id"), attrs={"td": {"class": "text-end"}})
    error = tables.Column("Error", orderable=False, default="")

    class Meta:
        model = SyncJob
        fields = (
            "id", "trigger", "requested_by", "state", "started_at", "duration", "records_changed", "api_calls", "error"
        )  # fmt: skip
        order_by = ("id",)
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "data-testid": "sync-history"}
        row_attrs = {"data-job": lambda record: record.pk}
        empty_text = "No syncs yet."

    def render_id(self, value) -> str:
        return f"#{value}"

    def render_trigger(self, record) -> str:
        return record.get_trigger_display()

    def render_requested_by(self, value) -> str:
        return person_name(value)

    def render_state(self, record):
        return state_badge(record)

    def render_started_at(self, value):
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            value.isoformat(),
            date_format(timezone.localtime(value), "j M Y, H:i:s T"),
            date_format(timezone.localtime(value), "j M Y, H:i"),
        )

    def render_duration(self, record) -> str:
        return format_duration(record.duration)

    def render_records_changed(self, value) -> str:
        return intcomma(value)

    def render_api_calls(self, value) -> str:
        return intcomma(value)

    def render_error(self, value):
        return format_html('<span class="text-danger small" title="{}">{}</span>', value, Truncator(value).chars(80))
