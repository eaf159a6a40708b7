from django.urls import path

from . import views

app_name = "dotdigital"
urlpatterns = [
    path("data-fields/", views.DataFieldsView.as_view(), name="data_fields"),
]
