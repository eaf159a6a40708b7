from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("", views.IntegrationListView.as_view(), name="list"),
    path("create/", views.IntegrationFormView.as_view(), name="create"),
    path("check-connection/", views.CheckConnectionView.as_view(), name="check_connection"),
    path("<int:pk>/", views.IntegrationDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.IntegrationFormView.as_view(), name="edit"),
    path("<int:pk>/check-connection/", views.CheckConnectionView.as_view(), name="check_connection_existing"),
    path("<int:pk>/status/", views.IntegrationToggleView.as_view(), name="toggle"),
    path("<int:pk>/delete/", views.IntegrationDeleteView.as_view(), name="delete"),
    path("<int:pk>/sync/", views.ScheduleSyncView.as_view(), name="schedule_sync"),
    path("<int:pk>/syncs/<int:job_pk>/", views.SyncJobView.as_view(), name="sync_job"),
    path("<int:pk>/syncs/<int:job_pk>/progress/", views.SyncJobProgressView.as_view(), name="sync_job_progress"),
    path("<int:pk>/syncs/<int:job_pk>/cancel/", views.CancelSyncView.as_view(), name="cancel_sync"),
]
