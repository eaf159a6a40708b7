"""Marketing > Marketing Lists: grid, the list's page with its member grid, create, edit, delete, and the
member actions (add, unsubscribe, subscribe again, remove)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.functional import cached_property
from django.views.generic import FormView, TemplateView
from django.views.generic.edit import CreateView, UpdateView

from backoffice.generic import BackofficeMixin, GridView
from backoffice.paging import MAX_ID, positive_int

from .. import services
from ..choices import MemberStatus
from ..filters import MarketingListFilter, MemberFilter, contact_search
from ..forms import MarketingListForm, UnsubscribeForm
from ..models import (
    Contact,
    MarketingList,
    MarketingListMember,
)
from ..paging import KeysFirstQuerySet, LargeTablePaginator
from ..panels import render_panels
from ..tables import MarketingListTable, MemberTable
from .base import (
    LISTS,
    MARKETING,
    ConfirmView,
    SaveFormMixin,
    action,
)


def attach_member_counts(records: list[MarketingList]) -> None:
    """Set `counts` on each list of a page, in one query for the whole page."""
    counts = {r.pk: {s: 0 for s in MemberStatus.values} for r in records}
    rows = (
        MarketingListMember.objects.filter(marketing_list__in=list(counts))
        .values("marketing_list", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        counts[row["marketing_list"]][row["status"]] = row["n"]
    for record in records:
        record.counts = counts[record.pk]
        record.counts["members"] = record.counts[MemberStatus.SUBSCRIBED] + record.counts[MemberStatus.UNSUBSCRIBED]


class MarketingListListView(GridView):
    permission_required = "marketing.view_marketinglist"
    title = "Marketing Lists"
    breadcrumbs = (MARKETING,)
    table_class = MarketingListTable
    filterset_class = MarketingListFilter
    empty_message = "No marketing lists yet. Create one, then add contacts to it."
    page_actions = (
        action(
            "Create Marketing List",
            reverse_lazy("marketing:list_create"),
            permission="marketing.add_marketinglist",
            icon="plus-lg",
        ),
    )

    def get_queryset(self):
        return MarketingList.objects.select_related("owner")

    def get_empty_action(self):
        if self.request.user.has_perm("marketing.add_marketinglist"):
            return {"label": "Create Marketing List", "url": reverse("marketing:list_create")}
        return None

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        attach_member_counts([row.record for row in table.page.object_list])
        return table


class MarketingListDetailView(GridView):
    """The list's page: its details, member counts, integration panels, and the member grid."""

    permission_required = "marketing.view_marketinglist"
    template_name = "marketing/list_detail.html"
    table_class = MemberTable
    filterset_class = MemberFilter
    paginator_class = LargeTablePaginator
    breadcrumbs = (MARKETING, LISTS)
    empty_message = "No members yet."

    @cached_property
    def object(self) -> MarketingList:
        # Looked up on first use, after the sign-in and permission checks: no one learns which ids exist.
        return get_object_or_404(MarketingList.objects.select_related("owner"), pk=self.kwargs["pk"])

    def get_title(self):
        return str(self.object)

    def get_queryset(self):
        return KeysFirstQuerySet(MarketingListMember).filter(marketing_list=self.object).select_related("contact")

    def get_actions(self):
        pk = self.object.pk
        return [
            action(
                "Add Contacts",
                reverse("marketing:list_add_members", args=[pk]),
                permission="marketing.add_marketinglistmember",
                icon="person-plus",
            ),
            action(
                "Edit",
                reverse("marketing:list_update", args=[pk]),
                permission="marketing.change_marketinglist",
                style="outline-primary",
                icon="pencil",
            ),
            action(
                "Delete",
                reverse("marketing:list_delete", args=[pk]),
                permission="marketing.delete_marketinglist",
                style="outline-danger",
                icon="trash",
            ),
        ]

    def get_empty_action(self):
        if self.request.user.has_perm("marketing.add_marketinglistmember"):
            return {"label": "Add Contacts", "url": reverse("marketing:list_add_members", args=[self.object.pk])}
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            object=self.object,
            counts=services.member_counts(self.object),
            panels=render_panels(self.request, self.object),
        )
        return context


class MarketingListCreateView(BackofficeMixin, SaveFormMixin, CreateView):
    permission_required = "marketing.add_marketinglist"
    form_class = MarketingListForm
    title = "Create Marketing List"
    breadcrumbs = (MARKETING, LISTS)
    close_url_name = "marketing:list_list"
    edit_url_name = "marketing:list_update"
    saved_message = "Marketing list {object} saved."

    def get_initial(self):
        return {"owner": self.request.user.pk}

    def get_success_url(self):
        # A new list is empty: its own page, where contacts are added, is the useful next step.
        if self.save_and_close():
            return self.object.get_absolute_url()
        return super().get_success_url()

    def save(self, form):
        return services.create_marketing_list(**form.cleaned_data)


class MarketingListUpdateView(BackofficeMixin, SaveFormMixin, UpdateView):
    permission_required = "marketing.change_marketinglist"
    model = MarketingList
    form_class = MarketingListForm
    breadcrumbs = (MARKETING, LISTS)
    close_url_name = "marketing:list_list"
    edit_url_name = "marketing:list_update"
    saved_message = "Marketing list {object} saved."

    def get_title(self):
        return f"Edit {self.object}"

    def get_success_url(self):
        if self.save_and_close():
            return self.object.get_absolute_url()
        return super().get_success_url()

    def save(self, form):
        return services.update_marketing_list(self.object, **form.cleaned_data)


