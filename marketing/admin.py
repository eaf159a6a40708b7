from django.contrib import admin

from .models import STATISTIC_FIELDS, Contact, EmailCampaign, EmailCampaignStatistics, MarketingList


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("email", "first_name", "last_name", "owner", "source", "created_at")
    list_filter = ("source",)
    search_fields = ("email__istartswith", "last_name__istartswith")
    raw_id_fields = ("owner",)
    show_full_result_count = False


@admin.register(MarketingList)
class MarketingListAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "source", "updated_at")
    raw_id_fields = ("owner",)


class StatisticsInline(admin.StackedInline):
    """A campaign's numbers, shown read-only: integrations write them (`services.record_campaign_statistics`), no
    one invents them, Administrators included. Per-contact activity is not in the admin at all: it is read on the
    campaign's page, where its grid pages through thousands of rows."""

    model = EmailCampaignStatistics
    can_delete = False
    readonly_fields = (*STATISTIC_FIELDS, "revenue")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EmailCampaign)
class EmailCampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "sent_at", "source", "owner")
    list_filter = ("status", "source")
    raw_id_fields = ("owner", "marketing_list")
    inlines = [StatisticsInline]
