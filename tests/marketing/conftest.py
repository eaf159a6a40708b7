"""Factories for the marketing domain."""

from __future__ import annotations

import factory
import pytest
from django.utils import timezone

from marketing.choices import CampaignStatus
from marketing.models import Contact, EmailCampaign, MarketingList, MarketingListMember
from marketing.services import bulk
from tests.conftest import UserFactory


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    company = factory.Faker("company")
    owner = factory.SubFactory(UserFactory)


class MarketingListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MarketingList

    name = factory.Sequence(lambda n: f"Newsletter {n}")
    description = "Monthly news"
    owner = factory.SubFactory(UserFactory)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MarketingListMember

    marketing_list = factory.SubFactory(MarketingListFactory)
    contact = factory.SubFactory(ContactFactory)
    subscribed_at = factory.LazyFunction(timezone.now)


class EmailCampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailCampaign

    name = factory.Sequence(lambda n: f"Spring sale {n}")
    subject = "Everything must go"
    from_name = "Shop"
    from_email = "news@shop.example"
    status = CampaignStatus.SENT
    sent_at = factory.LazyFunction(timezone.now)
    owner = factory.SubFactory(UserFactory)
    source = "acme"
    external_id = factory.Sequence(lambda n: f"ext-{n}")


@pytest.fixture
def owner(make_user):
    return make_user(None, username="owner1", first_name="Olive", last_name="Owner")


def race_after_first_read(monkeypatch, concurrent_write):
    """Have `concurrent_write()` run once right after a batch's first read of its existing records, as another
    writer committing between that read and the batch's INSERT would."""
    real_insert_missing = bulk.insert_missing
    done = []

    def insert_missing(model, find_existing, build_new):
        def find_then_race():
            found = find_existing()
            if not done:
                done.append(concurrent_write())
            return found

        return real_insert_missing(model, find_then_race, build_new)

    monkeypatch.setattr(bulk, "insert_missing", insert_missing)
    return done
