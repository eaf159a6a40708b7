"""The hook integrations use to show themselves on the contact, list and campaign pages."""

import pytest
from django.urls import reverse
from django.utils.html import format_html

from marketing.models import Contact, EmailCampaign, MarketingList
from marketing.panels import panels_for, register_panel, unregister_panel

from .conftest import ContactFactory, EmailCampaignFactory, MarketingListFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def panels():
    registered = []

    def register(model, key, render, order=100):
        registered.append((model, key))
        return register_panel(model, key, render, order)

    yield register
    for model, key in registered:
        unregister_panel(model, key)


def test_every_view_page_renders_its_panels(client, marketer, panels):
    def status(request, obj):
        return format_html('<section class="card"><div class="card-body">Platform status of {}</div></section>', obj)

    panels(Contact, "acme", status)
    panels(MarketingList, "acme", status)
    panels(EmailCampaign, "acme", status)
    contact, marketing_list, campaign = (
        ContactFactory(email="p@example.com"),
        MarketingListFactory(name="VIP"),
        EmailCampaignFactory(name="Promo"),
    )
    client.force_login(marketer)
    for obj, url in (
        (contact, reverse("marketing:contact_detail", args=[contact.pk])),
        (marketing_list, reverse("marketing:list_detail", args=[marketing_list.pk])),
        (campaign, reverse("marketing:campaign_detail", args=[campaign.pk])),
    ):
        page = client.get(url).content.decode()
        assert f"Platform status of {obj}" in page, url


def test_panels_in_order_and_none_shows_nothing(client, marketer, panels):
    panels(Contact, "second", lambda request, obj: format_html("<p>{}</p>", "second panel"), order=20)
    panels(Contact, "first", lambda request, obj: format_html("<p>{}</p>", "first panel"), order=10)
    panels(Contact, "silent", lambda request, obj: None)
    ours = [p.key for p in panels_for(Contact) if p.key in ("first", "second", "silent")]
    assert ours == ["first", "second", "silent"]  # installed apps (Dotdigital) add theirs among them
    contact = ContactFactory()
    client.force_login(marketer)
    page = client.get(reverse("marketing:contact_detail", args=[contact.pk])).content.decode()
    assert page.index("first panel") < page.index("second panel")
    assert page.count('data-testid="integration-panel"') == 2


def test_a_failing_panel_is_left_out(client, marketer, panels, caplog):
    def broken(request, obj):
        raise RuntimeError("platform down")

    panels(MarketingList, "broken", broken)
    marketing_list = MarketingListFactory()
    client.force_login(marketer)
    response = client.get(reverse("marketing:list_detail", args=[marketing_list.pk]))
    assert response.status_code == 200
    assert "Panel 'broken' for MarketingList" in caplog.text


def test_panel_gets_the_request(client, marketer, panels):
    panels(Contact, "who", lambda request, obj: format_html("<p>seen by {}</p>", request.user.username))
    contact = ContactFactory()
    client.force_login(marketer)
    assert "seen by marketer1" in client.get(reverse("marketing:contact_detail", args=[contact.pk])).content.decode()


def test_a_plain_string_from_a_panel_is_escaped(client, marketer, panels):
    """Only a SafeString (render_to_string, format_html) goes out as HTML: a str built with an f-string is text."""
    contact = ContactFactory(first_name="<script>alert(1)</script>")
    panels(Contact, "careless", lambda request, obj: f"<div>Synced {obj.first_name}</div>")
    panels(Contact, "careful", lambda request, obj: format_html("<div>Careful {}</div>", obj.first_name))
    client.force_login(marketer)
    page = client.get(reverse("marketing:contact_detail", args=[contact.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;div&gt;Synced &lt;script&gt;alert(1)&lt;/script&gt;&lt;/div&gt;" in page
    assert "<div>Careful &lt;script&gt;alert(1)&lt;/script&gt;</div>" in page
