from django.apps import AppConfig


class DotdigitalConfig(AppConfig):
    name = "dotdigital"
    verbose_name = "Dotdigital"

    def ready(self) -> None:
        from backoffice import roles
        from integrations import crypto
        from integrations.registry import registry
        from marketing import signals
        from marketing.models import Contact, MarketingList
        from marketing.panels import register_panel
        from marketing.sources import register_source

        from . import exports
        from .installation import SOURCE
        from .integration import DotdigitalIntegrationType
        from .panels import render_address_book_panel, render_contact_panel

        registry.register(DotdigitalIntegrationType())
        register_source(SOURCE, "Dotdigital")
        register_panel(MarketingList, "dotdigital", render_address_book_panel, order=50)
        register_panel(Contact, "dotdigital", render_contact_panel, order=50)
        signals.contacts_changed.connect(exports.on_contacts_changed, dispatch_uid="dotdigital-contacts-changed")
        signals.list_members_changed.connect(
            exports.on_list_members_changed, dispatch_uid="dotdigital-list-members-changed"
        )
        # Marketing Managers open Email Studio, keep the data fields and their mappings, connect address books to
        # their lists and choose which books' contacts are imported; Operations run the syncs but see none of these.
        roles.grant(
            roles.MARKETING_MANAGER,
            "dotdigital.use_email_studio",
            "dotdigital.view_data_fields",
            "dotdigital.add_datafield",
            "dotdigital.change_datafield",
            "dotdigital.delete_datafield",
            "dotdigital.synchronize_datafield",
            "dotdigital.view_datafieldmapping",
            "dotdigital.add_datafieldmapping",
            "dotdigital.change_datafieldmapping",
            "dotdigital.delete_datafieldmapping",
            "dotdigital.view_addressbook",
            "dotdigital.change_addressbook",
            "dotdigital.connect_address_book",
        )
        crypto.register_encrypted_column("dotdigital.EmailStudioConnection", "refresh_token")
