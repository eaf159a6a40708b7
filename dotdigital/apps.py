from django.apps import AppConfig


class DotdigitalConfig(AppConfig):
    name = "dotdigital"
    verbose_name = "Dotdigital"

    def ready(self) -> None:
        from backoffice import roles
        from integrations.registry import registry

        from .integration import DotdigitalIntegrationType

        registry.register(DotdigitalIntegrationType())
        roles.grant(
            roles.MARKETING_MANAGER,
            "dotdigital.view_data_fields",
            "dotdigital.add_datafield",
            "dotdigital.change_datafield",
            "dotdigital.delete_datafield",
            "dotdigital.synchronize_datafield",
            "dotdigital.view_datafieldmapping",
            "dotdigital.add_datafieldmapping",
            "dotdigital.change_datafieldmapping",
            "dotdigital.delete_datafieldmapping",
        )
