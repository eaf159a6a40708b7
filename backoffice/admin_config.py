"""django.contrib.admin's app config with the back-office's site as the default `admin.site`.

Its own module: a second AppConfig in `apps.py` would stop Django from picking `BackofficeConfig` for the app.
"""

from django.contrib.admin.apps import AdminConfig


class BackofficeAdminConfig(AdminConfig):
    default_site = "backoffice.admin.BackofficeAdminSite"
