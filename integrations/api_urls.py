from django.urls import path

from . import api

app_name = "integrations_api"
urlpatterns = [
    path("integrations/<id:pk>/syncs/", api.IntegrationSyncsView.as_view(), name="syncs"),
    path("sync-jobs/<id:pk>/", api.SyncJobView.as_view(), name="sync_job"),
    path("sync-jobs/<id:pk>/cancel/", api.CancelSyncJobView.as_view(), name="cancel"),
]
