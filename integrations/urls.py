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
]
