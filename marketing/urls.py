from django.urls import path

from . import views

app_name = "marketing"
urlpatterns = [
    path("contacts/", views.ContactListView.as_view(), name="contact_list"),
    path("contacts/create/", views.ContactCreateView.as_view(), name="contact_create"),
    path("contacts/<id:pk>/", views.ContactDetailView.as_view(), name="contact_detail"),
    path("contacts/<id:pk>/edit/", views.ContactUpdateView.as_view(), name="contact_update"),
    path("contacts/<id:pk>/delete/", views.ContactDeleteView.as_view(), name="contact_delete"),
    path("lists/", views.MarketingListListView.as_view(), name="list_list"),
    path("lists/create/", views.MarketingListCreateView.as_view(), name="list_create"),
    path("lists/<id:pk>/", views.MarketingListDetailView.as_view(), name="list_detail"),
    path("lists/<id:pk>/edit/", views.MarketingListUpdateView.as_view(), name="list_update"),
    path("lists/<id:pk>/delete/", views.MarketingListDeleteView.as_view(), name="list_delete"),
    path("lists/<id:pk>/members/add/", views.AddMembersView.as_view(), name="list_add_members"),
    path(
        "lists/<id:pk>/members/<id:member_pk>/unsubscribe/",
        views.UnsubscribeMemberView.as_view(),
        name="member_unsubscribe",
    ),
    path(
        "lists/<id:pk>/members/<id:member_pk>/subscribe/",
        views.ResubscribeMemberView.as_view(),
        name="member_resubscribe",
    ),
    path("lists/<id:pk>/members/<id:member_pk>/remove/", views.RemoveMemberView.as_view(), name="member_remove"),
    path("campaigns/", views.EmailCampaignListView.as_view(), name="campaign_list"),
    path("campaigns/<id:pk>/", views.EmailCampaignDetailView.as_view(), name="campaign_detail"),
]
