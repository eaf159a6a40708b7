"""Forms for contacts and marketing lists; campaigns have none, since integrations write them."""

from __future__ import annotations

from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.db.models.functions import Lower

from backoffice.forms import form_helper

from .filters import OwnerChoiceField, owners
from .models import DUPLICATE_EMAIL_MESSAGE, DUPLICATE_LIST_NAME_MESSAGE, Contact, MarketingList


def keep_current_owner(form: forms.ModelForm) -> None:
    """An owner who has since been deactivated stays selectable on the records they own."""
    owner_id = form.instance.owner_id if form.instance.pk else None
    if owner_id:
        form.fields["owner"].queryset = (owners() | owners().model.objects.filter(pk=owner_id)).distinct()


class ContactForm(forms.ModelForm):
    owner = OwnerChoiceField(queryset=owners(), help_text="The user responsible for this contact.")

    class Meta:
        model = Contact
        fields = ("first_name", "last_name", "email", "phone", "job_title", "company", "owner")
        help_texts = {
            "email": "Unique: no two contacts share an email, whatever its capitals.",
            "phone": "With the country code, e.g. +44 20 7946 0000.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        keep_current_owner(self)
        self.helper = form_helper()
        self.helper.layout = Layout(
            Fieldset(
                "General",
                Div(Div("first_name", css_class="col-md-6"), Div("last_name", css_class="col-md-6"), css_class="row"),
                Div(Div("email", css_class="col-md-6"), Div("phone", css_class="col-md-6"), css_class="row"),
            ),
            Fieldset(
                "Work",
                Div(Div("company", css_class="col-md-6"), Div("job_title", css_class="col-md-6"), css_class="row"),
            ),
            Fieldset("Ownership", Div(Div("owner", css_class="col-md-6"), css_class="row")),
        )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        clash = Contact.objects.annotate(email_key=Lower("email")).filter(email_key=email.lower())
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(DUPLICATE_EMAIL_MESSAGE, code="unique")
        return email


class MarketingListForm(forms.ModelForm):
    owner = OwnerChoiceField(queryset=owners(), help_text="The user responsible for this list.")

    class Meta:
        model = MarketingList
        fields = ("name", "description", "owner")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "name": "Unique: shown in the lists grid and to integrations that link to this list.",
            "description": "What the list is for, for the people who send to it.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep_current_owner(self)
        self.helper = form_helper()
        self.helper.layout = Layout(
            Fieldset("General", "name", "description"),
            Fieldset("Ownership", Div(Div("owner", css_class="col-md-6"), css_class="row")),
        )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = MarketingList.objects.annotate(name_key=Lower("name")).filter(name_key=name.lower())
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(DUPLICATE_LIST_NAME_MESSAGE, code="unique")
        return name


class UnsubscribeForm(forms.Form):
    reason = forms.CharField(
        max_length=255,
        required=False,
        help_text='Optional: why, in a few words ("Asked by phone", "Left the company").',
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper()
