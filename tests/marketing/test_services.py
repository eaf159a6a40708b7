"""The writes people make through the pages: membership changes, deletions. (Importers' upserts: test_imports.)"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketing import services
from marketing.choices import MemberStatus
from marketing.models import Contact, EmailCampaign, MarketingListMember

from .conftest import ContactFactory, EmailCampaignFactory, MarketingListFactory, MemberFactory, race_after_first_read

pytestmark = pytest.mark.django_db


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
    services.upsert_campaign_activities(campaign_id=campaign.pk, rows=[{"contact_id": contact.pk, "opens": 1}])
    assert services.delete_contact(contact) == {"memberships": 2, "activities": 1}
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert EmailCampaign.objects.filter(pk=campaign.pk).exists()


def test_add_contacts_to_list_counts_only_what_it_inserted(owner, monkeypatch):
    marketing_list = MarketingListFactory()
    a, b = ContactFactory.create_batch(2)
    raced = race_after_first_read(monkeypatch, lambda: MemberFactory(marketing_list=marketing_list, contact=a))
    result = services.add_contacts_to_list(marketing_list, [a.pk, b.pk])
    assert raced
    assert (result.added, result.resubscribed, result.already) == (1, 0, 1)
    assert services.member_counts(marketing_list)["subscribed"] == 2