class MarketingListDeleteView(ConfirmView):
    permission_required = "marketing.delete_marketinglist"
    model = MarketingList
    breadcrumbs = (MARKETING, LISTS)
    question = "Delete this marketing list?"

    def get_title(self):
        return f"Delete {self.object}"

    def get_consequences(self):
        counts = services.member_counts(self.object)
        total = sum(counts[s] for s in MemberStatus.values)
        return [
            f"The list {self.object} and its {total} membership record(s), with their unsubscribe dates and reasons.",
            "Deleting a list keeps its contacts: they stay under Marketing > Contacts.",
            "Email campaigns sent to this list stay, no longer linked to it.",
        ]

    def perform(self):
        name = str(self.object)
        services.delete_marketing_list(self.object)
        return f"Marketing list {name} deleted. Its contacts were kept."

    def get_success_url(self):
        return reverse("marketing:list_list")


class ListMemberMixin(BackofficeMixin):
    """Pages about one member of one list."""

    breadcrumbs = (MARKETING, LISTS)

    @cached_property
    def member(self) -> MarketingListMember:
        # Looked up on first use, after the sign-in and permission checks: no one learns which ids exist.
        return get_object_or_404(
            MarketingListMember.objects.select_related("contact", "marketing_list"),
            pk=self.kwargs["member_pk"],
            marketing_list_id=self.kwargs["pk"],
        )

    @property
    def marketing_list(self) -> MarketingList:
        return self.member.marketing_list

    def get_breadcrumbs(self):
        return [
            *self.breadcrumbs,
            (str(self.marketing_list), self.marketing_list.get_absolute_url()),
            (self.get_title(), None),
        ]


class AddMembersView(BackofficeMixin, TemplateView):
    """Find contacts by name or email and add the ticked ones to the list."""

    permission_required = "marketing.add_marketinglistmember"
    template_name = "marketing/add_members.html"
    breadcrumbs = (MARKETING, LISTS)
    limit = 50

    @cached_property
    def marketing_list(self) -> MarketingList:
        # Looked up on first use, after the sign-in and permission checks: no one learns which ids exist.
        return get_object_or_404(MarketingList, pk=self.kwargs["pk"])

    def get_title(self):
        return f"Add Contacts to {self.marketing_list}"

    def get_breadcrumbs(self):
        return [
            *self.breadcrumbs,
            (str(self.marketing_list), self.marketing_list.get_absolute_url()),
            ("Add Contacts", None),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        term = self.request.GET.get("q", "").strip()
        in_list = MarketingListMember.objects.filter(
            marketing_list=self.marketing_list, contact=OuterRef("pk")
        ).exclude(status=MemberStatus.REMOVED)
        candidates = Contact.objects.filter(~Exists(in_list)).select_related("owner")
        if term:
            candidates = candidates.filter(contact_search(term))
        context.update(
            marketing_list=self.marketing_list,
            q=term,
            candidates=list(candidates.order_by("last_name", "first_name", "id")[: self.limit + 1]),
            limit=self.limit,
        )
        context["more"] = len(context["candidates"]) > self.limit
        context["candidates"] = context["candidates"][: self.limit]
        return context

    def post(self, request, *args, **kwargs):
        ids = [pk for v in request.POST.getlist("contact") if (pk := positive_int(v, MAX_ID))]
        if not ids:
            messages.warning(request, "Tick at least one contact to add.")
            return HttpResponseRedirect(request.get_full_path())
        result = services.add_contacts_to_list(self.marketing_list, ids)
        parts = [f"{result.added} contact(s) added to {self.marketing_list}"]
        if result.resubscribed:
            parts.append(f"{result.resubscribed} removed contact(s) subscribed again")
        if result.already:
            parts.append(f"{result.already} already in the list")
        messages.success(request, "; ".join(parts) + ".")
        if request.POST.get("action") == "add_more":
            return HttpResponseRedirect(reverse("marketing:list_add_members", args=[self.marketing_list.pk]))
        return HttpResponseRedirect(self.marketing_list.get_absolute_url())


class UnsubscribeMemberView(ListMemberMixin, FormView):
    permission_required = "marketing.change_marketinglistmember"
    form_class = UnsubscribeForm
    template_name = "marketing/unsubscribe.html"

    def get_title(self):
        return f"Unsubscribe {self.member.contact}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            member=self.member, marketing_list=self.marketing_list, cancel_url=self.marketing_list.get_absolute_url()
        )
        return context

    def form_valid(self, form):
        try:
            services.unsubscribe_member(self.member, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.member.contact} unsubscribed from {self.marketing_list}.")
        return HttpResponseRedirect(self.marketing_list.get_absolute_url())


class ResubscribeMemberView(ListMemberMixin, TemplateView):
    permission_required = "marketing.change_marketinglistmember"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        services.resubscribe_member(self.member)
        messages.success(request, f"{self.member.contact} subscribed to {self.marketing_list} again.")
        return HttpResponseRedirect(self.marketing_list.get_absolute_url())


class RemoveMemberView(ListMemberMixin, ConfirmView):
    permission_required = "marketing.delete_marketinglistmember"
    confirm_label = "Remove"
    question = "Remove this contact from the list?"

    def get_object(self, queryset=None):
        return self.member

    def get_title(self):
        return f"Remove {self.member.contact} from {self.marketing_list}"

    def get_consequences(self):
        return [
            f"{self.member.contact} stops receiving what is sent to {self.marketing_list}.",
            "The contact itself is kept, and the list remembers the removal (shown under the Removed status), "
            "so integrations do not add it back.",
        ]

    def get_cancel_url(self):
        return self.marketing_list.get_absolute_url()

    def perform(self):
        services.remove_member(self.member)
        return f"{self.member.contact} removed from {self.marketing_list}."

    def get_success_url(self):
        return self.marketing_list.get_absolute_url()
