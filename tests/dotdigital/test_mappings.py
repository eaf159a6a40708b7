"""Marketing > Dotdigital > Data Field Mappings: the rules of a row, the one form with its rows, default mappings
after the first data-field sync, the mapping the export reads, and two-way fields imported by the contacts sync."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from backoffice import roles
from dotdigital import mappings
from dotdigital.models import DataField, DataFieldMapping, DataFieldMappingRow
from integrations import services
from integrations.models import SyncJob, SyncMark, SyncTrigger
from integrations.services import sync as sync_services
from marketing.models import Contact

pytestmark = pytest.mark.django_db

LIST = reverse("dotdigital:mappings")
CREATE = reverse("dotdigital:mapping_create")


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr(sync_services, "enqueue", lambda job_id, eta=None: None)


@pytest.fixture
def integration(connect_sandbox, sandbox):
    return connect_sandbox(sandbox)


@pytest.fixture
def fields(integration):
    made = {}
    for name, type_ in (
        ("FIRSTNAME", "String"),
        ("LASTNAME", "String"),
        ("FULLNAME", "String"),
        ("SCORE", "Numeric"),
        ("BIRTHDAY", "Date"),
        ("IS_VIP", "Boolean"),
        ("COMPANY", "String"),
    ):
        made[name] = DataField.objects.create(integration=integration, name=name, type=type_, visibility="Public")
    return made


def run_sync(integration, **options) -> SyncJob:
    job = services.schedule_sync(integration, trigger=SyncTrigger.COMMAND, **options).job
    services.run_sync_job(job.pk)
    job.refresh_from_db()
    return job


def form_data(rows, *, integration=None, action="save_close") -> dict:
    data = {"rows-TOTAL_FORMS": str(len(rows)), "rows-INITIAL_FORMS": "0", "action": action}
    if integration is not None:
        data["integration"] = str(integration.pk)
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"rows-{index}-{key}"] = value
    return data


def row(data_field, contact_fields, two_way=False, delete=False) -> dict:
    values = {"data_field": str(data_field.pk) if data_field else "", "contact_fields": list(contact_fields)}
    if two_way:
        values["two_way"] = "on"
    if delete:
        values["DELETE"] = "on"
    return values


def row_errors(response) -> list[dict]:
    return [dict(form.errors) for form in response.context["formset"].forms]


# -- the catalogue and the rules ------------------------------------------------------------------------------------


def test_contact_fields_come_from_the_contact_model():
    names = {f.name: f for f in mappings.contact_fields()}
    assert {"first_name", "last_name", "email", "phone", "job_title", "company"} <= set(names)
    assert not {"id", "owner", "source", "created_at", "updated_at"} & set(names)
    assert names["first_name"].kind == mappings.STRING and names["first_name"].two_way
    assert not names["email"].two_way


def test_type_fit_by_kind():
    string = mappings.ContactField("x", "X", mappings.STRING, True)
    number = mappings.ContactField("n", "N", mappings.NUMBER, True)
    date = mappings.ContactField("d", "D", mappings.DATE, True)
    for kind in (string, number, date):
        assert kind.kind in mappings.TYPE_FITS["String"]
    assert mappings.TYPE_FITS["Numeric"] == {mappings.NUMBER}
    assert mappings.TYPE_FITS["Date"] == {mappings.DATE}
    assert mappings.TYPE_FITS["Boolean"] == {mappings.BOOLEAN}
    assert mappings.contact_value(number, "7.5") == pytest.approx(7.5)
    assert str(mappings.contact_value(date, "2024-05-06T00:00:00Z")) == "2024-05-06"
    with pytest.raises(mappings.NotConvertible):
        mappings.contact_value(number, "seven")


# -- pages ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"), [(roles.ADMINISTRATOR, 200), (roles.MARKETING_MANAGER, 200), (roles.OPERATIONS, 403)]
)
def test_permissions_per_role(client, role_users, role, status, integration, fields):
    mapping = mappings.save_mapping(integration, [], user=None)
    client.force_login(role_users[role])
    for url in (
        LIST,
        CREATE,
        reverse("dotdigital:mapping_update", args=[mapping.pk]),
        reverse("dotdigital:mapping_delete", args=[mapping.pk]),
        reverse("dotdigital:mapping_row", args=[integration.pk]),
    ):
        assert client.get(url).status_code == status, url
    if status == 403:
        update = reverse("dotdigital:mapping_update", args=[mapping.pk])
        assert client.post(update, form_data([row(fields["SCORE"], ["phone"])])).status_code == 403
        assert client.post(reverse("dotdigital:mapping_delete", args=[mapping.pk])).status_code == 403
        assert DataFieldMapping.objects.filter(pk=mapping.pk).exists() and not DataFieldMappingRow.objects.exists()


def test_csrf_is_required(marketer, integration, fields):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(marketer)
    data = form_data([row(fields["FIRSTNAME"], ["first_name"])], integration=integration)
    assert csrf_client.post(CREATE, data).status_code == 403
    assert not DataFieldMapping.objects.exists()


def test_create_choose_the_integration_then_save_the_rows(client, marketer, integration, fields):
    client.force_login(marketer)
    chooser = client.get(CREATE)
    assert 'data-testid="choose-integration"' in chooser.content.decode()
    page = client.get(CREATE, {"integration": integration.pk}).content.decode()
    assert 'data-testid="mapping-rows"' in page and 'data-testid="add-row"' in page
    assert "js/data_fields.js" in page and "<script>" not in page
    assert page.count('data-testid="mapping-row"') == 2  # the blank rows a browser without JavaScript fills in
    response = client.post(
        CREATE,
        form_data(
            [row(fields["FULLNAME"], ["first_name", "last_name"]), row(fields["COMPANY"], ["company"], two_way=True)],
            integration=integration,
        ),
    )
    assert response.status_code == 302 and response["Location"] == LIST
    export = mappings.mapping_for_export(integration)
    assert export.fields == [
        mappings.MappedField("COMPANY", "String", ("company",), True),
        mappings.MappedField("FULLNAME", "String", ("first_name", "last_name"), False),
    ]
    assert export.changed_at is not None
    mapping = DataFieldMapping.objects.get()
    assert mapping.updated_by == marketer
    # One mapping per integration: create goes to the existing one.
    again = client.get(CREATE, {"integration": integration.pk})
    assert again.status_code == 302 and again["Location"] == reverse("dotdigital:mapping_update", args=[mapping.pk])


def test_grid_lists_mapped_and_two_way_fields(client, marketer, integration, fields):
    mappings.save_mapping(
        integration,
        [
            mappings.RowSpec(fields["FULLNAME"], ("first_name", "last_name"), False),
            mappings.RowSpec(fields["COMPANY"], ("company",), True),
        ],
        user=marketer,
    )
    client.force_login(marketer)
    response = client.get(LIST)
    body = response.content.decode()
    assert "First name + Last name → <strong>FULLNAME</strong>" in body
    [record] = response.context["table"].page.object_list
    assert "COMPANY" in str(record.get_cell("two_way")) and "FULLNAME" not in str(record.get_cell("two_way"))
    assert "Dotdigital EU" in body and 'data-menu-item="Data Field Mappings"' in body


def test_empty_grid_says_what_to_do(client, marketer, integration):
    client.force_login(marketer)
    body = client.get(LIST).content.decode()
    assert "No data field mappings yet." in body and "Create Data Field Mapping" in body


@pytest.mark.parametrize(
    ("rows", "index", "field_name", "message"),
    [
        (
            lambda f: [row(f["SCORE"], ["phone"])],
            0,
            "contact_fields",
            "Phone holds text, which does not fit the Numeric",
        ),
        (lambda f: [row(f["BIRTHDAY"], ["first_name"])], 0, "contact_fields", "does not fit the Date data field"),
        (lambda f: [row(f["IS_VIP"], ["company"])], 0, "contact_fields", "does not fit the Boolean data field"),
        (
            lambda f: [row(f["SCORE"], ["phone", "company"])],
            0,
            "contact_fields",
            "Several contact fields can only be joined into a String data field",
        ),
        (
            lambda f: [row(f["FULLNAME"], ["first_name", "last_name"], two_way=True)],
            0,
            "two_way",
            "Two-way sync needs a single contact field",
        ),
        (lambda f: [row(f["COMPANY"], ["email"], two_way=True)], 0, "two_way", "identifies the contact"),
        (
            lambda f: [row(f["FIRSTNAME"], ["first_name"]), row(f["FIRSTNAME"], ["last_name"])],
            1,
            "data_field",
            "FIRSTNAME is already mapped in row 1",
        ),
        (lambda f: [row(f["FIRSTNAME"], [])], 0, "contact_fields", "Choose the contact field that feeds"),
        (lambda f: [row(None, ["first_name"])], 0, "data_field", "Choose the data field these contact fields feed"),
        (
            lambda f: [{"data_field": str(f["FIRSTNAME"].pk), "contact_fields": ["owner"]}],
            0,
            "contact_fields",
            "Select a valid choice",
        ),
    ],
)
def test_validation_messages_next_to_the_rows_field(
    client, marketer, integration, fields, rows, index, field_name, message
):
    client.force_login(marketer)
    response = client.post(CREATE, form_data(rows(fields), integration=integration))
    assert response.status_code == 200
    errors = row_errors(response)[index]
    assert message in " ".join(errors[field_name])
    body = response.content.decode()
    assert 'data-testid="form-error-summary"' in body and "is-invalid" in body
    assert not DataFieldMappingRow.objects.exists()


def test_a_data_field_of_another_integration_is_refused(client, marketer, integration, fields, administrator):
    other = services.create_integration(
        type_key="dotdigital",
        name="Other",
        default_owner=administrator,
        settings={"username": "u@apiconnector.com"},
        secrets={"password": "password-1"},
        discovered_settings={},
        user=administrator,
    )
    foreign = DataField.objects.create(integration=other, name="FOREIGN", type="String")
    client.force_login(marketer)
    response = client.post(CREATE, form_data([row(foreign, ["first_name"])], integration=integration))
    assert "Select a valid choice" in " ".join(row_errors(response)[0]["data_field"])


def test_edit_adds_changes_and_removes_rows_and_moves_changed_at_only_on_a_change(
    client, marketer, integration, fields
):
    mapping = mappings.save_mapping(
        integration,
        [
            mappings.RowSpec(fields["FIRSTNAME"], ("first_name",), False),
            mappings.RowSpec(fields["LASTNAME"], ("last_name",), False),
        ],
        user=None,
    )
    first_change = mapping.changed_at
    url = reverse("dotdigital:mapping_update", args=[mapping.pk])
    client.force_login(marketer)
    page = client.get(url)
    assert [f.initial["data_field"] for f in page.context["formset"].initial_forms] == [
        fields["FIRSTNAME"],
        fields["LASTNAME"],
    ]
    unchanged = form_data([row(fields["FIRSTNAME"], ["first_name"]), row(fields["LASTNAME"], ["last_name"])])
    unchanged["rows-INITIAL_FORMS"] = "2"
    assert client.post(url, unchanged).status_code == 302
    mapping.refresh_from_db()
    assert mapping.changed_at == first_change  # saved as it was: no re-send of every list

    changed = form_data(
        [
            row(fields["FIRSTNAME"], ["first_name"], two_way=True),
            row(fields["LASTNAME"], ["last_name"], delete=True),
            row(fields["FULLNAME"], ["first_name", "last_name"]),
            row(None, []),  # a blank extra row is ignored
        ],
        action="save",
    )
    changed["rows-INITIAL_FORMS"] = "2"
    response = client.post(url, changed)
    assert response.status_code == 302 and response["Location"] == url
    mapping.refresh_from_db()
    assert mapping.changed_at > first_change
    assert mappings.mapping_for_export(integration).fields == [
        mappings.MappedField("FIRSTNAME", "String", ("first_name",), True),
        mappings.MappedField("FULLNAME", "String", ("first_name", "last_name"), False),
    ]


def test_add_row_fragment_is_numbered_after_the_rows_and_updates_the_count(client, marketer, integration, fields):
    client.force_login(marketer)
    url = reverse("dotdigital:mapping_row", args=[integration.pk])
    body = client.get(url, {"rows-TOTAL_FORMS": "3"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'name="rows-3-data_field"' in body and 'name="rows-3-DELETE"' in body
    assert 'id="id_rows-TOTAL_FORMS" hx-swap-oob="true"' in body and 'value="4"' in body
    assert "FIRSTNAME (String)" in body
    assert client.get(url, {"rows-TOTAL_FORMS": "x"}).status_code == 200  # a bad count starts at 0, no 500


def test_delete_asks_then_deletes(client, marketer, integration, fields):
    mapping = mappings.save_mapping(
        integration, [mappings.RowSpec(fields["FIRSTNAME"], ("first_name",), False)], user=None
    )
    url = reverse("dotdigital:mapping_delete", args=[mapping.pk])
    client.force_login(marketer)
    assert "Delete the data field mapping of “Dotdigital EU”?" in client.get(url).content.decode()
    assert DataFieldMapping.objects.exists()
    assert client.post(url).status_code == 302
    assert not DataFieldMapping.objects.exists() and not DataFieldMappingRow.objects.exists()
    assert DataField.objects.filter(name="FIRSTNAME").exists()
    assert mappings.mapping_for_export(integration) == mappings.ExportMapping([], None)


def test_export_values_join_and_format():
    fields = [
        mappings.MappedField("FULLNAME", "String", ("first_name", "last_name"), False),
        mappings.MappedField("FIRSTNAME", "String", ("first_name",), True),
    ]
    assert mappings.export_values(fields, {"first_name": "Ann", "last_name": "Lee"}) == {
        "FULLNAME": "Ann Lee",
        "FIRSTNAME": "Ann",
    }
    assert mappings.export_values(fields, {"first_name": "", "last_name": "Lee"})["FULLNAME"] == "Lee"


# -- default mappings after the first data-field sync ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_default_mappings_after_the_first_data_field_sync_only(integration, sandbox):
    job = run_sync(integration, connectors=["data_fields"])
    assert job.state == "succeeded"
    assert "Default data field mappings created: 3" in " ".join(job.steps.get().details)
    assert mappings.mapping_for_export(integration).fields == [
        mappings.MappedField("FIRSTNAME", "String", ("first_name",), False),
        mappings.MappedField("FULLNAME", "String", ("first_name", "last_name"), False),
        mappings.MappedField("LASTNAME", "String", ("last_name",), False),
    ]
    # A user who removes them keeps it that way: later syncs never create them again.
    DataFieldMapping.objects.all().delete()
    run_sync(integration, connectors=["data_fields"], full=True)
    assert not DataFieldMapping.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_no_defaults_when_the_integration_already_has_rows(integration, sandbox):
    run_sync(integration, connectors=["address_books"])  # no data fields read yet: nothing to map
    assert not SyncMark.objects.filter(scope="default_mappings").exists()
    sandbox.client().create_data_field("COMPANY", type="String")  # in Dotdigital too, or the sync removes it
    DataField.objects.create(integration=integration, name="COMPANY", type="String")
    mappings.save_mapping(
        integration, [mappings.RowSpec(DataField.objects.get(name="COMPANY"), ("company",), False)], user=None
    )
    run_sync(integration, connectors=["data_fields"])
    assert [f.data_field for f in mappings.mapping_for_export(integration).fields] == ["COMPANY"]
    assert SyncMark.objects.filter(integration=integration, scope="default_mappings").exists()


# -- two-way import in the contacts connector ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_way_fields_are_imported_into_existing_contacts_and_one_way_fields_are_not(
    integration, sandbox, administrator
):
    run_sync(integration)  # the first sync: contacts, data fields and the default mappings
    from dotdigital.models import AddressBookMembership

    dd_contact = (
        AddressBookMembership.objects.filter(contact__integration=integration, contact__contact__isnull=False)
        .select_related("contact__contact")
        .first()
        .contact
    )
    contact = dd_contact.contact
    # FIRSTNAME two-way, LASTNAME one-way (from the defaults); COMPANY two-way (a new String data field).
    sandbox.client().create_data_field("COMPANY", type="String")
    run_sync(integration, connectors=["data_fields"], full=True)
    mapping = DataFieldMapping.objects.get(integration=integration)
    rows = {r.data_field.name: r for r in mapping.rows.select_related("data_field")}
    rows["FIRSTNAME"].two_way = True
    rows["FIRSTNAME"].save()
    DataFieldMappingRow.objects.create(
        mapping=mapping,
        data_field=DataField.objects.get(integration=integration, name="COMPANY"),
        contact_fields=["company"],
        two_way=True,
    )
    contacts_before = Contact.objects.count()
    Contact.objects.filter(pk=contact.pk).update(first_name="Local", last_name="Local", company="Local Ltd")
    time.sleep(0.01)  # modified after the contacts' mark
    with sandbox.store.lock:
        sandbox.store.modify(
            dd_contact.dotdigital_id, {"FIRSTNAME": "Remote", "LASTNAME": "Remote", "COMPANY": "Remote plc"}
        )
    job = run_sync(integration, connectors=["contacts"])
    assert job.state == "succeeded", job.error
    contact.refresh_from_db()
    assert contact.first_name == "Remote" and contact.company == "Remote plc"
    assert contact.last_name == "Local"  # one-way: only goes out
    assert Contact.objects.count() == contacts_before  # the write-back creates no contact


@pytest.mark.django_db(transaction=True)
def test_two_way_field_goes_out_in_the_export_and_comes_back_at_the_next_contacts_sync(
    make_sandbox, connect_sandbox, administrator
):
    """The round trip of one contact: FIRSTNAME two-way, LASTNAME one-way. Changed here, both go out in an export;
    changed in Dotdigital, FIRSTNAME comes back at the next contacts sync and LASTNAME does not."""
    from marketing import services as marketing
    from tests.dotdigital.test_export import book_contents, connect_new_book, export_and_finish, make_list, run

    sandbox = make_sandbox(seed=5, contacts=20, address_books=1, campaigns=0, import_delay=0.1)
    integration = connect_sandbox(sandbox)
    run(integration, connectors=["address_books", "data_fields"])
    fields = {f.name: f for f in DataField.objects.filter(integration=integration)}
    mappings.save_mapping(
        integration,
        [
            mappings.RowSpec(fields["FIRSTNAME"], ("first_name",), True),
            mappings.RowSpec(fields["LASTNAME"], ("last_name",), False),
        ],
        user=None,
    )
    book = connect_new_book(integration, make_list(administrator, 2))
    export_and_finish(integration)
    run(integration, connectors=["contacts"])  # links the exported contacts; the next sync reads changes since

    # Out: the marketing contact changes (what the contact form calls), the export sends both fields.
    contact = Contact.objects.get(email="reader1@example.org")
    marketing.update_contact(contact, first_name="Outgoing", last_name="Ours")
    export_and_finish(integration)
    sent = book_contents(sandbox, book)["reader1@example.org"]
    assert (sent["FIRSTNAME"], sent["LASTNAME"]) == ("Outgoing", "Ours")

    # Back: Dotdigital's copy changes; the next contacts sync writes back the two-way field only.
    remote = sandbox.store.contact_by_email("reader1@example.org")
    with sandbox.store.lock:
        sandbox.store.modify(remote.id, {"FIRSTNAME": "Incoming", "LASTNAME": "Theirs"})
    job = run(integration, connectors=["contacts"])
    assert job.state == "succeeded", job.error
    contact.refresh_from_db()
    assert contact.first_name == "Incoming"  # two-way: Dotdigital's value came back
    assert contact.last_name == "Ours"  # one-way: only goes out
    other = Contact.objects.get(email="reader0@example.org")
    assert (other.first_name, other.last_name) == ("Ann0", "Reader")  # unchanged there: unchanged here


@pytest.mark.parametrize(
    ("type_", "held", "exported", "same"),
    [
        ("String", "Ann", "Ann", True),
        ("String", "Ann", "ann", False),
        ("String", None, "", True),
        ("String", "", "Ann", False),
        ("String", "Ann", "", False),
        ("Numeric", 7, "7", True),
        ("Numeric", 7.5, "7.50", True),
        ("Numeric", 7, "notanumber", False),
        ("Numeric", "x", "7", False),
        ("Date", "2026-06-30T00:00:00", "2026-06-30T00:00:00", True),
        ("Date", "2026-06-30T00:00:00Z", "2026-06-30T00:00:00", True),
        ("Date", "2026-06-30T00:00:00", "2026-07-01T00:00:00", False),
        ("Date", "not a date", "2026-06-30T00:00:00", False),
        ("Boolean", True, "true", True),
        ("Boolean", False, "true", False),
        ("Boolean", "False", "false", True),
    ],
)
def test_holds_counts_only_a_certain_match(settings, type_, held, exported, same):
    """What the export skips as already in Dotdigital: a value read back typed must be the value it would send."""
    settings.TIME_ZONE = "UTC"
    assert mappings.holds(type_, held, exported) is same
