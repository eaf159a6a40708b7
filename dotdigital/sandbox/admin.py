"""The sandbox's own admin endpoints (not Dotdigital's): change data and faults while it runs."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dotdigital.sandbox.campaigns import _campaign_index, _recipients, campaign_events
from dotdigital.sandbox.events import ExtraEvent
from dotdigital.sandbox.http import ApiError, Request, Response, json_response
from dotdigital.sandbox.seeded import Progression, mix
from dotdigital.sandbox.store import CAMPAIGN_ID_BASE, Store

if TYPE_CHECKING:
    from dotdigital.sandbox.app import SandboxApp


CHANGE_KEYS = ("modify", "unsubscribe", "add", "book_id", "opens", "clicks", "campaign_id")


def _count(body: dict[str, Any], name: str) -> int:
    value = body.get(name, 0)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100000:
        raise ApiError(400, f"{name} must be a whole number from 0 to 100000. ERROR_PARAMETER_INVALID")
    return value


def _book_id(body: dict[str, Any]) -> int | None:
    value = body.get("book_id")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError(400, "book_id must be the id (a whole number) of an address book. ERROR_PARAMETER_INVALID")
    return value


def _event_campaign(store: Store, body: dict[str, Any]) -> int:
    """The index of the sent campaign that new opens and clicks go to (`campaign_id`, or the first sent one)."""
    value = body.get("campaign_id")
    if value is None:
        index = next((i for i in range(1, store.config.campaigns + 1) if campaign_events(store, i)), None)
        if index is None:
            raise ApiError(400, "The sandbox has no sent campaign to add opens or clicks to. ERROR_CAMPAIGN_INVALID")
        return index
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError(400, "campaign_id must be the id (a whole number) of a campaign. ERROR_PARAMETER_INVALID")
    index = _campaign_index(store, str(value))
    if campaign_events(store, index) is None:
        raise ApiError(400, f"Campaign {value} has not been sent: it has no opens or clicks. ERROR_CAMPAIGN_INVALID")
    return index


def _pick(store: Store, among: Progression, count: int) -> list[int]:
    """Seed-determined distinct members of `among` (never the same twice in a row across calls)."""
    picked: list[int] = []
    attempts = 0
    while len(picked) < count and len(among) and attempts < count * 200 + 100:
        attempts += 1
        store.change_cursor += 1
        candidate = mix(store.config.seed, 101, store.change_cursor) % store.n + 1
        if candidate in among and candidate not in picked and store.contact(candidate) is not None:
            picked.append(candidate)
    return picked


def _add_events(store: Store, index: int, opens: int, clicks: int) -> tuple[list[int], list[int]]:
    """Opens by recipients of the campaign and clicks by its openers, dated now."""
    events = campaign_events(store, index)
    assert events is not None
    now = datetime.now(UTC)
    added = store.extra_events.setdefault(index, [])
    opened = _pick(store, _recipients(store, index), opens)
    added.extend(ExtraEvent(contact_id, "opens", now) for contact_id in opened)
    clicked = _pick(store, events.openers, clicks)
    for contact_id in clicked:
        url, keyword = events.urls[contact_id % len(events.urls)]
        added.append(ExtraEvent(contact_id, "clicks", now, url, keyword))
    return opened, clicked


def apply_change(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    """Modify, unsubscribe and add contacts, and add opens and clicks to a sent campaign; returns the contact
    ids touched by kind (`modified`, `unsubscribed`, `added`, `opened`, `clicked`) and the `campaign_id`
    the opens and clicks went to (None when none were asked for).

    Every field is checked before anything is applied, so a request refused with 400/404 changes nothing.
    """
    unknown = sorted(str(key) for key in body if key not in CHANGE_KEYS)
    if unknown:
        raise ApiError(
            400, f"Unknown field(s) {', '.join(unknown)}; use {', '.join(CHANGE_KEYS)}. ERROR_PARAMETER_INVALID"
        )
    book_id = _book_id(body)
    modify, unsubscribe, add = _count(body, "modify"), _count(body, "unsubscribe"), _count(body, "add")
    opens, clicks = _count(body, "opens"), _count(body, "clicks")
    with store.lock:
        if book_id is not None and book_id not in store.books:
            raise ApiError(404, "Error: ERROR_ADDRESSBOOK_NOT_FOUND")
        campaign = _event_campaign(store, body) if opens or clicks or "campaign_id" in body else None
        result: dict[str, Any] = {"modified": [], "unsubscribed": [], "added": [], "opened": [], "clicked": []}
        result["campaign_id"] = CAMPAIGN_ID_BASE + campaign if campaign is not None else None
        for contact_id in store.pick_contacts(modify):
            store.modify(contact_id)
            result["modified"].append(contact_id)
        for contact_id in store.pick_contacts(unsubscribe, subscribed_only=True):
            store.unsubscribe(contact_id)
            result["unsubscribed"].append(contact_id)
        target = book_id if book_id is not None else next(iter(store.books), None)
        for _ in range(add):
            number = store.next_contact_id
            state, _created = store.upsert(
                f"new.contact.{number}@example.com", {"FIRSTNAME": "New", "LASTNAME": f"Contact {number}"}
            )
            if target is not None:
                store.add_to_book(target, state.id)
            result["added"].append(state.id)
        if campaign is not None:
            result["opened"], result["clicked"] = _add_events(store, campaign, opens, clicks)
    return result


def change(app: SandboxApp, request: Request) -> Response:
    body = request.json()
    if not isinstance(body, dict):
        raise ApiError(
            400,
            'Send a JSON object like {"modify": 5, "unsubscribe": 2, "add": 3, "opens": 4, "clicks": 2}. '
            "ERROR_PARAMETER_INVALID",
        )
    return json_response(apply_change(app.store, body))


def state(app: SandboxApp, request: Request) -> Response:
    store = app.store
    with store.lock:
        return json_response(
            {
                "contacts": len(store.all_contacts()),
                "changed": len(store.changed),
                "address_books": len(store.books),
                "imports": len(store.imports),
                "faults": asdict(app.config.faults),
            }
        )


def set_faults(app: SandboxApp, request: Request) -> Response:
    body = request.json()
    known = {f.name: f.type for f in fields(app.config.faults)}
    if not isinstance(body, dict) or not set(body) <= set(known):
        raise ApiError(400, f"Faults are an object with keys among {sorted(known)}. ERROR_PARAMETER_INVALID")
    for name, value in body.items():
        current = getattr(app.config.faults, name)
        if isinstance(current, str):
            if value not in ("tiered", "flat"):
                raise ApiError(400, "rate_limit_mode is tiered or flat. ERROR_PARAMETER_INVALID")
        elif not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ApiError(400, f"{name} must be a number >= 0. ERROR_PARAMETER_INVALID")
        setattr(app.config.faults, name, type(current)(value))
    return json_response(asdict(app.config.faults))


def revoke_oauth(app: SandboxApp, request: Request) -> Response:
    """Forget every refresh and access token issued, as when the user revokes the application's access."""
    with app.oauth.lock:
        revoked = len(app.oauth.refresh_tokens)
        app.oauth.refresh_tokens.clear()
        app.oauth.access_tokens.clear()
    return json_response({"revoked_refresh_tokens": revoked})
