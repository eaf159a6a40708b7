"""The contact writes people make through the pages: create, edit, delete."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from .. import signals, sources
from ..models import Contact
from . import unique
from .queries import contact_deletion_summary


def create_contact(*, owner: AbstractBaseUser, source: str = sources.MANUAL, **fields: Any) -> Contact:
    """A new contact; `fields` are among first_name, last_name, email, phone, job_title, company.

    Raises ValidationError when the email is taken (ignoring case), also when another writer takes it between the
    check and the INSERT."""
    contact = Contact(owner=owner, source=source, **fields)
    contact.full_clean()
    unique.save_unique(contact, lambda: unique.email_clash(contact))
    return contact


def update_contact(contact: Contact, **fields: Any) -> Contact:
    """Change a contact's details or owner; the email stays unique ignoring case (ValidationError otherwise, as in
    `create_contact`). Sends `signals.contacts_changed` with the fields whose value changed."""
    # Compared with the stored row: a ModelForm has already set the new values on the instance.
    plain = [name for name in fields if not Contact._meta.get_field(name).is_relation]
    before = (Contact.objects.filter(pk=contact.pk).values(*plain).first() if plain and contact.pk else None) or {}
    changed = frozenset(name for name in plain if before.get(name) != fields[name])
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.full_clean()
    unique.save_unique(contact, lambda: unique.email_clash(contact))
    if changed:
        signals.contacts_changed.send(sender=Contact, contact_ids=[contact.pk], fields=changed)
    return contact


def delete_contact(contact: Contact) -> dict[str, int]:
    """Delete a contact with its list memberships and campaign activity (campaign totals are not recounted)."""
    summary = contact_deletion_summary(contact)
    contact.delete()
    return summary
