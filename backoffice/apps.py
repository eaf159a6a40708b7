from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, using="default", **kwargs) -> None:
    from .roles import sync_role_permissions

    sync_role_permissions(using=using)


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = "Back-office"

    def ready(self) -> None:
        from django.urls import register_converter

        from . import roles
        from .converters import IdConverter

        register_converter(IdConverter, "id")  # `<id:pk>` in every app's urls.py

        roles.grant(roles.OPERATIONS, "django_celery_beat.view_periodictask")
        # Runs once per migrate, after every app's permissions exist (this app is last to be sent the signal
        # only by chance, so it listens to every sender and is idempotent).
        post_migrate.connect(_sync_roles, dispatch_uid="backoffice.sync_roles")
