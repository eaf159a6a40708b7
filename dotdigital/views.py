"""Marketing > Dotdigital pages."""

from __future__ import annotations

from typing import Any

from django.views.generic import TemplateView

from backoffice.generic import BackofficeMixin
from dotdigital.exceptions import DotdigitalError
from dotdigital.integration import KEY, explain
from integrations.crypto import SecretsUnreadable
from integrations.models import Integration


def _display_default(value: Any) -> str:
    if isinstance(value, dict):  # some accounts wrap it: {"value": ...}
        value = next(iter(value.values()), None) if value else None
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def _field(row: dict[str, Any], key: str) -> Any:
    for name, value in row.items():
        if name.lower() == key.lower():
            return value
    return None


def read_data_fields(integration: Integration) -> tuple[list[dict[str, str]], str]:
    """The account's data fields, read live through the client, or ([], the reason they could not be read)."""
    try:
        rows = integration.installation().interactive_client().data_fields()
    except DotdigitalError as error:
        return [], explain(error)
    except SecretsUnreadable as error:
        return [], str(error)
    fields = [
        {
            "name": str(_field(row, "name") or ""),
            "type": str(_field(row, "type") or ""),
            "visibility": str(_field(row, "visibility") or ""),
            "default": _display_default(_field(row, "defaultValue")),
        }
        for row in rows
        if isinstance(row, dict)
    ]
    return sorted(fields, key=lambda f: f["name"].upper()), ""


class DataFieldsView(BackofficeMixin, TemplateView):
    """Marketing > Dotdigital > Data Fields: per active Dotdigital integration, its account's contact data fields."""

    permission_required = "dotdigital.view_data_fields"
    template_name = "dotdigital/data_fields.html"
    title = "Data Fields"
    breadcrumbs = (("Marketing", None), ("Dotdigital", None))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        accounts = []
        for integration in Integration.objects.active().of_type(KEY).order_by("name"):
            fields, error = read_data_fields(integration)
            accounts.append({"integration": integration, "fields": fields, "error": error})
        context["accounts"] = accounts
        return context
