"""Marketing > Dotdigital > Data Fields and Data Field Mappings."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils.html import format_html
from django.views import View
from django.views.generic import DetailView, TemplateView

from backoffice.forms import SaveActionsMixin
from backoffice.generic import BackofficeMixin, GridView
from dotdigital import data_fields as services
from dotdigital import mappings
from dotdigital.data_field_forms import (
    ChooseIntegrationForm,
    DataFieldForm,
    NotesForm,
    dotdigital_integrations,
    mapping_formset,
)
from dotdigital.data_field_tables import DataFieldFilter, DataFieldTable, MappingFilter, MappingTable
from dotdigital.models import DataField, DataFieldMapping
from integrations.models import Integration, SyncJob

MARKETING = (("Marketing", None), ("Dotdigital", None))
DATA_FIELDS = ("Data Fields", reverse_lazy("dotdigital:data_fields"))
MAPPINGS = ("Data Field Mappings", reverse_lazy("dotdigital:mappings"))
VIEW_DATA_FIELDS = "dotdigital.view_data_fields"


def job_url(job: SyncJob) -> str:
    """The job's page, or its integration's page where the job page does not exist (yet)."""
    try:
        return job.get_absolute_url()
    except NoReverseMatch:
        return reverse("integrations:detail", args=[job.integration_id])


# -- Data Fields ----------------------------------------------------------------------------------------------------


class DataFieldListView(GridView):
    """The data fields stored by the last synchronization of each Dotdigital integration (no live call)."""

    permission_required = VIEW_DATA_FIELDS
    template_name = "dotdigital/data_field_list.html"
    table_class = DataFieldTable
    filterset_class = DataFieldFilter
    title = "Data Fields"
    breadcrumbs = MARKETING

    def get_queryset(self):
        return DataField.objects.select_related("integration")

    def get_actions(self):
        integration = self.request.GET.get("integration", "")
        return [
            {
                "label": "Synchronize",
                "url": reverse("dotdigital:data_fields_synchronize"),
                "method": "post",
                "style": "outline-primary",
                "icon": "arrow-repeat",
                "permission": "dotdigital.synchronize_datafield",
                "fields": {"integration": integration} if integration.isascii() and integration.isdigit() else {},
            },
            {
                "label": "Create Data Field",
                "url": reverse("dotdigital:data_field_create"),
                "permission": "dotdigital.add_datafield",
                "icon": "plus-lg",
            },
        ]

    def get_empty_action(self):
        if self.request.user.has_perm("dotdigital.add_datafield"):
            return {"label": "Create Data Field", "url": reverse("dotdigital:data_field_create")}
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        has_integration = dotdigital_integrations().exists()
        context["empty_message"] = (
            "No data fields yet. Press Synchronize to read them from Dotdigital, or create one."
            if has_integration
            else "No active Dotdigital integration. An administrator creates one under System > Integrations > "
            "Manage Integrations."
        )
        return context


class DataFieldSynchronizeView(BackofficeMixin, View):
    """Synchronize: a job of the data-fields connector alone, now, per active Dotdigital integration."""

    permission_required = "dotdigital.synchronize_datafield"
    http_method_names = ["post"]

    def post(self, request):
        integration = None
        chosen = request.POST.get("integration", "")
        if chosen:
            if not (chosen.isascii() and chosen.isdigit() and len(chosen) < 19):
                raise Http404("No such integration")
            integration = get_object_or_404(dotdigital_integrations(), pk=int(chosen))
        requests = services.synchronize_data_fields(user=request.user, integration=integration)
        if not requests:
            messages.warning(request, "No active Dotdigital integration to synchronize.")
        for item in requests:
            job = item.result.job
            if item.result.created:
                messages.success(
                    request,
                    format_html(
                        'Synchronization queued for {}: <a href="{}" class="alert-link">sync #{}</a>. '
                        "The grid shows the data fields once it has run.",
                        item.integration.name,
                        job_url(job),
                        job.pk,
                    ),
                )
            else:
                messages.info(
                    request,
                    format_html(
                        'A sync is already running for {}: <a href="{}" class="alert-link">sync #{}</a>. '
                        "Press Synchronize again once it has finished.",
                        item.integration.name,
                        job_url(job),
                        job.pk,
                    ),
                )
        return redirect("dotdigital:data_fields")


class DataFieldCreateView(BackofficeMixin, SaveActionsMixin, TemplateView):
    """Create Data Field: in Dotdigital first, here only once Dotdigital accepted it."""

    permission_required = "dotdigital.add_datafield"
    template_name = "dotdigital/data_field_form.html"
    title = "Create Data Field"
    breadcrumbs = (*MARKETING, DATA_FIELDS)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", DataFieldForm(initial=self.initial()))
        context["cancel_url"] = reverse("dotdigital:data_fields")
        return context

    def initial(self) -> dict:
        integrations = list(dotdigital_integrations()[:2])
        chosen = self.request.GET.get("integration", "")
        initial = {"type": "String", "visibility": "Private"}
        if len(integrations) == 1:
            initial["integration"] = integrations[0].pk
        elif chosen.isascii() and chosen.isdigit():
            initial["integration"] = chosen
        return initial

    def post(self, request, *args, **kwargs):
        form = DataFieldForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                data_field = services.create_data_field(
                    data["integration"],
                    name=data["name"],
                    type=data["type"],
                    visibility=data["visibility"],
                    default=data["default"],
                    notes=data["notes"],
                )
            except services.DataFieldRefused as refusal:
                form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
            else:
                messages.success(request, f"Data field {data_field.name} created in Dotdigital.")
                if self.save_and_close():
                    return redirect("dotdigital:data_fields")
                return redirect("dotdigital:data_field_update", pk=data_field.pk)
        return self.render_to_response(self.get_context_data(form=form))


class DataFieldObjectMixin:
    """Looks the field up once the login and permission checks passed (it comes after BackofficeMixin)."""

    def get_queryset(self):
        return DataField.objects.select_related("integration")


class DataFieldUpdateView(BackofficeMixin, DataFieldObjectMixin, SaveActionsMixin, DetailView):
    """A data field's page: what Dotdigital holds (read-only: it cannot be changed there) and editable notes."""

    permission_required = VIEW_DATA_FIELDS
    template_name = "dotdigital/data_field_detail.html"
    context_object_name = "data_field"

    def get_title(self) -> str:
        return self.object.name

    def get_breadcrumbs(self):
        return [*MARKETING, DATA_FIELDS, (self.object.name, None)]

    def get_actions(self):
        return [
            {
                "label": "Delete",
                "url": reverse("dotdigital:data_field_delete", args=[self.object.pk]),
                "permission": "dotdigital.delete_datafield",
                "style": "outline-danger",
                "icon": "trash",
            }
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", NotesForm(instance=self.object))
        context.update(
            default_display=services.display_default(self.object.type, self.object.default_value) or "—",
            can_edit=self.request.user.has_perm("dotdigital.change_datafield"),
            cancel_url=reverse("dotdigital:data_fields"),
            mapped_by=self.object.mapping_rows.select_related("mapping__integration").exists(),
        )
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not request.user.has_perm("dotdigital.change_datafield"):
            return self.handle_no_permission()
        form = NotesForm(request.POST, instance=self.object)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        services.update_notes(self.object, form.cleaned_data["notes"])
        messages.success(request, f"Notes of {self.object.name} saved.")
        if self.save_and_close():
            return redirect("dotdigital:data_fields")
        return redirect("dotdigital:data_field_update", pk=self.object.pk)


class DataFieldDeleteView(BackofficeMixin, DataFieldObjectMixin, DetailView):
    """Asks first; deletes in Dotdigital, then here; a refusal is explained on the same page."""

    permission_required = "dotdigital.delete_datafield"
    template_name = "dotdigital/data_field_confirm_delete.html"
    context_object_name = "data_field"

    def get_title(self) -> str:
        return f"Delete {self.object.name}"

    def get_breadcrumbs(self):
        detail = reverse("dotdigital:data_field_update", args=[self.object.pk])
        return [*MARKETING, DATA_FIELDS, (self.object.name, detail), ("Delete", None)]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["mapping_rows"] = self.object.mapping_rows.count()
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        name = self.object.name
        try:
            services.delete_data_field(self.object)
        except services.DataFieldRefused as refusal:
            return self.render_to_response(self.get_context_data(refusal=refusal))
        messages.success(request, f"Data field {name} deleted in Dotdigital and here.")
        return redirect("dotdigital:data_fields")


# -- Data Field Mappings --------------------------------------------------------------------------------------------


class MappingListView(GridView):
    permission_required = "dotdigital.view_datafieldmapping"
    table_class = MappingTable
    filterset_class = MappingFilter
    title = "Data Field Mappings"
    breadcrumbs = MARKETING
    empty_message = "No data field mappings yet."
    page_actions = (
        {
            "label": "Create Data Field Mapping",
            "url": reverse_lazy("dotdigital:mapping_create"),
            "permission": "dotdigital.add_datafieldmapping",
            "icon": "plus-lg",
        },
    )

    def get_queryset(self):
        return DataFieldMapping.objects.select_related("integration", "updated_by").prefetch_related("rows__data_field")

    def get_empty_action(self):
        if self.request.user.has_perm("dotdigital.add_datafieldmapping"):
            return {"label": "Create Data Field Mapping", "url": reverse("dotdigital:mapping_create")}
        return None


class MappingFormMixin(SaveActionsMixin):
    """The one form of a whole mapping: its rows, added and removed in place (htmx) or, without JavaScript, blank
    rows and Remove checkboxes."""

    template_name = "dotdigital/mapping_form.html"
    integration: Integration | None = None
    mapping: DataFieldMapping | None = None

    def initial_rows(self) -> list[dict]:
        if self.mapping is None:
            return []
        return [
            {"data_field": row.data_field, "contact_fields": row.contact_fields, "two_way": row.two_way}
            for row in self.mapping.rows.select_related("data_field").order_by("data_field__name")
        ]

    def formset(self, data=None):
        return mapping_formset(self.integration, data, initial=self.initial_rows())

    def render_form(self, formset, **extra):
        context = self.get_context_data(
            formset=formset,
            integration=self.integration,
            mapping=self.mapping,
            contact_fields=mappings.contact_fields(),
            cancel_url=reverse("dotdigital:mappings"),
            row_url=reverse("dotdigital:mapping_row", args=[self.integration.pk]),
            **extra,
        )
        return self.render_to_response(context)

    def save(self, formset):
        if not formset.is_valid():
            return self.render_form(formset)
        self.mapping = mappings.save_mapping(self.integration, formset.rows(), user=self.request.user)
        messages.success(self.request, f"Data field mapping of {self.integration.name} saved.")
        if self.save_and_close():
            return redirect("dotdigital:mappings")
        return redirect("dotdigital:mapping_update", pk=self.mapping.pk)


class MappingCreateView(BackofficeMixin, MappingFormMixin, TemplateView):
    permission_required = "dotdigital.add_datafieldmapping"
    title = "Create Data Field Mapping"
    breadcrumbs = (*MARKETING, MAPPINGS)

    def chosen_integration(self, value: str) -> Integration | None:
        if not (value.isascii() and value.isdigit() and len(value) < 19):
            return None
        return dotdigital_integrations().filter(pk=int(value), dotdigital_mapping__isnull=True).first()

    def get(self, request, *args, **kwargs):
        chooser = ChooseIntegrationForm(request.GET or None)
        if chooser.is_valid():
            self.integration = chooser.cleaned_data["integration"]
            return self.render_form(self.formset())
        existing = request.GET.get("integration", "")
        mapping = DataFieldMapping.objects.filter(integration_id=existing).first() if existing.isdigit() else None
        if mapping is not None and len(existing) < 19:
            messages.info(request, f"{mapping.integration.name} already has a mapping: edit it here.")
            return redirect("dotdigital:mapping_update", pk=mapping.pk)
        return self.render_to_response(self.get_context_data(chooser=chooser))

    def post(self, request, *args, **kwargs):
        self.integration = self.chosen_integration(request.POST.get("integration", ""))
        if self.integration is None:
            messages.error(request, "Choose an integration that has no mapping yet.")
            return redirect("dotdigital:mapping_create")
        return self.save(self.formset(request.POST))


class MappingUpdateView(BackofficeMixin, MappingFormMixin, TemplateView):
    permission_required = "dotdigital.change_datafieldmapping"
    breadcrumbs = (*MARKETING, MAPPINGS)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.has_permission():
            self.mapping = get_object_or_404(DataFieldMapping.objects.select_related("integration"), pk=kwargs["pk"])
            self.integration = self.mapping.integration
        return super().dispatch(request, *args, **kwargs)

    def get_title(self) -> str:
        return f"Data Field Mapping of {self.integration.name}"

    def get(self, request, *args, **kwargs):
        return self.render_form(self.formset())

    def post(self, request, *args, **kwargs):
        return self.save(self.formset(request.POST))


class MappingRowView(BackofficeMixin, View):
    """htmx: one blank row (numbered after the rows on the page) and the formset's new row count."""

    permission_required = "dotdigital.change_datafieldmapping"
    http_method_names = ["get"]

    def has_permission(self) -> bool:
        user = self.request.user
        return user.has_perm("dotdigital.change_datafieldmapping") or user.has_perm("dotdigital.add_datafieldmapping")

    def get(self, request, integration_pk: int):
        integration = get_object_or_404(dotdigital_integrations(), pk=integration_pk)
        total = request.GET.get("rows-TOTAL_FORMS", "")
        index = int(total) if total.isascii() and total.isdigit() and len(total) < 4 else 0
        formset = mapping_formset(integration)
        form = formset.form(
            prefix=formset.add_prefix(index),
            empty_permitted=True,
            use_required_attribute=False,
            integration=integration,
        )
        formset.add_fields(form, index)
        return TemplateResponse(
            request,
            "dotdigital/includes/mapping_row.html",
            {"form": form, "index": index, "total": index + 1, "oob": True},
        )


class MappingDeleteView(BackofficeMixin, DetailView):
    permission_required = "dotdigital.delete_datafieldmapping"
    template_name = "dotdigital/mapping_confirm_delete.html"
    context_object_name = "mapping"

    def get_queryset(self):
        return DataFieldMapping.objects.select_related("integration").prefetch_related("rows__data_field")

    def get_title(self) -> str:
        return f"Delete the mapping of {self.object.integration.name}"

    def get_breadcrumbs(self):
        return [*MARKETING, MAPPINGS, ("Delete", None)]

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        name = self.object.integration.name
        mappings.delete_mapping(self.object)
        messages.success(request, f"Data field mapping of {name} deleted.")
        return HttpResponseRedirect(reverse("dotdigital:mappings"))
