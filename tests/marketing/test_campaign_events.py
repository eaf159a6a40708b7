"""Individual opens and clicks: recorded once however often they are imported, and counted per day."""

import datetime
import json
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketing import services
from marketing.models import EmailCampaignEvent

from .conftest import ContactFactory, EmailCampaignFactory, race_after_first_read

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def at(day: int, hour: int) -> datetime.datetime:
    return datetime.datetime(2025, 3, day, hour, 30, tzinfo=UTC)


@pytest.fixture
def campaign():
    return EmailCampaignFactory()


def test_events_recorded_twice_are_never_doubled(campaign, django_assert_max_num_queries):
    a, b = ContactFactory.create_batch(2)
    rows = [
        {"contact_id": a.pk, "kind": "open", "occurred_at": at(1, 9), "url": "ignored for an open"},
        {"contact_id": a.pk, "kind": "click", "occurred_at": at(1, 9), "url": "https://shop.example/a"},
        {"contact_id": a.pk, "kind": "click", "occurred_at": at(1, 9), "url": "https://shop.example/b"},
        {"contact_id": b.pk, "kind": "open", "occurred_at": at(2, 10)},
        {"contact_id": b.pk, "kind": "open", "occurred_at": at(2, 10)},  # the same open twice in one page
    ]
    first = services.record_campaign_events(campaign_id=campaign.pk, rows=rows)
    assert (first.created, first.unchanged, first.skipped) == (4, 0, 0)
    # The campaign's check, then per batch of 2 (3 batches): the contacts, the stored events, a savepoint and release.
    with django_assert_max_num_queries(1 + 3 * 4):
        second = services.record_campaign_events(campaign_id=campaign.pk, rows=rows, batch_size=2)
    # b's open is in two batches now: each finds it stored (keys are counted once per batch).
    assert (second.created, second.unchanged, second.skipped) == (0, 5, 0)
    assert EmailCampaignEvent.objects.filter(campaign=campaign).count() == 4
    assert second.ids == first.ids
    assert first.ids[(a.pk, "open", at(1, 9), "")] == EmailCampaignEvent.objects.get(contact=a, kind="open").pk

    # The same instant given in another time zone is the same event.
    paris = at(2, 10).astimezone(zoneinfo.ZoneInfo("Europe/Paris"))
    third = services.record_campaign_events(
        campaign_id=campaign.pk, rows=[{"contact_id": b.pk, "kind": "open", "occurred_at": paris}]
    )
    assert (third.created, third.unchanged) == (0, 1)


def test_bad_events_are_skipped_with_their_reason(campaign):
    a = ContactFactory()
    result = services.record_campaign_events(
        campaign_id=campaign.pk,
        rows=[
            {"contact_id": a.pk, "kind": "bounce", "occurred_at": at(1, 1)},
            {"contact_id": a.pk, "kind": "click", "occurred_at": "yesterday", "url": "https://x.example"},
            {"contact_id": a.pk, "kind": "click", "occurred_at": at(1, 1), "url": "https://x.example/" + "a" * 2000},
            {"contact_id": a.pk, "kind": "click", "occurred_at": at(1, 1), "url": "https://x.example/" + "é" * 1000},
            {"contact_id": 999999, "kind": "open", "occurred_at": at(1, 1)},
            {"contact_id": a.pk, "kind": "open", "occurred_at": at(1, 1)},
        ],
    )
    assert (result.created, result.skipped) == (1, 5)
    assert [reason for _, reason in result.errors] == [
        "kind: unknown value 'bounce'",
        "occurred_at is not a date and time",
        "url longer than 2000 characters",
        "url longer than 2000 bytes",
        "contact 999999 does not exist",
    ]
    with pytest.raises(ValueError, match="No email campaign"):
        services.record_campaign_events(campaign_id=999999, rows=[])


def test_events_recorded_meanwhile_by_another_writer_are_not_counted(campaign, monkeypatch):
    a = ContactFactory()
    raced = race_after_first_read(
        monkeypatch,
        lambda: EmailCampaignEvent.objects.create(campaign=campaign, contact=a, kind="open", occurred_at=at(1, 1)),
    )
    result = services.record_campaign_events(
        campaign_id=campaign.pk,
        rows=[
            {"contact_id": a.pk, "kind": "open", "occurred_at": at(1, 1)},
            {"contact_id": a.pk, "kind": "open", "occurred_at": at(1, 2)},
        ],
    )
    assert raced and (result.created, result.unchanged) == (1, 1)
    assert EmailCampaignEvent.objects.count() == 2


def test_query_count_per_batch_does_not_grow_with_rows(campaign):
    contacts = ContactFactory.create_batch(60)

    def queries(members, hour):
        rows = [{"contact_id": c.pk, "kind": "open", "occurred_at": at(1, hour)} for c in members]
        with CaptureQueriesContext(connection) as captured:
            services.record_campaign_events(campaign_id=campaign.pk, rows=rows)
        return len(captured)

    assert queries(contacts[:3], 1) == queries(contacts, 2)
    assert EmailCampaignEvent.objects.count() == 63


def test_events_per_day_in_the_users_time_zone(campaign):
    a, b = ContactFactory.create_batch(2)
    services.record_campaign_events(
        campaign_id=campaign.pk,
        rows=[
            {"contact_id": a.pk, "kind": "open", "occurred_at": at(1, 9)},
            {"contact_id": b.pk, "kind": "open", "occurred_at": at(1, 23)},  # 2 March in Berlin
            {"contact_id": a.pk, "kind": "click", "occurred_at": at(1, 23), "url": "https://x.example"},
            {"contact_id": b.pk, "kind": "click", "occurred_at": at(3, 12), "url": "https://x.example"},
        ],
    )
    day = datetime.date
    assert services.campaign_events_per_day(campaign, tz=UTC) == [(day(2025, 3, 1), 2, 1), (day(2025, 3, 3), 0, 1)]
    assert services.campaign_events_per_day(campaign, tz=zoneinfo.ZoneInfo("Europe/Berlin")) == [
        (day(2025, 3, 1), 1, 0),
        (day(2025, 3, 2), 1, 1),
        (day(2025, 3, 3), 0, 1),
    ]
    assert services.campaign_events_per_day(EmailCampaignFactory()) == []


def test_campaign_page_shows_opens_and_clicks_per_day(client, campaign, marketer):
    a = ContactFactory()
    services.record_campaign_events(
        campaign_id=campaign.pk,
        rows=[
            {"contact_id": a.pk, "kind": "open", "occurred_at": at(1, 9)},
            {"contact_id": a.pk, "kind": "click", "occurred_at": at(1, 10), "url": "https://x.example"},
        ],
    )
    client.force_login(marketer)
    response = client.get(reverse("marketing:campaign_detail", args=[campaign.pk]))
    page = response.content.decode()
    assert 'id="campaign-events-per-day"' in page and "Opens and clicks per day" in page
    start = page.index('id="campaign-events-data"')
    data = json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])
    assert data == [{"date": "2025-03-01", "opens": 1, "clicks": 1}]
    empty = client.get(reverse("marketing:campaign_detail", args=[EmailCampaignFactory().pk])).content.decode()
    assert "No opens or clicks recorded yet." in empty
