"""The Dotdigital sync against the sandbox over real HTTP: what a first sync imports, what a second one costs,
what a change brings, owners, two accounts with the same ids, and failures."""

from __future__ import annotations

import pytest
import requests

from dotdigital.models import AddressBook, AddressBookMembership, Campaign, DataField, DotdigitalContact
from integrations import services
from integrations.models import JobState, StepState, SyncJob, SyncTrigger
from integrations.services import sync as sync_services
from marketing.models import (
    Contact,
    EmailCampaign,
    EmailCampaignActivity,
    EmailCampaignEvent,
    EmailCampaignStatistics,
    MarketingList,
    MarketingListMember,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """The runner is called in-process here; the worker tests send jobs through the real broker."""
    monkeypatch.setattr(sync_services, "enqueue", lambda job_id, eta=None: None)


@pytest.fixture
def connect(connect_sandbox):
    return connect_sandbox


def sync(integration, **options) -> SyncJob:
    job = services.schedule_sync(integration, trigger=SyncTrigger.COMMAND, **options).job
    while (retry_at := services.run_sync_job(job.pk)) is not None:
        SyncJob.objects.filter(pk=job.pk).update(wait_until=retry_at.replace(year=2000))
    job.refresh_from_db()
    return job


def steps(job) -> dict:
    return {step.connector: step for step in job.steps.all()}


def count_rows(sandbox, path: str) -> int:
    """The sandbox's own count of a listing, paged with plain HTTP (not the product's client)."""
    total, skip = 0, 0
    while True:
        response = requests.get(
            f"{sandbox.url}{path}",
            params={"select": 1000, "skip": skip},
            auth=(sandbox.username, sandbox.password),
            timeout=30,
        )
        response.raise_for_status()
        page = response.json()
        total += len(page)
        if len(page) < 1000:
            return total
        skip += 1000


def test_first_sync_imports_exactly_what_the_sandbox_holds(sandbox, connect, administrator):
    integration = connect(sandbox)
    job = sync(integration)
    assert job.state == JobState.SUCCEEDED, job.error
    by_step = steps(job)
    assert {s.state for s in by_step.values()} == {StepState.SUCCEEDED}

    books = sandbox.store.books
    assert AddressBook.objects.filter(integration=integration).count() == len(books)
    memberships = sum(sandbox.store.book_size(book_id) for book_id in books)
    assert AddressBookMembership.objects.count() == memberships
    assert DotdigitalContact.objects.count() == sandbox.store.n == by_step["contacts"].created
    assert by_step["contacts"].read == memberships  # every book's pages, once
    assert Contact.objects.count() == sandbox.store.n
    assert set(Contact.objects.values_list("owner", flat=True)) == {administrator.pk}
    assert set(Contact.objects.values_list("source", flat=True)) == {"dotdigital"}

    campaigns = count_rows(sandbox, "/v2/campaigns")
    assert Campaign.objects.count() == EmailCampaign.objects.count() == campaigns == by_step["campaigns"].created
    assert set(EmailCampaign.objects.values_list("owner", flat=True)) == {administrator.pk}
    activities = sum(count_rows(sandbox, f"/v2/campaigns/{c.dotdigital_id}/activities") for c in Campaign.objects.all())
    assert EmailCampaignActivity.objects.count() == activities
    opens = sum(count_rows(sandbox, f"/v2/campaigns/{c.dotdigital_id}/opens") for c in Campaign.objects.all())
    clicks = sum(count_rows(sandbox, f"/v2/campaigns/{c.dotdigital_id}/clicks") for c in Campaign.objects.all())
    assert EmailCampaignEvent.objects.filter(kind="open").count() == opens
    assert EmailCampaignEvent.objects.filter(kind="click").count() == clicks
    sent = Campaign.objects.filter(status__in=("Sent", "Triggered", "Sending")).count()
    assert EmailCampaignStatistics.objects.count() == sent
    # When each went out comes from its summary; the date of each contact's last click from the clicks.
    assert EmailCampaign.objects.filter(sent_at__isnull=False).count() == sent
    clicked = EmailCampaignActivity.objects.filter(clicks__gt=0)
    assert clicked.exists() and not clicked.filter(last_clicked_at__isnull=True).exists()
    assert DataField.objects.filter(integration=integration).count() == len(sandbox.store.fields)
    assert job.api_calls > 0 and job.records_changed > 0


def test_a_second_sync_with_nothing_changed_stays_within_the_call_budget_and_changes_nothing(sandbox, connect):
    integration = connect(sandbox)
    assert sync(integration).state == JobState.SUCCEEDED
    before = {
        "contacts": list(Contact.objects.order_by("pk").values_list("pk", "updated_at")),
        "members": MarketingListMember.objects.count(),
        "activities": EmailCampaignActivity.objects.count(),
    }
    job = sync(integration)
    assert job.state == JobState.SUCCEEDED, job.error
    k = AddressBook.objects.filter(integration=integration, sync_contacts=True).count()
    c = Campaign.objects.filter(integration=integration, removed_at__isnull=True).count()
    assert job.api_calls <= 3 + 2 * k + 1 + 4 * c, (job.api_calls, k, c)
    by_step = steps(job)
    assert by_step["contacts"].created == by_step["contacts"].updated == 0
    assert by_step["data_fields"].read == 0  # not due again within a day
    assert job.records_changed == 0
    assert list(Contact.objects.order_by("pk").values_list("pk", "updated_at")) == before["contacts"]
    assert MarketingListMember.objects.count() == before["members"]
    assert EmailCampaignActivity.objects.count() == before["activities"]


def test_the_next_sync_applies_exactly_what_changed(sandbox, connect, administrator):
    integration = connect(sandbox)
    book = max(sandbox.store.books)  # a book with some of the contacts
    assert sync(integration).state == JobState.SUCCEEDED
    linked = MarketingList.objects.create(name="Linked list", owner=administrator)
    AddressBook.objects.filter(integration=integration, dotdigital_id=book).update(marketing_list=linked)
    assert sync(integration, full=True).state == JobState.SUCCEEDED  # the link makes its contacts members
    members_before = MarketingListMember.objects.filter(marketing_list=linked).count()
    assert members_before == sandbox.store.book_size(book)

    changed = sandbox.change(modify=5, unsubscribe=3, add=4, book_id=book)
    job = sync(integration)
    assert job.state == JobState.SUCCEEDED, job.error
    contacts_step = steps(job)["contacts"]
    assert contacts_step.created == 4
    assert DotdigitalContact.objects.count() == sandbox.store.n + 4
    assert Contact.objects.filter(email__startswith="new.contact.").count() == 4
    unsubscribed_ids = set(changed["unsubscribed"])
    links = DotdigitalContact.objects.filter(dotdigital_id__in=unsubscribed_ids)
    assert {link.status for link in links} == {"Unsubscribed"}
    in_book = [link for link in links if sandbox.store.is_member(book, link.dotdigital_id)]
    unsubscribed_members = MarketingListMember.objects.filter(
        marketing_list=linked, contact__in=[link.contact_id for link in in_book], status="unsubscribed"
    )
    assert unsubscribed_members.count() == len(in_book)
    assert MarketingListMember.objects.filter(marketing_list=linked).count() == members_before + 4
    # Only the changed contacts were read again (modified-since), not the whole account.
    assert contacts_step.read < 100


def test_a_book_connected_after_its_first_sync_fills_its_list_at_the_next_plain_sync(sandbox, connect, administrator):
    from dotdigital import services as dotdigital_services

    integration = connect(sandbox)
    assert sync(integration).state == JobState.SUCCEEDED
    book = AddressBook.objects.get(integration=integration, dotdigital_id=max(sandbox.store.books))
    connected = dotdigital_services.connect_address_book(book, create_list=True, user=administrator)
    job = sync(integration)  # not --full: the connection alone makes the next sync read the whole book
    assert job.state == JobState.SUCCEEDED, job.error
    assert MarketingListMember.objects.filter(marketing_list=connected.marketing_list).count() == (
        sandbox.store.book_size(book.dotdigital_id)
    )
    assert steps(job)["contacts"].created == 0  # read again, nothing doubled
    again = sync(integration)
    assert steps(again)["contacts"].read == 0  # and the book is incremental again


def test_existing_contacts_keep_their_owner_and_new_ones_get_the_default_owner(sandbox, connect, make_user):
    someone = make_user(username="someone")
    default_owner = make_user(username="default-owner")
    first_email = sandbox.client().get_contact(1)["email"]
    existing = Contact.objects.create(email=first_email.upper(), first_name="Kept", owner=someone)
    integration = connect(sandbox, owner=default_owner)
    assert sync(integration, connectors=["address_books", "contacts"]).state == JobState.SUCCEEDED
    existing.refresh_from_db()
    assert existing.owner == someone and existing.first_name == "Kept" and existing.source == "manual"
    assert DotdigitalContact.objects.get(dotdigital_id=1).contact == existing
    others = Contact.objects.exclude(pk=existing.pk)
    assert others.count() == sandbox.store.n - 1
    assert set(others.values_list("owner", flat=True)) == {default_owner.pk}


def test_create_marketing_contacts_off_links_only_existing_ones(sandbox, connect, administrator):
    email = sandbox.client().get_contact(2)["email"]
    Contact.objects.create(email=email, owner=administrator)
    integration = connect(sandbox, create_contacts=False)
    assert sync(integration, connectors=["address_books", "contacts"]).state == JobState.SUCCEEDED
    assert Contact.objects.count() == 1
    assert DotdigitalContact.objects.count() == sandbox.store.n
    assert DotdigitalContact.objects.filter(contact__isnull=False).count() == 1


def test_two_integrations_whose_accounts_share_ids_stay_apart(make_sandbox, connect, settings):
    first = make_sandbox(seed=7, contacts=300, address_books=2, campaigns=3)
    second = make_sandbox(seed=7, contacts=300, address_books=2, campaigns=3)
    one = connect(first, name="Account one")
    settings.DOTDIGITAL_API_URL = first.url
    two = connect(second, name="Account two")
    # Both sandboxes answer on loopback: let the second integration's client reach its own.
    settings.DOTDIGITAL_API_URL = first.url
    assert sync(one).state == JobState.SUCCEEDED
    settings.DOTDIGITAL_API_URL = second.url
    assert sync(two).state == JobState.SUCCEEDED
    campaigns = Campaign.objects.count()
    assert campaigns == 6 and EmailCampaign.objects.count() == 6  # campaign 1 of each account is its own
    assert set(Campaign.objects.filter(integration=one).values_list("dotdigital_id", flat=True)) == set(
        Campaign.objects.filter(integration=two).values_list("dotdigital_id", flat=True)
    )
    assert DotdigitalContact.objects.filter(integration=one).count() == 300
    assert DotdigitalContact.objects.filter(integration=two).count() == 300
    assert Contact.objects.count() == 300  # the same people: one marketing contact each, linked twice
    assert AddressBook.objects.count() == 4
    # The activity of account two's campaign 1 lands on account two's email campaign, not account one's.
    for link in Campaign.objects.filter(integration=two):
        assert link.email_campaign_id not in set(
            Campaign.objects.filter(integration=one).values_list("email_campaign_id", flat=True)
        )


def test_flaky_dotdigital_still_gives_the_exact_counts(make_sandbox, connect, settings):
    clean = make_sandbox(seed=3, contacts=1500, address_books=3, campaigns=3)
    flaky = make_sandbox(seed=3, contacts=1500, address_books=3, campaigns=3)
    settings.DOTDIGITAL_API_URL = clean.url
    reference = sync(connect(clean, name="Clean"))
    expected = {key: (s.read, s.created) for key, s in steps(reference).items()}
    flaky.set_faults(error_rate=0.1, rate_limit=25, rate_limit_window=1.0)  # 429 past 25 calls a second
    settings.DOTDIGITAL_API_URL = flaky.url
    job = sync(connect(flaky, name="Flaky"))
    assert job.state == JobState.SUCCEEDED, job.error
    got = {key: (s.read, s.created) for key, s in steps(job).items()}
    # Contacts are shared by email: the second account creates links, not marketing contacts.
    assert got["contacts"][0] == expected["contacts"][0]
    assert got["campaigns"] == expected["campaigns"] and got["address_books"] == expected["address_books"]
    assert job.api_calls > reference.api_calls  # the retries are counted


def test_refused_credentials_fail_the_job_with_advice_and_pause_the_schedule(sandbox, connect):
    integration = connect(sandbox)
    integration.set_secrets({"password": "not-the-password"})
    integration.save()
    job = sync(integration)
    assert job.state == JobState.FAILED
    assert "Dotdigital rejected the API user's credentials: check Username and Password" in job.error
    integration.refresh_from_db()
    assert integration.sync_blocked_reason


def test_a_malformed_contact_is_skipped_with_its_reason(sandbox, connect, monkeypatch):
    from dotdigital.client import DotdigitalClient

    original = DotdigitalClient.address_book_contacts

    def with_bad_rows(self, book_id, with_full_data=True):
        for page in original(self, book_id, with_full_data):
            yield [
                {"id": 999999, "email": "not an email"},
                {"id": 999998, "email": "x@example.com", "status": "?"},
                *page,
            ]

    monkeypatch.setattr(DotdigitalClient, "address_book_contacts", with_bad_rows)
    integration = connect(sandbox)
    job = sync(integration, connectors=["address_books", "contacts"])
    assert job.state == JobState.SUCCEEDED
    step = steps(job)["contacts"]
    assert step.skipped >= 2
    assert any("not a valid email" in note for note in step.details)
    assert any("unknown status" in note for note in step.details)
    assert DotdigitalContact.objects.count() == sandbox.store.n


def test_a_failed_call_is_named_on_its_step_and_the_other_connectors_still_run(sandbox, connect, monkeypatch):
    from dotdigital.client import DotdigitalClient

    def broken_campaigns(self):
        self.get_campaign(987654)  # unknown: Dotdigital answers 404
        yield []

    monkeypatch.setattr(DotdigitalClient, "campaigns", broken_campaigns)
    job = sync(connect(sandbox), connectors=["address_books", "campaigns", "data_fields"])
    assert job.state == JobState.FAILED and job.error_connector == "campaigns"
    by_step = steps(job)
    assert by_step["campaigns"].state == StepState.FAILED
    assert "(call: GET /v2/campaigns/987654)" in by_step["campaigns"].message
    assert job.error.startswith("Campaigns: Dotdigital refused the request: ")
    assert "ERROR_CAMPAIGN_NOT_FOUND" in job.error
    assert by_step["address_books"].state == by_step["data_fields"].state == StepState.SUCCEEDED


def test_the_client_names_the_failed_call(sandbox):
    from dotdigital.exceptions import NotFoundError

    with pytest.raises(NotFoundError) as raised:
        sandbox.client().get_campaign(424242)
    assert raised.value.call == "GET /v2/campaigns/424242"


@pytest.mark.parametrize("mode", ["tiered", "flat"])
def test_the_rate_limit_makes_the_job_wait_then_it_resumes_and_succeeds(sandbox, connect, mode):
    from datetime import timedelta

    from django.utils import timezone

    integration = connect(sandbox)
    # A long window, so the 429's reset is too far to wait in the worker. The sandbox aligns its windows to the clock
    # (a 600 s window ends at the next multiple of 600 s): pick one that ends more than a minute from now.
    import time as clock

    window = next(w for w in (600.0, 700.0, 900.0, 1100.0, 1300.0) if w - clock.time() % w > 60)
    sandbox.set_faults(rate_limit=4, rate_limit_window=window, rate_limit_mode=mode)
    job = services.schedule_sync(integration, trigger=SyncTrigger.COMMAND).job
    retry_at = services.run_sync_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.WAITING and retry_at == job.wait_until
    assert retry_at > timezone.now() + timedelta(seconds=30)
    waiting = job.steps.get(state=StepState.WAITING)
    assert waiting.message.startswith("Waiting for the Dotdigital rate limit until ")
    done_before = set(job.steps.filter(state=StepState.SUCCEEDED).values_list("connector", flat=True))
    sandbox.set_faults(rate_limit=0)
    SyncJob.objects.filter(pk=job.pk).update(wait_until=timezone.now())
    assert services.run_sync_job(job.pk) is None
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.deliveries == 2
    # The steps that had succeeded were not run again.
    for step in job.steps.filter(connector__in=done_before):
        assert step.finished_at < job.steps.get(connector=waiting.connector).finished_at
