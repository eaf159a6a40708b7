from django.apps import AppConfig


class DotdigitalConfig(AppConfig):
    name = "dotdigital"
    verbose_name = "Dotdigital"

    def ready(self) -> None:
        from backoffice import roles
        from integrations import crypto
        from integrations.registry import registry

        from .integration import DotdigitalIntegrationType

        registry.register(DotdigitalIntegrationType())
        roles.grant(roles.MARKETING_MANAGER, "dotdigital.view_data_fields")
        roles.grant(roles.MARKETING_MANAGER, "dotdigital.use_email_studio")
        crypto.register_encrypted_column("dotdigital.EmailStudioConnection", "refresh_token")
