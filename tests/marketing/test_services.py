"""The writes: bulk upserts for importers, membership changes, deletions."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketing import services, sources
from marketing.choices import CampaignStatus, MemberStatus
from marketing.models import Contact, EmailCampaign, EmailCampaignActivity, MarketingListMember

from .conftest import ContactFactory, EmailCampaignFactory, MarketingListFactory, MemberFactory

pytestmark = pytest.mark.django_db


def test_upsert_contacts_creates_updates_and_skips(owner, make_user):
    manual_owner = make_user(None, username="someone")
    existing = ContactFactory(email="Ann@Example.com", first_name="Ann", last_name="Old", owner=manual_owner)
    unchanged = ContactFactory(email="same@example.com", first_name="Same", last_name="Person", company="ACME")
    rows = [
        {"email": "ann@example.com", "last_name": "Lee"},  # matches ignoring case; only last_name given
        {"email": "new@example.com", "first_name": "New", "last_name": "Person", "company": None},
        {"email": "SAME@example.com", "first_name": "Same"},
        {"email": "not-an-email", "first_name": "Bad"},
        {"first_name": "No email"},
    ]
    result = services.upsert_contacts(rows, owner, "acme")
    assert (result.created, result.updated, result.unchanged, result.skipped) == (1, 2, 0, 2)
    assert "Not a valid email: 'not-an-email'" in result.errors

    existing.refresh_from_db()
    assert (existing.first_name, existing.last_name, existing.email) == ("Ann", "Lee", "ann@example.com")
    assert existing.owner == manual_owner and existing.source == sources.MANUAL  # existing keep owner and source
    new = Contact.objects.get(email="new@example.com")
    assert (new.owner, new.source, new.company) == (owner, "acme", "")
    unchanged.refresh_from_db()
    assert unchanged.email == "SAME@example.com" and unchanged.company == "ACME"

    again = services.upsert_contacts([{"email": "new@example.com", "first_name": "New"}], owner, "acme")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_upsert_contacts_in_batches_with_duplicates_in_a_batch(owner):
    rows = [{"email": f"p{i}@example.com", "last_name": f"P{i}"} for i in range(25)]
    rows.append({"email": "P3@example.com", "last_name": "Last wins"})
    result = services.upsert_contacts(rows, owner, "acme", batch_size=10)
    assert Contact.objects.count() == 25
    # p3 is created by the first batch; the last batch, where P3 comes again, updates it.
    assert (result.created, result.updated, result.unchanged, result.skipped) == (25, 1, 0, 0)
    assert Contact.objects.get(email__iexact="p3@example.com").last_name == "Last wins"


def test_upsert_contacts_query_count_does_not_grow_with_rows(owner):
    """Per batch: a SELECT, an INSERT and an UPDATE, whatever the number of rows (within SQLite's parameter limit)."""

    def queries(n: int, first_name: str) -> int:
        rows = [{"email": f"bulk{i}@example.com", "first_name": first_name} for i in range(n)]
        with CaptureQueriesContext(connection) as captured:
            services.upsert_contacts(rows, owner, "acme")
        return len(captured)

    assert queries(10, "A") == queries(80, "A")  # creates
    assert queries(10, "B") == queries(80, "B")  # updates
    assert Contact.objects.filter(first_name="B").count() == 80


def test_add_unsubscribe_remove_and_resubscribe(owner):
    marketing_list = MarketingListFactory(owner=owner)
    a, b, c = ContactFactory.create_batch(3)
    result = services.add_contacts_to_list(marketing_list, [a.pk, b.pk, c.pk, 999999])
    assert (result.added, result.resubscribed, result.already) == (3, 0, 0)
    assert services.member_counts(marketing_list) == {"subscribed": 3, "unsubscribed": 0, "removed": 0, "members": 3}

    member_b = MarketingListMember.objects.get(marketing_list=marketing_list, contact=b)
    when = timezone.now() - datetime.timedelta(days=2)
    services.unsubscribe_member(member_b, reason="  Asked by phone ", at=when)
    member_b.refresh_from_db()
    assert (member_b.status, member_b.unsubscribed_at, member_b.unsubscribe_reason) == (
        MemberStatus.UNSUBSCRIBED,
        when,
        "Asked by phone",
    )

    member_c = MarketingListMember.objects.get(marketing_list=marketing_list, contact=c)
    services.remove_member(member_c)
    assert services.member_counts(marketing_list) == {"subscribed": 1, "unsubscribed": 1, "removed": 1, "members": 2}
    with pytest.raises(ValidationError):
        services.unsubscribe_member(member_c)

    # Adding again: the removed one comes back, the unsubscribed one stays unsubscribed.
    result = services.add_contacts_to_list(marketing_list, [b.pk, c.pk])
    assert (result.added, result.resubscribed, result.already) == (0, 1, 1)
    member_b.refresh_from_db()
    assert member_b.status == MemberStatus.UNSUBSCRIBED

    services.resubscribe_member(member_b)
    member_b.refresh_from_db()
    assert (member_b.status, member_b.unsubscribed_at, member_b.unsubscribe_reason) == (
        MemberStatus.SUBSCRIBED,
        None,
        "",
    )


def test_deleting_a_list_keeps_its_contacts(owner):
    marketing_list = MarketingListFactory(owner=owner)
    contacts = ContactFactory.create_batch(3)
    services.add_contacts_to_list(marketing_list, [c.pk for c in contacts])
    campaign = EmailCampaignFactory(marketing_list=marketing_list)
    assert services.delete_marketing_list(marketing_list) == 3
    assert Contact.objects.filter(pk__in=[c.pk for c in contacts]).count() == 3
    assert MarketingListMember.objects.count() == 0
    campaign.refresh_from_db()
    assert campaign.marketing_list is None


def test_deleting_a_contact_reports_what_goes_with_it(owner):
    contact = ContactFactory()
    MemberFactory(contact=contact)
    MemberFactory(contact=contact)
    campaign = EmailCampaignFactory()
    services.upsert_campaign_activities(campaign.pk, [{"contact_id": contact.pk, "opens": 1}])
    assert services.delete_contact(contact) == {"memberships": 2, "activities": 1}
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert EmailCampaign.objects.filter(pk=campaign.pk).exists()


def test_upsert_email_campaigns_keyed_by_source_and_external_id(owner, make_user):
    other = make_user(None, username="other")
    sent = timezone.now()
    ids = services.upsert_email_campaigns(
        [
            {"external_id": 1, "name": "Spring", "status": CampaignStatus.SENT, "sent_at": sent},
            {"external_id": "2", "name": "Summer", "subject": "Hot"},
        ],
        owner,
        "acme",
    )
    assert set(ids) == {"1", "2"}
    ids2 = services.upsert_email_campaigns([{"external_id": "1", "name": "Spring (renamed)"}], other, "acme")
    assert ids2["1"] == ids["1"]
    spring = EmailCampaign.objects.get(pk=ids["1"])
    assert (spring.name, spring.owner, spring.status, spring.sent_at) == ("Spring (renamed)", owner, "sent", sent)
    assert EmailCampaign.objects.count() == 2


def test_statistics_and_activity_are_recorded(owner):
    campaign = EmailCampaignFactory()
    a, b = ContactFactory.create_batch(2)
    stats = services.record_campaign_statistics(
        campaign.pk, sent=100, delivered=90, unique_opens=45, revenue=Decimal("12.50")
    )
    assert stats.rate("unique_opens") == 50.0
    services.record_campaign_statistics(campaign.pk, sent=101)
    campaign.statistics.refresh_from_db()
    assert (campaign.statistics.sent, campaign.statistics.delivered) == (101, 90)
    with pytest.raises(ValueError, match="Unknown campaign statistics: invented"):
        services.record_campaign_statistics(campaign.pk, invented=3)

    now = timezone.now()
    services.upsert_campaign_activities(
        campaign.pk,
        [
            {"contact_id": a.pk, "opens": 2, "first_opened_at": now, "clicks": 1, "last_clicked_at": now},
            {"contact_id": b.pk, "bounce": "hard", "bounced_at": now},
        ],
    )
    services.upsert_campaign_activities(campaign.pk, [{"contact_id": a.pk, "opens": 3, "unsubscribed_at": now}])
    assert EmailCampaignActivity.objects.get(contact=a).opens == 3
    assert services.campaign_activity_summary(campaign) == {
        "contacts": 2,
        "opened": 1,
        "clicked": 1,
        "unsubscribed": 1,
        "bounced": 1,
    }


def test_upsert_list_members_sets_states(owner):
    marketing_list = MarketingListFactory()
    a, b, c = ContactFactory.create_batch(3)
    services.add_contacts_to_list(marketing_list, [a.pk])
    when = timezone.now() - datetime.timedelta(days=1)
    result = services.upsert_list_members(
        marketing_list,
        [
            {"contact_id": a.pk, "status": "unsubscribed", "at": when, "reason": "Unsubscribed"},
            {"contact_id": b.pk, "status": "subscribed"},
            {"contact_id": c.pk, "status": "removed", "at": when},
            {"contact_id": c.pk, "status": "bogus"},
        ],
    )
    assert result.skipped == 1
    states = dict(marketing_list.members.values_list("contact_id", "status"))
    assert states == {a.pk: "unsubscribed", b.pk: "subscribed", c.pk: "removed"}
    assert marketing_list.members.get(contact=a).unsubscribed_at == when


def test_upsert_email_campaigns_updates_only_the_keys_each_row_gives(owner):
    sent = timezone.now()
    ids = services.upsert_email_campaigns(
        [
            {"external_id": "1", "name": "Spring", "subject": "Hello", "status": CampaignStatus.SENT, "sent_at": sent},
            {"external_id": "2", "name": "Summer", "subject": "Hot"},
        ],
        owner,
        "acme",
    )
    # One batch, rows with different keys: a row that leaves out subject, status or sent_at keeps them.
    services.upsert_email_campaigns(
        [{"external_id": "1", "name": "Spring (renamed)"}, {"external_id": "2", "name": "Summer", "subject": "Hotter"}],
        owner,
        "acme",
    )
    spring, summer = EmailCampaign.objects.get(pk=ids["1"]), EmailCampaign.objects.get(pk=ids["2"])
    assert (spring.name, spring.subject, spring.status, spring.sent_at) == ("Spring (renamed)", "Hello", "sent", sent)
    assert (summer.name, summer.subject) == ("Summer", "Hotter")


def test_upsert_email_campaigns_with_an_external_id_twice_in_a_batch(owner):
    """PostgreSQL refuses ON CONFLICT DO UPDATE touching a row twice in one statement: rows are merged first, in
    order, so the last value of each key wins."""
    ids = services.upsert_email_campaigns(
        [
            {"external_id": "7", "name": "First", "subject": "Kept"},
            {"external_id": 7, "name": "Second"},
            {"external_id": "8", "name": "Other"},
        ],
        owner,
        "acme",
    )
    assert set(ids) == {"7", "8"}
    campaign = EmailCampaign.objects.get(pk=ids["7"])
    assert (campaign.name, campaign.subject) == ("Second", "Kept")
    assert EmailCampaign.objects.count() == 2


def test_upsert_campaign_activities_updates_only_the_keys_each_row_gives(owner):
    campaign = EmailCampaignFactory()
    a, b = ContactFactory.create_batch(2)
    now = timezone.now()
    services.upsert_campaign_activities(
        campaign.pk, [{"contact_id": a.pk, "opens": 5, "first_opened_at": now}, {"contact_id": b.pk, "opens": 1}]
    )
    services.upsert_campaign_activities(
        campaign.pk, [{"contact_id": a.pk, "clicks": 2}, {"contact_id": b.pk, "opens": 2, "bounce": "soft"}]
    )
    activity_a = EmailCampaignActivity.objects.get(contact=a)
    assert (activity_a.opens, activity_a.first_opened_at, activity_a.clicks) == (5, now, 2)
    activity_b = EmailCampaignActivity.objects.get(contact=b)
    assert (activity_b.opens, activity_b.bounce) == (2, "soft")


def test_upsert_campaign_activities_with_a_contact_twice_in_a_batch(owner):
    campaign = EmailCampaignFactory()
    a, b = ContactFactory.create_batch(2)
    result = services.upsert_campaign_activities(
        campaign.pk,
        [
            {"contact_id": a.pk, "opens": 1, "clicks": 4},
            {"contact_id": b.pk, "opens": 1},
            {"contact_id": a.pk, "opens": 3},
        ],
    )
    assert result.updated == 2
    activity_a = EmailCampaignActivity.objects.get(contact=a)
    assert (activity_a.opens, activity_a.clicks) == (3, 4)


def test_upsert_list_members_with_a_contact_twice_in_a_batch():
    marketing_list = MarketingListFactory()
    a, b = ContactFactory.create_batch(2)
    result = services.upsert_list_members(
        marketing_list,
        [
            {"contact_id": a.pk, "status": "unsubscribed", "reason": "First"},
            {"contact_id": b.pk, "status": "subscribed"},
            {"contact_id": a.pk, "status": "removed"},
        ],
    )
    assert result.updated == 2
    assert dict(marketing_list.members.values_list("contact_id", "status")) == {a.pk: "removed", b.pk: "subscribed"}


def race_after_first_read(monkeypatch, concurrent_write):
    """Have `concurrent_write()` run once right after a batch's first read of its existing records, as another
    writer committing between that read and the batch's INSERT would."""
    real_insert_missing = services._insert_missing
    done = []

    def insert_missing(model, find_existing, build_new):
        def find_then_race():
            found = find_existing()
            if not done:
                done.append(concurrent_write())
            return found

        return real_insert_missing(model, find_then_race, build_new)

    monkeypatch.setattr(services, "_insert_missing", insert_missing)
    return done


def test_upsert_contacts_counts_only_what_it_inserted(owner, monkeypatch):
    """A contact created by someone else between the batch's SELECT and its INSERT is not counted as created: it is
    updated with the row's values instead of being skipped silently."""
    raced = race_after_first_read(
        monkeypatch, lambda: Contact.objects.create(email="Race@Example.com", first_name="Other", owner=owner)
    )
    result = services.upsert_contacts(
        [{"email": "race@example.com", "first_name": "Mine"}, {"email": "calm@example.com"}], owner, "acme"
    )
    assert raced
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert Contact.objects.get(email__iexact="race@example.com").first_name == "Mine"
    assert Contact.objects.count() == 2


def test_add_contacts_to_list_counts_only_what_it_inserted(owner, monkeypatch):
    marketing_list = MarketingListFactory()
    a, b = ContactFactory.create_batch(2)
    raced = race_after_first_read(monkeypatch, lambda: MemberFactory(marketing_list=marketing_list, contact=a))
    result = services.add_contacts_to_list(marketing_list, [a.pk, b.pk])
    assert raced
    assert (result.added, result.resubscribed, result.already) == (1, 0, 1)
    assert services.member_counts(marketing_list)["subscribed"] == 2
