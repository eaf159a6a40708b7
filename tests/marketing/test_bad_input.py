"""Query strings and form values no one should send: a page, a page size or an id that is not a small ASCII number
gets a normal page (or a 404), never a server error."""

import pytest
from django.urls import reverse

from .conftest import ContactFactory, EmailCampaignFactory, MarketingListFactory

pytestmark = pytest.mark.django_db

HUGE = "9" * 25
BAD_NUMBERS = ["²", "١٢", HUGE, "-1", "0", "1e3", ""]


@pytest.fixture
def pages(marketer, client):
    ContactFactory.create_batch(3)
    marketing_list = MarketingListFactory()
    campaign = EmailCampaignFactory()
    client.force_login(marketer)
    return [
        reverse("marketing:contact_list"),
        reverse("marketing:list_list"),
        reverse("marketing:campaign_list"),
        marketing_list.get_absolute_url(),
        campaign.get_absolute_url(),
    ]


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_grids_shrug_off_bad_page_numbers_and_sizes(client, pages, value):
    for url in pages:
        response = client.get(url, {"page": value})
        assert response.status_code in (200, 404), (url, value, response.status_code)
        response = client.get(url, {"per_page": value})
        assert response.status_code == 200, (url, value, response.status_code)


def test_a_huge_page_number_shows_the_first_page(client, pages):
    response = client.get(pages[0], {"page": HUGE})
    assert response.status_code == 200
    assert response.content.decode().count('href="mailto:') == 3


@pytest.mark.parametrize("value", ["²", "١", HUGE, "x"])
def test_adding_members_ignores_ids_that_are_not_numbers(client, marketer, value):
    marketing_list = MarketingListFactory()
    contact = ContactFactory()
    client.force_login(marketer)
    url = reverse("marketing:list_add_members", args=[marketing_list.pk])
    response = client.post(url, {"contact": [value, str(contact.pk)]})
    assert response.status_code == 302
    assert list(marketing_list.members.values_list("contact_id", flat=True)) == [contact.pk]
    response = client.post(url, {"contact": [value]})
    assert response.status_code == 302
    assert marketing_list.members.count() == 1


def test_paginators_bound_page_sizes_and_numbers():
    from django.core.paginator import EmptyPage, PageNotAnInteger

    from backoffice.paging import MAX_PAGE_NUMBER, BoundedPaginator
    from marketing.paging import LargeTablePaginator

    for paginator_class in (LargeTablePaginator, BoundedPaginator):
        paginator = paginator_class(list(range(300)), 10**6)
        assert paginator.per_page == 25  # only the sizes offered: no page of a million rows
        assert paginator.validate_number("2") == 2
        with pytest.raises(PageNotAnInteger):
            paginator.validate_number("²")
        with pytest.raises(EmptyPage):
            paginator.validate_number(MAX_PAGE_NUMBER + 1)
        with pytest.raises(EmptyPage):
            paginator.validate_number(HUGE)


def test_page_sizes_outside_the_offered_ones_fall_back_to_the_default(client, marketer):
    ContactFactory.create_batch(30)
    client.force_login(marketer)
    response = client.get(reverse("marketing:contact_list"), {"per_page": "100000"})
    assert response.content.decode().count('href="mailto:') == 25
