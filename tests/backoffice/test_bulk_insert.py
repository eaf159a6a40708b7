"""The bulk writers under the sync's hot paths, on whichever database the suite runs (PostgreSQL in CI, where their
own SQL runs; SQLite locally, where they fall back to Django's bulk methods): the rows they write are the rows asked."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from backoffice.bulk_insert import insert_rows, insert_values, update_rows
from dotdigital.models import DotdigitalContact
from integrations import services
from marketing.models import Contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration(administrator):
    return services.create_integration(
        type_key="dotdigital",
        name="Bulk",
        default_owner=administrator,
        settings={"username": "apiuser-1@apiconnector.com"},
        secrets={"password": "secret-1"},
        discovered_settings={"api_endpoint": "https://r1-api.dotdigital.com"},
        user=administrator,
    )


def links(integration) -> dict[int, tuple]:
    return {
        row[0]: row[1:]
        for row in DotdigitalContact.objects.filter(integration=integration).values_list(
            "dotdigital_id", "email", "status", "data_fields", "contact_id"
        )
    }


def test_insert_rows_then_update_rows_with_json_and_a_nullable_key(integration, administrator):
    ann = Contact.objects.create(email="ann@example.com", owner=administrator)
    now = timezone.now()
    fields = ("integration", "dotdigital_id", "email", "status", "data_fields", "contact_id", "updated_at")
    fields += ("opt_in_type", "email_type")  # every NOT NULL column: no Django default is applied
    insert_rows(
        DotdigitalContact,
        fields,
        [
            (integration.pk, 1, "ann@example.com", "Subscribed", {"FIRSTNAME": "Ann", "SCORE": 7}, ann.pk, now, "", ""),
            (integration.pk, 2, "bob@example.com", "", {}, None, now, "Single", "Html"),
        ],
    )
    assert links(integration) == {
        1: ("ann@example.com", "Subscribed", {"FIRSTNAME": "Ann", "SCORE": 7}, ann.pk),
        2: ("bob@example.com", "", {}, None),
    }
    pks = dict(DotdigitalContact.objects.values_list("dotdigital_id", "pk"))
    update_rows(
        DotdigitalContact,
        ("email", "status", "data_fields", "contact_id"),
        [
            (pks[1], "Ann@Example.com", "Unsubscribed", {"FIRSTNAME": "Annie", "NOTE": 'quote " and \\ kept'}, None),
            (pks[2], "bob@example.com", "Subscribed", {"SCORE": 1.5}, ann.pk),
        ],
    )
    assert links(integration) == {
        1: ("Ann@Example.com", "Unsubscribed", {"FIRSTNAME": "Annie", "NOTE": 'quote " and \\ kept'}, None),
        2: ("bob@example.com", "Subscribed", {"SCORE": 1.5}, ann.pk),
    }
    update_rows(DotdigitalContact, ("status",), [])  # nothing to do: no statement, no error


@pytest.mark.skipif(connection.vendor != "postgresql", reason="insert_values is PostgreSQL's (others: bulk_create)")
def test_insert_values_skips_conflicts_and_returns_what_it_inserted(administrator):
    Contact.objects.create(email="Ann@Example.com", first_name="Kept", owner=administrator)
    now = timezone.now()
    fields = ("email", "first_name", "owner", "source", "created_at", "updated_at")
    fields += ("last_name", "phone", "job_title", "company")  # every NOT NULL column: no Django default is applied
    inserted = insert_values(
        Contact,
        fields,
        [
            ("ann@example.com", "Ann", administrator.pk, "x", now, now, "", "", "", ""),
            ("bob@example.com", "Bob", administrator.pk, "x", now, now, "", "", "", ""),
        ],
        returning=("lower(email)", "first_name"),
    )
    assert inserted == [("bob@example.com", "Bob")]
    assert sorted(Contact.objects.values_list("email", "first_name")) == [
        ("Ann@Example.com", "Kept"),
        ("bob@example.com", "Bob"),
    ]
