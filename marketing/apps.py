from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = "Marketing"

    def ready(self) -> None:
        from backoffice import roles
        from backoffice.menu import MenuItem, menu

        menu.register(
            MenuItem(
                path=("Marketing",),
                label="Contacts",
                url_name="marketing:contact_list",
                permissions=("marketing.view_contact",),
                order=10,
                icon="people",
            )
        )
        menu.register(
            MenuItem(
                path=("Marketing",),
                label="Marketing Lists",
                url_name="marketing:list_list",
                permissions=("marketing.view_marketinglist",),
                order=20,
                icon="card-checklist",
            )
        )
        menu.register(
            MenuItem(
                path=("Marketing",),
                label="Email Campaigns",
                url_name="marketing:campaign_list",
                permissions=("marketing.view_emailcampaign",),
                order=30,
                icon="envelope-paper",
            )
        )

        editable = ("contact", "marketinglist", "marketinglistmember")
        readable = (*editable, "emailcampaign", "emailcampaignstatistics", "emailcampaignactivity")
        # Marketing Managers edit contacts, lists and members; campaigns and their numbers come from integrations,
        # so they only read those.
        roles.grant(
            roles.MARKETING_MANAGER,
            *(f"marketing.{verb}_{model}" for model in editable for verb in ("add", "change", "delete")),
            *(f"marketing.view_{model}" for model in readable),
        )
        roles.grant(roles.OPERATIONS, *(f"marketing.view_{model}" for model in readable))
