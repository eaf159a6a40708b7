"""Handlers of the campaign endpoints: list, get, summary, activities (all derived from the seed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from dotdigital.sandbox.api import _int
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


def _activity_time(store: Store, sent_at: datetime, i: int) -> datetime:
    return sent_at + timedelta(seconds=60 + i * (6 * 86400) // max(store.n, 1))


def campaign_summary(app: SandboxApp, request: Request, campaign_id: str) -> Response:
    store = app.store
    index = _campaign_index(store, campaign_id)
    sent_at = _campaign_sent_at(store, index)
    recipients = _recipients(store, index)
    sent = len(recipients)
    opens = len(recipients.intersect(store.openers_seeded))
    hard = len(recipients.intersect(Progression(1, store.n, 100, (19,))))
    unsubscribed = len(recipients.intersect(store.unsubscribed_seeded))
    complaints = len(recipients.intersect(Progression(1, store.n, 100, (63,))))
    blocked = len(recipients.intersect(Progression(1, store.n, 100, (88,))))
    clicked = opens * 2 // 5
    text = sent // 10
    delivered = sent - hard - blocked
    h = mix(store.config.seed, 23, index)

    def share(part: int) -> float:
        return round(part / sent, 4) if sent else 0.0

    counts = {
        "UniqueOpens": (opens - opens // 10, opens // 10),
        "Opens": (opens * 2 - opens // 5, opens // 5),
        "Clicks": (clicked * 2, clicked // 4),
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
            "percentageOpens": share(opens * 2),
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
    index = _campaign_index(store, campaign_id)
    select, skip = request.paging()
    sent_at = _campaign_sent_at(store, index)
    recipients = _recipients(store, index)
    if date is not None:
        moment = parse_path_date(date)
        recipients = recipients.intersect(store.openers_seeded)
        if sent_at is not None:
            lo, hi = 1, store.n + 1
            while lo < hi:
                mid = (lo + hi) // 2
                if _activity_time(store, sent_at, mid) >= moment:
                    hi = mid
                else:
                    lo = mid + 1
            recipients = recipients.clamp(lo, store.n)
    ids = View(recipients, [], []).page(skip, select)
    rows = []
    for i in ids:
        h = mix(store.config.seed, 29, index, i)
        opened = i in store.openers_seeded
        last = _activity_time(store, sent_at, i) if sent_at else store.start
        first = last - timedelta(seconds=h % 3600) if opened else sent_at
        rows.append(
            {
                "contactId": i,
                "email": store.seeded_email(i),
                "numOpens": 1 + h % 4 if opened else 0,
                "numPageViews": (h >> 4) % 3 if opened else 0,
                "numClicks": (h >> 8) % 3 if opened else 0,
                "numForwards": 0,
                "numEstimatedForwards": 0,
                "numReplies": 1 if opened and (h >> 12) % 50 == 0 else 0,
                "dateSent": iso(sent_at) if sent_at else iso(store.start),
                "dateFirstOpened": iso(first) if first else iso(store.start),
                "dateLastOpened": iso(last if opened else (sent_at or store.start)),
                "firstOpenIp": f"192.0.2.{h % 250 + 1}" if opened else "",
                "unsubscribed": i in store.unsubscribed_seeded,
                "softBounced": False,
                "hardBounced": store.seeded_status(i) == "HardBounced",
            }
        )
    return json_response(rows)
