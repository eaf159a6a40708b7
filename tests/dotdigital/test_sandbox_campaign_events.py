"""Campaign opens and clicks (and the campaigns of an address book) from the sandbox, through the client over HTTP.

The per-event rows must agree with the per-contact activity summaries and the campaign summary, page exactly
like a list, filter `since-date` strictly after the date, and stay lazy at a million contacts.
"""

from __future__ import annotations

import io
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.core.management import call_command

from dotdigital.sandbox import SandboxApp, SandboxConfig


def _rows(pages):
    return [row for page in pages for row in page]


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _sent_campaigns(client):
    return [c for c in _rows(client.campaigns()) if c["status"] == "Sent"]


def test_opens_and_clicks_agree_with_the_activity_summaries(sandbox):
    client = sandbox.client()
    campaign = _sent_campaigns(client)[0]
    summary = client.campaign_summary(campaign["id"])
    sent_at = _when(summary["dateSent"])
    activities = {a["contactId"]: a for a in _rows(client.campaign_activities(campaign["id"]))}
    opens = _rows(client.campaign_opens(campaign["id"]))
    clicks = _rows(client.campaign_clicks(campaign["id"]))
    assert opens and clicks
    open_counts = Counter(row["contactId"] for row in opens)
    click_counts = Counter(row["contactId"] for row in clicks)
    assert open_counts == Counter({cid: a["numOpens"] for cid, a in activities.items() if a["numOpens"]})
    assert click_counts == Counter({cid: a["numClicks"] for cid, a in activities.items() if a["numClicks"]})
    assert summary["numTotalOpens"] == len(opens)
    assert summary["numTotalClicks"] == len(clicks)
    assert summary["numTotalUniqueOpens"] == len(open_counts)
    assert summary["numRecipientsClicked"] == len(click_counts)
    now = datetime.now(UTC)
    for row in opens:
        activity = activities[row["contactId"]]
        assert row["email"] == activity["email"]
        opened = _when(row["dateOpened"])
        assert sent_at < opened < now
        assert _when(activity["dateFirstOpened"]) <= opened <= _when(activity["dateLastOpened"])
    for row in clicks:
        assert row["url"].startswith("https://") and sent_at < _when(row["dateClicked"]) < now
    assert len({row["url"] for row in clicks}) > 1


def test_events_page_like_a_list_at_any_page_size(sandbox):
    campaign_id = _sent_campaigns(sandbox.client())[0]["id"]
    whole = _rows(sandbox.client().campaign_opens(campaign_id))
    small = sandbox.client(page_size=37)
    assert _rows(small.campaign_opens(campaign_id)) == whole
    assert _rows(small.campaign_clicks(campaign_id)) == _rows(sandbox.client().campaign_clicks(campaign_id))
    assert len(whole) > 2000  # several pages of 1000 at the default page size
    keys = [(row["contactId"], row["dateOpened"]) for row in whole]
    assert keys == sorted(keys)  # by contact, then by date


