"""The Dotdigital connectors, one module per resource, in the order a sync runs them (Oro's)."""

from .activities import ActivitiesConnector
from .address_books import AddressBooksConnector
from .campaign_summaries import CampaignSummariesConnector
from .campaigns import CampaignsConnector
from .contacts import ContactsConnector
from .data_fields import DataFieldsConnector
from .export import ExportConnector
from .unsubscribes import UnsubscribesConnector

CONNECTORS = (
    AddressBooksConnector,
    CampaignsConnector,
    ContactsConnector,
    UnsubscribesConnector,
    ActivitiesConnector,
    CampaignSummariesConnector,
    DataFieldsConnector,
    ExportConnector,
)

__all__ = ["CONNECTORS"]
