from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from . import views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("health/", views.health, name="health"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("django-admin/", admin.site.urls),
    path("integrations/", include("integrations.urls")),
    path("marketing/", include("marketing.urls")),
    path("dotdigital/", include("dotdigital.urls")),
    # The JSON API: each app's endpoints under /api/, described at /api/schema/ (OpenAPI, drf-spectacular).
    path("api/", include("integrations.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
]
