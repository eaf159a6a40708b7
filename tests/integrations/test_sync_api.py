"""The JSON API of sync jobs: the same services and permissions as the pages, CSRF with the session."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from backoffice import roles
from integrations.models import JobState, SyncJob, SyncTrigger

from .test_sync_jobs import Script, syncing  # noqa: F401 - the scripted integration fixture

pytestmark = pytest.mark.django_db(transaction=True)


def syncs_url(integration) -> str:
    return reverse("integrations_api:syncs", args=[integration.pk])


def test_ops_schedule_read_and_cancel_through_the_api(client, syncing, operator):  # noqa: F811
    client.force_login(operator)
    created = client.post(syncs_url(syncing), {"connectors": ["second"], "full": True}, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "queued" and body["trigger"] == SyncTrigger.API and body["full"] is True
    assert body["requested_by"] == operator.get_username()
    assert [step["connector"] for step in body["steps"]] == ["second"]
    again = client.post(syncs_url(syncing), {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["job"]["id"] == body["id"]
    assert again.json()["detail"] == "A sync is already running."
    listing = client.get(syncs_url(syncing)).json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == body["id"]
    one = client.get(reverse("integrations_api:sync_job", args=[body["id"]])).json()
    assert one["steps"][0]["label"] == "Second things"
    cancelled = client.post(reverse("integrations_api:cancel", args=[body["id"]]))
    assert cancelled.status_code == 202 and cancelled.json()["state"] == JobState.CANCELLED
    assert client.post(reverse("integrations_api:cancel", args=[body["id"]])).status_code == 409


def test_unknown_connector_and_inactive_integration_are_refused_with_reasons(client, syncing, operator):  # noqa: F811
    client.force_login(operator)
    bad = client.post(syncs_url(syncing), {"connectors": ["nope"]}, content_type="application/json")
    assert bad.status_code == 400 and "Unknown connector nope" in bad.json()["connectors"][0]
    syncing.enabled = False
    syncing.save()
    refused = client.post(syncs_url(syncing), {}, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["detail"] == "Activate the integration to sync it."
    assert not SyncJob.objects.exists()


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [(roles.ADMINISTRATOR, 200, 201), (roles.OPERATIONS, 200, 201), (roles.MARKETING_MANAGER, 403, 403)],
)
def test_permissions_per_role(client, syncing, make_user, role, read, write):  # noqa: F811
    client.force_login(make_user(role, username=f"api-{role.split()[0].lower()}"))
    assert client.get(syncs_url(syncing)).status_code == read
    assert client.post(syncs_url(syncing), {}, content_type="application/json").status_code == write


def test_anonymous_and_csrf(syncing, operator):  # noqa: F811
    anonymous = Client()
    assert anonymous.get(syncs_url(syncing)).status_code in (401, 403)
    assert anonymous.get(reverse("api_schema")).status_code in (401, 403)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(operator)
    response = strict.post(syncs_url(syncing), {}, content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert not SyncJob.objects.exists()


def test_huge_ids_are_404_and_the_schema_describes_the_endpoints(client, operator, syncing):  # noqa: F811
    client.force_login(operator)
    assert client.get("/api/sync-jobs/99999999999999999999/").status_code == 404
    schema = client.get(reverse("api_schema")).content.decode()
    assert "/api/integrations/{id}/syncs/" in schema and "/api/sync-jobs/{id}/cancel/" in schema
    assert Script.calls == []
