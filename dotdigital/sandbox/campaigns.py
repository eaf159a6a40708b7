"""Handlers of the campaign endpoints: list, get, summary, activities, opens and clicks, and the campaigns of
an address book (all derived from the seed, plus the events added while running)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from dotdigital.sandbox.api import _book, _int
from dotdigital.sandbox.events import CLICK_DELAY, CampaignEvents, ExtraEvent, click_json, open_json
from dotdigital.sandbox.http import ApiError, Request, Response, json_response, parse_path_date
from dotdigital.sandbox.seeded import Progression, View, mix
from dotdigital.sandbox.store import BOOK_ID_BASE, CAMPAIGN_ID_BASE, Store, iso
from dotdigital.sandbox.words import CAMPAIGN_TOPICS

if TYPE_CHECKING:
    from dotdigital.sandbox.app import SandboxApp


def _campaign_index(store: Store, campaign_id: str) -> int:
    index = _int(campaign_id, "ERROR_CAMPAIGN_INVALID", "campaign id") - CAMPAIGN_ID_BASE
    if not 1 <= index <= store.config.campaigns:
        raise ApiError(404, "Error: ERROR_CAMPAIGN_NOT_FOUND")
    return index


def _campaign_book(store: Store, index: int) -> int:
    return BOOK_ID_BASE + (index - 1) % store.config.address_books + 1


def _campaign_sent_at(store: Store, index: int) -> datetime | None:
    """Campaigns went out weekly before the seeded history ends; the newest one is still a draft."""
    if index == store.config.campaigns and store.config.campaigns > 1:
        return None
    return datetime(2025, 5, 25, 9, tzinfo=UTC) - timedelta(days=7 * (store.config.campaigns - index))


def render_campaign(store: Store, index: int, full: bool) -> dict[str, Any]:
    topic = CAMPAIGN_TOPICS[(index - 1) % len(CAMPAIGN_TOPICS)]
    name = f"{topic} {index}"
    h = mix(store.config.seed, 21, index)
    return {
        "id": CAMPAIGN_ID_BASE + index,
        "name": name,
        "subject": f"{topic}: news for you",
        "fromName": "Sandbox Marketing",
        "fromAddress": {"id": 7000 + h % 3, "email": f"news{h % 3}@sandbox.example.com"},
        "htmlContent": f"<html><body><h1>{topic}</h1><p>Hello $FIRSTNAME$</p></body></html>" if full else None,
        "plainTextContent": f"{topic}\n\nHello $FIRSTNAME$" if full else None,
        "replyAction": ("Unset", "WebMailForward", "Webmail", "Delete")[h % 4],
        "replyToAddress": "",
        "isSplitTest": h % 7 == 0,
        "status": "Sent" if _campaign_sent_at(store, index) is not None else "Unsent",
    }


def list_campaigns(app: SandboxApp, request: Request) -> Response:
    select, skip = request.paging()
    store = app.store
    indexes = range(1, store.config.campaigns + 1)[skip : skip + select]
    return json_response([render_campaign(store, i, False) for i in indexes])


def get_campaign(app: SandboxApp, request: Request, campaign_id: str) -> Response:
    store = app.store
    return json_response(render_campaign(store, _campaign_index(store, campaign_id), True))


def _recipients(store: Store, index: int) -> Progression:
    book = store.books.get(_campaign_book(store, index))
    if book is None or _campaign_sent_at(store, index) is None:
        return Progression.empty()
    return book.seeded


def _activity_epoch(store: Store, sent_epoch: int, i: int) -> int:
    """When seeded contact i last opened a campaign sent at `sent_epoch`: it grows with i over six days."""
    return sent_epoch + 60 + i * (6 * 86400) // max(store.n, 1)


def campaign_events(store: Store, index: int) -> CampaignEvents | None:
    """The seeded opens and clicks of a sent campaign (None for a draft), kept while its recipients stay."""
    sent_at = _campaign_sent_at(store, index)
    if sent_at is None:
        return None
    openers = _recipients(store, index).intersect(store.openers_seeded)
    events = store.campaign_events.get(index)
    if events is None or events.openers != openers:
        sent_epoch = int(sent_at.timestamp())
        topic = CAMPAIGN_TOPICS[(index - 1) % len(CAMPAIGN_TOPICS)]
        events = CampaignEvents(
            store.config.seed, index, topic, openers, sent_epoch, lambda i: _activity_epoch(store, sent_epoch, i)
        )
        store.campaign_events[index] = events
    return events


def _extras_by_contact(store: Store, index: int) -> dict[int, list[ExtraEvent]]:
    by_contact: dict[int, list[ExtraEvent]] = {}
    for event in store.extra_events.get(index, ()):
        by_contact.setdefault(event.contact_id, []).append(event)
    return by_contact


def campaign_summary(app: SandboxApp, request: Request, campaign_id: str) -> Response:
    store = app.store
    index = _campaign_index(store, campaign_id)
    sent_at = _campaign_sent_at(store, index)
    recipients = _recipients(store, index)
    sent = len(recipients)
    opens = len(recipients.intersect(store.openers_seeded))
    events = campaign_events(store, index)
    total_opens = events.total("opens") if events else 0
    total_clicks = events.total("clicks") if events else 0
    clicked = events.clickers() if events else 0
    for contact_id, extra in _extras_by_contact(store, index).items():
        kinds = [event.kind for event in extra]
        total_opens += kinds.count("opens")
        total_clicks += kinds.count("clicks")
        rank = events.rank_of(contact_id) if events else None
        if rank is None and "opens" in kinds:
            opens += 1
        if "clicks" in kinds and (rank is None or events.count_at("clicks", rank) == 0):
            clicked += 1
    hard = len(recipients.intersect(Progression(1, store.n, 100, (19,))))
    unsubscribed = len(recipients.intersect(store.unsubscribed_seeded))
    complaints = len(recipients.intersect(Progression(1, store.n, 100, (63,))))
    blocked = len(recipients.intersect(Progression(1, store.n, 100, (88,))))
    text = sent // 10
    delivered = sent - hard - blocked
    h = mix(store.config.seed, 23, index)

    def share(part: int) -> float:
        return round(part / sent, 4) if sent else 0.0

    counts = {
        "UniqueOpens": (opens - opens // 10, opens // 10),
        "Opens": (total_opens - total_opens // 10, total_opens // 10),
        "Clicks": (total_clicks - total_clicks // 8, total_clicks // 8),
        "PageViews": (clicked, clicked // 10),
        "Forwards": (opens // 50, 0),
        "EstimatedForwards": (opens // 40, 0),
        "Replies": (opens // 100, 0),
        "HardBounces": (hard - hard // 10, hard // 10),
        "SoftBounces": (sent // 200, 0),
        "Unsubscribes": (unsubscribed - unsubscribed // 10, unsubscribed // 10),
        "IspComplaints": (complaints, 0),
        "MailBlocks": (blocked, 0),
        "Sent": (sent - text, text),
        "Delivered": (delivered - text, text),
    }
    summary: dict[str, Any] = {"dateSent": iso(sent_at) if sent_at else "0001-01-01T00:00:00Z"}
    for name, (html, plain) in counts.items():
        summary[f"num{name}"] = html
        summary[f"numText{name}"] = plain
        summary[f"numTotal{name}"] = html + plain
    summary["numTotalUniqueOpens"] = opens
    summary["numRecipientsClicked"] = clicked
    summary.update(
        {
            "percentageDelivered": share(delivered),
            "percentageUniqueOpens": share(opens),
            "percentageOpens": share(total_opens),
            "percentageUnsubscribes": share(unsubscribed),
            "percentageReplies": share(opens // 100),
            "percentageHardBounces": share(hard),
            "percentageSoftBounces": share(sent // 200),
            "percentageUsersClicked": share(clicked),
            "percentageClicksToOpens": round(clicked / opens, 4) if opens else 0.0,
            "revenue": f"£{(h % 500000) / 100:.2f}" if sent else "£0.00",
            "conversionRate": round((h % 500) / 10000, 4) if sent else 0.0,
            "assistedRevenue": f"£{(h % 90000) / 100:.2f}" if sent else "£0.00",
            "numOrders": int(h % 120) if sent else 0,
            "numAssistedOrders": int(h % 30) if sent else 0,
        }
    )
    # Dotdigital's names break the pattern for two of them.
    summary["numUniqueTextOpens"] = summary.pop("numTextUniqueOpens")
    del summary["numTotalForwards"]
    return json_response(summary)


def campaign_activities(app: SandboxApp, request: Request, campaign_id: str, date: str | None = None) -> Response:
    store = app.store
    with store.lock:
        index = _campaign_index(store, campaign_id)
        select, skip = request.paging()
        sent_at = _campaign_sent_at(store, index)
        recipients = _recipients(store, index)
        events = campaign_events(store, index)
        extras = _extras_by_contact(store, index)
        if date is None:
            view = View(recipients, [], [])
        else:
            view = _active_since(store, events, recipients, extras, parse_path_date(date).timestamp())
        rows = [_activity_row(store, index, sent_at, events, extras.get(i, []), i) for i in view.page(skip, select)]
    return json_response(rows)


def _active_since(
    store: Store, events: CampaignEvents | None, recipients: Progression, extras: dict, since: float
) -> View:
    """The recipients with an open or a click strictly after `since`."""
    if events is None:
        return View(Progression.empty(), [], [])
    base = events.openers.clamp(events.first_contact_after(since), store.n)
    # Contacts whose last open is before `since` may still have clicked after it.
    late_clickers = set()
    first_id = events.first_contact_after(since - CLICK_DELAY)
    for contact_id in events.openers.iter_from(first_id):
        if contact_id >= base.lo:
            break
        rank = events.openers.count_le(contact_id) - 1
        if any(click[0] > since for click in events.contact(contact_id, rank).clicks):
            late_clickers.add(contact_id)
    late_clickers |= {i for i, extra in extras.items() if any(e.at.timestamp() > since for e in extra)}
    extra_ids = sorted(late_clickers)
    return View(base, [i for i in extra_ids if i in base], extra_ids)


def _activity_row(
    store: Store, index: int, sent_at: datetime | None, events: CampaignEvents | None, extra: list, i: int
) -> dict[str, Any]:
    h = mix(store.config.seed, 29, index, i)
    rank = events.rank_of(i) if events else None
    num_opens = num_clicks = 0
    first = last = None
    ip = ""
    if rank is not None:
        seeded = events.contact(i, rank)
        num_opens, num_clicks = len(seeded.opens), len(seeded.clicks)
        first, last = _moment(seeded.first), _moment(seeded.last)
        ip = f"192.0.2.{seeded.h % 250 + 1}"  # the address of its open rows
    for event in extra:
        if event.kind == "opens":
            num_opens += 1
            first = first or event.at
            last = max(last, event.at) if last else event.at
            ip = ip or "198.51.100.7"
        else:
            num_clicks += 1
    opened = num_opens > 0
    fallback = sent_at or store.start
    return {
        "contactId": i,
        "email": store.seeded_email(i),
        "numOpens": num_opens,
        "numPageViews": (h >> 4) % 3 if opened else 0,
        "numClicks": num_clicks,
        "numForwards": 0,
        "numEstimatedForwards": 0,
        "numReplies": 1 if opened and (h >> 12) % 50 == 0 else 0,
        "dateSent": iso(fallback),
        "dateFirstOpened": iso(first or fallback),
        "dateLastOpened": iso(last or fallback),
        "firstOpenIp": ip,
        "unsubscribed": i in store.unsubscribed_seeded,
        "softBounced": False,
        "hardBounced": store.seeded_status(i) == "HardBounced",
    }


def _moment(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def campaign_opens(app: SandboxApp, request: Request, campaign_id: str, date: str | None = None) -> Response:
    return _event_page(app, request, campaign_id, "opens", date)


def campaign_clicks(app: SandboxApp, request: Request, campaign_id: str, date: str | None = None) -> Response:
    return _event_page(app, request, campaign_id, "clicks", date)


def _event_page(app: SandboxApp, request: Request, campaign_id: str, kind: str, date: str | None) -> Response:
    """A page of opens or clicks: the seeded ones by contact then date, then the ones added while running."""
    store = app.store
    select, skip = request.paging()
    since = parse_path_date(date).timestamp() if date is not None else None
    with store.lock:
        index = _campaign_index(store, campaign_id)
        events = campaign_events(store, index)
        rows: list[str] = []
        matching = 0
        if events is not None:
            pairs, matching = events.seeded_page(kind, skip, select, since)
            last_id, email, html = 0, "", True
            for contact_events, j in pairs:
                if contact_events.contact_id != last_id:
                    last_id = contact_events.contact_id
                    email, html = store.seeded_email_html(last_id)
                if kind == "opens":
                    rows.append(open_json(email, contact_events, j, store.iso_epoch, html))
                else:
                    rows.append(click_json(email, contact_events, j, store.iso_epoch))
        if len(rows) < select:
            added = [
                e
                for e in store.extra_events.get(index, ())
                if e.kind == kind and (since is None or e.at.timestamp() > since)
            ]
            start = max(0, skip - matching)
            for event in added[start : start + select - len(rows)]:
                email, html = store.seeded_email_html(event.contact_id)
                rows.append(json.dumps(event.render(email, iso, html), separators=(",", ":")))
    return Response(200, ("[" + ",".join(rows) + "]").encode("utf-8"))


def book_campaigns(app: SandboxApp, request: Request, book_id: str) -> Response:
    """The campaigns sent to an address book (drafts have not been sent to anyone)."""
    select, skip = request.paging()
    store = app.store
    with store.lock:
        book = _book(store, book_id)
        indexes = [
            i
            for i in range(1, store.config.campaigns + 1)
            if _campaign_book(store, i) == book.id and _campaign_sent_at(store, i) is not None
        ]
        return json_response([render_campaign(store, i, False) for i in indexes[skip : skip + select]])
