"""Signals of the changes people make to marketing data, for the apps that act on them (an export to a platform).

Sent by the single writes of `services.contacts` and `services.lists` (the pages), never by the importers' bulk
upserts: what a sync itself writes (an unsubscribe coming from the platform) must not echo back to it.

- `contacts_changed(sender, contact_ids: list[int], fields: frozenset[str])`: contacts' fields changed;
- `list_members_changed(sender, marketing_list_id: int, contact_ids: list[int])`: members added, unsubscribed,
  subscribed again or removed.
"""

from django.dispatch import Signal

contacts_changed = Signal()
list_members_changed = Signal()
