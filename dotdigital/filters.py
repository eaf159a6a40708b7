"""The filter bar of the Address Books grid."""

from __future__ import annotations

import django_filters

from dotdigital.installation import SOURCE
from dotdigital.models import AddressBook
from integrations.models import Integration
from marketing.filters import search_input

YES_NO = (("yes", "Yes"), ("no", "No"))


def dotdigital_integrations(request=None):
    return Integration.objects.of_type(SOURCE).order_by("name")


class AddressBookFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="filter_q", widget=search_input("Name contains…"))
    integration = django_filters.ModelChoiceFilter(
        label="Integration", queryset=dotdigital_integrations, empty_label="Any integration"
    )
    linked = django_filters.ChoiceFilter(
        label="Marketing list",
        choices=(("yes", "Linked to a list"), ("no", "Not linked")),
        empty_label="Linked or not",
        method="filter_linked",
    )
    sync_contacts = django_filters.ChoiceFilter(
        label="Sync contacts", choices=YES_NO, empty_label="Any", method="filter_sync_contacts"
    )

    class Meta:
        model = AddressBook
        fields = ["q", "integration", "linked", "sync_contacts"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(name__icontains=value.strip())

    def filter_linked(self, queryset, name, value):
        return queryset.filter(marketing_list__isnull=value != "yes")

    def filter_sync_contacts(self, queryset, name, value):
        return queryset.filter(sync_contacts=value == "yes")
