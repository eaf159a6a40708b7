"""Pages of Marketing > Contacts, Marketing Lists and Email Campaigns: a few attributes on the generic bases, with
every write handed to `services`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage
from django.db.models import Count, Exists, OuterRef
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.views.generic import DetailView, FormView, TemplateView
from django.views.generic.edit import CreateView, UpdateView
from django_tables2 import RequestConfig

from backoffice.forms import SaveActionsMixin
from backoffice.generic import PAGE_SIZES, BackofficeMixin, GridView

from . import services
from .choices import CAMPAIGN_STATUS_BADGES, MemberStatus
from .filters import ContactFilter, EmailCampaignFilter, MarketingListFilter, MemberFilter, contact_search
from .forms import ContactForm, MarketingListForm, UnsubscribeForm
from .models import (
    Contact,
    EmailCampaign,
    EmailCampaignActivity,
    EmailCampaignStatistics,
    MarketingList,
    MarketingListMember,
)
from .paging import KeysFirstQuerySet, LargeTablePaginator
from .panels import render_panels
from .tables import ActivityTable, ContactTable, EmailCampaignTable, MarketingListTable, MemberTable

MARKETING = ("Marketing", None)
CONTACTS = ("Contacts", reverse_lazy("marketing:contact_list"))
LISTS = ("Marketing Lists", reverse_lazy("marketing:list_list"))
CAMPAIGNS = ("Email Campaigns", reverse_lazy("marketing:campaign_list"))


def action(label: str, url: str, *, permission: str = "", style: str = "primary", icon: str = "") -> dict:
    return {"label": label, "url": url, "permission": permission, "style": style, "icon": icon}


class ObjectPageMixin:
    """View pages of one object: its name as the title, and actions the user's permissions allow."""

    object_actions: tuple = ()

    def get_title(self) -> str:
        return str(self.object)

    def get_object_actions(self) -> list[dict]:
        return []

    def get_page_actions(self) -> list[dict]:
        user = self.request.user
        return [a for a in self.get_object_actions() if not a["permission"] or user.has_perm(a["permission"])]


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
        self.object = self.save(form)
        messages.success(self.request, self.saved_message.format(object=self.object))
        return HttpResponseRedirect(self.get_success_url())


class MarketingGridView(GridView):
    """GridView paginated by django-tables2 only: MultipleObjectMixin's own pagination (on by `paginate_by`) would
    run the page query a second time, with a COUNT(*) for the standard paginator."""

    def get_paginate_by(self, queryset):
        return None


# Contacts ------------------------------------------------------------------------------------------------------------


class ContactListView(MarketingGridView):
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

    def get_object_actions(self):
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


# Marketing lists -----------------------------------------------------------------------------------------------------


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


class MarketingListListView(MarketingGridView):
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


class MarketingListDetailView(MarketingGridView):
    """The list's page: its details, member counts, integration panels, and the member grid."""

    permission_required = "marketing.view_marketinglist"
    template_name = "marketing/list_detail.html"
    table_class = MemberTable
    filterset_class = MemberFilter
    paginator_class = LargeTablePaginator
    breadcrumbs = (MARKETING, LISTS)
    empty_message = "No members yet."

    def dispatch(self, request, *args, **kwargs):
        self.object = get_object_or_404(MarketingList.objects.select_related("owner"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_title(self):
        return str(self.object)

    def get_queryset(self):
        return KeysFirstQuerySet(MarketingListMember).filter(marketing_list=self.object).select_related("contact")

    def get_page_actions(self):
        pk, user = self.object.pk, self.request.user
        actions = [
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
        return [a for a in actions if user.has_perm(a["permission"])]

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

    def dispatch(self, request, *args, **kwargs):
        self.member = get_object_or_404(
            MarketingListMember.objects.select_related("contact", "marketing_list"),
            pk=kwargs["member_pk"],
            marketing_list_id=kwargs["pk"],
        )
        self.marketing_list = self.member.marketing_list
        return super().dispatch(request, *args, **kwargs)

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

    def dispatch(self, request, *args, **kwargs):
        self.marketing_list = get_object_or_404(MarketingList, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

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
        ids = [int(v) for v in request.POST.getlist("contact") if v.isdigit()]
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


# Email campaigns -----------------------------------------------------------------------------------------------------


class EmailCampaignListView(MarketingGridView):
    permission_required = "marketing.view_emailcampaign"
    title = "Email Campaigns"
    breadcrumbs = (MARKETING,)
    table_class = EmailCampaignTable
    filterset_class = EmailCampaignFilter
    empty_message = (
        "No email campaigns yet. Campaigns appear here when an integration imports them from your email platform."
    )

    def get_queryset(self):
        return EmailCampaign.objects.select_related("owner", "statistics")


def page_size(request) -> int:
    value = request.GET.get("per_page", "")
    return int(value) if value.isdigit() and int(value) in PAGE_SIZES else PAGE_SIZES[1]


def page_number(request) -> int:
    value = request.GET.get("page", "")
    return int(value) if value.isdigit() and int(value) > 0 else 1


def statistic_tiles(statistics: EmailCampaignStatistics) -> list[dict]:
    """The numbers of a campaign as tiles: value, label, and the rate against what it is a share of."""
    tiles = []
    for key, label, of in (
        ("sent", "Sent", None),
        ("delivered", "Delivered", "sent"),
        ("opens", "Opens", None),
        ("unique_opens", "Unique opens", "delivered"),
        ("clicks", "Clicks", None),
        ("unique_clicks", "Unique clicks", "delivered"),
        ("unsubscribes", "Unsubscribes", "delivered"),
        ("hard_bounces", "Hard bounces", "sent"),
        ("soft_bounces", "Soft bounces", "sent"),
        ("complaints", "Complaints", "delivered"),
    ):
        rate = statistics.rate(key, of) if of else None
        tiles.append({"key": key, "label": label, "value": intcomma(getattr(statistics, key)), "rate": rate})
    tiles.append({"key": "revenue", "label": "Revenue", "value": intcomma(statistics.revenue), "rate": None})
    return tiles


class EmailCampaignDetailView(ObjectPageMixin, BackofficeMixin, DetailView):
    permission_required = "marketing.view_emailcampaign"
    queryset = EmailCampaign.objects.select_related("owner", "statistics", "marketing_list")
    template_name = "marketing/campaign_detail.html"
    breadcrumbs = (MARKETING, CAMPAIGNS)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = self.object
        statistics = getattr(campaign, "statistics", None)  # None until an integration reports numbers
        activities = KeysFirstQuerySet(EmailCampaignActivity).filter(campaign=campaign).select_related("contact")
        table = ActivityTable(activities, order_by="contact")
        RequestConfig(self.request, paginate=False).configure(table)  # sorting from the query string
        try:
            table.paginate(LargeTablePaginator, per_page=page_size(self.request), page=page_number(self.request))
        except EmptyPage:  # past the end: back to the first page
            table.paginate(LargeTablePaginator, per_page=page_size(self.request), page=1)
        table.page_sizes = PAGE_SIZES
        context.update(
            statistics=statistics,
            stat_tiles=statistic_tiles(statistics) if statistics else [],
            status_badge=CAMPAIGN_STATUS_BADGES.get(campaign.status, "secondary"),
            activity_summary=services.campaign_activity_summary(campaign),
            activity_table=table,
            panels=render_panels(self.request, campaign),
        )
        return context
