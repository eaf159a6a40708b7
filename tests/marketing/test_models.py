"""Invariants the database keeps whatever code writes: email unique ignoring case, member dates match the status."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketing.choices import MemberStatus
from marketing.models import Contact, MarketingListMember

from .conftest import ContactFactory, EmailCampaignFactory, MarketingListFactory, MemberFactory

pytestmark = pytest.mark.django_db


def test_email_is_stored_as_given_but_unique_ignoring_case():
    first = ContactFactory(email="Ann.Lee@Example.com")
    assert Contact.objects.get(pk=first.pk).email == "Ann.Lee@Example.com"
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory(email="ann.lee@example.COM")
    assert Contact.objects.count() == 1


def test_model_validation_names_the_duplicate_email():
    existing = ContactFactory(email="bob@example.com")
    duplicate = Contact(email="BOB@example.com", owner=existing.owner)
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "A contact with this email already exists." in str(error.value)


def test_list_name_is_unique_ignoring_case():
    MarketingListFactory(name="Newsletter")
    with pytest.raises(IntegrityError), transaction.atomic():
        MarketingListFactory(name="NEWSLETTER")


@pytest.mark.parametrize(
    ("status", "dates", "valid"),
    [
        (MemberStatus.SUBSCRIBED, {}, True),
        (MemberStatus.SUBSCRIBED, {"unsubscribed_at": True}, False),
        (MemberStatus.UNSUBSCRIBED, {"unsubscribed_at": True}, True),
        (MemberStatus.UNSUBSCRIBED, {}, False),
        (MemberStatus.REMOVED, {"removed_at": True}, True),
        (MemberStatus.REMOVED, {"unsubscribed_at": True, "removed_at": True}, True),
        (MemberStatus.REMOVED, {}, False),
    ],
)
def test_member_dates_must_match_status(status, dates, valid):
    now = timezone.now()
    member = MemberFactory.build(
        marketing_list=MarketingListFactory(), contact=ContactFactory(), status=status, **{k: now for k in dates}
    )
    if valid:
        member.save()
        assert MarketingListMember.objects.get(pk=member.pk).status == status
    else:
        with pytest.raises(IntegrityError), transaction.atomic():
            member.save()


def test_a_contact_is_in_a_list_once():
    member = MemberFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberFactory(marketing_list=member.marketing_list, contact=member.contact)


def test_campaign_external_id_is_not_a_key():
    """Two accounts of one platform may both have campaign 42: the integration keys its own links, per account."""
    campaign = EmailCampaignFactory(source="acme", external_id="42")
    twin = EmailCampaignFactory(source="acme", external_id="42", owner=campaign.owner)
    assert twin.pk != campaign.pk


def test_statistics_rates():
    from marketing.models import EmailCampaignStatistics

    stats = EmailCampaignStatistics(sent=200, delivered=160, unique_opens=40, unique_clicks=0)
    assert stats.rate("unique_opens") == 25.0
    assert stats.rate("delivered", "sent") == 80.0
    assert EmailCampaignStatistics(delivered=0).rate("unique_opens") is None


def test_string_forms():
    contact = ContactFactory(first_name="Ann", last_name="Lee", email="ann@example.com")
    assert str(contact) == "Ann Lee"
    assert str(ContactFactory(first_name="", last_name="", email="x@example.com")) == "x@example.com"
    assert contact.get_absolute_url() == f"/marketing/contacts/{contact.pk}/"
