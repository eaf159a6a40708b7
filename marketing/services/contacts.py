"""The contact writes people make through the pages: create, edit, delete."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from .. import sources
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
    `create_contact`)."""
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.full_clean()
    unique.save_unique(contact, lambda: unique.email_clash(contact))
    return contact


def delete_contact(contact: Contact) -> dict[str, int]:
    """Delete a contact with its list memberships and campaign activity (campaign totals are not recounted)."""
    summary = contact_deletion_summary(contact)
    contact.delete()
    return summary
