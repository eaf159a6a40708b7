"""The Django admin: campaign statistics and activity are the integrations' to write, read-only for everyone."""

import pytest
from django.contrib import admin
from django.urls import reverse

from marketing import services
from marketing.models import EmailCampaignActivity, EmailCampaignStatistics

from .conftest import EmailCampaignFactory

pytestmark = pytest.mark.django_db


def test_an_administrator_cannot_edit_campaign_statistics_in_the_admin(admin_client):
    campaign = EmailCampaignFactory()
    services.record_campaign_statistics(
        rows=[{"campaign_id": campaign.pk, "sent": 100, "delivered": 90, "unique_opens": 45}]
    )
    url = reverse("admin:marketing_emailcampaign_change", args=[campaign.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="statistics-0-sent"' not in html  # no input: read-only
    assert ">100<" in html  # shown, read-only

    response = admin_client.post(
        url,
        {
            "name": campaign.name,
            "status": campaign.status,
            "owner": campaign.owner_id,
            "source": campaign.source,
            "statistics-TOTAL_FORMS": "1",
            "statistics-INITIAL_FORMS": "1",
            "statistics-0-id": campaign.statistics.pk,
            "statistics-0-campaign": campaign.pk,
            "statistics-0-sent": "999999",
        },
    )
    assert response.status_code in (200, 302)
    assert EmailCampaignStatistics.objects.get(campaign=campaign).sent == 100


def test_campaign_activity_has_no_admin_pages():
    assert not admin.site.is_registered(EmailCampaignActivity)
    assert not admin.site.is_registered(EmailCampaignStatistics)
