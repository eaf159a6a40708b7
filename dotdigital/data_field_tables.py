"""Grids and filter bars of Data Fields and Data Field Mappings."""

from __future__ import annotations

import django_filters
import django_tables2 as tables
from django import forms
from django.utils.html import format_html, format_html_join

from dotdigital.data_fields import TYPES, display_default
from dotdigital.installation import SOURCE
from dotdigital.mappings import contact_field_label
from dotdigital.models import DataField, DataFieldMapping
from integrations.models import Integration


def include(template_name: str) -> str:
    # Inline code renders in the page's context; a template_name would re-run every context processor per cell.
    return f'{{% include "{template_name}" %}}'


def integrations_choice(request=None):
    return Integration.objects.of_type(SOURCE).order_by("name")


class DataFieldFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="name",
        lookup_expr="icontains",
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "Name contains…", "type": "search"}),
    )
    integration = django_filters.ModelChoiceFilter(
        label="Integration", queryset=integrations_choice, empty_label="Any integration"
    )
    type = django_filters.ChoiceFilter(label="Type", choices=[(t, t) for t in TYPES], empty_label="Any type")

    class Meta:
        model = DataField
        fields = ("q", "integration", "type")


class DataFieldTable(tables.Table):
    integration = tables.Column(verbose_name="Integration", order_by=("integration__name", "name"))
    name = tables.Column(verbose_name="Name", attrs={"td": {"class": "fw-semibold"}})
    type = tables.Column(verbose_name="Type")
    visibility = tables.Column(verbose_name="Visibility")
    default_value = tables.Column(verbose_name="Default value", orderable=False, empty_values=())
    notes = tables.Column(verbose_name="Notes", orderable=False)
    actions = tables.TemplateColumn(
        template_code=include("dotdigital/columns/data_field_actions.html"),
        verbose_name="",
        orderable=False,
        attrs={"td": {"class": "text-end"}},
    )

    class Meta:
        model = DataField
        fields = ("integration", "name", "type", "visibility", "default_value", "notes", "actions")
        order_by = ("integration", "name")
        attrs = {"class": "table table-hover align-middle mb-0", "data-testid": "data-fields-grid"}
        row_attrs = {"data-field": lambda record: record.name}

    def render_integration(self, value) -> str:
        return value.name

    def render_default_value(self, record) -> str:
        return display_default(record.type, record.default_value) or "—"

    def render_notes(self, value) -> str:
        return value if len(value) <= 80 else f"{value[:79]}…"


def _rows(record: DataFieldMapping, *, two_way: bool):
    rows = [row for row in record.rows.all() if row.two_way or not two_way]
    if not rows:
        return "—"
    return format_html(
        '<ul class="list-unstyled mb-0">{}</ul>',
        format_html_join(
            "",
            "<li>{} → <strong>{}</strong></li>",
            ((" + ".join(contact_field_label(n) for n in row.contact_fields), row.data_field.name) for row in rows),
        ),
    )


class MappingTable(tables.Table):
    integration = tables.Column(
        verbose_name="Integration",
        linkify=("dotdigital:mapping_update", {"pk": tables.A("pk")}),
        order_by=("integration__name",),
    )
    mapped = tables.Column(verbose_name="Mapped fields", empty_values=(), orderable=False)
    two_way = tables.Column(verbose_name="Two-way fields", empty_values=(), orderable=False)
    updated_at = tables.TemplateColumn(
        template_code=include("dotdigital/columns/updated.html"), verbose_name="Updated", order_by=("updated_at",)
    )
    actions = tables.TemplateColumn(
        template_code=include("dotdigital/columns/mapping_actions.html"),
        verbose_name="",
        orderable=False,
        attrs={"td": {"class": "text-end"}},
    )

    class Meta:
        model = DataFieldMapping
        fields = ("integration", "mapped", "two_way", "updated_at", "actions")
        order_by = ("integration",)
        attrs = {"class": "table table-hover align-middle mb-0", "data-testid": "mappings-grid"}
        row_attrs = {"data-mapping": lambda record: record.integration.name}

    def render_integration(self, value) -> str:
        return value.name

    def render_mapped(self, record):
        return _rows(record, two_way=False)

    def render_two_way(self, record):
        return _rows(record, two_way=True)


class MappingFilter(django_filters.FilterSet):
    integration = django_filters.ModelChoiceFilter(
        label="Integration", queryset=integrations_choice, empty_label="Any integration"
    )

    class Meta:
        model = DataFieldMapping
        fields = ("integration",)
