"""The sandbox's own admin endpoints (not Dotdigital's): change data and faults while it runs."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

from dotdigital.sandbox.http import ApiError, Request, Response, json_response
from dotdigital.sandbox.store import Store

if TYPE_CHECKING:
    from dotdigital.sandbox.app import SandboxApp


CHANGE_KEYS = ("modify", "unsubscribe", "add", "book_id")


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


def apply_change(store: Store, body: dict[str, Any]) -> dict[str, list[int]]:
    """Modify, unsubscribe and add contacts; returns the ids touched, by kind.

    Every field is checked before anything is applied, so a request refused with 400/404 changes nothing.
    """
    unknown = sorted(str(key) for key in body if key not in CHANGE_KEYS)
    if unknown:
        raise ApiError(
            400, f"Unknown field(s) {', '.join(unknown)}; use {', '.join(CHANGE_KEYS)}. ERROR_PARAMETER_INVALID"
        )
    book_id = _book_id(body)
    modify, unsubscribe, add = _count(body, "modify"), _count(body, "unsubscribe"), _count(body, "add")
    with store.lock:
        if book_id is not None and book_id not in store.books:
            raise ApiError(404, "Error: ERROR_ADDRESSBOOK_NOT_FOUND")
        result: dict[str, list[int]] = {"modified": [], "unsubscribed": [], "added": []}
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
    return result


def change(app: SandboxApp, request: Request) -> Response:
    body = request.json()
    if not isinstance(body, dict):
        raise ApiError(400, 'Send a JSON object like {"modify": 5, "unsubscribe": 2, "add": 3}.')
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
