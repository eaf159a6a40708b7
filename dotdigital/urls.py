from django.urls import path

from . import views

app_name = "dotdigital"
urlpatterns = [
    path("data-fields/", views.DataFieldsView.as_view(), name="data_fields"),
    path("address-books/", views.AddressBookListView.as_view(), name="address_books"),
    path("address-books/<id:pk>/connect/", views.ConnectAddressBookView.as_view(), name="address_book_connect"),
    path(
        "address-books/<id:pk>/disconnect/", views.DisconnectAddressBookView.as_view(), name="address_book_disconnect"
    ),
    path(
        "address-books/<id:pk>/sync-contacts/",
        views.AddressBookSyncContactsView.as_view(),
        name="address_book_sync_contacts",
    ),
]
