from django.apps import AppConfig


class DotdigitalConfig(AppConfig):
    name = "dotdigital"
    verbose_name = "Dotdigital"

    def ready(self) -> None:
        from backoffice import roles
        from integrations import crypto
        from integrations.registry import registry
        from marketing.models import MarketingList
        from marketing.panels import register_panel
        from marketing.sources import register_source

        from .installation import SOURCE
        from .integration import DotdigitalIntegrationType
        from .panels import render_address_book_panel

        registry.register(DotdigitalIntegrationType())
        register_source(SOURCE, "Dotdigital")
        register_panel(MarketingList, "dotdigital", render_address_book_panel, order=50)
        # Marketing Managers connect address books to their lists and choose which books' contacts are imported;
        # Operations run the syncs but do not see this page.
        roles.grant(
            roles.MARKETING_MANAGER,
            "dotdigital.view_data_fields",
            "dotdigital.view_addressbook",
            "dotdigital.change_addressbook",
            "dotdigital.connect_address_book",
            "dotdigital.use_email_studio",
        )
        crypto.register_encrypted_column("dotdigital.EmailStudioConnection", "refresh_token")
