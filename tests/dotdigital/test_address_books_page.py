"""Marketing > Dotdigital > Address Books: the grid, connecting a book to a marketing list, Sync contacts, the
list page's Dotdigital panel. Records are made with the ORM: the connector that fills them is tested elsewhere."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice import roles
from backoffice.menu import menu
from dotdigital import services
from dotdigital.models import AddressBook
from integrations.models import Integration
from marketing.models import MarketingList
from tests.marketing.conftest import MarketingListFactory, MemberFactory

pytestmark = pytest.mark.django_db

GRID = reverse("dotdigital:address_books")


@pytest.fixture
def owner(make_user):
    return make_user(None, username="owner1", first_name="Olive", last_name="Owner")


@pytest.fixture
def integration(owner):
    return Integration.objects.create(
        name="Dotdigital EU", type="dotdigital", default_owner=owner, settings={"username": "apiuser@example.com"}
    )


@pytest.fixture
def make_book(integration):
    counter = iter(range(1000, 100000))

    def make(name: str, **fields) -> AddressBook:
        fields.setdefault("integration", integration)
        fields.setdefault("visibility", "Private")
        fields.setdefault("contact_count", 10)
        return AddressBook.objects.create(dotdigital_id=next(counter), name=name, **fields)

    return make


@pytest.fixture
def book(make_book):
    return make_book("Newsletter subscribers", contact_count=1234)


def connect_url(book: AddressBook) -> str:
    return reverse("dotdigital:address_book_connect", args=[book.pk])


def disconnect_url(book: AddressBook) -> str:
    return reverse("dotdigital:address_book_disconnect", args=[book.pk])


def sync_url(book: AddressBook) -> str:
    return reverse("dotdigital:address_book_sync_contacts", args=[book.pk])


def body_rows(response) -> list[str]:
    """The data-book attribute of each grid row, in order."""
    return re.findall(r'<tr[^>]*data-book="([^"]*)"', response.content.decode())


def field_errors(response, name: str) -> list[str]:
    return list(response.context["form"].errors.get(name, []))


# Permissions -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"), [(roles.ADMINISTRATOR, 200), (roles.MARKETING_MANAGER, 200), (roles.OPERATIONS, 403)]
)
def test_pages_per_role(client, role_users, book, make_book, role, status):
    other = make_book("Other", marketing_list=MarketingListFactory(name="Linked"))
    client.force_login(role_users[role])
    assert client.get(GRID).status_code == status
    assert client.get(connect_url(book)).status_code == status
    assert client.get(disconnect_url(other)).status_code == status


@pytest.mark.parametrize("role", [roles.OPERATIONS, None])
def test_writes_refused_to_ops_and_anonymous(client, role_users, book, make_book, role):
    target = MarketingListFactory(name="Target")
    linked = MarketingListFactory(name="Linked")
    other = make_book("Other", marketing_list=linked)
    if role:
        client.force_login(role_users[role])
    responses = [
        client.post(connect_url(book), {"mode": "existing", "marketing_list": target.pk}),
        client.post(disconnect_url(other)),
        client.post(sync_url(book), {"enabled": "0"}),
    ]
    for response in responses:
        if role:
            assert response.status_code == 403
        else:
            assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    book.refresh_from_db()
    other.refresh_from_db()
    assert book.marketing_list_id is None and book.sync_contacts is True
    assert other.marketing_list_id == linked.pk
    if role is None:
        assert client.get(GRID)["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", [roles.ADMINISTRATOR, roles.MARKETING_MANAGER])
def test_writes_allowed_to_marketers_and_admins(client, role_users, book, role):
    target = MarketingListFactory(name="Target")
    client.force_login(role_users[role])
    assert client.post(sync_url(book), {"enabled": "0"}).status_code == 302
    assert client.post(connect_url(book), {"mode": "existing", "marketing_list": target.pk}).status_code == 302
    book.refresh_from_db()
    assert (book.sync_contacts, book.marketing_list_id) == (False, target.pk)
    assert client.post(disconnect_url(book)).status_code == 302
    book.refresh_from_db()
    assert book.marketing_list_id is None


def test_a_post_without_the_csrf_token_is_refused(marketer, book):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(marketer)
    assert csrf_client.post(sync_url(book), {"enabled": "0"}).status_code == 403
    book.refresh_from_db()
    assert book.sync_contacts is True


def test_the_toggle_refuses_get(client, marketer, book):
    client.force_login(marketer)
    assert client.get(sync_url(book)).status_code == 405


def test_an_unknown_book_is_404_after_the_permission_check(client, marketer, operator):
    client.force_login(operator)
    assert client.get(reverse("dotdigital:address_book_connect", args=[999])).status_code == 403
    client.force_login(marketer)
    assert client.get(reverse("dotdigital:address_book_connect", args=[999])).status_code == 404
    assert client.post(reverse("dotdigital:address_book_sync_contacts", args=[999])).status_code == 404


def test_menu_item_for_marketers_while_an_active_integration_exists(rf, marketer, operator, integration):
    def labels(user):
        request = rf.get("/")
        request.user = user
        return [item.label for item in menu.visible_items(request) if item.path == ("Marketing", "Dotdigital")]

    assert "Address Books" in labels(marketer)
    assert "Address Books" not in labels(operator)
    Integration.objects.filter(pk=integration.pk).update(enabled=False)
    assert "Address Books" not in labels(marketer)


# Connect ---------------------------------------------------------------------------------------------------------


def test_connect_to_an_existing_list(client, marketer, book):
    target = MarketingListFactory(name="Spring news")
    client.force_login(marketer)
    response = client.post(connect_url(book), {"mode": "existing", "marketing_list": target.pk}, follow=True)
    book.refresh_from_db()
    assert book.marketing_list == target
    assert "Marketing list Spring news connected to the address book Newsletter subscribers." in (
        response.content.decode()
    )
    assert MarketingList.objects.count() == 1


def test_connect_creates_a_list_owned_by_the_default_owner_with_source_dotdigital(client, marketer, owner, book):
    client.force_login(marketer)
    form = client.get(connect_url(book))
    assert form.context["form"]["list_name"].value() == "Newsletter subscribers"
    assert form.context["form"]["mode"].value() == "new"  # no list to choose from yet
    assert "No marketing list is free to connect" in form.content.decode()
    response = client.post(connect_url(book), {"mode": "new", "list_name": ""})
    assert response.status_code == 302
    book.refresh_from_db()
    created = book.marketing_list
    assert (created.name, created.owner, created.source) == ("Newsletter subscribers", owner, "dotdigital")
    assert created.owner != marketer
    assert created.source_label == "Dotdigital"


def test_a_name_clash_is_a_field_error_with_a_suggestion(client, marketer, book):
    MarketingListFactory(name="newsletter SUBSCRIBERS")
    client.force_login(marketer)
    response = client.post(connect_url(book), {"mode": "new", "list_name": "Newsletter subscribers"})
    assert response.status_code == 200
    [error] = field_errors(response, "list_name")
    assert 'A marketing list named "Newsletter subscribers" already exists' in error
    assert '"Newsletter subscribers (Dotdigital)"' in error
    assert MarketingList.objects.count() == 1
    book.refresh_from_db()
    assert book.marketing_list_id is None

    response = client.post(connect_url(book), {"mode": "new", "list_name": "Newsletter subscribers (Dotdigital)"})
    assert response.status_code == 302
    book.refresh_from_db()
    assert book.marketing_list.name == "Newsletter subscribers (Dotdigital)"


def test_no_suggestion_when_the_suggested_name_is_taken_too(book, marketer):
    MarketingListFactory(name="Newsletter subscribers")
    MarketingListFactory(name="Newsletter subscribers (Dotdigital)")
    with pytest.raises(ValidationError) as caught:
        services.connect_address_book(book, create_list=True, user=marketer)
    [message] = caught.value.message_dict["list_name"]
    assert "already exists" in message and "for example" not in message
    assert MarketingList.objects.count() == 2


def test_a_list_linked_to_another_book_is_not_offered_and_a_forged_post_is_a_field_error(
    client, marketer, book, make_book
):
    free = MarketingListFactory(name="Free list")
    taken = MarketingListFactory(name="Taken list")
    make_book("Other book", marketing_list=taken)
    client.force_login(marketer)
    form = client.get(connect_url(book))
    offered = list(form.context["form"].fields["marketing_list"].queryset)
    assert offered == [free]
    assert form.context["form"]["mode"].value() == "existing"
    assert "Taken list" not in form.content.decode()

    response = client.post(connect_url(book), {"mode": "existing", "marketing_list": taken.pk})
    assert response.status_code == 200
    assert field_errors(response, "marketing_list") == [
        "Choose a marketing list that is not connected to another address book."
    ]
    book.refresh_from_db()
    assert book.marketing_list_id is None


def test_existing_mode_needs_a_list(client, marketer, book):
    MarketingListFactory(name="Free list")
    client.force_login(marketer)
    response = client.post(connect_url(book), {"mode": "existing", "marketing_list": ""})
    assert field_errors(response, "marketing_list") == ["Choose the marketing list to connect the address book to."]


def test_the_service_refuses_a_list_connected_elsewhere(book, make_book, marketer):
    taken = MarketingListFactory(name="Taken list")
    make_book("Other book", marketing_list=taken)
    with pytest.raises(ValidationError) as caught:
        services.connect_address_book(book, marketing_list=taken, user=marketer)
    [message] = caught.value.message_dict["marketing_list"]
    assert "already connected to the address book Other book of Dotdigital EU" in message


def test_a_race_for_the_same_list_is_a_field_error_not_a_500(client, marketer, book, make_book, monkeypatch):
    target = MarketingListFactory(name="Target")
    other = make_book("Other book")
    client.force_login(marketer)
    form = client.get(connect_url(book))
    assert target in form.context["form"].fields["marketing_list"].queryset
    # Someone connects the list after the form was validated and the service checked: only the unique column is left.
    real_check = services._connected_book

    def checked_then_taken(marketing_list, this_book):
        found = real_check(marketing_list, this_book)
        AddressBook.objects.filter(pk=other.pk).update(marketing_list=marketing_list)
        return found

    monkeypatch.setattr(services, "_connected_book", checked_then_taken)
    response = client.post(connect_url(book), {"mode": "existing", "marketing_list": target.pk})
    assert response.status_code == 200
    [error] = field_errors(response, "marketing_list")
    assert "was connected to another address book a moment ago" in error
    book.refresh_from_db()
    assert book.marketing_list_id is None
    # (The stand-in rival wrote inside the same transaction, so its link went with the rollback.)


def test_an_already_connected_book_is_sent_back_to_the_grid(client, marketer, book):
    first, second = MarketingListFactory(name="First"), MarketingListFactory(name="Second")
    services.connect_address_book(book, marketing_list=first, user=marketer)
    client.force_login(marketer)
    response = client.post(connect_url(book), {"mode": "existing", "marketing_list": second.pk}, follow=True)
    assert "already connected to First: disconnect it first" in response.content.decode()
    book.refresh_from_db()
    assert book.marketing_list == first
    with pytest.raises(ValidationError):
        services.connect_address_book(book, marketing_list=second, user=marketer)


def test_the_service_needs_one_of_list_or_create(book, marketer):
    with pytest.raises(ValueError):
        services.connect_address_book(book, user=marketer)
    with pytest.raises(ValueError):
        services.connect_address_book(book, marketing_list=MarketingListFactory(), create_list=True, user=marketer)


# Disconnect and Sync contacts ------------------------------------------------------------------------------------


def test_disconnect_asks_then_keeps_both_records(client, marketer, book):
    target = MarketingListFactory(name="Spring news")
    member = MemberFactory(marketing_list=target)
    services.connect_address_book(book, marketing_list=target, user=marketer)
    client.force_login(marketer)
    page = client.get(disconnect_url(book)).content.decode()
    assert "Disconnect Newsletter subscribers from Spring news?" in page
    assert "both sides keep their data" in page
    assert "keeps its members" in page
    response = client.post(disconnect_url(book), follow=True)
    assert "The list and the address book keep their data." in response.content.decode()
    book.refresh_from_db()
    assert book.marketing_list_id is None
    assert MarketingList.objects.filter(pk=target.pk).exists()
    assert target.members.filter(pk=member.pk).exists()
    assert AddressBook.objects.filter(pk=book.pk, contact_count=1234).exists()


def test_disconnect_of_an_unconnected_book_changes_nothing(client, marketer, book):
    client.force_login(marketer)
    response = client.post(disconnect_url(book), follow=True)
    assert "is not connected to a marketing list" in response.content.decode()


def test_sync_contacts_toggle_sets_a_value_and_keeps_the_grid_address(client, marketer, book):
    client.force_login(marketer)
    back = f"{GRID}?sync_contacts=yes&page=1"
    response = client.post(sync_url(book), {"enabled": "0", "next": back})
    assert response["Location"] == back
    book.refresh_from_db()
    assert book.sync_contacts is False
    client.post(sync_url(book), {"enabled": "0"})  # sent twice: still off
    book.refresh_from_db()
    assert book.sync_contacts is False
    response = client.post(sync_url(book), {"enabled": "1", "next": "https://evil.example/"})
    assert response["Location"] == GRID
    book.refresh_from_db()
    assert book.sync_contacts is True


# The grid --------------------------------------------------------------------------------------------------------


def test_grid_columns_badges_links_and_relative_time(client, marketer, book, make_book):
    target = MarketingListFactory(name="Spring news")
    services.connect_address_book(book, marketing_list=target, user=marketer)
    book.last_synced_at = timezone.now() - datetime.timedelta(minutes=3)
    book.save()
    make_book("Huge book", sync_contacts=False, contact_count=2_000_000)
    client.force_login(marketer)
    client.cookies["tz"] = "Asia/Tokyo"
    response = client.get(GRID)
    body = response.content.decode()
    for header in ("Integration", "Name", "Visibility", "Contacts", "Linked marketing list", "Sync contacts"):
        assert header in body
    assert body_rows(response) == ["Huge book", "Newsletter subscribers"]
    assert f'href="{target.get_absolute_url()}">Spring news</a>' in body
    assert "3\xa0minutes ago" in body or "3 minutes ago" in body
    tokyo = timezone.localtime(book.last_synced_at, datetime.timezone(datetime.timedelta(hours=9)))
    assert f'title="{tokyo:%-d %b %Y, %H:%M}"' in body
    assert '<span class="badge text-bg-success">Yes</span>' in body
    assert '<span class="badge text-bg-secondary">No</span>' in body
    assert "2,000,000" in body and "1,234" in body
    assert "Never" in body
    huge = body.split('data-book="Huge book"')[1].split("</tr>")[0]
    assert "Connect to marketing list" in huge and "Disconnect" not in huge and ">Sync contacts</button>" in huge
    linked = body.split('data-book="Newsletter subscribers"')[1].split("</tr>")[0]
    assert "Disconnect" in linked and "View marketing list" in linked and "Stop syncing contacts" in linked


def test_a_book_name_is_escaped(client, marketer, make_book):
    make_book("<script>alert(1)</script>")
    client.force_login(marketer)
    body = client.get(GRID).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


@pytest.mark.parametrize("rows", [3, 40])
def test_grid_queries_do_not_grow_with_rows(client, marketer, make_book, django_assert_max_num_queries, rows):
    for i in range(rows):
        linked = MarketingListFactory() if i % 2 else None
        make_book(f"Book {i:03}", marketing_list=linked, last_synced_at=timezone.now())
    client.force_login(marketer)
    with django_assert_max_num_queries(11):
        response = client.get(GRID, {"per_page": 50})
    assert len(body_rows(response)) == rows


def test_filters_search_and_sort(client, marketer, owner, make_book):
    us = Integration.objects.create(name="Dotdigital US", type="dotdigital", default_owner=owner)
    make_book("Alpha customers", marketing_list=MarketingListFactory(), contact_count=5)
    make_book("Beta prospects", sync_contacts=False, contact_count=50)
    make_book("Gamma customers", integration=us, contact_count=500)
    client.force_login(marketer)

    def names(**params):
        return body_rows(client.get(GRID, params))

    assert names(q="customers") == ["Alpha customers", "Gamma customers"]
    assert names(integration=us.pk) == ["Gamma customers"]
    assert names(linked="yes") == ["Alpha customers"]
    assert names(linked="no") == ["Beta prospects", "Gamma customers"]
    assert names(sync_contacts="no") == ["Beta prospects"]
    assert names(sync_contacts="yes", q="customers", integration=us.pk) == ["Gamma customers"]
    assert names(sort="-contact_count") == ["Gamma customers", "Beta prospects", "Alpha customers"]
    assert names(sort="name") == ["Alpha customers", "Beta prospects", "Gamma customers"]
    assert names(q="nothing like it") == []
    assert "Nothing matches these filters." in client.get(GRID, {"q": "nothing like it"}).content.decode()


def test_pagination(client, marketer, make_book):
    for i in range(12):
        make_book(f"Book {i:02}")
    client.force_login(marketer)
    first = client.get(GRID, {"per_page": 10})
    second = client.get(GRID, {"per_page": 10, "page": 2})
    assert len(body_rows(first)) == 10 and body_rows(second) == ["Book 10", "Book 11"]


def test_empty_state_says_what_to_do(client, marketer, administrator, integration):
    client.force_login(administrator)
    body = client.get(GRID).content.decode()
    assert "No address books yet. They appear after the integration&#x27;s first sync" in body
    assert "press Schedule Sync on the integration&#x27;s page" in body
    assert f'href="{reverse("integrations:list")}">Go to System &gt; Integrations</a>' in body
    client.force_login(marketer)
    body = client.get(GRID).content.decode()
    assert "No address books yet." in body
    assert "Go to System" not in body  # marketers cannot open System > Integrations


def test_a_note_when_an_integration_imports_only_linked_books(client, marketer, integration, book):
    client.force_login(marketer)
    assert "Only linked address books are synced" not in client.get(GRID).content.decode()
    integration.settings = {**integration.settings, "only_linked_address_books": True}
    integration.save()
    body = client.get(GRID).content.decode()
    assert "Only linked address books are synced for Dotdigital EU" in body


# The marketing list's Dotdigital panel ---------------------------------------------------------------------------


def test_list_panel_shows_the_linked_book(client, marketer, book):
    target = MarketingListFactory(name="Spring news")
    services.connect_address_book(book, marketing_list=target, user=marketer)
    client.force_login(marketer)
    body = client.get(target.get_absolute_url()).content.decode()
    panel = body.split('data-testid="dotdigital-panel"')[1].split("</section>")[0]
    assert "Newsletter subscribers" in panel and "Dotdigital EU" in panel and "1,234" in panel
    assert f'href="{GRID}"' in panel


def test_list_panel_when_not_linked(client, marketer, book):
    target = MarketingListFactory(name="Lonely list")
    client.force_login(marketer)
    body = client.get(target.get_absolute_url()).content.decode()
    assert "Not connected to a Dotdigital address book." in body
    assert f'href="/dotdigital/lists/{target.pk}/connect/"' in body or "Connect to Dotdigital" in body


def test_list_panel_escapes_and_is_hidden_from_ops(client, marketer, operator, make_book):
    target = MarketingListFactory(name="Spring news")
    make_book("<b>bold</b> book", marketing_list=target)
    client.force_login(marketer)
    body = client.get(target.get_absolute_url()).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt; book" in body and "<b>bold</b>" not in body
    client.force_login(operator)
    response = client.get(target.get_absolute_url())
    assert response.status_code == 200
    assert 'data-testid="dotdigital-panel"' not in response.content.decode()
