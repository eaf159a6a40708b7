from django.contrib import admin

from .models import Contact, EmailCampaign, EmailCampaignStatistics, MarketingList


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
    model = EmailCampaignStatistics
    can_delete = False


@admin.register(EmailCampaign)
class EmailCampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "sent_at", "source", "owner")
    list_filter = ("status", "source")
    raw_id_fields = ("owner", "marketing_list")
    inlines = [StatisticsInline]
