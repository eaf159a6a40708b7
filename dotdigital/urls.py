from django.urls import path

from . import views, views_sso

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
    path("email-studio/", views_sso.EmailStudioView.as_view(), name="email_studio"),
    path("email-studio/callback/", views_sso.CallbackView.as_view(), name="email_studio_callback"),
    path("email-studio/<id:pk>/", views_sso.EmailStudioView.as_view(), name="email_studio_account"),
    path("email-studio/<id:pk>/connect/", views_sso.ConnectView.as_view(), name="email_studio_connect"),
    path("email-studio/<id:pk>/open/", views_sso.OpenInNewTabView.as_view(), name="email_studio_open"),
    path("email-studio/<id:pk>/disconnect/", views_sso.DisconnectView.as_view(), name="email_studio_disconnect"),
]
