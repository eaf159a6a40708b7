"""The filter bars of the marketing grids; every filter offered has an index behind it."""

from __future__ import annotations

from collections.abc import Callable

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from . import sources
from .choices import CampaignStatus, MemberStatus
from .models import Contact, EmailCampaign, MarketingList, MarketingListMember


def contact_search(term: str, prefix: str = "") -> Q:
    """Contacts whose first name, last name or email starts with `term` (case-insensitive); "Ann Lee" matches first
    and last name together. Prefix matching is what the indexes serve at a million rows; `prefix` is the path to the
    contact ("contact__") when filtering another model."""
    term = " ".join(term.split())
    if not term:
        return Q()
    if "@" in term:
        return Q(**{f"{prefix}email__istartswith": term})
    first, _, rest = term.partition(" ")
    if not rest:
        return (
            Q(**{f"{prefix}first_name__istartswith": term})
            | Q(**{f"{prefix}last_name__istartswith": term})
            | Q(**{f"{prefix}email__istartswith": term})
        )
    return Q(**{f"{prefix}first_name__istartswith": first, f"{prefix}last_name__istartswith": rest}) | Q(
        **{f"{prefix}last_name__istartswith": first, f"{prefix}first_name__istartswith": rest}
    )


def search_first(queryset: QuerySet) -> QuerySet:
    """Have the database find the matches before sorting them (see `KeysFirstQuerySet.filter_first`)."""
    return queryset.filter_first() if hasattr(queryset, "filter_first") else queryset


def owners(request=None) -> QuerySet:
    """The users who can own records: the active ones (django-filter calls this with the request)."""
    return get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name", "username")


def owners_of(model: type[Model]) -> Callable[..., QuerySet]:
    """For an Owner filter: the active users, and the deactivated ones who still own some `model` records, so those
    records can be found by their owner. One index probe per deactivated user, never a scan of `model`'s table."""

    def queryset(request=None) -> QuerySet:
        owns = Exists(model.objects.filter(owner=OuterRef("pk")))
        return (
            get_user_model()
            .objects.filter(Q(is_active=True) | Q(owns))
            .order_by("-is_active", "first_name", "last_name", "username")
        )

    return queryset


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        name = obj.get_full_name() or obj.get_username()
        return name if obj.is_active else f"{name} (inactive)"


class OwnerFilter(django_filters.ModelChoiceFilter):
    field_class = OwnerChoiceField


def search_input(placeholder: str) -> forms.TextInput:
    return forms.TextInput(attrs={"placeholder": placeholder, "type": "search", "autofocus": False})


class ContactFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="filter_q", widget=search_input("Name or email starts with…"))
    owner = OwnerFilter(label="Owner", queryset=owners_of(Contact), empty_label="Any owner")
    source = django_filters.ChoiceFilter(label="Source", choices=sources.source_choices, empty_label="Any source")

    class Meta:
        model = Contact
        fields = ["q", "owner", "source"]

    def filter_q(self, queryset, name, value):
        return search_first(queryset.filter(contact_search(value)))


class MarketingListFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="filter_q", widget=search_input("Name contains…"))
    owner = OwnerFilter(label="Owner", queryset=owners_of(MarketingList), empty_label="Any owner")

    class Meta:
        model = MarketingList
        fields = ["q", "owner"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(name__icontains=value.strip())


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search members", method="filter_q", widget=search_input("Name or email starts with…")
    )
    status = django_filters.ChoiceFilter(
        label="Status", choices=MemberStatus.choices, empty_label="Subscribed and unsubscribed", method="filter_status"
    )

    class Meta:
        model = MarketingListMember
        fields = ["q", "status"]

    def filter_q(self, queryset, name, value):
        return search_first(queryset.filter(contact_search(value, prefix="contact__")))

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value)

    @property
    def qs(self):
        queryset = super().qs
        if not (self.is_bound and self.form.is_valid() and self.form.cleaned_data.get("status")):
            # Removed members are history: shown only when asked for.
            queryset = queryset.exclude(status=MemberStatus.REMOVED)
        return queryset


class EmailCampaignFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="filter_q", widget=search_input("Name or subject…"))
    status = django_filters.ChoiceFilter(label="Status", choices=CampaignStatus.choices, empty_label="Any status")
    owner = OwnerFilter(label="Owner", queryset=owners_of(EmailCampaign), empty_label="Any owner")
    source = django_filters.ChoiceFilter(label="Source", choices=sources.source_choices, empty_label="Any source")

    class Meta:
        model = EmailCampaign
        fields = ["q", "status", "owner", "source"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(subject__icontains=value))
