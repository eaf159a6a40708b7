"""The pages per role, the forms' messages, and the confirmation pages."""

import pytest
from django.urls import reverse

from backoffice import roles
from marketing import services
from marketing.choices import MemberStatus
from marketing.models import Contact, MarketingList, MarketingListMember
from marketing.services import unique

from .conftest import ContactFactory, EmailCampaignFactory, MarketingListFactory, MemberFactory

pytestmark = pytest.mark.django_db

EDITORS = (roles.ADMINISTRATOR, roles.MARKETING_MANAGER)


@pytest.fixture
def data(owner):
    contact = ContactFactory(owner=owner, first_name="Ann", last_name="Lee", email="ann@example.com")
    marketing_list = MarketingListFactory(owner=owner, name="Weekly")
    member = MemberFactory(marketing_list=marketing_list, contact=contact)
    campaign = EmailCampaignFactory(owner=owner, marketing_list=marketing_list, name="Spring sale")
    return {"contact": contact, "list": marketing_list, "member": member, "campaign": campaign}


def read_urls(d):
    return [
        reverse("marketing:contact_list"),
        reverse("marketing:contact_detail", args=[d["contact"].pk]),
        reverse("marketing:list_list"),
        reverse("marketing:list_detail", args=[d["list"].pk]),
        reverse("marketing:campaign_list"),
        reverse("marketing:campaign_detail", args=[d["campaign"].pk]),
    ]


def edit_urls(d):
    lst, member = d["list"].pk, d["member"].pk
    return [
        reverse("marketing:contact_create"),
        reverse("marketing:contact_update", args=[d["contact"].pk]),
        reverse("marketing:contact_delete", args=[d["contact"].pk]),
        reverse("marketing:list_create"),
        reverse("marketing:list_update", args=[lst]),
        reverse("marketing:list_delete", args=[lst]),
        reverse("marketing:list_add_members", args=[lst]),
        reverse("marketing:member_unsubscribe", args=[lst, member]),
        reverse("marketing:member_remove", args=[lst, member]),
    ]


@pytest.mark.parametrize("role", roles.ROLES)
def test_every_role_reads(client, role_users, data, role):
    client.force_login(role_users[role])
    for url in read_urls(data):
        response = client.get(url)
        assert response.status_code == 200, url
    assert b"Ann Lee" in client.get(reverse("marketing:contact_list")).content


@pytest.mark.parametrize("role", roles.ROLES)
def test_only_editors_edit(client, role_users, data, role):
    client.force_login(role_users[role])
    expected = 200 if role in EDITORS else 403
    for url in edit_urls(data):
        assert client.get(url).status_code == expected, url
    response = client.post(reverse("marketing:contact_delete", args=[data["contact"].pk]))
    assert Contact.objects.filter(pk=data["contact"].pk).exists() == (role not in EDITORS)
    assert response.status_code == (302 if role in EDITORS else 403)


def test_anonymous_is_sent_to_login(client, data):
    for url in read_urls(data):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_operations_sees_no_edit_buttons(client, operator, data):
    client.force_login(operator)
    page = client.get(reverse("marketing:contact_detail", args=[data["contact"].pk])).content.decode()
    assert "Ann Lee" in page and reverse("marketing:contact_update", args=[data["contact"].pk]) not in page
    grid = client.get(reverse("marketing:contact_list")).content.decode()
    assert "Create Contact" not in grid


def test_campaigns_have_no_create_or_edit_pages(client, marketer, data):
    client.force_login(marketer)
    page = client.get(reverse("marketing:campaign_detail", args=[data["campaign"].pk])).content.decode()
    assert "Spring sale" in page and "No statistics reported yet" in page
    assert not marketer.has_perm("marketing.change_emailcampaign")
    assert not marketer.has_perm("marketing.change_emailcampaignstatistics")
    assert not marketer.has_perm("marketing.add_emailcampaign")


def test_create_contact_with_save_and_close(client, marketer):
    client.force_login(marketer)
    response = client.post(
        reverse("marketing:contact_create"),
        {
            "first_name": "Bo",
            "last_name": "Berg",
            "email": "Bo@Example.com",
            "owner": marketer.pk,
            "action": "save_close",
        },
    )
    assert response.status_code == 302 and response.url == reverse("marketing:contact_list")
    contact = Contact.objects.get()
    assert (contact.email, contact.owner, contact.source) == ("Bo@Example.com", marketer, "manual")


def test_save_stays_on_the_edit_page(client, marketer, data):
    client.force_login(marketer)
    contact = data["contact"]
    response = client.post(
        reverse("marketing:contact_update", args=[contact.pk]),
        {"first_name": "Anna", "last_name": "Lee", "email": "ann@example.com", "owner": marketer.pk, "action": "save"},
    )
    assert response.status_code == 302 and response.url == reverse("marketing:contact_update", args=[contact.pk])
    contact.refresh_from_db()
    assert contact.first_name == "Anna" and contact.owner == marketer


