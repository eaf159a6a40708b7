import django_tables2 as tables

from .forms import user_label
from .models import Integration


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
    actions = tables.TemplateColumn(
        template_code=include("integrations/columns/actions.html"),
        verbose_name="",
        orderable=False,
        attrs={"td": {"class": "text-end"}},
    )

    class Meta:
        model = Integration
        fields = ("name", "type", "status", "default_owner", "last_sync", "created_at", "actions")
        order_by = ("name",)
        attrs = {"class": "table table-hover align-middle mb-0", "data-testid": "integrations-grid"}
        row_attrs = {"data-integration": lambda record: record.name}

    def render_default_owner(self, value) -> str:
        return user_label(value)
