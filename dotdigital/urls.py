from django.urls import path

from . import data_field_views as views

app_name = "dotdigital"
urlpatterns = [
    path("data-fields/", views.DataFieldListView.as_view(), name="data_fields"),
    path("data-fields/synchronize/", views.DataFieldSynchronizeView.as_view(), name="data_fields_synchronize"),
    path("data-fields/create/", views.DataFieldCreateView.as_view(), name="data_field_create"),
    path("data-fields/<id:pk>/", views.DataFieldUpdateView.as_view(), name="data_field_update"),
    path("data-fields/<id:pk>/delete/", views.DataFieldDeleteView.as_view(), name="data_field_delete"),
    path("data-field-mappings/", views.MappingListView.as_view(), name="mappings"),
    path("data-field-mappings/create/", views.MappingCreateView.as_view(), name="mapping_create"),
    path("data-field-mappings/<id:pk>/", views.MappingUpdateView.as_view(), name="mapping_update"),
    path("data-field-mappings/<id:pk>/delete/", views.MappingDeleteView.as_view(), name="mapping_delete"),
    path("data-field-mappings/row/<id:integration_pk>/", views.MappingRowView.as_view(), name="mapping_row"),
]