def test_contact_form_messages(client, marketer, data):
    client.force_login(marketer)
    url = reverse("marketing:contact_create")
    response = client.post(url, {"email": "ANN@example.com", "owner": marketer.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["A contact with this email already exists."]
    assert b"Please correct the error below." in response.content

    response = client.post(url, {"email": "not an email", "owner": ""})
    errors = response.context["form"].errors
    assert errors["email"] == ["Enter a valid email address."]
    assert errors["owner"] == ["This field is required."]

    # Editing a contact without changing its email is no clash with itself.
    edit = reverse("marketing:contact_update", args=[data["contact"].pk])
    response = client.post(edit, {"email": "Ann@Example.com", "owner": marketer.pk, "action": "save"})
    assert response.status_code == 302


def test_list_form_messages(client, marketer, data):
    client.force_login(marketer)
    response = client.post(reverse("marketing:list_create"), {"name": "weekly", "owner": marketer.pk})
    assert response.context["form"].errors["name"] == ["A marketing list with this name already exists."]
    response = client.post(reverse("marketing:list_create"), {"name": "", "owner": marketer.pk})
    assert response.context["form"].errors["name"] == ["This field is required."]


def test_create_list_then_its_page(client, marketer):
    client.force_login(marketer)
    response = client.post(
        reverse("marketing:list_create"), {"name": "VIP", "description": "Best", "owner": marketer.pk}
    )
    marketing_list = MarketingList.objects.get(name="VIP")
    assert response.url == marketing_list.get_absolute_url()
    page = client.get(response.url).content.decode()
    assert "No members yet." in page and "Add Contacts" in page


def test_delete_list_confirmation_says_contacts_are_kept(client, marketer, data):
    client.force_login(marketer)
    url = reverse("marketing:list_delete", args=[data["list"].pk])
    page = client.get(url).content.decode()
    assert "Deleting a list keeps its contacts" in page and "1 membership record(s)" in page
    response = client.post(url)
    assert response.url == reverse("marketing:list_list")
    assert not MarketingList.objects.exists()
    assert Contact.objects.filter(pk=data["contact"].pk).exists()


def test_delete_contact_confirmation_says_what_is_lost(client, marketer, data):
    client.force_login(marketer)
    page = client.get(reverse("marketing:contact_delete", args=[data["contact"].pk])).content.decode()
    assert "membership of 1 marketing list(s)" in page and "cannot be undone" in page


def test_add_members_search_and_add(client, marketer, data):
    client.force_login(marketer)
    url = reverse("marketing:list_add_members", args=[data["list"].pk])
    bo = ContactFactory(first_name="Bo", last_name="Berg", email="bo@example.com")
    ContactFactory(first_name="Cy", last_name="Cole", email="cy@example.com")
    page = client.get(url, {"q": "bo"}).content.decode()
    assert "bo@example.com" in page and "cy@example.com" not in page
    assert "ann@example.com" not in client.get(url).content.decode()  # already a member
    response = client.post(url, {"contact": [bo.pk], "action": "add"})
    assert response.url == data["list"].get_absolute_url()
    assert data["list"].members.filter(contact=bo, status=MemberStatus.SUBSCRIBED).exists()
    response = client.post(url, {"action": "add"}, follow=True)
    assert b"Tick at least one contact to add." in response.content


def test_unsubscribe_resubscribe_and_remove_member(client, marketer, data):
    client.force_login(marketer)
    lst, member = data["list"], data["member"]
    response = client.post(
        reverse("marketing:member_unsubscribe", args=[lst.pk, member.pk]), {"reason": "Asked by email"}
    )
    assert response.url == lst.get_absolute_url()
    member.refresh_from_db()
    assert member.status == MemberStatus.UNSUBSCRIBED and member.unsubscribe_reason == "Asked by email"
    page = client.get(lst.get_absolute_url()).content.decode()
    assert "Asked by email" in page and 'data-count="unsubscribed">1<' in page

    client.post(reverse("marketing:member_resubscribe", args=[lst.pk, member.pk]))
    member.refresh_from_db()
    assert member.status == MemberStatus.SUBSCRIBED

    confirm = client.get(reverse("marketing:member_remove", args=[lst.pk, member.pk])).content.decode()
    assert "The contact itself is kept" in confirm
    client.post(reverse("marketing:member_remove", args=[lst.pk, member.pk]))
    member.refresh_from_db()
    assert member.status == MemberStatus.REMOVED
    page = client.get(lst.get_absolute_url()).content.decode()
    assert "No members yet." in page  # removed members are hidden unless asked for
    page = client.get(lst.get_absolute_url(), {"status": "removed"}).content.decode()
    assert "ann@example.com" in page


def test_member_of_another_list_is_404(client, marketer, data):
    client.force_login(marketer)
    other = MarketingListFactory()
    url = reverse("marketing:member_unsubscribe", args=[other.pk, data["member"].pk])
    assert client.get(url).status_code == 404
    assert MarketingListMember.objects.get(pk=data["member"].pk).status == MemberStatus.SUBSCRIBED


def test_campaign_page_shows_statistics_and_activity(client, operator, data):
    campaign, contact = data["campaign"], data["contact"]
    services.record_campaign_statistics(
        rows=[{"campaign_id": campaign.pk, "sent": 1000, "delivered": 950, "unique_opens": 190, "unique_clicks": 19}]
    )
    services.upsert_campaign_activities(
        campaign_id=campaign.pk, rows=[{"contact_id": contact.pk, "opens": 4, "clicks": 2}]
    )
    client.force_login(operator)
    page = client.get(reverse("marketing:campaign_detail", args=[campaign.pk])).content.decode()
    assert 'data-stat="unique_opens"' in page and "20.0%" in page and "1,000" in page
    assert "4×" in page and "Ann Lee" in page
    grid = client.get(reverse("marketing:campaign_list")).content.decode()
    assert "Spring sale" in grid and "20.0%" in grid


def test_menu_items_per_role(client, role_users):
    for role, user in role_users.items():
        client.force_login(user)
        page = client.get(reverse("dashboard")).content.decode()
        for label in ("Contacts", "Marketing Lists", "Email Campaigns"):
            assert f'data-menu-item="{label}"' in page, (role, label)


def test_a_deactivated_owner_stays_selectable_on_their_records(client, marketer, make_user):
    former = make_user(None, username="former", is_active=False)
    contact = ContactFactory(owner=former, email="kept@example.com")
    client.force_login(marketer)
    url = reverse("marketing:contact_update", args=[contact.pk])
    assert f'value="{former.pk}" selected' in client.get(url).content.decode()
    response = client.post(url, {"email": "kept@example.com", "owner": former.pk, "company": "New", "action": "save"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.company == "New" and contact.owner == former
    create = client.get(reverse("marketing:contact_create")).content.decode()
    assert f'value="{former.pk}"' not in create


def object_urls(list_pk: int, member_pk: int) -> list[str]:
    return [
        reverse("marketing:list_detail", args=[list_pk]),
        reverse("marketing:list_update", args=[list_pk]),
        reverse("marketing:list_delete", args=[list_pk]),
        reverse("marketing:list_add_members", args=[list_pk]),
        reverse("marketing:member_unsubscribe", args=[list_pk, member_pk]),
        reverse("marketing:member_resubscribe", args=[list_pk, member_pk]),
        reverse("marketing:member_remove", args=[list_pk, member_pk]),
    ]


def test_no_one_learns_which_ids_exist_before_signing_in(client, data, make_user):
    """Objects are looked up after the sign-in and permission checks: the answer is the same for an id that exists
    and one that does not."""
    existing = object_urls(data["list"].pk, data["member"].pk)
    missing = object_urls(data["list"].pk + 1000, data["member"].pk + 1000)
    for url in existing + missing:
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    client.force_login(make_user(None, username="nobody"))  # signed in, no role
    for url in existing + missing:
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code == 403, url


def someone_else_saves_first(monkeypatch, concurrent_write):
    """Run `concurrent_write()` once between the checks (the form's and the model's `full_clean`) and the INSERT or
    UPDATE, as another user committing at that moment would."""
    real_save_unique = unique.save_unique
    done = []

    def save_unique(record, clash):
        if not done:
            done.append(concurrent_write())
        return real_save_unique(record, clash)

    monkeypatch.setattr(unique, "save_unique", save_unique)
    return done


def test_a_contact_created_meanwhile_with_the_same_email_is_a_form_error(client, marketer, monkeypatch):
    """The database's unique index refuses the INSERT; the form says so beside the email instead of a server error."""
    raced = someone_else_saves_first(monkeypatch, lambda: ContactFactory(email="RACE@example.com"))
    client.force_login(marketer)
    response = client.post(reverse("marketing:contact_create"), {"email": "race@example.com", "owner": marketer.pk})
    assert raced and response.status_code == 200
    assert response.context["form"].errors["email"] == ["A contact with this email already exists."]
    assert Contact.objects.filter(email__iexact="race@example.com").count() == 1


def test_a_list_renamed_meanwhile_to_the_same_name_is_a_form_error(client, marketer, data, monkeypatch):
    raced = someone_else_saves_first(monkeypatch, lambda: MarketingListFactory(name="MONTHLY"))
    client.force_login(marketer)
    url = reverse("marketing:list_update", args=[data["list"].pk])
    response = client.post(url, {"name": "Monthly", "owner": marketer.pk, "action": "save"})
    assert raced and response.status_code == 200
    assert response.context["form"].errors["name"] == ["A marketing list with this name already exists."]
    data["list"].refresh_from_db()
    assert data["list"].name == "Weekly"
