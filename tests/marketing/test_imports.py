"""The importers' bulk upserts: exact counts, ids by key, bounded queries per batch, bad rows skipped with a reason."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketing import services, sources
from marketing.choices import CampaignStatus, MemberStatus
from marketing.models import (
    Contact,
    EmailCampaign,
    EmailCampaignActivity,
    EmailCampaignStatistics,
    MarketingListMember,
)
from marketing.services import UpsertResult

from .conftest import ContactFactory, EmailCampaignFactory, MarketingListFactory, MemberFactory, race_after_first_read

pytestmark = pytest.mark.django_db


def counts(result: UpsertResult) -> tuple[int, int, int, int]:
    return result.created, result.updated, result.unchanged, result.skipped


def query_count(write) -> int:
    with CaptureQueriesContext(connection) as captured:
        write()
    return len(captured)


# The result ----------------------------------------------------------------------------------------------------------


def test_upsert_result_adds_up_and_bounds_its_errors():
    total = UpsertResult(created=1, updated=2, ids={"a": 1})
    other = UpsertResult(unchanged=3, ids={"b": 2})
    for n in range(150):
        other.skip(n, "bad")
    total += other
    total.merge(UpsertResult(created=4, errors=[("x", "also bad")], skipped=1))
    assert counts(total) == (5, 2, 3, 151)
    assert total.changed == 7
    assert len(total.errors) == UpsertResult.MAX_ERRORS and total.errors[0] == (0, "bad")
    assert total.ids == {"a": 1, "b": 2}


def test_batch_size_must_be_positive(owner):
    with pytest.raises(ValueError, match="batch_size"):
        services.upsert_contacts(rows=[{"email": "a@example.com"}], owner=owner, source="acme", batch_size=0)


def test_the_upserts_take_keyword_arguments_only(owner):
    with pytest.raises(TypeError):
        services.upsert_contacts([{"email": "a@example.com"}], owner, "acme")  # type: ignore[misc]


# Contacts ------------------------------------------------------------------------------------------------------------


def test_upsert_contacts_creates_updates_keeps_and_skips(owner, make_user):
    manual_owner = make_user(None, username="someone")
    existing = ContactFactory(email="Ann@Example.com", first_name="Ann", last_name="Old", owner=manual_owner)
    same = ContactFactory(email="same@example.com", first_name="Same", last_name="Person", company="ACME")
    rows = [
        {"email": "ann@example.com", "last_name": "Lee"},  # matches ignoring case; only last_name given
        {"email": "new@example.com", "first_name": "New", "last_name": "Person", "company": None},
        {"email": "SAME@example.com", "first_name": "Same"},
        {"email": "not-an-email", "first_name": "Bad"},
        {"first_name": "No email"},
        {"email": "long@example.com", "first_name": "x" * 300},
    ]
    result = services.upsert_contacts(rows=rows, owner=owner, source="acme")
    assert counts(result) == (1, 2, 0, 3)
    assert result.errors == [
        ("not-an-email", "Not a valid email: 'not-an-email'"),
        (None, "Not a valid email: ''"),
        ("long@example.com", "first_name longer than 100 characters"),
    ]
    new = Contact.objects.get(email="new@example.com")
    assert result.ids == {"ann@example.com": existing.pk, "new@example.com": new.pk, "same@example.com": same.pk}
    assert not Contact.objects.filter(email="long@example.com").exists()

    existing.refresh_from_db()
    assert (existing.first_name, existing.last_name, existing.email) == ("Ann", "Lee", "ann@example.com")
    assert existing.owner == manual_owner and existing.source == sources.MANUAL  # existing keep owner and source
    assert (new.owner, new.source, new.company) == (owner, "acme", "")
    same.refresh_from_db()
    assert same.email == "SAME@example.com" and same.company == "ACME"

    again = services.upsert_contacts(rows=[{"email": "NEW@example.com", "first_name": "New"}], owner=owner, source="x")
    assert counts(again) == (0, 1, 0, 0)  # the email's spelling changed
    again = services.upsert_contacts(rows=[{"email": "NEW@example.com", "first_name": "New"}], owner=owner, source="x")
    assert counts(again) == (0, 0, 1, 0) and again.ids == {"new@example.com": new.pk}


def test_upsert_contacts_in_batches_with_duplicates_in_a_batch(owner):
    rows = [{"email": f"p{i}@example.com", "last_name": f"P{i}"} for i in range(25)]
    rows.append({"email": "P3@example.com", "last_name": "Last wins"})
    rows.insert(1, {"email": "p0@example.com", "first_name": "Merged"})  # same batch as p0: rows applied in order
    with CaptureQueriesContext(connection) as captured:
        result = services.upsert_contacts(rows=rows, owner=owner, source="acme", batch_size=10)
    assert Contact.objects.count() == 25
    # p3 is created by the first batch; the last batch, where P3 comes again, updates it.
    assert counts(result) == (25, 1, 0, 0)
    assert len(result.ids) == 25
    assert Contact.objects.get(email__iexact="p3@example.com").last_name == "Last wins"
    assert (Contact.objects.get(email="p0@example.com").first_name, "P0") == ("Merged", "P0")
    selects = [q for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 3  # 27 rows, batches of 10: one read per batch


def test_upsert_contacts_queries_per_batch_do_not_grow_with_rows(owner, django_assert_max_num_queries):
    """Per batch: a SELECT, an INSERT and an UPDATE (with their savepoints), whatever the number of rows (within
    SQLite's 999 parameters a statement, past which Django splits an INSERT)."""

    def write(n: int, first_name: str):
        rows = [{"email": f"bulk{i}@example.com", "first_name": first_name} for i in range(n)]
        return lambda: services.upsert_contacts(rows=rows, owner=owner, source="acme")

    assert query_count(write(10, "A")) == query_count(write(80, "A"))  # creates
    with django_assert_max_num_queries(8):
        result = services.upsert_contacts(
            rows=[{"email": f"bulk{i}@example.com", "first_name": "B"} for i in range(90)], owner=owner, source="a"
        )
    assert counts(result) == (10, 80, 0, 0)
    assert Contact.objects.filter(first_name="B").count() == 90


def test_upsert_contacts_counts_only_what_it_inserted(owner, monkeypatch):
    """A contact created by someone else between the batch's SELECT and its INSERT is not counted as created: it is
    updated with the row's values instead of being skipped silently."""
    raced = race_after_first_read(
        monkeypatch, lambda: Contact.objects.create(email="Race@Example.com", first_name="Other", owner=owner)
    )
    result = services.upsert_contacts(
        rows=[{"email": "race@example.com", "first_name": "Mine"}, {"email": "calm@example.com"}],
        owner=owner,
        source="acme",
    )
    assert raced
    assert counts(result) == (1, 1, 0, 0)
    assert set(result.ids) == {"race@example.com", "calm@example.com"}
    assert Contact.objects.get(email__iexact="race@example.com").first_name == "Mine"
    assert Contact.objects.count() == 2


# List members --------------------------------------------------------------------------------------------------------


def test_upsert_list_members_counts_created_updated_unchanged_and_skipped():
    marketing_list = MarketingListFactory()
    a, b, c, d = ContactFactory.create_batch(4)
    services.add_contacts_to_list(marketing_list, [a.pk, d.pk])
    when = timezone.now() + datetime.timedelta(minutes=1)  # after the local subscription
    rows = [
        {"contact_id": a.pk, "status": "unsubscribed", "at": when, "reason": "Unsubscribed"},
        {"contact_id": b.pk, "status": "subscribed"},
        {"contact_id": c.pk, "status": "removed", "at": when},
        {"contact_id": c.pk, "status": "bogus"},
        {"contact_id": 999999, "status": "subscribed"},
        {"contact_id": "12", "status": "subscribed"},
        {"contact_id": d.pk, "status": "subscribed"},
    ]
    result = services.upsert_list_members(marketing_list=marketing_list, rows=rows)
    assert counts(result) == (2, 1, 1, 3)
    assert result.errors == [
        (c.pk, "Unknown member status 'bogus'"),
        ("12", "contact_id is not an id: '12'"),
        (999999, "contact 999999 does not exist"),
    ]
    members = {m.contact_id: m for m in marketing_list.members.all()}
    assert result.ids == {pk: members[pk].pk for pk in (a.pk, b.pk, c.pk, d.pk)}
    assert {pk: m.status for pk, m in members.items()} == {
        a.pk: "unsubscribed",
        b.pk: "subscribed",
        c.pk: "removed",
        d.pk: "subscribed",
    }
    assert (members[a.pk].unsubscribed_at, members[a.pk].unsubscribe_reason) == (when, "Unsubscribed")

    # The same rows again change nothing; an unsubscribe without a date keeps the stored one.
    again = services.upsert_list_members(
        marketing_list=marketing_list,
        rows=[{"contact_id": a.pk, "status": "unsubscribed"}, *rows[1:3], rows[-1]],
    )
    assert counts(again) == (0, 0, 4, 0)
    assert marketing_list.members.get(contact=a).unsubscribed_at == when


def test_upsert_list_members_keeps_a_local_resubscribe_after_the_platforms_date():
    marketing_list = MarketingListFactory()
    a, b = ContactFactory.create_batch(2)
    services.add_contacts_to_list(marketing_list, [a.pk, b.pk])
    platform_date = timezone.now() - datetime.timedelta(days=3)
    member_a = marketing_list.members.get(contact=a)
    services.unsubscribe_member(member_a, at=platform_date - datetime.timedelta(days=1))
    services.resubscribe_member(member_a)  # re-subscribed here, after the platform's unsubscribe
    rows = [{"contact_id": pk, "status": "unsubscribed", "at": platform_date, "reason": "x"} for pk in (a.pk, b.pk)]
    # b was subscribed before the platform date too (add_contacts_to_list: now); push its subscription back.
    MarketingListMember.objects.filter(contact=b).update(subscribed_at=platform_date - datetime.timedelta(days=7))

    result = services.upsert_list_members(marketing_list=marketing_list, rows=rows)
    assert counts(result) == (0, 1, 1, 0)
    assert dict(marketing_list.members.values_list("contact_id", "status")) == {
        a.pk: "subscribed",
        b.pk: "unsubscribed",
    }
    # Without the rule, the platform's unsubscribe wins.
    result = services.upsert_list_members(marketing_list=marketing_list, rows=rows, respect_local_resubscribe=False)
    assert counts(result) == (0, 1, 1, 0)
    assert marketing_list.members.get(contact=a).status == MemberStatus.UNSUBSCRIBED


def test_upsert_list_members_with_a_contact_twice_in_a_batch_and_batches():
    marketing_list = MarketingListFactory()
    contacts = ContactFactory.create_batch(5)
    a, b = contacts[:2]
    rows = [
        {"contact_id": a.pk, "status": "unsubscribed", "reason": "First"},
        {"contact_id": b.pk, "status": "subscribed"},
        {"contact_id": a.pk, "status": "removed"},
        *({"contact_id": c.pk, "status": "subscribed"} for c in contacts[2:]),
    ]
    with CaptureQueriesContext(connection) as captured:
        result = services.upsert_list_members(marketing_list=marketing_list, rows=rows, batch_size=2)
    # Batches [a unsub, b], [a removed, c2], [c3, c4]: a is created, then updated.
    assert counts(result) == (5, 1, 0, 0)
    assert dict(marketing_list.members.values_list("contact_id", "status"))[a.pk] == "removed"
    assert sum('FROM "marketing_marketinglistmember"' in q["sql"] for q in captured.captured_queries) == 3


def test_upsert_list_members_queries_do_not_grow_with_rows(django_assert_max_num_queries):
    marketing_list = MarketingListFactory()
    contacts = ContactFactory.create_batch(120)
    MemberFactory(marketing_list=marketing_list, contact=contacts[0])

    def write(members, status):
        rows = [{"contact_id": c.pk, "status": status} for c in members]
        return lambda: services.upsert_list_members(marketing_list=marketing_list, rows=rows)

    assert query_count(write(contacts[1:10], "subscribed")) == query_count(write(contacts[10:], "subscribed"))
    with django_assert_max_num_queries(8):
        result = services.upsert_list_members(
            marketing_list=marketing_list, rows=[{"contact_id": c.pk, "status": "unsubscribed"} for c in contacts]
        )
    assert counts(result) == (0, 120, 0, 0)


# Email campaigns -----------------------------------------------------------------------------------------------------


def test_upsert_email_campaigns_by_the_callers_keys_and_ids(owner, make_user):
    other = make_user(None, username="other")
    sent = timezone.now()
    result = services.upsert_email_campaigns(
        rows=[
            {"key": 1, "name": "Spring", "status": CampaignStatus.SENT, "sent_at": sent, "external_id": 1},
            {"key": 2, "name": "Summer", "subject": "Hot"},
            {"key": 3, "subject": "No name"},
            {"key": 4, "name": "Bad", "status": "exploded"},
            {"name": "No key"},
        ],
        owner=owner,
        source="acme",
    )
    assert counts(result) == (2, 0, 0, 3)
    assert result.errors == [
        (4, "status: unknown value 'exploded'"),
        (None, "key is required"),
        (3, "name is required to create a campaign"),
    ]
    spring = EmailCampaign.objects.get(pk=result.ids[1])
    assert (spring.owner, spring.source, spring.external_id) == (owner, "acme", "1")

    # A caller that linked key 1 to its campaign updates it by id, only the fields it gives; the owner stays.
    again = services.upsert_email_campaigns(
        rows=[
            {"key": 1, "id": spring.pk, "name": "Spring (renamed)"},
            {"key": 2, "id": result.ids[2], "name": "Summer", "subject": "Hot"},
            {"key": 5, "id": 999999, "name": "Its campaign was deleted"},
        ],
        owner=other,
        source="acme",
    )
    assert counts(again) == (1, 1, 1, 0)
    assert again.ids[1] == spring.pk and again.ids[2] == result.ids[2] and again.ids[5] not in (spring.pk, 999999)
    spring.refresh_from_db()
    assert (spring.name, spring.owner, spring.status, spring.sent_at) == ("Spring (renamed)", owner, "sent", sent)
    assert EmailCampaign.objects.get(pk=again.ids[5]).owner == other


def test_two_callers_with_the_same_campaign_key_stay_apart(owner, make_user):
    """Two accounts of the same platform both have campaign 123: each keeps its own link, so neither overwrites the
    other (no more unique (source, external_id))."""
    first = services.upsert_email_campaigns(
        rows=[{"key": 123, "name": "First account's", "external_id": "123"}], owner=owner, source="dotdigital"
    )
    second = services.upsert_email_campaigns(
        rows=[{"key": 123, "name": "Second account's", "external_id": "123"}], owner=owner, source="dotdigital"
    )
    assert first.created == second.created == 1 and first.ids[123] != second.ids[123]
    services.upsert_email_campaigns(
        rows=[{"key": 123, "id": second.ids[123], "subject": "Only the second"}], owner=owner, source="dotdigital"
    )
    one, two = EmailCampaign.objects.get(pk=first.ids[123]), EmailCampaign.objects.get(pk=second.ids[123])
    assert (one.name, one.subject) == ("First account's", "")
    assert (two.name, two.subject) == ("Second account's", "Only the second")


def test_upsert_email_campaigns_merges_rows_of_one_key_or_one_campaign(owner):
    campaign = EmailCampaignFactory(name="Old", subject="Old subject")
    result = services.upsert_email_campaigns(
        rows=[
            {"key": "7", "name": "First", "subject": "Kept"},
            {"key": "7", "name": "Second"},
            {"key": "a", "id": campaign.pk, "name": "Via a"},
            {"key": "b", "id": campaign.pk, "subject": "Via b"},
        ],
        owner=owner,
        source="acme",
    )
    assert counts(result) == (1, 1, 0, 0)
    assert result.ids["a"] == result.ids["b"] == campaign.pk
    assert EmailCampaign.objects.filter(name="Second", subject="Kept").count() == 1
    campaign.refresh_from_db()
    assert (campaign.name, campaign.subject) == ("Via a", "Via b")


def test_upsert_email_campaigns_queries_do_not_grow_with_rows(owner, django_assert_max_num_queries):
    marketing_list = MarketingListFactory()
    rows = [{"key": i, "name": f"C{i}", "marketing_list_id": marketing_list.pk} for i in range(150)]
    with django_assert_max_num_queries(6):
        created = services.upsert_email_campaigns(rows=rows, owner=owner, source="acme")
    with django_assert_max_num_queries(6):
        updated = services.upsert_email_campaigns(
            rows=[{"key": k, "id": pk, "subject": "New"} for k, pk in created.ids.items()], owner=owner, source="acme"
        )
    assert (created.created, updated.updated) == (150, 150)
    missing_list = services.upsert_email_campaigns(
        rows=[{"key": "x", "name": "X", "marketing_list_id": 999999}], owner=owner, source="acme"
    )
    assert missing_list.errors == [("x", "marketing list 999999 does not exist")]


def test_campaigns_deleted_in_the_platform_are_marked_and_kept(owner, client, marketer):
    keep, gone = EmailCampaignFactory(), EmailCampaignFactory(name="Gone campaign")
    when = timezone.now() - datetime.timedelta(hours=1)
    assert services.mark_campaigns_removed(ids=[gone.pk], at=when) == 1
    assert services.mark_campaigns_removed(ids=[gone.pk]) == 0  # marked already: it keeps its date
    gone.refresh_from_db()
    keep.refresh_from_db()
    assert gone.removed_at == when and keep.removed_at is None and EmailCampaign.objects.count() == 2

    client.force_login(marketer)
    page = client.get(gone.get_absolute_url()).content.decode()
    assert 'data-testid="campaign-removed"' in page
    grid = client.get("/marketing/campaigns/").content.decode()
    assert grid.count("Deleted in the platform") == 1

    # Back in the platform: the importer clears the mark.
    result = services.upsert_email_campaigns(
        rows=[{"key": "g", "id": gone.pk, "removed_at": None}], owner=owner, source="acme"
    )
    assert result.updated == 1 and EmailCampaign.objects.get(pk=gone.pk).removed_at is None


# Statistics ----------------------------------------------------------------------------------------------------------


def test_record_campaign_statistics_counts_and_skips(django_assert_max_num_queries):
    one, two, three = EmailCampaignFactory.create_batch(3)
    services.record_campaign_statistics(rows=[{"campaign_id": one.pk, "sent": 100, "delivered": 90}])
    services.record_campaign_statistics(rows=[{"campaign_id": two.pk, "sent": 5}])
    with django_assert_max_num_queries(8):
        result = services.record_campaign_statistics(
            rows=[
                {"campaign_id": one.pk, "sent": 101, "unique_opens": 45, "revenue": Decimal("12.50")},
                {"campaign_id": two.pk, "sent": 5},
                {"campaign_id": three.pk, "sent": 7},
                {"campaign_id": three.pk, "invented": 3},
                {"campaign_id": 999999, "sent": 1},
                {"campaign_id": one.pk, "sent": -1},
            ]
        )
    assert counts(result) == (1, 1, 1, 3)
    assert result.errors == [
        (three.pk, "Unknown campaign statistics: invented"),
        (one.pk, "sent is not a whole number from 0 to 2,147,483,647"),
        (999999, "campaign 999999 does not exist"),
    ]
    assert result.ids == {one.pk: one.pk, two.pk: two.pk, three.pk: three.pk}
    stats = EmailCampaignStatistics.objects.get(pk=one.pk)
    assert (stats.sent, stats.delivered, stats.revenue, stats.rate("unique_opens")) == (101, 90, Decimal("12.50"), 50)


# Activity ------------------------------------------------------------------------------------------------------------


def test_upsert_campaign_activities_counts_exactly(django_assert_max_num_queries):
    campaign = EmailCampaignFactory()
    a, b, c = ContactFactory.create_batch(3)
    now = timezone.now()
    first = services.upsert_campaign_activities(
        campaign_id=campaign.pk,
        rows=[
            {"contact_id": a.pk, "opens": 2, "first_opened_at": now, "clicks": 1, "last_clicked_at": now},
            {"contact_id": b.pk, "bounce": "hard", "bounced_at": now},
            {"contact_id": c.pk, "bounce": "exploded"},
        ],
    )
    assert counts(first) == (2, 0, 0, 1)
    # The campaign's check; a savepoint, the stored activity, the contacts without any, an INSERT in its savepoint,
    # the UPDATE, the release.
    with django_assert_max_num_queries(9):
        second = services.upsert_campaign_activities(
            campaign_id=campaign.pk,
            rows=[
                {"contact_id": a.pk, "opens": 1},
                {"contact_id": a.pk, "opens": 3, "unsubscribed_at": now},  # the later value wins
                {"contact_id": b.pk, "bounce": "hard"},
                {"contact_id": c.pk, "opens": 1},
            ],
        )
    assert counts(second) == (1, 1, 1, 0)
    activities = {x.contact_id: x for x in EmailCampaignActivity.objects.filter(campaign=campaign)}
    assert second.ids == {pk: x.pk for pk, x in activities.items()}
    assert (activities[a.pk].opens, activities[a.pk].clicks, activities[a.pk].first_opened_at) == (3, 1, now)
    assert services.campaign_activity_summary(campaign) == {
        "contacts": 3,
        "opened": 2,
        "clicked": 1,
        "unsubscribed": 1,
        "bounced": 1,
    }
    with pytest.raises(ValueError, match="No email campaign"):
        services.upsert_campaign_activities(campaign_id=999999, rows=[])


def test_upsert_campaign_activities_queries_do_not_grow_with_rows():
    campaign = EmailCampaignFactory()
    contacts = ContactFactory.create_batch(65)

    def write(members):
        rows = [{"contact_id": c.pk, "opens": 1} for c in members]
        return lambda: services.upsert_campaign_activities(campaign_id=campaign.pk, rows=rows)

    assert query_count(write(contacts[:5])) == query_count(write(contacts[5:65]))
    assert EmailCampaignActivity.objects.filter(campaign=campaign).count() == 65


def test_ensure_contacts_creates_the_missing_and_leaves_the_existing_as_they_are(owner, make_user):
    from marketing.models import Contact

    other = make_user(None, username="keeper")
    existing = Contact.objects.create(email="Ann@Example.com", first_name="Ann", owner=other, source="manual")
    result = services.ensure_contacts(
        rows=[
            {"email": "ann@example.com", "first_name": "Annie", "last_name": "Lee"},
            {"email": "Bob@Example.com", "first_name": "Bob"},
            {"email": "bob@example.com", "last_name": "Ray"},  # the same key again: merged, created once
            {"email": "not an email"},
            {"email": "cy@example.com", "first_name": "x" * 101},
        ],
        owner=owner,
        source="dotdigital",
    )
    assert (result.created, result.updated, result.unchanged, result.skipped) == (1, 0, 1, 2)
    bob = Contact.objects.get(email__iexact="bob@example.com")
    assert result.ids == {"ann@example.com": existing.pk, "bob@example.com": bob.pk}
    assert (bob.email, bob.first_name, bob.last_name, bob.owner, bob.source) == (
        "bob@example.com",
        "Bob",
        "Ray",
        owner,
        "dotdigital",
    )
    existing.refresh_from_db()
    assert (existing.first_name, existing.last_name, existing.owner, existing.source) == ("Ann", "", other, "manual")
    assert Contact.objects.count() == 2
    again = services.ensure_contacts(rows=[{"email": "BOB@example.com"}], owner=owner, source="x")
    assert (again.created, again.unchanged, again.ids) == (0, 1, {"bob@example.com": bob.pk})


def test_ensure_contacts_queries_per_batch_do_not_grow_with_rows(owner):
    def write(start, count):
        rows = [{"email": f"c{n}@example.com"} for n in range(start, start + count)]
        return lambda: services.ensure_contacts(rows=rows, owner=owner, source="acme")

    assert query_count(write(0, 3)) == query_count(write(100, 80))  # within SQLite's 999 parameters a statement
