"""Numbers from a URL or a query string that no one should send: every grid answers with one of the page sizes it
offers, every id past 64 bits is a 404 (or, in the Django admin, the standard "invalid lookup" redirect), never a
server error. URL patterns and grids are found from the resolver, so new ones are covered without editing this file."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from backoffice.generic import GridView
from backoffice.paging import DEFAULT_PAGE_SIZE, MAX_ID, PAGE_SIZES, page_number, page_size, positive_int
from dotdigital.models import AddressBook, DataField, DataFieldMapping, DataFieldMappingRow
from integrations import services as integration_services
from integrations.models import Integration
from integrations.registry import registry
from marketing.models import EmailCampaignActivity
from tests.integrations.conftest import GOOD_TOKEN, FakeType
from tests.marketing.conftest import ContactFactory, EmailCampaignFactory, MarketingListFactory, MemberFactory

pytestmark = pytest.mark.django_db

PAST_64_BITS = "99999999999999999999"
BAD_PAGE_SIZES = ["-1", "-25", "0", "1", "3", "7", "1000", "x", "١٠", "10.0", "", " 10", "²", "9" * 25]
BAD_PAGE_NUMBERS = ["-1", "0", "2", PAST_64_BITS, "x", "١", ""]


def walk(patterns, prefix="", converters=None, namespace=""):
    """(route, converters by name, pattern, namespaced name) of every URL pattern, with the routes of the includes
    above it."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        found = {**(converters or {}), **getattr(entry.pattern, "converters", {})}
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, route, found, inner)
        elif isinstance(entry, URLPattern):
            yield route, found, entry, f"{namespace}{entry.name}"


def id_routes() -> list[tuple[str, list[str]]]:
    """Every route with an integer in its path, and the names of those integers."""
    routes = []
    for route, converters, _, _ in walk(get_resolver().url_patterns):
        names = [name for name, converter in converters.items() if converter.regex.strip("-?") in (r"[0-9]+", r"\d+")]
        names += [name for name, converter in converters.items() if type(converter).__name__ == "IdConverter"]
        if names:
            routes.append((route, sorted(set(names))))
    return routes


def fill(route: str, values: dict[str, str]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "1"), route)


# -- page sizes and page numbers ---------------------------------------------------------------------------------


def asking(**query) -> HttpRequest:
    return RequestFactory().get("/", query)


def test_the_page_size_rule():
    assert page_size(asking(per_page="50")) == 50
    assert page_size(asking(per_page="10"), default=50) == 10
    for value in BAD_PAGE_SIZES:
        assert page_size(asking(per_page=value)) == DEFAULT_PAGE_SIZE, value
        assert page_size(asking(per_page=value), default=50) == 50, value
    assert page_size(asking()) == DEFAULT_PAGE_SIZE
    assert page_size(asking(p_per_page="10"), field="p_per_page") == 10


def test_the_page_number_rule():
    assert page_number(asking(page="3")) == 3
    for value in ["-1", "0", PAST_64_BITS, "x", "١", "2.0", "", "²"]:
        assert page_number(asking(page=value)) == 1, value
    assert page_number(asking()) == 1


def test_positive_int_takes_ascii_digits_up_to_the_maximum():
    assert positive_int("42", MAX_ID) == 42
    assert positive_int(str(MAX_ID), MAX_ID) == MAX_ID
    for value in [str(MAX_ID + 1), PAST_64_BITS, "-1", "0", "١", "²", "4 2", "1e3", "", None, True]:
        assert positive_int(value, MAX_ID) is None, value


