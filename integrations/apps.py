from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from django.core import checks

        from backoffice import roles
        from backoffice.menu import MenuItem, menu

        from . import crypto
        from .checks import check_field_encryption_key

        # No tag: it runs on every `check`, runserver and migrate, not only with --deploy.
        checks.register(check_field_encryption_key)
        crypto.register_encrypted_column("integrations.Integration", "secrets")
        menu.register(
            MenuItem(
                path=("System", "Integrations"),
                label="Manage Integrations",
                url_name="integrations:list",
                permissions=("integrations.view_integration",),
                order=10,
                icon="plug",
            )
        )
        # Operations see the grid and the view pages; they never edit and never see a secret (nobody does).
        roles.grant(roles.OPERATIONS, "integrations.view_integration", "integrations.run_sync")
        self._register_beat_entry()

    @staticmethod
    def _register_beat_entry() -> None:
        """One beat entry a minute queues the integrations that are due (django-celery-beat stores it)."""
        from backoffice.celery import app

        app.conf.beat_schedule = {
            **(app.conf.beat_schedule or {}),
            "integrations.schedule_due_syncs": {"task": "integrations.schedule_due_syncs", "schedule": 60.0},
        }
