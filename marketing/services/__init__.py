"""Every write in the marketing domain, and the read queries its pages share: what the views, the seed command and
the integrations' importers call.

- `contacts`, `lists`: the single writes people make through the pages;
- `imports` (contacts, list members) and `campaign_imports` (campaigns, statistics, activity, opens and clicks): the
  importers' bulk upserts, each returning a `bulk.UpsertResult`;
- `bulk`: the machinery under them (batching, row checks, race-safe inserts);
- `queries`: read queries (member counts, deletion summaries, a campaign's activity and events per day).

Import the public names from here: `from marketing import services; services.upsert_contacts(...)`.
"""

from .bulk import BATCH_SIZE, UpsertResult
from .campaign_imports import (
    mark_campaigns_removed,
    record_campaign_events,
    record_campaign_statistics,
    upsert_campaign_activities,
    upsert_email_campaigns,
)
from .contacts import create_contact, delete_contact, update_contact
from .imports import contact_ids_by_key, ensure_contacts, upsert_contacts, upsert_list_members
from .lists import (
    AddResult,
    add_contacts_to_list,
    create_marketing_list,
    delete_marketing_list,
    remove_member,
    resubscribe_member,
    unsubscribe_member,
    update_marketing_list,
)
from .queries import campaign_activity_summary, campaign_events_per_day, contact_deletion_summary, member_counts

__all__ = [
    "BATCH_SIZE",
    "AddResult",
    "UpsertResult",
    "add_contacts_to_list",
    "campaign_activity_summary",
    "campaign_events_per_day",
    "contact_ids_by_key",
    "contact_deletion_summary",
    "create_contact",
    "create_marketing_list",
    "delete_contact",
    "delete_marketing_list",
    "ensure_contacts",
    "mark_campaigns_removed",
    "member_counts",
    "record_campaign_events",
    "record_campaign_statistics",
    "remove_member",
    "resubscribe_member",
    "unsubscribe_member",
    "update_contact",
    "update_marketing_list",
    "upsert_campaign_activities",
    "upsert_contacts",
    "upsert_email_campaigns",
    "upsert_list_members",
]