@pytest.fixture
def grids(administrator, client):
    """The URL of every grid in the product, each with a few rows; signed in as an Administrator."""
    registry.register(FakeType())
    for i in range(2):  # and the Dotdigital one below: three rows
        integration_services.create_integration(
            type_key="fake",
            name=f"Fake {i}",
            default_owner=administrator,
            settings={"endpoint": "https://fake.example.com/"},
            secrets={"token": GOOD_TOKEN},
            user=administrator,
        )
    contacts = ContactFactory.create_batch(3)
    marketing_list, *_ = MarketingListFactory.create_batch(3)
    for contact in contacts:
        MemberFactory(marketing_list=marketing_list, contact=contact)
    campaign, *_ = EmailCampaignFactory.create_batch(3)
    EmailCampaignActivity.objects.bulk_create(EmailCampaignActivity(campaign=campaign, contact=c) for c in contacts)
    dotdigital = integration_services.create_integration(
        type_key="dotdigital",
        name="Dotdigital",
        default_owner=administrator,
        settings={"username": "apiuser-1@apiconnector.com"},
        secrets={"password": "a-password-1"},
        user=administrator,
    )
    AddressBook.objects.bulk_create(
        AddressBook(integration=dotdigital, dotdigital_id=i, name=f"Book {i}") for i in range(1, 4)
    )
    for integration in Integration.objects.all():  # three rows on each grid
        data_field = DataField.objects.create(integration=integration, name="FIRSTNAME", type="String")
        mapping = DataFieldMapping.objects.create(integration=integration)
        DataFieldMappingRow.objects.create(mapping=mapping, data_field=data_field, contact_fields=["first_name"])
    client.force_login(administrator)
    yield {
        "dotdigital:data_fields": (reverse("dotdigital:data_fields"), "table"),
        "dotdigital:mappings": (reverse("dotdigital:mappings"), "table"),
        "integrations:list": (reverse("integrations:list"), "table"),
        "dotdigital:address_books": (reverse("dotdigital:address_books"), "table"),
        "marketing:contact_list": (reverse("marketing:contact_list"), "table"),
        "marketing:list_list": (reverse("marketing:list_list"), "table"),
        "marketing:campaign_list": (reverse("marketing:campaign_list"), "table"),
        "marketing:list_detail": (marketing_list.get_absolute_url(), "table"),
        "marketing:campaign_detail": (campaign.get_absolute_url(), "activity_table"),
    }
    registry.unregister(FakeType.key)


def test_every_grid_view_is_tested(grids):
    grid_names = set()
    for _, _, pattern, name in walk(get_resolver().url_patterns):
        view_class = getattr(pattern.callback, "view_class", None)
        if view_class and issubclass(view_class, GridView):
            grid_names.add(name)
    assert grid_names  # the walk found the grids
    assert grid_names <= set(grids), f"add these grids to the `grids` fixture: {grid_names - set(grids)}"


@pytest.mark.parametrize("per_page", BAD_PAGE_SIZES)
def test_every_grid_falls_back_to_its_default_page_size(client, grids, per_page):
    for name, (url, table_name) in grids.items():
        for page in BAD_PAGE_NUMBERS:
            response = client.get(url, {"per_page": per_page, "page": page})
            assert response.status_code == 200, (name, per_page, page)
            table = response.context[table_name]
            assert table.paginator.per_page == DEFAULT_PAGE_SIZE, (name, per_page, page)
            assert len(table.page.object_list) == 3, (name, per_page, page)  # every row is on the one page


@pytest.mark.parametrize("per_page", [str(size) for size in PAGE_SIZES])
def test_every_grid_honours_the_offered_page_sizes(client, grids, per_page):
    for name, (url, table_name) in grids.items():
        response = client.get(url, {"per_page": per_page})
        assert response.status_code == 200, name
        assert response.context[table_name].paginator.per_page == int(per_page), name


def test_a_page_past_the_end_shows_the_last_page(client, grids, administrator):
    url = reverse("marketing:list_list")
    MarketingListFactory.create_batch(9)  # 12 lists: pages of 10 and 2
    response = client.get(url, {"per_page": "10", "page": "5"})
    assert response.status_code == 200
    assert response.context["table"].page.number == 2
    assert len(response.context["table"].page.object_list) == 2
    response = client.get(reverse("integrations:list"), {"per_page": "-1", "page": "2"})
    assert response.status_code == 200
    assert response.context["table"].page.number == 1


