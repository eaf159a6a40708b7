"""What the marketing pages share: breadcrumbs, page actions, confirmation pages, Save / Save and Close, grids."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse, reverse_lazy
from django.views.generic import DetailView

from backoffice.forms import SaveActionsMixin
from backoffice.generic import BackofficeMixin
from backoffice.generic import action as action  # re-exported: the marketing views build their page actions with it

MARKETING = ("Marketing", None)
CONTACTS = ("Contacts", reverse_lazy("marketing:contact_list"))
LISTS = ("Marketing Lists", reverse_lazy("marketing:list_list"))
CAMPAIGNS = ("Email Campaigns", reverse_lazy("marketing:campaign_list"))


class ObjectPageMixin:
    """View pages of one object: its name as the title."""

    def get_title(self) -> str:
        return str(self.object)


class ConfirmView(ObjectPageMixin, BackofficeMixin, DetailView):
    """A confirmation page for a destructive action: says what will be lost, then acts on POST."""

    template_name = "marketing/confirm.html"
    confirm_label = "Delete"
    question = ""

    def get_consequences(self) -> list[str]:
        return []

    def get_cancel_url(self) -> str:
        return self.object.get_absolute_url()

    def perform(self) -> str:
        """Do it; return the message to show."""
        raise NotImplementedError

    def get_success_url(self) -> str:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            question=self.question,
            consequences=self.get_consequences(),
            confirm_label=self.confirm_label,
            cancel_url=self.get_cancel_url(),
        )
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        messages.success(request, self.perform())
        return HttpResponseRedirect(self.get_success_url())


class SaveFormMixin(SaveActionsMixin):
    """*Save* stays on the edit page, *Save and Close* goes back to the grid."""

    template_name = "includes/form_page.html"
    edit_url_name = ""
    saved_message = "Saved."

    def get_success_url(self) -> str:
        if self.save_and_close():
            return reverse(self.close_url_name)
        return reverse(self.edit_url_name, args=[self.object.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cancel_url"] = (
            self.object.get_absolute_url() if getattr(self, "object", None) else reverse(self.close_url_name)
        )
        return context

    def form_valid(self, form):
        try:
            self.object = self.save(form)
        except ValidationError as exc:
            # A unique value taken by someone else since the form checked it: shown beside its field, as a check.
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.saved_message.format(object=self.object))
        return HttpResponseRedirect(self.get_success_url())
