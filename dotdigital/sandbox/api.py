"""Handlers of the v2 endpoints: account, address books, contacts, campaigns, data fields."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dotdigital.sandbox.data_fields import normalise_value, value_fits
from dotdigital.sandbox.http import ApiError, Request, Response, enum_value, json_response, lookup, parse_path_date
from dotdigital.sandbox.seeded import Progression
from dotdigital.sandbox.store import (
    AddressBook,
    Store,
)

if TYPE_CHECKING:
    from dotdigital.sandbox.app import SandboxApp

VISIBILITIES = ("Private", "Public")
FIELD_TYPES = ("String", "Numeric", "Date", "Boolean")
OPT_IN_TYPES = ("Unknown", "Single", "Double", "VerifiedDouble")
EMAIL_TYPES = ("PlainText", "Html")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
FIELD_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
RESERVED_BOOK_NAMES = ("test", "all contacts")


def _int(value: str, code: str, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ApiError(400, f"The {what} is not valid. {code}") from exc
    if not -(2**31) <= number < 2**31:
        raise ApiError(400, f"The {what} is not valid. {code}")
    return number


# -- account -------------------------------------------------------------------------------------------------


def account_info(app: SandboxApp, request: Request) -> Response:
    config = app.config
    endpoint = config.api_endpoint or request.host_url
    endpoint = endpoint.rstrip("/") + ("/" if config.endpoint_trailing_slash else "")
    calls = len(app.requests)
    properties = [
        ("AvailableEmailSendsCredits", "Int", "50000"),
        ("AvailableSmsSendsCredits", "Int", "0"),
        ("PremiumWalletBalance", "Decimal", "0.00"),
        ("ListManagedUsers", "String", ""),
        ("Name", "String", config.account_name),
        ("MainMobilePhoneNumber", "String", ""),
        ("MainEmail", "String", f"owner-{config.account_id}@example.com"),
        ("APILocale", "String", "en-GB"),
        ("ApiCallsInLastHour", "Int", str(calls)),
        ("ApiCallsRemaining", "Int", str(max(0, 2000 - calls))),
        ("ApiEndpoint", "String", endpoint),
        ("CurrencyCode", "String", "GBP"),
        ("CampaignEmailMtaPool", "String", "Shared pool"),
        ("ShowClock", "Boolean", "False"),
        ("TimeZoneIana", "String", "Europe/London"),
    ]
    return json_response(
        {"id": config.account_id, "properties": [{"name": n, "type": t, "value": v} for n, t, v in properties]}
    )


def server_time(app: SandboxApp, request: Request) -> Response:
    return json_response(datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


# -- address books ---------------------------------------------------------------------------------------------


def _book(store: Store, book_id: str) -> AddressBook:
    book = store.books.get(_int(book_id, "ERROR_ADDRESSBOOK_INVALID", "address book id"))
    if book is None:
        raise ApiError(404, "Error: ERROR_ADDRESSBOOK_NOT_FOUND")
    return book


def _render_book(store: Store, book: AddressBook) -> dict[str, Any]:
    return {"id": book.id, "name": book.name, "visibility": book.visibility, "contacts": store.book_size(book.id)}


def list_address_books(app: SandboxApp, request: Request, visibility: str | None = None) -> Response:
    select, skip = request.paging()
    store = app.store
    with store.lock:
        books = [b for b in store.books.values() if visibility is None or b.visibility.lower() == visibility.lower()]
        return json_response([_render_book(store, b) for b in books[skip : skip + select]])


def _book_fields(body: Any, current: AddressBook | None = None) -> tuple[str, str]:
    if not isinstance(body, dict):
        raise ApiError(400, "The address book must be a JSON object. ERROR_ADDRESSBOOK_INVALID")
    name = lookup(body, "name", default=current.name if current else None)
    if not isinstance(name, str) or not name.strip() or len(name) > 128:
        raise ApiError(400, "The address book name must be 1 to 128 characters. ERROR_ADDRESSBOOK_INVALID")
    visibility = enum_value(
        lookup(body, "visibility"),
        VISIBILITIES,
        "Visibility",
        "ERROR_ADDRESSBOOK_INVALID",
        default=current.visibility if current else "Private",
    )
    return name.strip(), visibility


def _check_unique_name(store: Store, name: str, except_id: int | None = None) -> None:
    taken = any(b.name.lower() == name.lower() and b.id != except_id for b in store.books.values())
    if taken or name.lower() in RESERVED_BOOK_NAMES:
        raise ApiError(400, "That name is in use already, please choose another. ERROR_ADDRESSBOOK_DUPLICATE")


def create_address_book(app: SandboxApp, request: Request) -> Response:
    name, visibility = _book_fields(request.json())
    store = app.store
    with store.lock:
        _check_unique_name(store, name)
        book = AddressBook(store.next_book_id, name, visibility, Progression.empty())
        store.next_book_id += 1
        store.books[book.id] = book
        store.touch()
        return json_response(_render_book(store, book), 201)


def get_address_book(app: SandboxApp, request: Request, book_id: str) -> Response:
    with app.store.lock:
        return json_response(_render_book(app.store, _book(app.store, book_id)))


def update_address_book(app: SandboxApp, request: Request, book_id: str) -> Response:
    store = app.store
    with store.lock:
        book = _book(store, book_id)
        name, visibility = _book_fields(request.json(), book)
        _check_unique_name(store, name, except_id=book.id)
        book.name, book.visibility = name, visibility
        store.touch()
        return json_response(_render_book(store, book))


def delete_address_book(app: SandboxApp, request: Request, book_id: str) -> Response:
    store = app.store
    with store.lock:
        book = _book(store, book_id)
        del store.books[book.id]
        store.book_added.pop(book.id, None)
        store.book_removed.pop(book.id, None)
        store.touch()
    return Response(204, b"", "text/plain")


def _contact_page(store: Store, view, request: Request, full: bool) -> Response:
    select, skip = request.paging()
    ids = view.page(skip, select)
    return Response(200, ("[" + ",".join(store.contact_json(i, full) for i in ids) + "]").encode("utf-8"))


def book_contacts(app: SandboxApp, request: Request, book_id: str) -> Response:
    full = request.flag("withFullData")
    store = app.store
    with store.lock:
        book = _book(store, book_id)
        return _contact_page(store, store.book_contacts(book.id), request, full)


def book_contacts_modified_since(app: SandboxApp, request: Request, book_id: str, date: str) -> Response:
    full = request.flag("withFullData")
    since = parse_path_date(date)
    store = app.store
    with store.lock:
        book = _book(store, book_id)
        return _contact_page(store, store.book_contacts(book.id, since), request, full)


def book_unsubscribed_since(app: SandboxApp, request: Request, book_id: str, date: str) -> Response:
    since = parse_path_date(date)
    select, skip = request.paging()
    store = app.store
    with store.lock:
        book = _book(store, book_id)
        ids = store.book_unsubscribed_since(book.id, since).page(skip, select)
        return json_response([store.render_suppression(i) for i in ids])


def _contact_fields(store: Store, body: Any) -> tuple[str, dict[str, Any], str | None, str | None]:
    if not isinstance(body, dict):
        raise ApiError(400, "The contact must be a JSON object. ERROR_CONTACT_INVALID")
    email = lookup(body, "email")
    if not isinstance(email, str) or not EMAIL_RE.match(email.strip()):
        raise ApiError(400, "Email is not a valid email address. ERROR_PARAMETER_INVALID")
    fields: dict[str, Any] = {}
    data_fields = lookup(body, "dataFields", default=None) or []
    if not isinstance(data_fields, list):
        raise ApiError(400, "dataFields must be a list of key/value pairs. ERROR_CONTACT_INVALID")
    for item in data_fields:
        key = lookup(item, "key")
        if not isinstance(key, str) or key.upper() not in store.fields:
            raise ApiError(400, f"Data field {key!r} does not exist. ERROR_DATAFIELD_NOTFOUND")
        field_type = store.fields[key.upper()].type
        value = lookup(item, "value")
        if not value_fits(field_type, value):
            raise ApiError(
                400, f"The value of data field {key!r} is not a valid {field_type} value. ERROR_PARAMETER_INVALID"
            )
        fields[key.upper()] = normalise_value(field_type, value)
    opt_in = lookup(body, "optInType")
    email_type = lookup(body, "emailType")
    return (
        email.strip(),
        fields,
        enum_value(opt_in, OPT_IN_TYPES, "optInType", "ERROR_CONTACT_INVALID") if opt_in not in (None, "") else None,
        enum_value(email_type, EMAIL_TYPES, "emailType", "ERROR_CONTACT_INVALID")
        if email_type not in (None, "")
        else None,
    )


def _upsert(store: Store, body: Any):
    email, fields, opt_in, email_type = _contact_fields(store, body)
    existing = store.contact_by_email(email)
    if existing is not None and existing.status not in ("Subscribed", "PendingOptIn", "SoftBounced"):
        raise ApiError(400, "Contact is suppressed. ERROR_CONTACT_SUPPRESSED")
    state, _ = store.upsert(email, fields, opt_in, email_type)
    return state


def add_contact_to_book(app: SandboxApp, request: Request, book_id: str) -> Response:
    body = request.json()
    store = app.store
    with store.lock:
        book = _book(store, book_id)
        state = _upsert(store, body)
        store.add_to_book(book.id, state.id)
        return json_response(store.render_contact(state.id, True))


def create_contact(app: SandboxApp, request: Request) -> Response:
    body = request.json()
    store = app.store
    with store.lock:
        state = _upsert(store, body)
        return json_response(store.render_contact(state.id, True), 201)


def remove_contact_from_book(app: SandboxApp, request: Request, book_id: str, contact_id: str) -> Response:
    store = app.store
    with store.lock:
        book = _book(store, book_id)
        number = _int(contact_id, "ERROR_CONTACT_INVALID", "contact id")
        if store.contact(number) is None:
            raise ApiError(404, "Error: ERROR_CONTACT_NOT_FOUND")
        store.remove_from_book(book.id, number)
    return Response(204, b"", "text/plain")


def remove_contacts_from_book(app: SandboxApp, request: Request, book_id: str) -> Response:
    body = request.json()
    if not isinstance(body, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in body):
        raise ApiError(400, "The body must be a JSON array of contact ids. ERROR_PARAMETER_INVALID")
    store = app.store
    with store.lock:
        book = _book(store, book_id)
        for contact_id in body:
            if store.contact(contact_id) is not None:
                store.remove_from_book(book.id, contact_id)
        deletion_id = str(uuid.uuid4())
        store.deletions[deletion_id] = "Completed"
    return json_response({"id": deletion_id, "status": "Started"}, 202)


def deletion_status(app: SandboxApp, request: Request, deletion_id: str) -> Response:
    with app.store.lock:
        status = app.store.deletions.get(deletion_id.lower())
    if status is None:
        raise ApiError(404, "Error: ERROR_DELETION_REQUEST_NOT_FOUND")
    return json_response({"id": deletion_id.lower(), "status": status})


# -- contacts --------------------------------------------------------------------------------------------------


def list_contacts(app: SandboxApp, request: Request) -> Response:
    full = request.flag("withFullData")
    store = app.store
    with store.lock:
        return _contact_page(store, store.all_contacts(), request, full)


def count_contacts(app: SandboxApp, request: Request) -> Response:
    with app.store.lock:
        return json_response(len(app.store.all_contacts()))


def get_contact(app: SandboxApp, request: Request, identifier: str) -> Response:
    store = app.store
    with store.lock:
        if re.fullmatch(r"-?\d+", identifier):
            state = store.contact(_int(identifier, "ERROR_CONTACT_INVALID", "contact id"))
        else:
            state = store.contact_by_email(identifier)
        if state is None:
            raise ApiError(404, "Error: ERROR_CONTACT_NOT_FOUND")
        return json_response(store.render_contact(state.id, True))


def since(app: SandboxApp, request: Request, kind: str, date: str) -> Response:
    kind = kind.lower()
    moment = parse_path_date(date)
    full = request.flag("withFullData") if kind in ("modified", "created") else False
    select, skip = request.paging()
    store = app.store
    with store.lock:
        ids = store.contacts_since(moment, kind).page(skip, select)
        if kind in ("modified", "created"):
            return Response(200, ("[" + ",".join(store.contact_json(i, full) for i in ids) + "]").encode("utf-8"))
        return json_response([store.render_suppression(i) for i in ids])
