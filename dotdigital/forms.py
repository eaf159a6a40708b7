"""The Dotdigital settings form: the fields of Oro's "Configure Dotdigital Integration" guide."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms

from dotdigital.client.hosts import check_endpoint_allowed
from dotdigital.exceptions import HostNotAllowedError
from integrations.forms import TypeSettingsForm
from marketing.models import MarketingList

DEFAULT_OAUTH_DOMAIN = "https://r1-app.dotdigital.com/"


class DotdigitalSettingsForm(TypeSettingsForm):
    username = forms.EmailField(
        label="Username",
        max_length=255,
        help_text="The email address of a Dotdigital API user, for example apiuser-123456789012@apiconnector.com. "
        "Create one in Dotdigital under Settings > Access > API users.",
        widget=forms.EmailInput(attrs={"placeholder": "apiuser-…@apiconnector.com", "autocomplete": "off"}),
        error_messages={"invalid": "Enter the API user's email address, for example apiuser-…@apiconnector.com."},
    )
    password = forms.CharField(
        label="Password",
        min_length=8,
        max_length=255,
        help_text="The password you set for that API user in Settings > Access > API users (at least 8 characters).",
        error_messages={"min_length": "The password has at least 8 characters (this one has %(show_value)d)."},
    )
    client_id = forms.CharField(
        label="Client ID",
        required=False,
        max_length=255,
        help_text="Only for Email Studio (single sign-on into Dotdigital). OAuth needs a Dotdigital Enterprise "
        "licence: your Dotdigital account manager gives you the Client ID and the Client Secret key.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    client_key = forms.CharField(
        label="Client Secret key",
        required=False,
        max_length=255,
        help_text="Comes with the Client ID from your Dotdigital account manager (Enterprise licence). "
        "To remove the OAuth client, clear the Client ID and leave the Client Secret key blank.",
    )
    custom_domain = forms.URLField(
        label="Custom OAuth Domain",
        required=False,
        max_length=255,
        assume_scheme="https",
        initial=DEFAULT_OAUTH_DOMAIN,
        help_text="Optional. The address of the Dotdigital app used for single sign-on; keep "
        f"{DEFAULT_OAUTH_DOMAIN} unless Dotdigital gave your account another one.",
        widget=forms.URLInput(attrs={"placeholder": DEFAULT_OAUTH_DOMAIN}),
    )

    create_contacts = forms.BooleanField(
        label="Create marketing contacts",
        required=False,
        initial=True,
        help_text="When a Dotdigital contact has no marketing contact with its email, create one owned by the "
        'Default Owner (Oro\'s "Create New Entities"). Off: only contacts that already exist are linked.',
    )
    only_linked_address_books = forms.BooleanField(
        label="Only address books linked to a marketing list",
        required=False,
        initial=False,
        help_text="Import the contacts of linked address books only (for very large accounts). Off: every "
        "address book whose Sync contacts is on.",
    )

    def clean_custom_domain(self) -> str:
        value = (self.cleaned_data.get("custom_domain") or "").strip()
        if not value:
            return DEFAULT_OAUTH_DOMAIN
        parts = urlsplit(value)
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            raise forms.ValidationError(
                "Enter the address without a user name or password (nothing before an @), for example "
                f"{DEFAULT_OAUTH_DOMAIN}"
            )
        if parts.query or parts.fragment or value.endswith(("?", "#")):
            raise forms.ValidationError(
                f"Enter the address without a query string (?…) or a fragment (#…), for example {DEFAULT_OAUTH_DOMAIN}"
            )
        try:
            # The same strict check as an account's ApiEndpoint: no backslash, no look-alike Unicode, no path.
            check_endpoint_allowed(value)
        except HostNotAllowedError as exc:
            raise forms.ValidationError(
                "Enter an https:// address on a Dotdigital or dotmailer domain, for example "
                f"{DEFAULT_OAUTH_DOMAIN} ({exc.message})"
            ) from exc
        return value if value.endswith("/") else f"{value}/"

    def clean(self) -> dict:
        cleaned = super().clean()
        has_id = bool(cleaned.get("client_id"))
        typed_key = bool(cleaned.get("client_key")) or "client_key" in self.pending_secrets
        if not has_id and not typed_key and "client_key" in self.stored_secrets and "client_id" not in self.errors:
            # On edit, a blank Client ID and a blank Client Secret key remove the OAuth client.
            self.removed_secrets.add("client_key")
            return cleaned
        has_key = self.has_secret("client_key")
        if has_id and not has_key and "client_key" not in self.errors:
            self.add_error("client_key", "Enter the Client Secret key that goes with the Client ID.")
        if has_key and not has_id and "client_id" not in self.errors:
            self.add_error("client_id", "Enter the Client ID that goes with the Client Secret key.")
        return cleaned


class ConnectAddressBookForm(forms.Form):
    """Connect an address book to an existing marketing list not connected to another book, or to a new one."""

    EXISTING = "existing"
    NEW = "new"

    mode = forms.ChoiceField(
        label="Connect to",
        choices=((EXISTING, "An existing marketing list"), (NEW, "A new list named after the book")),
        widget=forms.RadioSelect,
    )
    marketing_list = forms.ModelChoiceField(
        label="Marketing list",
        queryset=None,
        required=False,
        empty_label="Choose a marketing list…",
        widget=forms.Select(attrs={"data-shown-when": "mode=existing"}),
        help_text="Lists already connected to another address book are not offered: a list has one address book.",
        error_messages={
            "invalid_choice": "Choose a marketing list that is not connected to another address book.",
        },
    )
    list_name = forms.CharField(
        label="New list name",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"data-shown-when": "mode=new"}),
        help_text="Owned by the integration's Default Owner, with source Dotdigital. The next sync adds the book's "
        "contacts to it.",
    )

    def __init__(self, *args, book, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.book = book
        unconnected = MarketingList.objects.filter(dotdigital_address_book__isnull=True).order_by("name", "id")
        self.fields["marketing_list"].queryset = unconnected
        self.has_unconnected_lists = unconnected.exists()
        self.fields["list_name"].initial = book.name[:200]
        self.fields["mode"].initial = self.EXISTING if self.has_unconnected_lists else self.NEW
        if not self.has_unconnected_lists:
            self.fields["marketing_list"].help_text = (
                "Every marketing list is already connected to an address book (or none exists yet): create a new "
                "list named after the book."
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        if (
            cleaned.get("mode") == self.EXISTING
            and not cleaned.get("marketing_list")
            and "marketing_list" not in (self.errors)
        ):
            self.add_error("marketing_list", "Choose the marketing list to connect the address book to.")
        if cleaned.get("mode") == self.NEW and not (cleaned.get("list_name") or "").strip():
            cleaned["list_name"] = self.book.name
        return cleaned


class ConnectListForm(forms.Form):
    """Connect a marketing list to an address book of a Dotdigital integration: an existing one not connected to
    another list, or a new one created in Dotdigital (name, visibility)."""

    EXISTING = "existing"
    NEW = "new"

    integration = forms.ModelChoiceField(label="Integration", queryset=None, empty_label=None)
    mode = forms.ChoiceField(
        label="Address book",
        choices=((EXISTING, "An existing address book"), (NEW, "A new address book, created in Dotdigital")),
        widget=forms.RadioSelect,
        initial=EXISTING,
    )
    address_book = forms.ModelChoiceField(
        label="Existing address book",
        queryset=None,
        required=False,
        empty_label="Choose an address book…",
        help_text="Books already connected to another list are not offered: a book has one list.",
        widget=forms.Select(attrs={"data-shown-when": "mode=existing"}),
    )
    book_name = forms.CharField(
        label="New book name",
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"data-shown-when": "mode=new"}),
    )
    visibility = forms.ChoiceField(
        label="Visibility",
        choices=(("Private", "Private"), ("Public", "Public")),
        initial="Private",
        required=False,
        widget=forms.Select(attrs={"data-shown-when": "mode=new"}),
    )

    def __init__(self, *args, marketing_list, **kwargs) -> None:
        from dotdigital.integration import KEY
        from dotdigital.models import AddressBook
        from integrations.models import Integration

        super().__init__(*args, **kwargs)
        self.fields["integration"].queryset = Integration.objects.active().of_type(KEY).order_by("name")
        books = AddressBook.objects.filter(marketing_list__isnull=True).select_related("integration")
        self.fields["address_book"].queryset = books.order_by("integration__name", "name")
        self.fields["address_book"].label_from_instance = lambda book: f"{book.name} ({book.integration.name})"
        self.fields["book_name"].initial = marketing_list.name[:255]

    def clean(self) -> dict:
        cleaned = super().clean()
        integration = cleaned.get("integration")
        if cleaned.get("mode") == self.EXISTING:
            book = cleaned.get("address_book")
            if book is None and "address_book" not in self.errors:
                self.add_error("address_book", "Choose the address book to connect the list to.")
            elif book is not None and integration is not None and book.integration_id != integration.pk:
                self.add_error(
                    "address_book",
                    f"{book.name} belongs to {book.integration.name}: choose a book of "
                    f"{integration.name}, or that integration.",
                )
        elif cleaned.get("mode") == self.NEW and not (cleaned.get("book_name") or "").strip():
            self.add_error("book_name", "Name the new address book.")
        return cleaned
