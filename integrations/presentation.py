"""How sync jobs and steps read on a page: a coloured badge with a word for each state, durations in words."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .models import JobState, StepState

STATE_STYLES = {
    JobState.QUEUED: ("secondary", "hourglass"),
    JobState.RUNNING: ("primary", "arrow-repeat"),
    JobState.WAITING: ("warning", "stopwatch"),
    JobState.SUCCEEDED: ("success", "check-circle"),
    JobState.FAILED: ("danger", "x-circle"),
    JobState.CANCELLED: ("dark", "slash-circle"),
    StepState.PENDING: ("light border", "circle"),
    StepState.SKIPPED: ("light border", "skip-forward"),
}


def state_words(obj) -> str:
    """The state of a job or step in words; a waiting job says until when (in the user's time zone)."""
    words = obj.get_state_display()
    wait_until = getattr(obj, "wait_until", None)
    if obj.state == JobState.WAITING and wait_until:
        # "Waiting until 10:42": the waiting step's message says what for (the rate limit, imports to finish).
        words = f"Waiting until {timezone.localtime(wait_until):%H:%M}"
    return words


def state_badge(obj) -> SafeString:
    """A coloured badge with an icon and a word: colour is never the only signal."""
    colour, icon = STATE_STYLES.get(obj.state, ("secondary", "circle"))
    return format_html(
        '<span class="badge text-bg-{}" data-state="{}"><i class="bi bi-{} me-1" aria-hidden="true"></i>{}</span>',
        colour,
        obj.state,
        icon,
        state_words(obj),
    )


def format_duration(value: timedelta | None) -> str:
    """ "45 s", "3 min 05 s", "2 h 04 min"; an em dash for none."""
    if value is None:
        return "—"
    seconds = max(0, int(value.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
