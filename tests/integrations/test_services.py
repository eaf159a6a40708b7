"""Writes through the services: the change log records who, when and which fields, never a secret's value."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import services
from integrations.models import Integration, IntegrationChange
from tests.integrations.conftest import GOOD_TOKEN

pytestmark = pytest.mark.django_db


def test_create_records_who_and_which_fields(make_integration, administrator):
    integration = make_integration(discovered_settings={"account": "Fake Ltd"})
    assert integration.enabled is True
    assert integration.created_by == administrator
    assert integration.settings == {"endpoint": "https://fake.example.com/", "account": "Fake Ltd"}
    change = integration.changes.get()
    assert change.action == IntegrationChange.Action.CREATED
    assert change.user == administrator
    assert change.fields == ["Type", "Name", "Default Owner", "Endpoint", "Token"]


def test_update_logs_field_labels_and_never_values(make_integration, make_user):
    integration = make_integration()
    editor = make_user("Administrator", username="editor")
    new_token = "another-token-5678"
    changed = services.update_integration(
        integration,
        user=editor,
        name="Renamed",
        settings={"endpoint": "https://fake.example.com/"},
        secrets={"token": new_token},
    )
    assert changed == ["Name", "Token"]
    integration.refresh_from_db()
    assert integration.name == "Renamed"
    assert integration.updated_by == editor
    assert integration.get_secrets() == {"token": new_token}
    change = integration.changes.filter(action=IntegrationChange.Action.UPDATED).get()
    assert change.user == editor
    assert change.fields == ["Name", "Token"]
    for row in IntegrationChange.objects.values_list("fields", "note"):
        assert new_token not in str(row) and GOOD_TOKEN not in str(row)


def test_a_blank_secret_keeps_the_stored_one_and_no_change_writes_nothing(make_integration, administrator):
    integration = make_integration()
    changed = services.update_integration(
        integration, user=administrator, settings={"endpoint": "https://fake.example.com/"}, secrets={"token": ""}
    )
    assert changed == []
    assert Integration.objects.get(pk=integration.pk).get_secrets() == {"token": GOOD_TOKEN}
    assert integration.changes.count() == 1


def test_activate_and_deactivate_are_logged_once(make_integration, administrator):
    integration = make_integration()
    assert services.set_enabled(integration, False, user=administrator) is True
    assert services.set_enabled(integration, False, user=administrator) is False
    assert Integration.objects.active().count() == 0
    assert services.set_enabled(integration, True, user=administrator) is True
    actions = list(integration.changes.order_by("id").values_list("action", flat=True))
    assert actions == ["created", "deactivated", "activated"]


def test_rotation_counts_every_stored_secret(make_integration):
    make_integration("one")
    make_integration("two")
    make_integration("three", secrets={})
    assert services.rotate_encryption_key() == 2


def test_unknown_type_is_refused(administrator):
    with pytest.raises(ValueError, match="Unknown integration type"):
        services.create_integration(
            type_key="nope", name="x", default_owner=administrator, settings={}, secrets={}, user=administrator
        )


def test_activate_and_deactivate_set_updated_at_and_updated_by(make_integration, administrator, make_user):
    integration = make_integration()
    Integration.objects.filter(pk=integration.pk).update(updated_at=timezone.now() - timedelta(days=3))
    before = Integration.objects.get(pk=integration.pk).updated_at
    operator = make_user("Administrator", username="toggler")
    assert services.set_enabled(integration, False, user=operator) is True
    integration.refresh_from_db()
    assert integration.updated_at > before + timedelta(days=2)
    assert integration.updated_by == operator


def test_a_changed_account_field_without_a_check_drops_the_discovered_settings(make_integration, administrator):
    integration = make_integration(discovered_settings={"account": "Fake Ltd"})
    changed = services.update_integration(
        integration, user=administrator, settings={"endpoint": "https://other.example.com/"}
    )
    assert changed == ["Endpoint", "Account"]
    assert Integration.objects.get(pk=integration.pk).settings == {"endpoint": "https://other.example.com/"}


def test_a_changed_account_field_with_a_successful_check_keeps_the_new_discovered_settings(
    make_integration, administrator
):
    integration = make_integration(discovered_settings={"account": "Fake Ltd"})
    services.update_integration(
        integration,
        user=administrator,
        settings={"endpoint": "https://other.example.com/"},
        discovered_settings={"account": "Other Ltd"},
    )
    assert Integration.objects.get(pk=integration.pk).settings["account"] == "Other Ltd"


def test_an_unchanged_account_field_keeps_the_discovered_settings(make_integration, administrator):
    integration = make_integration(discovered_settings={"account": "Fake Ltd"})
    services.update_integration(
        integration, user=administrator, name="Renamed", settings={"endpoint": "https://fake.example.com/"}
    )
    assert Integration.objects.get(pk=integration.pk).settings["account"] == "Fake Ltd"


def test_a_removed_secret_is_deleted_and_logged_without_its_value(make_integration, administrator):
    integration = make_integration()
    changed = services.update_integration(integration, user=administrator, remove_secrets=["token"])
    assert changed == ["Token removed"]
    assert Integration.objects.get(pk=integration.pk).get_secrets() == {}
    change = integration.changes.filter(action=IntegrationChange.Action.UPDATED).get()
    assert change.fields == ["Token removed"] and GOOD_TOKEN not in str(change.fields)


def test_the_active_integration_menu_condition_asks_the_database_once_per_request(
    administrator, django_assert_num_queries
):
    from django.test import RequestFactory

    from integrations.registry import active_integration_exists

    request = RequestFactory().get("/")
    first, second = active_integration_exists("dotdigital"), active_integration_exists("dotdigital")
    with django_assert_num_queries(1):
        assert first(request) is False and second(request) is False  # two menu items of one type: one query
    with django_assert_num_queries(1):
        assert first(RequestFactory().get("/")) is False  # a new request asks again


def test_the_type_hears_which_settings_changed_and_when_it_is_deactivated(
    administrator, fake_type, make_integration, monkeypatch
):
    heard = []
    monkeypatch.setattr(fake_type, "on_settings_changed", lambda i, names: heard.append(("changed", i.pk, names)))
    monkeypatch.setattr(fake_type, "on_deactivated", lambda i: heard.append(("deactivated", i.pk)))
    integration = make_integration()
    services.update_integration(integration, user=administrator, name="Renamed")
    services.update_integration(integration, user=administrator, settings={"endpoint": "https://fake.example.com/"})
    assert heard == []  # a name, or a setting set to its own value, is no change of settings
    services.update_integration(
        integration,
        user=administrator,
        settings={"endpoint": "https://other.example.com/"},
        secrets={"token": "new-token-5678"},
    )
    assert heard == [("changed", integration.pk, frozenset({"endpoint", "token"}))]
    heard.clear()
    services.set_enabled(integration, True, user=administrator)
    assert heard == []
    services.set_enabled(integration, False, user=administrator)
    services.set_enabled(integration, False, user=administrator)
    assert heard == [("deactivated", integration.pk)]


def test_boolean_settings_read_yes_or_no_on_the_view_page():
    from integrations.registry import _shown_setting

    assert [_shown_setting(v) for v in (True, False, None, "", "x")] == ["Yes", "No", "Not set", "Not set", "x"]
