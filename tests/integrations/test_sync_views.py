"""The sync pages with scripted connectors: Schedule Sync, the live fragment, cancel, the job page, the history grid
and its chart, the next scheduled sync, and who may do what."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice import roles
from integrations import services
from integrations.models import Integration, JobState, SyncInterval, SyncJob, SyncTrigger
from integrations.registry import registry
from integrations.services import sync as sync_services

from .test_sync_jobs import Script, SyncingType

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration(administrator, make_integration, monkeypatch):
    """An integration whose type runs the scripted connectors (first, second, third); nothing is sent to workers."""
    registry.unregister("fake")
    registry.register(SyncingType())
    Script.actions, Script.calls = {}, []
    monkeypatch.setattr(sync_services, "enqueue", lambda job_id, eta=None: None)
    return make_integration()


def schedule_url(integration) -> str:
    return reverse("integrations:schedule_sync", args=[integration.pk])


def job_urls(job) -> dict[str, str]:
    args = [job.integration_id, job.pk]
    return {
        "job": reverse("integrations:sync_job", args=args),
        "progress": reverse("integrations:sync_job_progress", args=args),
        "cancel": reverse("integrations:cancel_sync", args=args),
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def chart_data(body: str) -> list[dict]:
    found = re.search(r'<script id="sync-history-data" type="application/json">(.*?)</script>', body, re.S)
    assert found, "the chart's data element is missing"
    return json.loads(found.group(1))


def finished_jobs(integration, count: int, *, user=None) -> list[SyncJob]:
    start = timezone.now() - timedelta(days=1)
    jobs = [
        SyncJob(
            integration=integration,
            trigger=SyncTrigger.SCHEDULE if i % 2 else SyncTrigger.BUTTON,
            requested_by=user if not i % 2 else None,
            state=JobState.FAILED if i % 5 == 4 else JobState.SUCCEEDED,
            started_at=start + timedelta(minutes=15 * i),
            finished_at=start + timedelta(minutes=15 * i, seconds=10 + i),
            records_changed=100 * i,
            api_calls=3 + i,
            error="Second things: It broke: " + "x" * 200 if i % 5 == 4 else "",
        )
        for i in range(count)
    ]
    created = SyncJob.objects.bulk_create(jobs)
    # created_at is auto_now_add: spread it as the jobs were queued, so "newest first" is well defined.
    for job in created:
        SyncJob.objects.filter(pk=job.pk).update(created_at=job.started_at - timedelta(seconds=1))
    return created


# Permissions per role ---------------------------------------------------------------------------------------------

EXPECTED = {
    roles.ADMINISTRATOR: {"detail": 200, "job": 200, "progress": 200, "schedule": 302, "cancel": 302},
    roles.OPERATIONS: {"detail": 200, "job": 200, "progress": 200, "schedule": 302, "cancel": 302},
    roles.MARKETING_MANAGER: {"detail": 403, "job": 403, "progress": 403, "schedule": 403, "cancel": 403},
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_permissions_per_role_on_every_sync_view(client, role_users, integration, role):
    job = services.schedule_sync(integration, trigger=SyncTrigger.COMMAND).job
    urls = job_urls(job)
    client.force_login(role_users[role])
    got = {
        "detail": client.get(reverse("integrations:detail", args=[integration.pk])).status_code,
        "job": client.get(urls["job"]).status_code,
        "progress": client.get(urls["progress"]).status_code,
        "schedule": client.post(schedule_url(integration)).status_code,
        "cancel": client.post(urls["cancel"], {"confirmed": "1"}).status_code,
    }
    assert got == EXPECTED[role]
    job.refresh_from_db()
    expected_state = JobState.QUEUED if role == roles.MARKETING_MANAGER else JobState.CANCELLED
    assert job.state == expected_state
    assert SyncJob.objects.count() == 1  # the press found the queued job; no second one


@pytest.mark.parametrize("url_name", ["schedule_sync", "sync_job", "sync_job_progress", "cancel_sync"])
def test_sync_views_refuse_get_or_post_as_appropriate(admin_client, integration, url_name):
    job = services.schedule_sync(integration, trigger=SyncTrigger.COMMAND).job
    args = [integration.pk] if url_name == "schedule_sync" else [integration.pk, job.pk]
    url = reverse(url_name.join(["integrations:", ""]), args=args)
    if url_name in ("schedule_sync", "cancel_sync"):
        assert admin_client.get(url).status_code == 405
    else:
        assert admin_client.post(url).status_code == 405


def test_anonymous_visitors_are_sent_to_log_in_and_a_job_of_another_integration_is_not_found(
    client, admin_client, integration, make_integration
):
    job = services.schedule_sync(integration, trigger=SyncTrigger.COMMAND).job
    for url in job_urls(job).values():
        response = Client().get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    other = make_integration("Another one")
    wrong = reverse("integrations:sync_job", args=[other.pk, job.pk])
    assert admin_client.get(wrong).status_code == 404


def test_schedule_sync_is_csrf_protected(operator, integration):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(operator)
    assert browser.post(schedule_url(integration)).status_code == 403
    assert not SyncJob.objects.exists()
    page = browser.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(schedule_url(integration), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and SyncJob.objects.count() == 1


# Schedule Sync ----------------------------------------------------------------------------------------------------


def test_schedule_sync_queues_one_job_and_the_second_press_links_to_it(client, operator, integration):
    client.force_login(operator)
    detail = reverse("integrations:detail", args=[integration.pk])
    response = client.post(schedule_url(integration), follow=True)
    job = SyncJob.objects.get()
    assert response.redirect_chain == [(detail, 302)]
    assert job.trigger == SyncTrigger.BUTTON and job.requested_by == operator and job.state == JobState.QUEUED
    body = response.content.decode()
    assert "Sync queued." in body and f'href="{job.get_absolute_url()}"' in body
    again = client.post(schedule_url(integration), follow=True)
    assert SyncJob.objects.count() == 1
    (message,) = messages_of(again)
    assert message.startswith("A sync is already running") and job.get_absolute_url() in message


def test_schedule_sync_goes_back_to_a_safe_next_only(client, operator, integration):
    client.force_login(operator)
    grid = reverse("integrations:list")
    assert client.post(schedule_url(integration), {"next": grid}).url == grid
    evil = client.post(schedule_url(integration), {"next": "https://evil.example.com/"})
    assert evil.url == reverse("integrations:detail", args=[integration.pk])


def test_an_inactive_integration_cannot_be_synced(client, operator, administrator, integration):
    services.set_enabled(integration, False, user=administrator)
    client.force_login(operator)
    body = client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    button = re.search(r'<span[^>]*data-testid="schedule-sync-disabled".*?</span>', body, re.S).group(0)
    assert 'title="Activate the integration to sync it"' in button and "disabled" in button
    response = client.post(schedule_url(integration), follow=True)
    assert messages_of(response) == ["Activate the integration to sync it."]
    assert not SyncJob.objects.exists()


def test_schedule_sync_is_shown_only_to_those_who_may_sync(client, operator, make_user, integration):
    client.force_login(operator)
    detail = client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    grid = client.get(reverse("integrations:list")).content.decode()
    for body in (detail, grid):
        assert f'action="{schedule_url(integration)}"' in body
    viewer = make_user(username="viewer")
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_integration"))
    client.force_login(viewer)
    assert (
        schedule_url(integration)
        not in client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    )
    assert client.post(schedule_url(integration)).status_code == 403


def test_grid_row_actions_are_page_actions_posted_with_confirmation(admin_client, integration):
    body = admin_client.get(reverse("integrations:list")).content.decode()
    toggle = reverse("integrations:toggle", args=[integration.pk])
    form = re.search(rf'<form method="post" action="{toggle}"[^>]*>', body).group(0)
    assert "data-confirm=" in form and "Deactivate" in body
    assert 'name="enabled" value="0"' in body
    assert reverse("integrations:delete", args=[integration.pk]) in body


# The live fragment, the job page, cancel ----------------------------------------------------------------------------


def test_the_fragment_polls_while_the_job_runs_and_stops_when_it_ended(admin_client, integration):
    job = services.schedule_sync(integration, trigger=SyncTrigger.BUTTON).job
    progress = job_urls(job)["progress"]
    polled = admin_client.get(progress, HTTP_HX_REQUEST="true")
    assert "HX-Trigger" not in polled.headers  # still running: nothing to refresh yet
    live = polled.content.decode()
    assert 'hx-trigger="every 2s"' in live and f'hx-get="{progress}"' in live
    assert "Queued" in live and "First things" in live

    def halfway(context):
        context.set_total(10)
        context.report(read=4, created=3, updated=1, done=4)
        body = admin_client.get(progress).content.decode()
        assert 'hx-trigger="every 2s"' in body and "Running" in body
        assert "4 of 10" in body and 'value="40"' in body
        assert "Cancel" in body  # the admin may cancel it

    Script.actions["first"] = halfway
    services.run_sync_job(job.pk)
    ended_response = admin_client.get(progress, HTTP_HX_REQUEST="true")
    ended = ended_response.content.decode()
    assert "hx-trigger" not in ended and "hx-get" not in ended
    assert "Succeeded" in ended and 'data-state="succeeded"' in ended
    # The poll that sees the end tells the page to swap its last-sync summary and history in again.
    assert ended_response.headers["HX-Trigger"] == "sync-ended"
    page = admin_client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="sync-summary"' in page and page.count('hx-trigger="sync-ended from:body"') == 2
    assert "cancel-sync" not in ended


def test_a_waiting_job_says_until_when(admin_client, integration):
    job = services.schedule_sync(integration, trigger=SyncTrigger.BUTTON).job
    reset = timezone.now() + timedelta(minutes=5)
    SyncJob.objects.filter(pk=job.pk).update(state=JobState.WAITING, wait_until=reset)
    body = admin_client.get(job_urls(job)["progress"]).content.decode()
    assert f"Waiting until {timezone.localtime(reset):%H:%M}" in body
    assert 'hx-trigger="every 2s"' in body


def test_the_job_page_shows_every_step_with_its_counts_message_and_notes(client, operator, integration):
    def noting(context):
        context.report(read=5, created=2, updated=1, unchanged=1, done=5)
        context.note("Row 3 skipped: no email address", skipped=1)

    Script.actions["second"] = noting
    Script.actions["third"] = lambda context: (_ for _ in ()).throw(ValueError("no such thing"))
    job = services.schedule_sync(integration, trigger=SyncTrigger.BUTTON, user=operator).job
    services.run_sync_job(job.pk)
    client.force_login(operator)
    response = client.get(job_urls(job)["job"])
    body = response.content.decode()
    assert f"Sync #{job.pk}" in body and "Schedule Sync button by" in body
    for label in ("First things", "Second things", "Third things"):
        assert label in body
    assert "Row 3 skipped: no email address" in body and 'data-testid="step-details"' in body
    assert "It broke: no such thing" in body and "(call: GET /things)" in body  # the step's message and the error
    assert 'data-testid="job-error"' in body and "Failed" in body
    steps = re.findall(r'<tr data-step="(\w+)" data-state="(\w+)">', body)
    assert steps == [("first", "succeeded"), ("second", "succeeded"), ("third", "failed")]
    assert "hx-trigger" not in body


def test_cancel_asks_first_without_javascript_then_cancels(client, operator, integration):
    job = services.schedule_sync(integration, trigger=SyncTrigger.BUTTON).job
    client.force_login(operator)
    cancel = job_urls(job)["cancel"]
    asked = client.post(cancel, {"next": job.get_absolute_url()})
    assert asked.status_code == 200 and "Cancel sync #" in asked.content.decode()
    assert 'name="confirmed" value="1"' in asked.content.decode()
    assert SyncJob.objects.get(pk=job.pk).state == JobState.QUEUED
    done = client.post(cancel, {"confirmed": "1", "next": job.get_absolute_url()}, follow=True)
    assert SyncJob.objects.get(pk=job.pk).state == JobState.CANCELLED
    assert any("cancelled" in m for m in messages_of(done))
    again = client.post(cancel, {"confirmed": "1"}, follow=True)
    assert any("had already ended" in m for m in messages_of(again))


def test_cancel_of_a_running_job_stops_it_at_the_next_page(client, operator, integration):
    job = services.schedule_sync(integration, trigger=SyncTrigger.BUTTON).job
    client.force_login(operator)

    def pressed_meanwhile(context):
        context.report(read=1, done=1)
        response = client.post(job_urls(job)["cancel"], {"confirmed": "1"}, follow=True)
        assert any("stops at the next page boundary" in m for m in messages_of(response))
        context.report(read=1, done=1)

    Script.actions["first"] = pressed_meanwhile
    services.run_sync_job(job.pk)
    assert SyncJob.objects.get(pk=job.pk).state == JobState.CANCELLED


# History grid, chart, next sync --------------------------------------------------------------------------------------


def test_history_grid_paginates_newest_first_and_links_each_job(admin_client, administrator, integration):
    jobs = finished_jobs(integration, 15, user=administrator)
    detail = reverse("integrations:detail", args=[integration.pk])
    first = admin_client.get(detail).content.decode()
    rows = re.findall(r'<tr data-job="(\d+)"', first)
    assert rows == [str(j.pk) for j in reversed(jobs)][:10]
    assert f'href="{jobs[-1].get_absolute_url()}"' in first
    assert "Schedule Sync button" in first and "Schedule" in first and "Ada" not in first
    grid = first.split('data-testid="sync-history"')[1]
    shown_errors = re.findall(r'<span class="text-danger small" title="[^"]*">([^<]*)</span>', grid)
    assert shown_errors and all(e.startswith("Second things: It broke: x") and len(e) == 80 for e in shown_errors)
    second = admin_client.get(detail, {"syncs-page": 2}).content.decode()
    assert re.findall(r'<tr data-job="(\d+)"', second) == [str(j.pk) for j in reversed(jobs)][10:]


@pytest.mark.parametrize("rows", [3, 40])
def test_history_grid_queries_do_not_grow_with_rows(
    client, operator, administrator, integration, django_assert_max_num_queries, rows
):
    finished_jobs(integration, rows, user=administrator)
    client.force_login(operator)
    with django_assert_max_num_queries(22):
        response = client.get(reverse("integrations:detail", args=[integration.pk]), {"syncs-per_page": 50})
    assert len(re.findall(r'<tr data-job="', response.content.decode())) == rows


def test_chart_data_has_the_last_30_started_jobs_oldest_first(admin_client, integration):
    jobs = finished_jobs(integration, 35)
    SyncJob.objects.create(integration=integration, trigger=SyncTrigger.BUTTON)  # queued: not started, not charted
    body = admin_client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    points = chart_data(body)
    assert [p["id"] for p in points] == [j.pk for j in jobs[-30:]]
    assert points[-1]["duration"] == 10 + 34 and points[-1]["changed"] == 3400
    assert points[0]["state"] == "succeeded" and {p["state"] for p in points} == {"succeeded", "failed"}
    assert 'data-chart="sync-history"' in body and 'aria-describedby="sync-history-summary"' in body
    assert "The last 30 syncs took from 15 to 44 seconds" in body
    assert "vendor/chartjs/chart.umd.min.js" in body and "js/charts.js" in body


def test_no_chart_before_the_first_sync(admin_client, integration):
    body = admin_client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "sync-history-data" not in body and "No syncs yet." in body


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"sync_interval_minutes": SyncInterval.OFF}, "Off"),
        ({"sync_blocked_reason": "The token was refused."}, "Paused: The token was refused."),
        ({"enabled": False}, "Off while the integration is inactive"),
        ({}, "in 4\xa0minutes"),
    ],
)
def test_synchronization_section_says_when_the_next_sync_is_due(admin_client, integration, changes, expected):
    finished_jobs(integration, 1)
    SyncJob.objects.update(created_at=timezone.now() - timedelta(minutes=10, seconds=30))
    Integration.objects.filter(pk=integration.pk).update(**{"sync_interval_minutes": 15, **changes})
    body = admin_client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    shown = re.search(r'data-testid="next-sync">(.*?)</dd>', body, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", shown).strip() == expected


def test_the_form_offers_off_and_every_5_minutes_and_defaults_to_15(admin_client, integration):
    body = admin_client.get(reverse("integrations:create") + "?type=fake").content.decode()
    assert '<option value="0">Off (Schedule Sync only)</option>' in body
    assert '<option value="5">Every 5 minutes</option>' in body
    assert '<option value="15" selected>Every 15 minutes</option>' in body
