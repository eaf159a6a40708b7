"""Marketing > Dotdigital pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import FormView, TemplateView, View

from backoffice.generic import BackofficeMixin, GridView
from dotdigital import services
from dotdigital.exceptions import DotdigitalError
from dotdigital.exports import request_export
from dotdigital.filters import AddressBookFilter
from dotdigital.forms import ConnectAddressBookForm, ConnectListForm
from dotdigital.integration import KEY, explain
from dotdigital.models import AddressBook
from dotdigital.tables import AddressBookTable
from integrations.models import Integration
from marketing.models import MarketingList
from marketing.tables import person

MARKETING = ("Marketing", None)
DOTDIGITAL = ("Dotdigital", None)
ADDRESS_BOOKS = ("Address Books", reverse_lazy("dotdigital:address_books"))


def only_linked_integrations() -> list[Integration]:
    """The Dotdigital integrations whose contacts import reads only the address books linked to a marketing list."""
    return [i for i in Integration.objects.of_type(KEY).order_by("name") if i.settings.get("only_linked_address_books")]


class AddressBookListView(GridView):
    """Marketing > Dotdigital > Address Books: every Dotdigital account's address books, and their marketing lists."""

    permission_required = "dotdigital.view_addressbook"
    template_name = "dotdigital/address_books.html"
    title = "Address Books"
    breadcrumbs = (MARKETING, DOTDIGITAL)
    table_class = AddressBookTable
    filterset_class = AddressBookFilter
    empty_message = (
        "No address books yet. They appear after the integration's first sync: press Schedule Sync on the "
        "integration's page."
    )

    def get_queryset(self):
        return AddressBook.objects.select_related("integration", "marketing_list")

    def get_empty_action(self):
        if self.request.user.has_perm("integrations.view_integration"):
            return {"label": "Go to System > Integrations", "url": reverse("integrations:list")}
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["only_linked"] = only_linked_integrations()
        return context


class AddressBookMixin(BackofficeMixin):
    """Pages and actions about one address book."""

    breadcrumbs = (MARKETING, DOTDIGITAL, ADDRESS_BOOKS)

    @cached_property
    def book(self) -> AddressBook:
        # Looked up on first use, after the sign-in and permission checks: no one learns which ids exist.
        return get_object_or_404(
            AddressBook.objects.select_related("integration__default_owner", "marketing_list"), pk=self.kwargs["pk"]
        )

    def grid_url(self) -> str:
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if target.startswith(reverse("dotdigital:address_books")) and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return target
        return reverse("dotdigital:address_books")


