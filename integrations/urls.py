from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("", views.IntegrationListView.as_view(), name="list"),
    path("create/", views.IntegrationFormView.as_view(), name="create"),
    path("check-connection/", views.CheckConnectionView.as_view(), name="check_connection"),
    path("<id:pk>/", views.IntegrationDetailView.as_view(), name="detail"),
    path("<id:pk>/edit/", views.IntegrationFormView.as_view(), name="edit"),
    path("<id:pk>/check-connection/", views.CheckConnectionView.as_view(), name="check_connection_existing"),
    path("<id:pk>/status/", views.IntegrationToggleView.as_view(), name="toggle"),
    path("<id:pk>/delete/", views.IntegrationDeleteView.as_view(), name="delete"),
    path("<id:pk>/sync/", views.ScheduleSyncView.as_view(), name="schedule_sync"),
    path("<id:pk>/syncs/<id:job_pk>/", views.SyncJobView.as_view(), name="sync_job"),
    path("<id:pk>/syncs/<id:job_pk>/progress/", views.SyncJobProgressView.as_view(), name="sync_job_progress"),
    path("<id:pk>/syncs/<id:job_pk>/cancel/", views.CancelSyncView.as_view(), name="cancel_sync"),
]
