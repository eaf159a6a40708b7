"""Marketing > Contacts: grid, view, create, edit, delete."""

from __future__ import annotations

from django.urls import reverse, reverse_lazy
from django.views.generic import DetailView
from django.views.generic.edit import CreateView, UpdateView

from backoffice.generic import BackofficeMixin, GridView

from .. import services
from ..filters import ContactFilter
from ..forms import ContactForm
from ..models import (
    Contact,
)
from ..paging import KeysFirstQuerySet, LargeTablePaginator
from ..panels import render_panels
from ..tables import ContactTable
from .base import (
    CONTACTS,
    MARKETING,
    ConfirmView,
    ObjectPageMixin,
    SaveFormMixin,
    action,
)


class ContactListView(GridView):
    permission_required = "marketing.view_contact"
    title = "Contacts"
    breadcrumbs = (MARKETING,)
    table_class = ContactTable
    filterset_class = ContactFilter
    paginator_class = LargeTablePaginator
    empty_message = "No contacts yet. Create one, or connect an integration that imports them."
    page_actions = (
        action(
            "Create Contact",
            reverse_lazy("marketing:contact_create"),
            permission="marketing.add_contact",
            icon="plus-lg",
        ),
    )

    def get_queryset(self):
        return KeysFirstQuerySet(Contact).select_related("owner")

    def get_empty_action(self):
        if self.request.user.has_perm("marketing.add_contact"):
            return {"label": "Create Contact", "url": reverse("marketing:contact_create")}
        return None


class ContactDetailView(ObjectPageMixin, BackofficeMixin, DetailView):
    permission_required = "marketing.view_contact"
    queryset = Contact.objects.select_related("owner")
    template_name = "marketing/contact_detail.html"
    breadcrumbs = (MARKETING, CONTACTS)

    def get_actions(self):
        pk = self.object.pk
        return [
            action(
                "Edit",
                reverse("marketing:contact_update", args=[pk]),
                permission="marketing.change_contact",
                icon="pencil",
            ),
            action(
                "Delete",
                reverse("marketing:contact_delete", args=[pk]),
                permission="marketing.delete_contact",
                style="outline-danger",
                icon="trash",
            ),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            memberships=self.object.memberships.select_related("marketing_list").order_by("marketing_list__name"),
            activities=self.object.campaign_activities.select_related("campaign").order_by("-sent_at", "-id")[:20],
            panels=render_panels(self.request, self.object),
        )
        return context


class ContactCreateView(BackofficeMixin, SaveFormMixin, CreateView):
    permission_required = "marketing.add_contact"
    form_class = ContactForm
    title = "Create Contact"
    breadcrumbs = (MARKETING, CONTACTS)
    close_url_name = "marketing:contact_list"
    edit_url_name = "marketing:contact_update"
    saved_message = "Contact {object} saved."

    def get_initial(self):
        return {"owner": self.request.user.pk}

    def save(self, form):
        return services.create_contact(**form.cleaned_data)


class ContactUpdateView(BackofficeMixin, SaveFormMixin, UpdateView):
    permission_required = "marketing.change_contact"
    model = Contact
    form_class = ContactForm
    breadcrumbs = (MARKETING, CONTACTS)
    close_url_name = "marketing:contact_list"
    edit_url_name = "marketing:contact_update"
    saved_message = "Contact {object} saved."

    def get_title(self):
        return f"Edit {self.object}"

    def save(self, form):
        return services.update_contact(self.object, **form.cleaned_data)


class ContactDeleteView(ConfirmView):
    permission_required = "marketing.delete_contact"
    model = Contact
    breadcrumbs = (MARKETING, CONTACTS)
    question = "Delete this contact?"

    def get_title(self):
        return f"Delete {self.object}"

    def get_consequences(self):
        summary = services.contact_deletion_summary(self.object)
        return [
            f"The contact {self.object} <{self.object.email}> and all its details.",
            f"Its membership of {summary['memberships']} marketing list(s): the lists themselves stay.",
            f"Its activity in {summary['activities']} email campaign(s); the campaigns' totals stay as counted.",
        ]

    def perform(self):
        name = str(self.object)
        services.delete_contact(self.object)
        return f"Contact {name} deleted."

    def get_success_url(self):
        return reverse("marketing:contact_list")