def test_since_date_keeps_the_events_strictly_after_the_date(sandbox):
    client = sandbox.client()
    campaign_id = _sent_campaigns(client)[0]["id"]
    for everything, since in (
        (_rows(client.campaign_opens(campaign_id)), client.campaign_opens_since),
        (_rows(client.campaign_clicks(campaign_id)), client.campaign_clicks_since),
    ):
        date_key = "dateOpened" if "dateOpened" in everything[0] else "dateClicked"
        pivot = everything[len(everything) // 2][date_key]
        expected = [row for row in everything if _when(row[date_key]) > _when(pivot)]
        got = _rows(since(campaign_id, _when(pivot)))
        assert 0 < len(got) < len(everything)
        assert sorted(got, key=lambda r: (r["contactId"], r[date_key])) == expected
        assert _rows(sandbox.client(page_size=50).campaign_opens_since(campaign_id, _when(pivot))) == _rows(
            client.campaign_opens_since(campaign_id, _when(pivot))
        )
    assert _rows(client.campaign_opens_since(campaign_id, datetime.now(UTC))) == []


def test_activities_since_date_are_the_contacts_with_events_after_it(sandbox):
    client = sandbox.client()
    campaign_id = _sent_campaigns(client)[0]["id"]
    opens = _rows(client.campaign_opens(campaign_id))
    pivot = _when(opens[len(opens) // 3]["dateOpened"])
    active = {a["contactId"] for a in _rows(client.campaign_activities_since(campaign_id, pivot))}
    with_events = {r["contactId"] for r in _rows(client.campaign_opens_since(campaign_id, pivot))}
    with_events |= {r["contactId"] for r in _rows(client.campaign_clicks_since(campaign_id, pivot))}
    assert active == with_events


def test_a_draft_campaign_has_no_events_and_an_unknown_one_is_404(sandbox):
    from dotdigital.exceptions import NotFoundError

    client = sandbox.client()
    draft = next(c for c in _rows(client.campaigns()) if c["status"] != "Sent")
    assert _rows(client.campaign_opens(draft["id"])) == []
    assert _rows(client.campaign_clicks_since(draft["id"], "2000-01-01")) == []
    with pytest.raises(NotFoundError) as missing:
        list(client.campaign_opens(999999))
    assert missing.value.code == "ERROR_CAMPAIGN_NOT_FOUND"


def test_address_book_campaigns_are_the_campaigns_sent_to_it(make_sandbox):
    sb = make_sandbox(seed=5, contacts=300, address_books=3, campaigns=7)
    client = sb.client()
    campaigns = _rows(client.campaigns())
    by_book: dict[int, set[int]] = {}
    for book in _rows(client.address_books()):
        by_book[book["id"]] = {c["id"] for c in _rows(client.address_book_campaigns(book["id"]))}
    sent = {c["id"] for c in campaigns if c["status"] == "Sent"}
    assert set().union(*by_book.values()) == sent  # every sent campaign went to exactly one book
    assert sum(len(ids) for ids in by_book.values()) == len(sent)
    assert all(by_book.values())
    for book_id, ids in by_book.items():
        for campaign_id in ids:
            activity = _rows(client.campaign_activities(campaign_id))[:5]
            members = {c["id"] for c in _rows(client.address_book_contacts(book_id, with_full_data=False))}
            assert {a["contactId"] for a in activity} <= members
    paged = sb.client(page_size=1)
    assert [c["id"] for c in _rows(paged.address_book_campaigns(1001))] == sorted(by_book[1001])
    from dotdigital.exceptions import NotFoundError

    with pytest.raises(NotFoundError):
        list(client.address_book_campaigns(424242))


def test_added_opens_and_clicks_show_up_everywhere(sandbox):
    client = sandbox.client()
    campaign_id = _sent_campaigns(client)[0]["id"]
    before_summary = client.campaign_summary(campaign_id)
    before = datetime.now(UTC) - timedelta(milliseconds=5)
    assert _rows(client.campaign_opens_since(campaign_id, before)) == []
    auth = (sandbox.username, sandbox.password)
    answer = requests.post(
        f"{sandbox.url}/_sandbox/change",
        json={"opens": 4, "clicks": 3, "campaign_id": campaign_id},
        auth=auth,
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    changed = answer.json()
    assert changed["campaign_id"] == campaign_id
    assert len(changed["opened"]) == 4 and len(changed["clicked"]) == 3
    new_opens = _rows(client.campaign_opens_since(campaign_id, before))
    new_clicks = _rows(client.campaign_clicks_since(campaign_id, before))
    assert sorted(r["contactId"] for r in new_opens) == sorted(changed["opened"])
    assert sorted(r["contactId"] for r in new_clicks) == sorted(changed["clicked"])
    assert all(r["url"].startswith("https://") for r in new_clicks)
    active = {a["contactId"]: a for a in _rows(client.campaign_activities_since(campaign_id, before))}
    assert set(active) == set(changed["opened"]) | set(changed["clicked"])
    everyone = {a["contactId"]: a for a in _rows(client.campaign_activities(campaign_id))}
    all_opens = Counter(r["contactId"] for r in _rows(client.campaign_opens(campaign_id)))
    all_clicks = Counter(r["contactId"] for r in _rows(client.campaign_clicks(campaign_id)))
    for contact_id in set(changed["opened"]) | set(changed["clicked"]):
        assert everyone[contact_id]["numOpens"] == all_opens[contact_id] > 0
        assert everyone[contact_id]["numClicks"] == all_clicks[contact_id]
    after_summary = client.campaign_summary(campaign_id)
    assert after_summary["numTotalOpens"] == before_summary["numTotalOpens"] + 4
    assert after_summary["numTotalClicks"] == before_summary["numTotalClicks"] + 3
    assert after_summary["numTotalOpens"] == sum(all_opens.values())


def test_a_bad_event_change_is_refused(sandbox):
    auth = (sandbox.username, sandbox.password)
    url = f"{sandbox.url}/_sandbox/change"
    draft = 2000 + sandbox.app.config.campaigns
    for body in ({"opens": 1, "campaign_id": 77}, {"opens": 1, "campaign_id": draft}, {"clicks": "x"}):
        refused = requests.post(url, json=body, auth=auth, timeout=5)
        assert refused.status_code in (400, 404), body
        assert refused.json()["message"].split()[-1].startswith("ERROR_")


def test_sandbox_change_command_adds_opens_and_clicks(make_sandbox):
    sb = make_sandbox(seed=1, contacts=100, campaigns=3)
    out = io.StringIO()
    call_command("sandbox_change", "--url", sb.url, "--seed", "1", "--opens", "2", "--clicks", "1", stdout=out)
    text = out.getvalue()
    assert "Opened: 2 contact(s)" in text and "Clicked: 1 contact(s)" in text and "campaign 2001" in text
    assert len(sb.store.extra_events[1]) == 3


def test_a_page_of_opens_from_a_million_contacts_is_lazy():
    """Memory, not time: the page's speed is the sandbox benchmark's (benchmarks/sandbox_bench.py)."""
    tracemalloc.start()
    try:
        app = SandboxApp(SandboxConfig(seed=3, contacts=1_000_000, address_books=2, campaigns=3))
        deep = _wsgi_get(app, "/v2/campaigns/2001/opens", "select=1000&skip=1900000")
        since = _wsgi_get(app, "/v2/campaigns/2001/clicks/since-date/2025-05-14T12:00:00Z", "select=1000&skip=5000")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(deep) == 1000 and len(since) == 1000
    assert all(_when(row["dateClicked"]) > datetime(2025, 5, 14, 12, tzinfo=UTC) for row in since)
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def _wsgi_get(app: SandboxApp, path: str, query: str):
    import base64
    import json

    token = base64.b64encode(f"{app.config.username}:{app.config.password}".encode()).decode()
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_AUTHORIZATION": f"Basic {token}",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
    }
    status: list[str] = []
    body = b"".join(app(environ, lambda s, h: status.append(s)))
    assert status[0].startswith("200"), (status, body[:200])
    return json.loads(body)
