"""Pages of Marketing > Contacts, Marketing Lists and Email Campaigns: a few attributes on the generic bases, with
every write handed to `services`."""

from .campaigns import EmailCampaignDetailView, EmailCampaignListView
from .contacts import ContactCreateView, ContactDeleteView, ContactDetailView, ContactListView, ContactUpdateView
from .lists import (
    AddMembersView,
    MarketingListCreateView,
    MarketingListDeleteView,
    MarketingListDetailView,
    MarketingListListView,
    MarketingListUpdateView,
    RemoveMemberView,
    ResubscribeMemberView,
    UnsubscribeMemberView,
)

__all__ = [
    "AddMembersView",
    "ContactCreateView",
    "ContactDeleteView",
    "ContactDetailView",
    "ContactListView",
    "ContactUpdateView",
    "EmailCampaignDetailView",
    "EmailCampaignListView",
    "MarketingListCreateView",
    "MarketingListDeleteView",
    "MarketingListDetailView",
    "MarketingListListView",
    "MarketingListUpdateView",
    "RemoveMemberView",
    "ResubscribeMemberView",
    "UnsubscribeMemberView",
]
