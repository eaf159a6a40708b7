"""Pages of System > Integrations: the grid, create/edit with Check connection, the view page with its live sync and
history, activate, delete, Schedule Sync, cancel, and a sync job's own page."""

from .detail import IntegrationDetailView
from .forms import CheckConnectionView, IntegrationFormView
from .manage import IntegrationDeleteView, IntegrationListView, IntegrationToggleView
from .sync import CancelSyncView, ScheduleSyncView, SyncJobProgressView, SyncJobView

__all__ = [
    "CancelSyncView",
    "CheckConnectionView",
    "IntegrationDeleteView",
    "IntegrationDetailView",
    "IntegrationFormView",
    "IntegrationListView",
    "IntegrationToggleView",
    "ScheduleSyncView",
    "SyncJobProgressView",
    "SyncJobView",
]
