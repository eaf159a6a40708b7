from django.urls import path

from . import address_book_views, data_field_views, views_sso

app_name = "dotdigital"
urlpatterns = [
    path("data-fields/", data_field_views.DataFieldListView.as_view(), name="data_fields"),
    path(
        "data-fields/synchronize/", data_field_views.DataFieldSynchronizeView.as_view(), name="data_fields_synchronize"
    ),
    path("data-fields/create/", data_field_views.DataFieldCreateView.as_view(), name="data_field_create"),
    path("data-fields/<id:pk>/", data_field_views.DataFieldUpdateView.as_view(), name="data_field_update"),
    path("data-fields/<id:pk>/delete/", data_field_views.DataFieldDeleteView.as_view(), name="data_field_delete"),
    path("data-field-mappings/", data_field_views.MappingListView.as_view(), name="mappings"),
    path("data-field-mappings/create/", data_field_views.MappingCreateView.as_view(), name="mapping_create"),
    path("data-field-mappings/<id:pk>/", data_field_views.MappingUpdateView.as_view(), name="mapping_update"),
    path("data-field-mappings/<id:pk>/delete/", data_field_views.MappingDeleteView.as_view(), name="mapping_delete"),
    path("data-field-mappings/row/<id:integration_pk>/", data_field_views.MappingRowView.as_view(), name="mapping_row"),
    path("address-books/", address_book_views.AddressBookListView.as_view(), name="address_books"),
    path(
        "address-books/<id:pk>/connect/",
        address_book_views.ConnectAddressBookView.as_view(),
        name="address_book_connect",
    ),
    path(
        "address-books/<id:pk>/disconnect/",
        address_book_views.DisconnectAddressBookView.as_view(),
        name="address_book_disconnect",
    ),
    path(
        "address-books/<id:pk>/sync-contacts/",
        address_book_views.AddressBookSyncContactsView.as_view(),
        name="address_book_sync_contacts",
    ),
    path("lists/<id:pk>/connect/", address_book_views.ConnectListView.as_view(), name="list_connect"),
    path("email-studio/", views_sso.EmailStudioView.as_view(), name="email_studio"),
    path("email-studio/callback/", views_sso.CallbackView.as_view(), name="email_studio_callback"),
    path("email-studio/<id:pk>/", views_sso.EmailStudioView.as_view(), name="email_studio_account"),
    path("email-studio/<id:pk>/connect/", views_sso.ConnectView.as_view(), name="email_studio_connect"),
    path("email-studio/<id:pk>/open/", views_sso.OpenInNewTabView.as_view(), name="email_studio_open"),
    path("email-studio/<id:pk>/disconnect/", views_sso.DisconnectView.as_view(), name="email_studio_disconnect"),
]
