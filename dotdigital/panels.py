"""The Dotdigital panels of the marketing pages: on a list, its address book and exports; on a contact, its
Dotdigital links and the rows of it Dotdigital rejected."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from dotdigital.models import AddressBook, AddressBookImport, DotdigitalContact, ExportFault
from marketing.models import Contact, MarketingList

FAULTS_SHOWN = 10


def render_address_book_panel(request: HttpRequest, marketing_list: MarketingList) -> SafeString | None:
    """Which address book (integration, name, contacts, last synced) the list is linked to, its last export and the
    rows Dotdigital rejected; or a Connect to Dotdigital button. Shown to those who may see the Address Books page."""
    if not request.user.has_perm("dotdigital.view_addressbook"):
        return None
    book = AddressBook.objects.select_related("integration").filter(marketing_list=marketing_list).first()
    last_import = faults = None
    fault_count = 0
    if book is not None:
        last_import = AddressBookImport.objects.filter(address_book=book).order_by("-started_at", "-pk").first()
        fault_list = ExportFault.objects.filter(address_book=book).order_by("-reported_at", "pk")
        fault_count = fault_list.count()
        faults = list(fault_list.select_related("contact")[:FAULTS_SHOWN]) if fault_count else []
    # No request passed: the context processors (menu, roles) would cost queries the panel does not need.
    return render_to_string(
        "dotdigital/includes/list_panel.html",
        {
            "book": book,
            "marketing_list": marketing_list,
            "last_import": last_import,
            "faults": faults,
            "fault_count": fault_count,
            "can_connect": request.user.has_perm("dotdigital.connect_address_book"),
            # The job pages are the integration's (Operations, Administrators): a link others may not open is text.
            "can_view_jobs": request.user.has_perm("integrations.view_integration"),
        },
    )


def render_contact_panel(request: HttpRequest, contact: Contact) -> SafeString | None:
    """The contact's Dotdigital accounts (status) and why Dotdigital rejected its last export, if it did."""
    if not request.user.has_perm("dotdigital.view_addressbook"):
        return None
    links = list(DotdigitalContact.objects.filter(contact=contact).select_related("integration"))
    faults = list(ExportFault.objects.filter(contact=contact).select_related("address_book__integration"))
    if not links and not faults:
        return None
    return render_to_string("dotdigital/includes/contact_panel.html", {"links": links, "faults": faults})
