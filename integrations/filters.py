import django_filters
from django import forms

from .models import Integration
from .registry import registry


class IntegrationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="name",
        lookup_expr="icontains",
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "Name contains…", "type": "search"}),
    )
    type = django_filters.ChoiceFilter(label="Type", choices=registry.choices, empty_label="Any type")
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=(("active", "Active"), ("inactive", "Inactive")),
        empty_label="Any status",
        method="filter_status",
    )

    class Meta:
        model = Integration
        fields = ("q", "type", "status")

    def filter_status(self, queryset, name, value):
        return queryset.filter(enabled=value == "active")
