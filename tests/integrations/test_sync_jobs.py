"""The generic sync machinery with scripted connectors: the claim, the runner's states, marks, cancel, dead jobs."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from integrations import services
from integrations.models import JobState, StepState, SyncJob, SyncMark, SyncStep, SyncTrigger
from integrations.registry import registry
from integrations.services import sync as sync_services
from integrations.sync import Connector, Failure, Installation

from .conftest import FakeType


class RateLimited(Exception):
    def __init__(self, retry_at):
        super().__init__("Too many calls")
        self.retry_at = retry_at


class Refused(Exception):
    pass


class Script:
    """What each connector does, set by a test: a callable taking the context."""

    actions: dict = {}
    calls: list = []


class ScriptedConnector(Connector):
    def run(self, context):
        Script.calls.append(self.key)
        action = Script.actions.get(self.key)
        if action is not None:
            action(context)
        else:
            context.report(read=2, created=1, unchanged=1, done=2)


class First(ScriptedConnector):
    key, label = "first", "First things"


class Second(ScriptedConnector):
    key, label = "second", "Second things"


class Third(ScriptedConnector):
    key, label = "third", "Third things"


class ScriptedInstallation(Installation):
    connector_classes_ = (First, Second, Third)

    def api_calls(self) -> int:
        return len(Script.calls) * 3

    def explain_failure(self, error):
        if isinstance(error, RateLimited):
            return Failure(
                kind="rate_limited",
                message=str(error),
                retry_at=error.retry_at,
                waiting_for=getattr(error, "waiting_for", ""),
            )
        if isinstance(error, Refused):
            return Failure(kind="credentials", message="The token was refused: check Token on the integration.")
        return Failure(kind="error", message=f"It broke: {error}", call="GET /things")


class SyncingType(FakeType):
    installation_class = ScriptedInstallation


@pytest.fixture
def syncing(administrator, make_integration, monkeypatch):
    registry.unregister("fake")
    registry.register(SyncingType())
    Script.actions, Script.calls = {}, []
    sent: list = []
    monkeypatch.setattr(sync_services, "enqueue", lambda job_id, eta=None: sent.append(job_id))
    integration = make_integration()
    integration.sent = sent
    return integration


def run(job) -> object:
    return services.run_sync_job(job.pk)


@pytest.mark.django_db(transaction=True)
def test_schedule_then_run_succeeds_with_counts_calls_and_last_sync(syncing, administrator):
    result = services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON, user=administrator)
    assert result.created and syncing.sent == [result.job.pk]  # sent on commit
    assert [s.connector for s in result.job.steps.all()] == ["first", "second", "third"]
    assert run(result.job) is None
    job = SyncJob.objects.get(pk=result.job.pk)
    assert job.state == JobState.SUCCEEDED and job.finished_at and job.started_at
    assert job.requested_by == administrator and job.trigger == SyncTrigger.BUTTON
    assert job.api_calls == 9  # three connectors, three calls each in the scripted installation
    assert job.records_changed == 3
    assert {s.state for s in job.steps.all()} == {StepState.SUCCEEDED}
    assert [(s.read, s.created, s.unchanged, s.progress_done) for s in job.steps.all()] == [(2, 1, 1, 2)] * 3
    syncing.refresh_from_db()
    assert syncing.last_sync_result == "succeeded" and syncing.last_sync_at == job.finished_at


@pytest.mark.django_db(transaction=True)
def test_second_press_returns_the_running_job(syncing):
    first = services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON)
    second = services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON)
    assert first.created and not second.created and second.job.pk == first.job.pk
    assert SyncJob.objects.count() == 1
    run(first.job)
    third = services.schedule_sync(syncing, trigger=SyncTrigger.SCHEDULE)
    assert third.created and third.job.pk != first.job.pk


@pytest.mark.django_db(transaction=True)
def test_claims_from_many_threads_make_one_job(syncing):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs a server database (CI runs it on PostgreSQL)")
    results, barrier = [], threading.Barrier(8)

    def press():
        barrier.wait()
        try:
            results.append(services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON))
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert SyncJob.objects.count() == 1
    assert sum(r.created for r in results) == 1 and {r.job.pk for r in results} == {SyncJob.objects.get().pk}


@pytest.mark.django_db(transaction=True)
def test_a_redelivered_task_changes_nothing(syncing):
    job = services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON).job
    run(job)
    finished = SyncJob.objects.get(pk=job.pk)
    assert run(job) is None
    again = SyncJob.objects.get(pk=job.pk)
    assert (again.state, again.finished_at, again.deliveries) == (finished.state, finished.finished_at, 1)
    assert Script.calls == ["first", "second", "third"]


@pytest.mark.django_db(transaction=True)
def test_a_failing_connector_fails_the_job_but_the_others_run(syncing):
    def broken(context):
        context.report(read=5, created=5)
        raise ValueError("no such thing")

    Script.actions["second"] = broken
    job = services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON).job
    run(job)
    job.refresh_from_db()
    steps = {s.connector: s for s in job.steps.all()}
    assert job.state == JobState.FAILED
    assert job.error == "Second things: It broke: no such thing" and job.error_connector == "second"
    assert steps["second"].state == StepState.FAILED and "(call: GET /things)" in steps["second"].message
    assert steps["second"].created == 5  # the pages written before the failure stay counted
    assert steps["third"].state == StepState.SUCCEEDED
    syncing.refresh_from_db()
    assert syncing.last_sync_result == "failed"


@pytest.mark.django_db(transaction=True)
def test_refused_credentials_fail_the_job_and_pause_the_schedule_until_they_change(syncing, administrator):
    Script.actions["first"] = lambda context: (_ for _ in ()).throw(Refused())
    job = services.schedule_sync(syncing, trigger=SyncTrigger.SCHEDULE).job
    run(job)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "check Token" in job.error
    assert [s.state for s in job.steps.all()] == [StepState.FAILED, StepState.SKIPPED, StepState.SKIPPED]
    syncing.refresh_from_db()
    assert syncing.sync_blocked_reason
    SyncJob.objects.update(created_at=timezone.now() - timedelta(days=1))
    assert syncing not in sync_services.due_integrations()
    services.update_integration(syncing, user=administrator, secrets={"token": "a-brand-new-token"})
    syncing.refresh_from_db()
    assert syncing.sync_blocked_reason == ""
    assert syncing in sync_services.due_integrations()


@pytest.mark.django_db(transaction=True)
def test_rate_limit_makes_the_job_wait_and_resume_without_redoing_finished_steps(syncing):
    reset = timezone.now() + timedelta(minutes=7)
    attempts = []

    def limited(context):
        attempts.append(1)
        if len(attempts) == 1:
            raise RateLimited(reset)
        context.report(read=1, created=1, done=1)

    Script.actions["second"] = limited
    job = services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON).job
    assert run(job) == reset
    job.refresh_from_db()
    assert job.state == JobState.WAITING and job.wait_until == reset
    step = job.steps.get(connector="second")
    assert step.state == StepState.WAITING
    assert step.message.startswith("Waiting for the Fake Platform rate limit until ")
    # Still counts as running: a press answers with this job.
    assert services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON).job.pk == job.pk
    # Delivered before the reset: nothing runs, the task is told when to come back.
    assert run(job) == reset
    SyncJob.objects.filter(pk=job.pk).update(wait_until=timezone.now())
    assert run(job) is None
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert Script.calls == ["first", "second", "second", "third"]


@pytest.mark.django_db(transaction=True)
def test_cancel_queued_and_running_jobs(syncing):
    job = services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON).job
    assert services.cancel_sync_job(job)
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and run(job) is None and Script.calls == []

    def cancel_midway(context):
        context.report(read=1, done=1)
        services.cancel_sync_job(context.job)  # as if pressed in the browser meanwhile
        context.report(read=1, done=1)  # the next page boundary
        raise AssertionError("not reached")

    Script.actions["first"] = cancel_midway
    job = services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON).job
    run(job)
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED
    assert [s.state for s in job.steps.all()] == [StepState.CANCELLED] * 3
    assert job.steps.get(connector="first").read == 2
    assert not services.cancel_sync_job(job)  # already ended


@pytest.mark.django_db(transaction=True)
def test_marks_move_only_with_success_and_full_ignores_them(syncing):
    seen = []

    def marking(context):
        seen.append(context.mark("a"))
        with context.atomic():
            context.save_mark({"at": len(seen)}, "a")

    def failing_after_mark(context):
        with context.atomic():
            context.save_mark("written", "x")
            raise ValueError("the page failed")

    Script.actions.update(first=marking, second=failing_after_mark)
    run(services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON).job)
    run(services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON).job)
    run(services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON, full=True).job)
    assert seen == [None, {"at": 1}, None]
    assert not SyncMark.objects.filter(connector="second").exists()  # rolled back with its page


@pytest.mark.django_db(transaction=True)
def test_a_dead_job_is_failed_by_the_next_claim_and_a_lost_worker_stops(syncing, settings):
    settings.SYNC_HEARTBEAT_TIMEOUT = 60
    job = services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON).job
    stale = timezone.now() - timedelta(minutes=5)
    SyncJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=stale, heartbeat_at=stale)
    SyncStep.objects.filter(job=job, connector="first").update(state=StepState.RUNNING)
    second = services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON)
    assert second.created
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error.startswith("The worker stopped: no heartbeat since ")
    assert job.steps.get(connector="first").state == StepState.FAILED

    # The worker of a job declared dead stops at its next heartbeat and writes nothing more.
    def declared_dead(context):
        SyncJob.objects.filter(pk=context.job.pk).update(state=JobState.FAILED)
        context.report(read=1)
        raise AssertionError("not reached")

    Script.actions["first"] = declared_dead
    assert run(second.job) is None
    assert Script.calls == ["first"]


@pytest.mark.django_db(transaction=True)
def test_the_schedule_queues_due_active_integrations_only(syncing, make_integration, administrator):
    syncing.sync_interval_minutes = 5
    syncing.save()
    off = make_integration("Never on its own", sync_interval_minutes=0)
    inactive = make_integration("Inactive one")
    services.set_enabled(inactive, False, user=administrator)
    results = services.schedule_due_syncs()
    assert [r.job.integration_id for r in results] == [syncing.pk]
    run(results[0].job)
    assert services.schedule_due_syncs() == []  # synced less than 5 minutes ago
    SyncJob.objects.update(created_at=timezone.now() - timedelta(minutes=6))
    assert [r.job.integration_id for r in services.schedule_due_syncs()] == [syncing.pk]
    assert not SyncJob.objects.filter(integration__in=[off, inactive]).exists()


@pytest.mark.django_db(transaction=True)
def test_deactivating_cancels_the_active_job(syncing, administrator):
    job = services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON).job
    services.set_enabled(syncing, False, user=administrator)
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_lost_task_messages_are_sent_again(syncing, settings):
    settings.SYNC_REQUEUE_AFTER = 60
    job = services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON).job
    assert sync_services.requeue_stuck_jobs() == 0
    SyncJob.objects.filter(pk=job.pk).update(enqueued_at=timezone.now() - timedelta(minutes=2))
    assert sync_services.requeue_stuck_jobs() == 1
    assert syncing.sent == [job.pk, job.pk]
    assert sync_services.requeue_stuck_jobs() == 0  # not again before another minute


@pytest.mark.django_db(transaction=True)
def test_notes_of_a_page_are_written_with_its_report_in_one_update(syncing, django_assert_max_num_queries):
    """A page of a thousand skipped rows used to cost a read and a write per note; now one UPDATE with the report.
    Notes stay bounded, their skipped counts are added to the report's, and notes after the last report are kept."""
    from integrations.sync import MAX_DETAILS

    def noisy(context):
        with django_assert_max_num_queries(3):  # the stored notes read, the step's UPDATE, the heartbeat
            for number in range(1000):
                context.note(f"Row {number} skipped: no email", skipped=1)
            context.report(read=1000, skipped=5, done=1000)
        context.note("Finished with a remark")

    Script.actions = {"first": noisy}
    job = services.schedule_sync(syncing, trigger=SyncTrigger.COMMAND).job
    run(job)
    step = SyncStep.objects.get(job=job, connector="first")
    assert step.state == StepState.SUCCEEDED
    assert step.skipped == 1005 and step.read == 1000 and step.progress_done == 1000
    assert len(step.details) == MAX_DETAILS
    assert step.details[0] == "Row 0 skipped: no email"
    assert step.details[-1] == f"Row {MAX_DETAILS - 1} skipped: no email"


