"""Marketing > Dotdigital > Data Fields: the stored grid, Synchronize, Create Data Field against the sandbox, delete
with its refusals, and notes."""

from __future__ import annotations

import pytest
import responses
from django.urls import reverse

from backoffice import roles
from dotdigital.models import DataField
from integrations import services
from integrations.models import StepState, SyncJob
from integrations.services import sync as sync_services

pytestmark = pytest.mark.django_db

URL = reverse("dotdigital:data_fields")
CREATE = reverse("dotdigital:data_field_create")
SYNC = reverse("dotdigital:data_fields_synchronize")


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Jobs are run in-process by the tests that need them."""
    monkeypatch.setattr(sync_services, "enqueue", lambda job_id, eta=None: None)


@pytest.fixture
def connect(settings, administrator):
    def make(sandbox=None, name="Dotdigital EU", endpoint=None):
        if sandbox is not None:
            settings.DOTDIGITAL_API_URL = sandbox.url
        return services.create_integration(
            type_key="dotdigital",
            name=name,
            default_owner=administrator,
            settings={"username": sandbox.username if sandbox else "apiuser-1@apiconnector.com"},
            secrets={"password": sandbox.password if sandbox else "a-password"},
            discovered_settings={"api_endpoint": endpoint or sandbox.url},
            user=administrator,
        )

    return make


@pytest.fixture
def integration(connect, sandbox):
    return connect(sandbox)


def field(integration, name, type_="String", **values):
    return DataField.objects.create(integration=integration, name=name, type=type_, visibility="Private", **values)


def create_data(of, **values):
    data = {"integration": of.pk, "name": "TIER", "type": "String", "visibility": "Private", "default": ""}
    data.update(values)
    return data


# -- grid -----------------------------------------------------------------------------------------------------------


def test_grid_shows_the_stored_fields_without_calling_dotdigital(client, marketer, integration, sandbox):
    field(integration, "IS_VIP", "Boolean", default_value=True, notes="VIP customers")
    field(integration, "BIRTHDAY", "Date", default_value="2024-03-01T00:00:00")
    field(integration, "SCORE", "Numeric", default_value=7)
    before = len(sandbox.app.requests)
    client.force_login(marketer)
    response = client.get(URL)
    assert response.status_code == 200
    assert len(sandbox.app.requests) == before  # no live read any more
    body = response.content.decode()
    for header in ("Integration", "Name", "Type", "Visibility", "Default value", "Notes"):
        assert header in body
    rows = {r.record.name: r for r in response.context["table"].page.object_list}
    assert set(rows) == {"IS_VIP", "BIRTHDAY", "SCORE"}
    assert rows["IS_VIP"].get_cell("default_value") == "Yes"
    assert rows["BIRTHDAY"].get_cell("default_value") == "2024-03-01"
    assert rows["SCORE"].get_cell("default_value") == "7"
    assert "VIP customers" in body
    assert 'data-testid="action-synchronize"' in body and "Create Data Field" in body


def test_filters_search_sorting_and_paging(client, marketer, connect, sandbox):
    eu = connect(sandbox)
    us = connect(sandbox, name="Dotdigital US")
    for n in range(30):
        field(eu, f"EU_FIELD_{n:02d}")
    field(eu, "EU_DATE", "Date")
    field(us, "US_DATE", "Date")
    client.force_login(marketer)
    names = lambda response: [r.record.name for r in response.context["table"].page.object_list]  # noqa: E731
    assert names(client.get(URL, {"integration": us.pk})) == ["US_DATE"]
    assert names(client.get(URL, {"type": "Date"})) == ["EU_DATE", "US_DATE"]
    assert names(client.get(URL, {"q": "field_0"})) == [f"EU_FIELD_0{n}" for n in range(10)]
    assert names(client.get(URL, {"q": "us_"})) == ["US_DATE"]
    first = client.get(URL, {"sort": "-name"})
    assert names(first)[0] == "US_DATE"
    assert len(names(first)) == 25
    assert len(names(client.get(URL, {"page": 2}))) == 7
    empty = client.get(URL, {"q": "nothing-like-this"})
    assert "Nothing matches these filters." in empty.content.decode()


def test_empty_state_says_what_to_do(client, marketer, integration):
    client.force_login(marketer)
    body = client.get(URL).content.decode()
    assert "No data fields yet. Press Synchronize" in body


def test_query_count_does_not_grow_with_rows(client, marketer, integration, django_assert_max_num_queries):
    for n in range(25):
        field(integration, f"F{n}")
    client.force_login(marketer)
    with django_assert_max_num_queries(14):
        assert client.get(URL).status_code == 200


@pytest.mark.parametrize(
    ("role", "status"), [(roles.ADMINISTRATOR, 200), (roles.MARKETING_MANAGER, 200), (roles.OPERATIONS, 403)]
)
def test_permissions_per_role(client, role_users, role, status, integration):
    data_field = field(integration, "TIER")
    client.force_login(role_users[role])
    pages = [
        URL,
        CREATE,
        reverse("dotdigital:data_field_update", args=[data_field.pk]),
        reverse("dotdigital:data_field_delete", args=[data_field.pk]),
    ]
    for page in pages:
        assert client.get(page).status_code == status, page
    posts = [
        (SYNC, {}),
        (CREATE, create_data(integration, name="NEWONE")),
        (reverse("dotdigital:data_field_update", args=[data_field.pk]), {"notes": "x"}),
        (reverse("dotdigital:data_field_delete", args=[data_field.pk]), {}),
    ]
    if status == 403:
        for page, data in posts:
            assert client.post(page, data).status_code == 403, page
        assert SyncJob.objects.count() == 0
        assert DataField.objects.get(pk=data_field.pk).notes == ""


def test_anonymous_is_sent_to_log_in(client, integration):
    for page in (URL, CREATE):
        response = client.get(page)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.post(SYNC).status_code == 302
    assert SyncJob.objects.count() == 0


def test_posts_need_the_csrf_token(marketer, integration):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(marketer)
    assert csrf_client.post(SYNC).status_code == 403
    assert csrf_client.post(CREATE, create_data(integration)).status_code == 403
    assert SyncJob.objects.count() == 0 and not DataField.objects.exists()


# -- Synchronize ----------------------------------------------------------------------------------------------------


def test_synchronize_queues_one_data_fields_job_per_integration_and_it_fills_the_grid(
    client, marketer, connect, sandbox
):
    eu = connect(sandbox)
    us = connect(sandbox, name="Dotdigital US")
    # A full mark from today would make a plain sync skip the connector: Synchronize must not be skipped.
    from integrations.models import SyncMark

    SyncMark.objects.create(integration=eu, connector="data_fields", value="2999-01-01T00:00:00Z")
    client.force_login(marketer)
    response = client.post(SYNC, follow=True)
    body = response.content.decode()
    assert body.count("Synchronization queued for") == 2
    jobs = list(SyncJob.objects.order_by("integration__name"))
    assert [job.integration for job in jobs] == [eu, us]
    for job in jobs:
        assert job.full is True and job.connectors == ["data_fields"]
        assert [step.connector for step in job.steps.all()] == ["data_fields"]
        assert f"sync #{job.pk}" in body
        services.run_sync_job(job.pk)
        job.refresh_from_db()
        assert job.steps.get().state == StepState.SUCCEEDED
    assert {"FIRSTNAME", "LASTNAME"} <= set(DataField.objects.filter(integration=eu).values_list("name", flat=True))
    assert DataField.objects.filter(integration=us).exists()

    again = client.post(SYNC, follow=True).content.decode()
    assert again.count("Synchronization queued for") == 2  # the first jobs ended: new ones


def test_synchronize_the_filtered_integration_only_and_say_when_one_runs(client, marketer, connect, sandbox):
    eu = connect(sandbox)
    connect(sandbox, name="Dotdigital US")
    client.force_login(marketer)
    grid = client.get(URL, {"integration": eu.pk}).content.decode()
    assert f'name="integration" value="{eu.pk}"' in grid  # the Synchronize form carries the filter
    client.post(SYNC, {"integration": eu.pk})
    assert list(SyncJob.objects.values_list("integration", flat=True)) == [eu.pk]
    body = client.post(SYNC, {"integration": eu.pk}, follow=True).content.decode()
    assert "A sync is already running for Dotdigital EU" in body
    assert SyncJob.objects.count() == 1
    assert client.post(SYNC, {"integration": "99999"}).status_code == 404
    assert client.post(SYNC, {"integration": "1 OR 1"}).status_code == 404


# -- Create Data Field ----------------------------------------------------------------------------------------------


def test_create_in_dotdigital_first_then_here(client, marketer, integration, sandbox):
    client.force_login(marketer)
    page = client.get(CREATE).content.decode()
    for label in ("Integration", "Name", "Type", "Visibility", "Default value", "Notes"):
        assert label in page
    assert "js/data_fields.js" in page and "<script>" not in page
    response = client.post(
        CREATE,
        create_data(
            integration,
            name="birthday_2",
            type="Date",
            visibility="Public",
            default="2025-12-31",
            notes="For the birthday program",
            action="save_close",
        ),
    )
    assert response.status_code == 302 and response["Location"] == URL
    created = DataField.objects.get(name="BIRTHDAY_2")
    assert (created.type, created.visibility, created.notes) == ("Date", "Public", "For the birthday program")
    stored = sandbox.store.fields["BIRTHDAY_2"]
    assert stored.type == "Date" and stored.visibility == "Public"
    assert str(stored.default).startswith("2025-12-31T00:00:00")


@pytest.mark.parametrize(
    ("type_", "typed", "expected"),
    [
        ("Numeric", "42", 42),
        ("Numeric", "4.5", 4.5),
        ("Boolean", "Yes", True),
        ("Boolean", "No", False),
        ("String", "gold", "gold"),
    ],
)
def test_create_sends_the_default_typed(client, marketer, integration, sandbox, type_, typed, expected):
    client.force_login(marketer)
    response = client.post(CREATE, create_data(integration, name="F1", type=type_, default=typed, action="save"))
    created = DataField.objects.get(name="F1")
    assert response["Location"] == reverse("dotdigital:data_field_update", args=[created.pk])
    assert sandbox.store.fields["F1"].default == expected
    assert created.default_value == expected


def errors_of(response) -> dict:
    return {name: " ".join(errors) for name, errors in response.context["form"].errors.items()}


@pytest.mark.parametrize(
    ("values", "field_name", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "has space"}, "name", "Use 1 to 20 letters, digits, hyphens (-) or underscores (_)"),
        ({"name": "é_accent"}, "name", "Use 1 to 20 letters"),
        ({"name": "A" * 21}, "name", "At most 20 characters"),
        ({"type": "Money"}, "type", "Select a valid choice."),
        ({"visibility": "Secret"}, "visibility", "Select a valid choice."),
        ({"integration": ""}, "integration", "This field is required."),
        (
            {"type": "Numeric", "default": "ten"},
            "default",
            "Default value doesn't match the field's type. “ten” is not a number",
        ),
        ({"type": "Numeric", "default": "NaN"}, "default", "is not a number"),
        ({"type": "Date", "default": "31/12/2025"}, "default", "is not a date: enter it as YYYY-MM-DD"),
        ({"type": "Boolean", "default": "maybe"}, "default", "is not Yes or No"),
    ],
)
def test_every_check_is_made_before_any_call(client, marketer, integration, sandbox, values, field_name, message):
    client.force_login(marketer)
    before = len(sandbox.app.requests)
    response = client.post(CREATE, create_data(integration, **values))
    assert response.status_code == 200
    assert message in errors_of(response)[field_name]
    assert len(sandbox.app.requests) == before
    assert not DataField.objects.filter(name="TIER").exists()
    assert 'data-testid="form-error-summary"' in response.content.decode()


def test_a_name_already_used_in_that_integration(client, marketer, integration, connect, sandbox):
    field(integration, "TIER")
    other = connect(sandbox, name="Dotdigital US")
    client.force_login(marketer)
    response = client.post(CREATE, create_data(integration, name="tier"))
    assert "Field with such name already exists in the integration “Dotdigital EU”." in errors_of(response)["name"]
    # The same name in another integration is fine.
    assert client.post(CREATE, create_data(other, name="tier")).status_code == 302
    assert DataField.objects.filter(name="TIER").count() == 2


def test_dotdigitals_refusal_is_shown_beside_the_name(client, marketer, integration, sandbox):
    sandbox.client().create_data_field("LOYALTY", type="String")  # made in Dotdigital, not synchronized yet
    client.force_login(marketer)
    response = client.post(CREATE, create_data(integration, name="loyalty"))
    assert response.status_code == 200
    assert "Dotdigital already has a data field named LOYALTY. Press Synchronize" in errors_of(response)["name"]
    assert not DataField.objects.filter(name="LOYALTY").exists()


def test_dotdigital_unreachable_keeps_the_form(client, marketer, integration, sandbox):
    sandbox.running.stop()
    client.force_login(marketer)
    response = client.post(CREATE, create_data(integration, name="KEEPME", notes="typed notes"))
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert any("Dotdigital could not be reached" in e and "Nothing was lost" in e for e in errors)
    body = response.content.decode()
    assert 'value="KEEPME"' in body and "typed notes" in body
    assert not DataField.objects.exists()


def test_the_default_widget_fits_the_type_on_a_re_render(client, marketer, integration):
    client.force_login(marketer)
    date_page = client.post(CREATE, create_data(integration, name="", type="Date")).content.decode()
    assert 'type="date"' in date_page and "data-field-type" in date_page
    bool_page = client.post(CREATE, create_data(integration, name="", type="Boolean")).content.decode()
    assert '<select name="default"' in bool_page and '<option value="Yes">' in bool_page
    number_page = client.post(CREATE, create_data(integration, name="", type="Numeric")).content.decode()
    assert 'type="number"' in number_page
    # Without JavaScript the String page's text field is what comes back; the server reads "yes" and dates typed.
    assert client.post(CREATE, create_data(integration, name="B1", type="Boolean", default="yes")).status_code == 302
    assert (
        client.post(CREATE, create_data(integration, name="D1", type="Date", default="2025-01-02")).status_code == 302
    )


# -- the field's page: notes; delete ----------------------------------------------------------------------------------


def test_notes_are_editable_and_the_rest_read_only(client, marketer, integration):
    data_field = field(integration, "TIER", notes="old")
    url = reverse("dotdigital:data_field_update", args=[data_field.pk])
    client.force_login(marketer)
    page = client.get(url).content.decode()
    assert 'name="notes"' in page and 'name="name"' not in page and 'name="type"' not in page
    response = client.post(url, {"notes": "new notes", "name": "HACKED", "type": "Numeric", "action": "save"})
    assert response.status_code == 302
    data_field.refresh_from_db()
    assert (data_field.notes, data_field.name, data_field.type) == ("new notes", "TIER", "String")


def test_delete_asks_then_deletes_in_dotdigital_and_here(client, marketer, integration, sandbox):
    sandbox.client().create_data_field("TIER", type="String")
    data_field = field(integration, "TIER")
    url = reverse("dotdigital:data_field_delete", args=[data_field.pk])
    client.force_login(marketer)
    page = client.get(url).content.decode()
    assert "Delete the data field TIER?" in page and 'data-testid="confirm-delete"' in page
    assert DataField.objects.filter(pk=data_field.pk).exists() and "TIER" in sandbox.store.fields
    response = client.post(url, follow=True)
    assert "Data field TIER deleted in Dotdigital and here." in response.content.decode()
    assert not DataField.objects.filter(pk=data_field.pk).exists()
    assert "TIER" not in sandbox.store.fields


def test_a_reserved_field_is_not_deleted_and_why(client, marketer, integration, sandbox):
    data_field = field(integration, "FIRSTNAME")
    client.force_login(marketer)
    response = client.post(reverse("dotdigital:data_field_delete", args=[data_field.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Not deleted." in body and "one of the account&#x27;s default fields" in body
    assert "is a default field and cannot be deleted" in body  # Dotdigital's own words
    assert DataField.objects.filter(pk=data_field.pk).exists() and "FIRSTNAME" in sandbox.store.fields


def test_a_field_already_gone_in_dotdigital_is_deleted_here(client, marketer, integration, sandbox):
    data_field = field(integration, "GHOST")
    client.force_login(marketer)
    assert client.post(reverse("dotdigital:data_field_delete", args=[data_field.pk])).status_code == 302
    assert not DataField.objects.filter(pk=data_field.pk).exists()


@responses.activate
def test_a_field_in_use_shows_what_depends_on_it(client, marketer, connect):
    integration = connect(None, endpoint="https://r1-api.dotdigital.com")
    data_field = field(integration, "TIER")
    responses.delete(
        "https://r1-api.dotdigital.com/v2/data-fields/TIER",
        json={"dependencies": ["Used in program 12345", {"type": "Form", "objectId": 77}], "result": False},
    )
    client.force_login(marketer)
    response = client.post(reverse("dotdigital:data_field_delete", args=[data_field.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "cannot be removed: it is in use elsewhere in Dotdigital" in body
    assert "<li>Used in program 12345</li>" in body and "<li>Form 77</li>" in body
    assert DataField.objects.filter(pk=data_field.pk).exists()


def test_delete_while_dotdigital_is_unreachable_keeps_the_field(client, marketer, integration, sandbox):
    data_field = field(integration, "TIER")
    sandbox.running.stop()
    client.force_login(marketer)
    body = client.post(reverse("dotdigital:data_field_delete", args=[data_field.pk])).content.decode()
    assert "The data field was not deleted. Dotdigital could not be reached" in body
    assert DataField.objects.filter(pk=data_field.pk).exists()


def test_menu_has_both_pages(client, marketer, integration):
    client.force_login(marketer)
    body = client.get(URL).content.decode()
    assert 'data-menu-item="Data Fields"' in body and 'data-menu-item="Data Field Mappings"' in body
