"""Forms of Marketing > Dotdigital: Create Data Field, its notes, and the data field mapping with its rows."""

from __future__ import annotations

from crispy_forms.layout import Div, Fieldset, Layout
from django import forms

from backoffice.forms import form_helper
from dotdigital.data_fields import NAME_RE, NAME_RULE, TYPES, VISIBILITIES, DefaultDoesNotFit, name_taken, parse_default
from dotdigital.installation import SOURCE
from dotdigital.mappings import RowSpec, contact_fields, row_problems
from dotdigital.models import DataField
from integrations.models import Integration

DEFAULT_HELP = {
    "String": "Optional. The value a contact has until one is set.",
    "Numeric": "Optional. A number, for example 10 or 4.5.",
    "Date": "Optional. A date, YYYY-MM-DD.",
    "Boolean": "Optional. Yes or No.",
}


def dotdigital_integrations():
    return Integration.objects.active().of_type(SOURCE).order_by("name")


class IntegrationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Integration) -> str:
        return obj.name


def default_widget(type_: str) -> forms.Widget:
    """The widget of the default value for a type; static/js/data_fields.js swaps it when the type changes, and
    without JavaScript the text field the page came with is checked on the server."""
    attrs = {"data-default-value": "", "autocomplete": "off"}
    if type_ == "Date":
        return forms.DateInput(attrs={**attrs, "type": "date"})
    if type_ == "Numeric":
        return forms.TextInput(attrs={**attrs, "type": "number", "step": "any", "inputmode": "decimal"})
    if type_ == "Boolean":
        return forms.Select(attrs=attrs, choices=(("", "—"), ("Yes", "Yes"), ("No", "No")))
    return forms.TextInput(attrs=attrs)