@pytest.mark.django_db(transaction=True)
def test_notes_after_the_last_report_are_written_when_the_connector_returns_or_fails(syncing):
    def remark(context):
        context.report(read=1)
        context.note("1 contact created", skipped=2)

    def broken(context):
        context.note("Row 7 skipped: bad status", failed=1)
        raise RuntimeError("boom")

    Script.actions = {"first": remark, "second": broken}
    job = services.schedule_sync(syncing, trigger=SyncTrigger.COMMAND).job
    run(job)
    first, second = SyncStep.objects.get(job=job, connector="first"), SyncStep.objects.get(job=job, connector="second")
    assert first.details == ["1 contact created"] and first.skipped == 2
    assert second.state == StepState.FAILED and second.details == ["Row 7 skipped: bad status"] and second.failed == 1


@pytest.mark.django_db(transaction=True)
def test_a_wait_for_something_else_than_the_rate_limit_says_what_it_waits_for(syncing):
    busy = RateLimited(timezone.now() + timedelta(seconds=5))
    busy.waiting_for = "the imports already sent to finish"
    Script.actions["first"] = lambda context: (_ for _ in ()).throw(busy)
    job = services.schedule_sync(syncing, trigger=SyncTrigger.BUTTON).job
    assert run(job) == busy.retry_at
    step = job.steps.get(connector="first")
    assert step.message.startswith("Waiting for the imports already sent to finish until ")
