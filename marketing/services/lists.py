"""The marketing list writes people make through the pages: lists, and adding, unsubscribing and removing members.

Importers setting thousands of member states use `upsert_list_members` (in `imports`)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import signals, sources
from ..choices import MemberStatus
from ..models import Contact, MarketingList, MarketingListMember
from . import bulk, unique


def create_marketing_list(
    *, name: str, owner: AbstractBaseUser, description: str = "", source: str = sources.MANUAL
) -> MarketingList:
    """A new, empty marketing list; ValidationError when the name is taken (ignoring case), even by a concurrent
    writer."""
    marketing_list = MarketingList(name=name, owner=owner, description=description, source=source)
    marketing_list.full_clean()
    unique.save_unique(marketing_list, lambda: unique.list_name_clash(marketing_list))
    return marketing_list


def update_marketing_list(marketing_list: MarketingList, **fields: Any) -> MarketingList:
    """Change a list's name, description or owner; the name stays unique ignoring case."""
    for name, value in fields.items():
        setattr(marketing_list, name, value)
    marketing_list.full_clean()
    unique.save_unique(marketing_list, lambda: unique.list_name_clash(marketing_list))
    return marketing_list


def delete_marketing_list(marketing_list: MarketingList) -> int:
    """Delete a list and its memberships; the contacts stay. Returns how many memberships went with it."""
    with transaction.atomic():
        members = marketing_list.members.count()
        marketing_list.delete()
    return members


@dataclass
class AddResult:
    """What ticking contacts into a list did: members added, removed members back, members already there."""

    added: int = 0
    resubscribed: int = 0
    already: int = 0


def add_contacts_to_list(
    marketing_list: MarketingList, contact_ids: Iterable[int], *, at: datetime.datetime | None = None
) -> AddResult:
    """Subscribe contacts to a list: new members are created, removed ones come back subscribed, present ones
    (subscribed or unsubscribed) are left as they are: re-adding never overrides an unsubscribe.

    For people ticking contacts on a page; importers setting thousands of states use `upsert_list_members`.
    """
    at = at or timezone.now()
    ids = set(contact_ids)
    result = AddResult()
    with transaction.atomic():
        # Members another writer adds meanwhile are found by the second read, and counted as already there.
        existing, new = bulk.insert_missing(
            MarketingListMember,
            lambda: {
                m.contact_id: m
                for m in MarketingListMember.objects.select_for_update().filter(
                    marketing_list=marketing_list, contact_id__in=ids
                )
            },
            lambda existing: [
                MarketingListMember(marketing_list=marketing_list, contact_id=pk, subscribed_at=at)
                for pk in Contact.objects.filter(pk__in=ids - set(existing)).values_list("pk", flat=True)
            ],
        )
        removed = [m for m in existing.values() if m.status == MemberStatus.REMOVED]
        for member in removed:
            member.status, member.removed_at, member.unsubscribed_at = MemberStatus.SUBSCRIBED, None, None
            member.unsubscribe_reason, member.subscribed_at, member.updated_at = "", at, at
        if removed:
            MarketingListMember.objects.bulk_update(
                removed,
                ["status", "removed_at", "unsubscribed_at", "unsubscribe_reason", "subscribed_at", "updated_at"],
            )
        MarketingList.objects.filter(pk=marketing_list.pk).update(updated_at=at)
    if new or removed:
        _members_changed(marketing_list.pk, [m.contact_id for m in [*new, *removed]])
    result.added, result.resubscribed = len(new), len(removed)
    result.already = len(existing) - len(removed)
    return result


def unsubscribe_member(
    member: MarketingListMember, *, reason: str = "", at: datetime.datetime | None = None
) -> MarketingListMember:
    """Mark a subscribed member unsubscribed, with when and why; the contact stays in the list."""
    if member.status == MemberStatus.REMOVED:
        raise ValidationError("A removed member cannot be unsubscribed; add the contact to the list again first.")
    member.status = MemberStatus.UNSUBSCRIBED
    member.unsubscribed_at = at or timezone.now()
    member.unsubscribe_reason = reason.strip()
    member.removed_at = None
    member.save()
    _members_changed(member.marketing_list_id, [member.contact_id])
    return member


def resubscribe_member(member: MarketingListMember, *, at: datetime.datetime | None = None) -> MarketingListMember:
    """Subscribe an unsubscribed or removed member again. `subscribed_at` becomes now (or `at`): an importer keeps
    a contact re-subscribed here after the platform's unsubscribe date (see `upsert_list_members`)."""
    member.status = MemberStatus.SUBSCRIBED
    member.subscribed_at = at or timezone.now()
    member.unsubscribed_at, member.unsubscribe_reason, member.removed_at = None, "", None
    member.save()
    _members_changed(member.marketing_list_id, [member.contact_id])
    return member


def remove_member(member: MarketingListMember, *, at: datetime.datetime | None = None) -> MarketingListMember:
    """Take a contact out of a list. The row stays, marked removed, so a sync knows not to add the contact back;
    an unsubscribe date and reason are kept."""
    member.status = MemberStatus.REMOVED
    member.removed_at = at or timezone.now()
    member.save()
    _members_changed(member.marketing_list_id, [member.contact_id])
    return member


def _members_changed(marketing_list_id: int, contact_ids: list[int]) -> None:
    signals.list_members_changed.send(
        sender=MarketingListMember, marketing_list_id=marketing_list_id, contact_ids=contact_ids
    )
