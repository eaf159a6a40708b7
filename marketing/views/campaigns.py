"""Marketing > Email Campaigns: grid and view page, read-only (integrations write campaigns)."""

from __future__ import annotations

from django.contrib.humanize.templatetags.humanize import intcomma
from django.views.generic import DetailView
from django_tables2 import RequestConfig

from backoffice.generic import BackofficeMixin, GridView
from backoffice.paging import DEFAULT_PAGE_SIZE, paginate_table

from .. import services
from ..choices import CAMPAIGN_STATUS_BADGES
from ..filters import EmailCampaignFilter
from ..models import (
    EmailCampaign,
    EmailCampaignActivity,
    EmailCampaignStatistics,
)
from ..paging import KeysFirstQuerySet, LargeTablePaginator
from ..panels import render_panels
from ..tables import ActivityTable, EmailCampaignTable
from .base import (
    CAMPAIGNS,
    MARKETING,
    ObjectPageMixin,
)


class EmailCampaignListView(GridView):
    permission_required = "marketing.view_emailcampaign"
    title = "Email Campaigns"
    breadcrumbs = (MARKETING,)
    table_class = EmailCampaignTable
    filterset_class = EmailCampaignFilter
    empty_message = (
        "No email campaigns yet. Campaigns appear here when an integration imports them from your email platform."
    )

    def get_queryset(self):
        return EmailCampaign.objects.select_related("owner", "statistics")


def statistic_tiles(statistics: EmailCampaignStatistics) -> list[dict]:
    """The numbers of a campaign as tiles: value, label, and the rate against what it is a share of."""
    tiles = []
    for key, label, of in (
        ("sent", "Sent", None),
        ("delivered", "Delivered", "sent"),
        ("opens", "Opens", None),
        ("unique_opens", "Unique opens", "delivered"),
        ("clicks", "Clicks", None),
        ("unique_clicks", "Unique clicks", "delivered"),
        ("unsubscribes", "Unsubscribes", "delivered"),
        ("hard_bounces", "Hard bounces", "sent"),
        ("soft_bounces", "Soft bounces", "sent"),
        ("complaints", "Complaints", "delivered"),
    ):
        rate = statistics.rate(key, of) if of else None
        tiles.append({"key": key, "label": label, "value": intcomma(getattr(statistics, key)), "rate": rate})
    tiles.append({"key": "revenue", "label": "Revenue", "value": intcomma(statistics.revenue), "rate": None})
    return tiles


class EmailCampaignDetailView(ObjectPageMixin, BackofficeMixin, DetailView):
    permission_required = "marketing.view_emailcampaign"
    queryset = EmailCampaign.objects.select_related("owner", "statistics", "marketing_list")
    template_name = "marketing/campaign_detail.html"
    breadcrumbs = (MARKETING, CAMPAIGNS)
    activity_page_size = DEFAULT_PAGE_SIZE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = self.object
        statistics = getattr(campaign, "statistics", None)  # None until an integration reports numbers
        activities = KeysFirstQuerySet(EmailCampaignActivity).filter(campaign=campaign).select_related("contact")
        table = ActivityTable(activities)  # unsorted: the (campaign, contact) unique index serves the pages
        RequestConfig(self.request, paginate=False).configure(table)  # sorting from the query string
        paginate_table(table, self.request, LargeTablePaginator, default=self.activity_page_size)
        events_per_day = services.campaign_events_per_day(campaign)  # in the user's time zone, activated per request
        context.update(
            statistics=statistics,
            stat_tiles=statistic_tiles(statistics) if statistics else [],
            status_badge=CAMPAIGN_STATUS_BADGES.get(campaign.status, "secondary"),
            activity_summary=services.campaign_activity_summary(campaign),
            events_per_day=events_per_day,
            events_data=[
                {"date": day.isoformat(), "opens": opens, "clicks": clicks} for day, opens, clicks in events_per_day
            ],
            activity_table=table,
            panels=render_panels(self.request, campaign),
        )
        return context
