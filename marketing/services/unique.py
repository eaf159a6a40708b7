"""Saving a record whose unique value (a contact's email, a list's name, both ignoring case) another writer may take
between the form's check and the write."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower

from ..models import DUPLICATE_EMAIL_MESSAGE, DUPLICATE_LIST_NAME_MESSAGE, Contact, MarketingList


def save_unique(record: models.Model, clash: Callable[[], dict[str, str]]) -> None:
    """Save `record`; when the database refuses it because another writer took a unique value after `full_clean()`
    checked it, raise the ValidationError the check would have given (`clash()` names the field and message; it
    returns {} when the IntegrityError is about something else, which is then raised as it is)."""
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        errors = clash()
        if errors:
            raise ValidationError(errors) from None
        raise


def email_clash(contact: Contact) -> dict[str, str]:
    others = Contact.objects.annotate(email_key=Lower("email")).filter(email_key=contact.email.lower())
    if contact.pk:
        others = others.exclude(pk=contact.pk)
    return {"email": DUPLICATE_EMAIL_MESSAGE} if others.exists() else {}


def list_name_clash(marketing_list: MarketingList) -> dict[str, str]:
    others = MarketingList.objects.annotate(name_key=Lower("name")).filter(name_key=marketing_list.name.lower())
    if marketing_list.pk:
        others = others.exclude(pk=marketing_list.pk)
    return {"name": DUPLICATE_LIST_NAME_MESSAGE} if others.exists() else {}