class DataFieldForm(forms.Form):
    """Create Data Field: checked here before any call to Dotdigital (name, uniqueness, a default that fits)."""

    integration = IntegrationChoiceField(
        label="Integration", queryset=Integration.objects.none(), help_text="The Dotdigital account to create it in."
    )
    name = forms.CharField(
        label="Name",
        max_length=20,
        help_text=f"{NAME_RULE} Dotdigital stores it in capitals.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. LOYALTY_TIER"}),
        error_messages={"max_length": "At most 20 characters (this one has %(show_value)d)."},
    )
    type = forms.ChoiceField(
        label="Type",
        choices=[(t, t) for t in TYPES],
        initial="String",
        help_text="Cannot be changed once created: Dotdigital does not change data fields.",
        widget=forms.Select(attrs={"data-field-type": ""}),
    )
    visibility = forms.ChoiceField(
        label="Visibility",
        choices=[(v, v) for v in VISIBILITIES],
        initial="Private",
        help_text="Public fields can be shown to contacts (on preference pages, for example).",
    )
    default = forms.CharField(label="Default value", required=False, max_length=255)
    notes = forms.CharField(
        label="Notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For your colleagues; kept here, not in Dotdigital.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["integration"].queryset = dotdigital_integrations()
        type_ = self.data.get("type") if self.is_bound else self.initial.get("type", "String")
        if type_ not in TYPES:
            type_ = "String"
        self.fields["default"].widget = default_widget(type_)
        self.fields["default"].help_text = DEFAULT_HELP[type_]
        self.helper = form_helper()
        self.helper.layout = Layout(
            Fieldset(
                "General",
                Div(Div("integration", css_class="col-md-6"), Div("name", css_class="col-md-6"), css_class="row"),
                Div(Div("type", css_class="col-md-6"), Div("visibility", css_class="col-md-6"), css_class="row"),
                Div(Div("default", css_class="col-md-6"), css_class="row"),
            ),
            Fieldset("Notes", "notes"),
        )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip().upper()
        if not NAME_RE.match(name):
            raise forms.ValidationError(NAME_RULE, code="invalid")
        return name

    def clean(self) -> dict:
        cleaned = super().clean()
        integration, name = cleaned.get("integration"), cleaned.get("name")
        if integration and name and name_taken(integration, name):
            self.add_error("name", f"Field with such name already exists in the integration “{integration.name}”.")
        type_ = cleaned.get("type")
        if type_:
            try:
                parse_default(type_, cleaned.get("default"))
            except DefaultDoesNotFit as problem:
                self.add_error("default", f"Default value doesn't match the field's type. {problem}")
        return cleaned


class NotesForm(forms.ModelForm):
    class Meta:
        model = DataField
        fields = ("notes",)
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"notes": "For your colleagues; kept here, not in Dotdigital."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper()


class ChooseIntegrationForm(forms.Form):
    """The first step of Create Data Field Mapping: an integration that has no mapping yet."""

    integration = IntegrationChoiceField(
        label="Integration",
        queryset=Integration.objects.none(),
        empty_label="Choose an integration…",
        help_text="Each Dotdigital integration has one mapping; those that have one are not listed.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["integration"].queryset = dotdigital_integrations().filter(dotdigital_mapping__isnull=True)


def contact_field_choices() -> list[tuple[str, str]]:
    return [(f.name, f.label) for f in contact_fields()]


def mark_invalid(form: forms.Form, name: str) -> None:
    """Bootstrap shows a field's message only beside a widget marked invalid."""
    if name in form.fields:
        widget = form.fields[name].widget
        if "is-invalid" not in widget.attrs.get("class", ""):
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
        widget.attrs["aria-invalid"] = "true"


class MappingRowForm(forms.Form):
    """One row: a data field, the contact field(s) that feed it, two-way."""

    data_field = forms.ModelChoiceField(
        label="Data field",
        queryset=DataField.objects.none(),
        required=False,
        empty_label="Choose a data field…",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    contact_fields = forms.MultipleChoiceField(
        label="Contact fields",
        choices=contact_field_choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select"}),
    )
    two_way = forms.BooleanField(
        label="Two-way", required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )

    def __init__(self, *args, integration: Integration | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["data_field"].queryset = (
            DataField.objects.filter(integration=integration).order_by("name")
            if integration
            else DataField.objects.none()
        )
        self.fields["data_field"].label_from_instance = lambda f: f"{f.name} ({f.type})"
        # Every contact field in sight, none hidden behind a scroll bar.
        self.fields["contact_fields"].widget.attrs["size"] = len(contact_field_choices())

    def clean(self) -> dict:
        cleaned = super().clean()
        data_field, names = cleaned.get("data_field"), cleaned.get("contact_fields") or []
        if self.cleaned_data.get("DELETE"):
            return cleaned
        if data_field is None:
            if (names or cleaned.get("two_way")) and "data_field" not in self.errors:
                self.add_error("data_field", "Choose the data field these contact fields feed.")
            return cleaned
        for name, message in row_problems(data_field, names, bool(cleaned.get("two_way"))).items():
            self.add_error(name, message)
        return cleaned

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            mark_invalid(self, name)


class BaseMappingRowFormSet(forms.BaseFormSet):
    def __init__(self, *args, integration: Integration | None = None, **kwargs):
        self.integration = integration
        super().__init__(*args, **kwargs)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove"
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "integration": self.integration}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            **self.get_form_kwargs(None),
            renderer=self.renderer,
        )
        self.add_fields(form, None)
        return form

    def clean(self) -> None:
        seen: dict[int, int] = {}
        for index, form in enumerate(self.forms):
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            data_field = form.cleaned_data.get("data_field")
            if data_field is None:
                continue
            if data_field.pk in seen:
                form.add_error(
                    "data_field",
                    f"{data_field.name} is already mapped in row {seen[data_field.pk] + 1}: map each data field once.",
                )
                mark_invalid(form, "data_field")
            else:
                seen[data_field.pk] = index

    def rows(self) -> list[RowSpec]:
        specs = []
        for form in self.forms:
            if self._should_delete_form(form) or not form.cleaned_data.get("data_field"):
                continue
            specs.append(
                RowSpec(
                    form.cleaned_data["data_field"],
                    tuple(form.cleaned_data["contact_fields"]),
                    bool(form.cleaned_data.get("two_way")),
                )
            )
        return specs


EXTRA_ROWS = 2  # blank rows for browsers without JavaScript (with it, "Add row" fetches more in place)


def mapping_formset(integration: Integration, data=None, *, initial=None, extra: int = EXTRA_ROWS):
    formset_class = forms.formset_factory(
        MappingRowForm, formset=BaseMappingRowFormSet, extra=extra, can_delete=True, max_num=200, validate_max=True
    )
    return formset_class(data, initial=initial, integration=integration, prefix="rows")