# -- ids past 64 bits --------------------------------------------------------------------------------------------


def test_every_id_in_a_url_is_bounded(admin_client):
    routes = id_routes()
    assert len(routes) >= 15  # the walk found the id routes (integrations and marketing)
    for route, names in routes:
        cases = [dict.fromkeys(names, PAST_64_BITS)] + [{name: PAST_64_BITS} for name in names]
        cases.append(dict.fromkeys(names, str(MAX_ID + 1)))
        for values in cases:
            url = fill(route, values)
            assert admin_client.get(url).status_code == 404, ("GET", url)
            assert admin_client.post(url, {"reason": "x", "contact": "1"}).status_code == 404, ("POST", url)


def test_the_largest_id_is_still_matched(admin_client):
    list_url = reverse("marketing:member_unsubscribe", args=[MAX_ID, MAX_ID])
    assert admin_client.get(list_url).status_code == 404  # matched, then not found
    marketing_list = MarketingListFactory()
    assert admin_client.get(reverse("marketing:list_detail", args=[marketing_list.pk])).status_code == 200


def test_no_url_pattern_uses_the_unbounded_int_converter():
    unbounded = [
        route
        for route, converters, _, _ in walk(get_resolver().url_patterns)
        if any(type(c).__name__ == "IntConverter" for c in converters.values())
    ]
    assert unbounded == [], "use <id:...> (backoffice.converters) for ids in URLs"


def integer_lookups(model) -> list[str]:
    """Query-string lookups on a model's integer and foreign-key columns, as an admin changelist takes them."""
    lookups = []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.ForeignKey):
            lookups += [field.name, f"{field.name}__id__exact", field.attname, f"{field.name}__exact"]
        elif isinstance(field, models.IntegerField | models.AutoField | models.BigAutoField):
            lookups += [field.name, f"{field.name}__exact", f"{field.name}__gte", f"{field.name}__in"]
    return lookups


def test_admin_changelists_refuse_ids_past_64_bits(admin_client):
    checked = 0
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for lookup in integer_lookups(model):
            for value in (PAST_64_BITS, f"1,{PAST_64_BITS}", f"-{PAST_64_BITS}"):
                response = admin_client.get(url, {lookup: value})
                assert response.status_code < 500, (url, lookup, value)
                checked += 1
    assert checked > 20


def test_the_contact_changelist_owner_filter(admin_client):
    url = reverse("admin:marketing_contact_changelist")
    response = admin_client.get(url, {"owner": PAST_64_BITS})
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")  # Django's answer to lookups it cannot use
    contact = ContactFactory()
    response = admin_client.get(url, {"owner": str(contact.owner_id)})
    assert response.status_code == 200 and contact.email in response.content.decode()


def test_admin_object_pages_with_ids_past_64_bits(admin_client):
    for model in admin.site._registry:
        for view in ("change", "delete", "history"):
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=[PAST_64_BITS])
            assert admin_client.get(url).status_code < 500, url


def test_grid_filters_ignore_ids_past_64_bits(client, grids):
    for name, (url, _) in grids.items():
        response = client.get(url, {"owner": PAST_64_BITS, "status": PAST_64_BITS, "type": PAST_64_BITS})
        assert response.status_code == 200, name


def test_forms_refuse_owners_past_64_bits(client, grids):
    contact = ContactFactory()
    for url in (
        reverse("marketing:contact_create"),
        reverse("marketing:contact_update", args=[contact.pk]),
        reverse("marketing:list_create"),
        reverse("integrations:create") + "?type=fake",
    ):
        response = client.post(
            url, {"owner": PAST_64_BITS, "default_owner": PAST_64_BITS, "name": "N", "email": "n@x.io", "type": "fake"}
        )
        assert response.status_code == 200, url  # the form again, with its error
        assert response.context["form"].errors, url
