"""The Dotdigital panel on a marketing list's page: the address book the list is connected to, if any."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from dotdigital.models import AddressBook
from marketing.models import MarketingList


def render_address_book_panel(request: HttpRequest, marketing_list: MarketingList) -> SafeString | None:
    """Which address book (integration, name, contacts, last synced) the list is linked to, or that it is not; shown
    to those who may see the Address Books page, in one query."""
    if not request.user.has_perm("dotdigital.view_addressbook"):
        return None
    book = AddressBook.objects.select_related("integration").filter(marketing_list=marketing_list).first()
    # No request passed: the context processors (menu, roles) would cost queries the panel does not need.
    return render_to_string("dotdigital/includes/list_panel.html", {"book": book, "marketing_list": marketing_list})
