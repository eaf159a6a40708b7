"""The grids: constant queries per page, no COUNT(*) on the contacts grid, search, filters, sorting, paging."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketing import services, sources
from marketing.filters import contact_search
from marketing.models import Contact
from marketing.paging import KeysFirstQuerySet
from marketing.tables import ActivityTable, ContactTable, EmailCampaignTable, MarketingListTable, MemberTable

from .conftest import ContactFactory, EmailCampaignFactory, MarketingListFactory

pytestmark = pytest.mark.django_db


def emails_in(response) -> list[str]:
    return re.findall(r'href="mailto:([^"]+)"', response.content.decode())


def body_rows(response, testid: str) -> int:
    """How many rows the body of the grid `data-testid=testid` shows (header and empty-state rows aside)."""
    html = response.content.decode()
    table = html[html.index(f'data-testid="{testid}"') :]
    body = table[table.index("<tbody") : table.index("</tbody>")]
    return len(re.findall(r"<tr\b", body))


@pytest.mark.parametrize("rows", [3, 60])
def test_contacts_grid_queries_do_not_grow(client, marketer, django_assert_max_num_queries, rows):
    ContactFactory.create_batch(rows)
    client.force_login(marketer)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("marketing:contact_list"), {"per_page": 50})
    assert len(emails_in(response)) == min(rows, 50)


def test_contacts_grid_never_counts(client, marketer):
    ContactFactory.create_batch(30)
    client.force_login(marketer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("marketing:contact_list"), {"page": 2})
    assert not [q for q in queries if "COUNT(" in q["sql"].upper() and "marketing_contact" in q["sql"]]
    assert len(emails_in(response)) == 5
    assert "Showing 26–30" in response.content.decode()


@pytest.mark.parametrize("rows", [2, 40])
def test_lists_and_campaigns_grids_queries_do_not_grow(client, marketer, django_assert_max_num_queries, rows):
    for i in range(rows):
        marketing_list = MarketingListFactory()
        services.add_contacts_to_list(marketing_list, [ContactFactory().pk])
        campaign = EmailCampaignFactory()
        services.record_campaign_statistics(
            rows=[{"campaign_id": campaign.pk, "sent": 10, "delivered": 10, "unique_opens": i % 10}]
        )
    client.force_login(marketer)
    with django_assert_max_num_queries(14):
        lists = client.get(reverse("marketing:list_list"), {"per_page": 50})
    with django_assert_max_num_queries(14):
        campaigns = client.get(reverse("marketing:campaign_list"), {"per_page": 50})
    assert body_rows(lists, "lists-grid") == rows
    assert body_rows(campaigns, "campaigns-grid") == rows
    assert campaigns.content.decode().count("Spring sale") == rows


@pytest.mark.parametrize("members", [2, 60])
def test_list_page_queries_do_not_grow(client, marketer, django_assert_max_num_queries, members):
    marketing_list = MarketingListFactory()
    services.add_contacts_to_list(marketing_list, [c.pk for c in ContactFactory.create_batch(members)])
    client.force_login(marketer)
    with django_assert_max_num_queries(14):
        response = client.get(marketing_list.get_absolute_url(), {"per_page": 50})
    assert response.content.decode().count("data-member=") == min(members, 50)
    assert f'data-count="members">{members}<' in response.content.decode()


def test_campaign_page_queries_do_not_grow_with_activity(client, marketer, django_assert_max_num_queries):
    """The campaign's page with its activity grid: the same queries for 3 activity rows as for 60 (50 shown); one
    more than before for the opens and clicks per day."""
    contacts = ContactFactory.create_batch(60)
    campaigns = {}
    for rows in (3, 60):
        campaign = campaigns[rows] = EmailCampaignFactory()
        services.record_campaign_statistics(rows=[{"campaign_id": campaign.pk, "sent": rows, "delivered": rows}])
        services.upsert_campaign_activities(
            campaign_id=campaign.pk,
            rows=[{"contact_id": c.pk, "opens": i % 3, "clicks": i % 2} for i, c in enumerate(contacts[:rows])],
        )
    client.force_login(marketer)
    for sort in ("", "contact", "-opened"):
        counts = {}
        for rows, campaign in campaigns.items():
            with django_assert_max_num_queries(12) as captured:
                response = client.get(campaign.get_absolute_url(), {"per_page": 50, "sort": sort})
            assert body_rows(response, "activity-grid") == min(rows, 50)
            counts[rows] = len(captured)
        assert counts[3] == counts[60], (sort, counts)


def test_contacts_search_by_name_and_email(client, marketer):
    ContactFactory(first_name="Nora", last_name="Silva", email="nora@example.com")
    ContactFactory(first_name="Ann", last_name="Norton", email="ann@example.com")
    ContactFactory(first_name="Zed", last_name="Berg", email="zed@nowhere.example")
    client.force_login(marketer)
    url = reverse("marketing:contact_list")
    assert set(emails_in(client.get(url, {"q": "nor"}))) == {"nora@example.com", "ann@example.com"}
    assert emails_in(client.get(url, {"q": "nora silva"})) == ["nora@example.com"]
    assert emails_in(client.get(url, {"q": "silva nora"})) == ["nora@example.com"]
    assert emails_in(client.get(url, {"q": "ZED@"})) == ["zed@nowhere.example"]
    response = client.get(url, {"q": "nobody"})
    assert "Nothing matches these filters." in response.content.decode()


def test_contacts_filters_by_owner_and_source(client, marketer, make_user):
    other = make_user(None, username="other")
    ContactFactory(owner=other, email="mine@example.com", source="acme")
    ContactFactory(owner=marketer, email="theirs@example.com")
    sources.register_source("acme", "Acme Mail")
    try:
        client.force_login(marketer)
        url = reverse("marketing:contact_list")
        assert emails_in(client.get(url, {"owner": other.pk})) == ["mine@example.com"]
        response = client.get(url, {"source": "acme"})
        assert emails_in(response) == ["mine@example.com"]
        assert "Acme Mail" in response.content.decode()
    finally:
        sources.unregister_source("acme")


def test_contacts_sorting(client, marketer):
    ContactFactory(first_name="A", last_name="Zulu", email="b@example.com")
    ContactFactory(first_name="B", last_name="Alpha", email="c@example.com")
    ContactFactory(first_name="C", last_name="Mike", email="a@example.com")
    client.force_login(marketer)
    url = reverse("marketing:contact_list")
    assert emails_in(client.get(url)) == ["c@example.com", "a@example.com", "b@example.com"]
    assert emails_in(client.get(url, {"sort": "-name"})) == ["b@example.com", "a@example.com", "c@example.com"]
    assert emails_in(client.get(url, {"sort": "email"})) == ["a@example.com", "b@example.com", "c@example.com"]
    assert emails_in(client.get(url, {"sort": "-created_at"}))[0] == "a@example.com"


def test_empty_state_offers_to_create(client, marketer, operator):
    client.force_login(marketer)
    page = client.get(reverse("marketing:contact_list")).content.decode()
    assert "No contacts yet." in page and reverse("marketing:contact_create") in page
    client.force_login(operator)
    page = client.get(reverse("marketing:contact_list")).content.decode()
    assert "No contacts yet." in page and reverse("marketing:contact_create") not in page


def test_keys_first_queryset_pages_in_order():
    contacts = [ContactFactory(last_name=f"N{i:02d}") for i in range(12)]
    queryset = KeysFirstQuerySet(Contact).select_related("owner").order_by("-last_name")
    page = queryset[3:6]
    assert [c.last_name for c in page] == ["N08", "N07", "N06"]
    assert page[0].owner == contacts[8].owner  # joins come along
    assert queryset[100:110] == []
    assert queryset.count() == 12 and queryset[0].last_name == "N11"


def test_pages_past_the_end_do_not_fail(client, marketer):
    ContactFactory.create_batch(3)
    campaign = EmailCampaignFactory()
    client.force_login(marketer)
    assert client.get(reverse("marketing:contact_list"), {"page": 99}).status_code == 200
    assert client.get(reverse("marketing:contact_list"), {"page": "x", "per_page": "100000"}).status_code == 200
    response = client.get(reverse("marketing:campaign_detail", args=[campaign.pk]), {"page": 99, "per_page": 7})
    assert response.status_code == 200


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="filter_first() changes the SQL on PostgreSQL only; elsewhere both sides run the same query (CI runs this "
    "on PostgreSQL)",
)
@pytest.mark.parametrize("ordering", [("last_name", "first_name", "id"), ("-email", "id")])
def test_filter_first_pages_like_the_plain_queryset(ordering):
    for i in range(30):
        ContactFactory(first_name="Nora" if i % 3 else "Ann", last_name=f"L{i % 7}", email=f"n{i:02d}@example.com")
    plain = Contact.objects.filter(contact_search("nor")).order_by(*ordering)
    searched = KeysFirstQuerySet(Contact).filter(contact_search("nor")).filter_first().order_by(*ordering)
    assert [c.pk for c in searched[3:9]] == [c.pk for c in plain[3:9]]
    assert [c.pk for c in searched[18:40]] == [c.pk for c in plain[18:40]]
    assert len(plain[18:40]) == 2


def test_owner_filter_offers_deactivated_owners_of_records(client, marketer, make_user):
    gone = make_user(None, username="gone", first_name="Gina", last_name="Gone", is_active=False)
    make_user(None, username="idle", first_name="Ida", last_name="Idle", is_active=False)  # owns nothing
    ContactFactory(owner=gone, email="orphan@example.com")
    ContactFactory(owner=marketer, email="kept@example.com")
    EmailCampaignFactory(owner=gone)
    client.force_login(marketer)
    url = reverse("marketing:contact_list")
    page = client.get(url).content.decode()
    assert "Gina Gone (inactive)" in page
    assert "Ida Idle" not in page
    assert emails_in(client.get(url, {"owner": gone.pk})) == ["orphan@example.com"]
    assert "Gina Gone (inactive)" in client.get(reverse("marketing:campaign_list")).content.decode()
    assert "Gina Gone" not in client.get(reverse("marketing:list_list")).content.decode()  # owns no list


@pytest.mark.parametrize(
    "table_class, unique_keys",
    [
        (ContactTable, {"id"}),
        (MarketingListTable, {"id"}),
        (EmailCampaignTable, {"id"}),
        (MemberTable, {"id", "contact_id"}),  # the grid of one list: a contact is there once
        (ActivityTable, {"id", "contact_id"}),  # the grid of one campaign: a contact is there once
    ],
)
def test_every_sort_ends_with_a_unique_key(table_class, unique_keys):
    """Rows tying on the sorted values keep one order, so none repeats or goes missing between pages."""
    model = table_class._meta.model
    orderable = [column.name for column in table_class(model.objects.none()).columns if column.orderable]
    assert orderable
    for name in orderable:
        for descending in (False, True):
            table = table_class(model.objects.all(), order_by=("-" if descending else "") + name)
            last = table.data.data.query.order_by[-1]
            assert last.lstrip("-") in unique_keys, (table_class.__name__, name, table.data.data.query.order_by)


def test_search_boxes_say_they_match_the_start(client, marketer):
    """The contact searches match the start of a name or email (what the indexes serve); each box says so."""
    marketing_list = MarketingListFactory()
    client.force_login(marketer)
    for url in (
        reverse("marketing:contact_list"),
        marketing_list.get_absolute_url(),
        reverse("marketing:list_add_members", args=[marketing_list.pk]),
    ):
        assert 'placeholder="Name or email starts with…"' in client.get(url).content.decode(), url