class ConnectAddressBookView(AddressBookMixin, FormView):
    permission_required = "dotdigital.connect_address_book"
    form_class = ConnectAddressBookForm
    template_name = "dotdigital/connect_address_book.html"

    def get_title(self):
        return f"Connect {self.book.name} to a marketing list"

    def get(self, request, *args, **kwargs):
        if self.book.marketing_list_id:
            return self.already_connected()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.book.marketing_list_id:
            return self.already_connected()
        return super().post(request, *args, **kwargs)

    def already_connected(self):
        messages.warning(
            self.request,
            f"{self.book.name} is already connected to {self.book.marketing_list.name}: disconnect it first to "
            "connect it to another list.",
        )
        return HttpResponseRedirect(self.grid_url())

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "book": self.book}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            book=self.book, owner_label=person(self.book.integration.default_owner), cancel_url=self.grid_url()
        )
        return context

    def form_valid(self, form):
        create = form.cleaned_data["mode"] == form.NEW
        try:
            book = services.connect_address_book(
                self.book,
                marketing_list=None if create else form.cleaned_data["marketing_list"],
                create_list=create,
                list_name=form.cleaned_data.get("list_name") if create else None,
                user=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        verb = "created and connected to" if create else "connected to"
        messages.success(
            self.request, f"Marketing list {book.marketing_list.name} {verb} the address book {book.name}."
        )
        return HttpResponseRedirect(self.grid_url())


class DisconnectAddressBookView(AddressBookMixin, TemplateView):
    permission_required = "dotdigital.connect_address_book"
    template_name = "dotdigital/disconnect_address_book.html"

    def get_title(self):
        return f"Disconnect {self.book.name}"

    def get(self, request, *args, **kwargs):
        if not self.book.marketing_list_id:
            return self.not_connected()
        return super().get(request, *args, **kwargs)

    def not_connected(self):
        messages.info(self.request, f"{self.book.name} is not connected to a marketing list.")
        return HttpResponseRedirect(self.grid_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            book=self.book,
            cancel_url=self.grid_url(),
            only_linked=bool(self.book.integration.settings.get("only_linked_address_books")),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not self.book.marketing_list_id:
            return self.not_connected()
        list_name = self.book.marketing_list.name
        services.disconnect_address_book(self.book, user=request.user)
        messages.success(
            request, f"{self.book.name} disconnected from {list_name}. The list and the address book keep their data."
        )
        return HttpResponseRedirect(self.grid_url())


class AddressBookSyncContactsView(AddressBookMixin, View):
    """Turn a book's Sync contacts on (`enabled=1`) or off (`enabled=0`): a value, not a flip, so a resent POST
    changes nothing twice."""

    permission_required = "dotdigital.change_addressbook"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        enabled = request.POST.get("enabled") == "1"
        services.set_sync_contacts(self.book, enabled, user=request.user)
        if enabled:
            messages.success(request, f"The next syncs import the contacts of {self.book.name}.")
        else:
            messages.success(request, f"The next syncs leave out the contacts of {self.book.name}.")
        return HttpResponseRedirect(self.grid_url())


class ConnectListView(BackofficeMixin, FormView):
    """Connect to Dotdigital, from a marketing list's page: an existing unconnected address book, or a new one."""

    permission_required = "dotdigital.connect_address_book"
    form_class = ConnectListForm
    template_name = "dotdigital/connect_list.html"

    @cached_property
    def marketing_list(self) -> MarketingList:
        return get_object_or_404(MarketingList, pk=self.kwargs["pk"])

    def get_breadcrumbs(self):
        lists = ("Marketing Lists", reverse("marketing:list_list"))
        return [MARKETING, lists, (self.marketing_list.name, self.list_url()), (self.get_title(), None)]

    def list_url(self) -> str:
        return reverse("marketing:list_detail", args=[self.marketing_list.pk])

    def get_title(self):
        return f"Connect {self.marketing_list.name} to Dotdigital"

    def get(self, request, *args, **kwargs):
        if AddressBook.objects.filter(marketing_list=self.marketing_list).exists():
            return self.already_connected()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if AddressBook.objects.filter(marketing_list=self.marketing_list).exists():
            return self.already_connected()
        return super().post(request, *args, **kwargs)

    def already_connected(self):
        messages.warning(self.request, f"{self.marketing_list.name} is already connected to an address book.")
        return HttpResponseRedirect(self.list_url())

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "marketing_list": self.marketing_list}

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "marketing_list": self.marketing_list,
            "cancel_url": self.list_url(),
        }

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            if data["mode"] == form.NEW:
                book = services.create_and_connect_address_book(
                    data["integration"],
                    self.marketing_list,
                    name=data["book_name"],
                    visibility=data["visibility"],
                    user=self.request.user,
                )
                verb = "created in Dotdigital and connected to"
            else:
                book = services.connect_address_book(
                    data["address_book"], marketing_list=self.marketing_list, user=self.request.user
                )
                verb = "connected to"
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        except DotdigitalError as error:
            form.add_error("book_name" if data["mode"] == form.NEW else None, f"Dotdigital refused: {explain(error)}")
            return self.form_invalid(form)
        # The first export goes at the next tick, not at the next full sync.
        request_export(AddressBook.objects.filter(pk=book.pk))
        messages.success(
            self.request,
            f"Address book {book.name} {verb} {self.marketing_list.name}. Its members are exported within a minute.",
        )
        return HttpResponseRedirect(self.list_url())
