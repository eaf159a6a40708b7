"""Handlers of the v2 endpoints: account, address books, contacts, campaigns, data fields."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from dotdigital.sandbox.http import ApiError, Request, Response, enum_value, json_response, lookup, parse_path_date
from dotdigital.sandbox.seeded import Progression, View, mix
from dotdigital.sandbox.store import (
    BOOK_ID_BASE,
    CAMPAIGN_ID_BASE,
    CAMPAIGN_TOPICS,
    RESERVED_FIELDS,
    AddressBook,
    DataField,
    Store,
    iso,
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
        ("Name", "String", config.account_name),
        ("MainEmail", "String", f"owner-{config.account_id}@example.com"),
        ("MainMobilePhoneNumber", "String", ""),
        ("APILocale", "String", "en-GB"),
        ("ApiCallsInLastHour", "Int32", str(calls)),
        ("ApiCallsRemaining", "Int32", str(max(0, 2000 - calls))),
        ("ApiEndpoint", "String", endpoint),
        ("AvailableEmailSendsCredits", "Int32", "50000"),
        ("AvailableSmsSendsCredits", "Int32", "0"),
        ("CurrencyCode", "String", "GBP"),
        ("TimeZoneIana", "String", "Europe/London"),
        ("ShowClock", "Boolean", "False"),
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
        fields[key.upper()] = lookup(item, "value")
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


# -- campaigns -------------------------------------------------------------------------------------------------


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


# -- data fields -----------------------------------------------------------------------------------------------


def _render_field(field: DataField) -> dict[str, Any]:
    return {"name": field.name, "type": field.type, "visibility": field.visibility, "defaultValue": field.default}


def list_data_fields(app: SandboxApp, request: Request) -> Response:
    with app.store.lock:
        return json_response([_render_field(f) for f in app.store.fields.values()])


def _check_default(type_: str, default: Any) -> Any:
    if default is None or default == "":
        return None
    ok = {
        "String": isinstance(default, str | int | float) and not isinstance(default, bool),
        "Numeric": _is_number(default),
        "Date": isinstance(default, str) and _is_date(default),
        "Boolean": isinstance(default, bool) or str(default).lower() in ("true", "false"),
    }[type_]
    if not ok:
        raise ApiError(400, f"The default value is not a valid {type_}. ERROR_DATAFIELD_INVALID")
    if type_ == "Boolean" and not isinstance(default, bool):
        return str(default).lower() == "true"
    return default


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _is_date(value: str) -> bool:
    try:
        parse_path_date(value)
    except ApiError:
        return False
    return True


def create_data_field(app: SandboxApp, request: Request) -> Response:
    body = request.json()
    if not isinstance(body, dict):
        raise ApiError(400, "The data field must be a JSON object. ERROR_DATAFIELD_INVALID")
    name = lookup(body, "name")
    if not isinstance(name, str) or not FIELD_NAME_RE.match(name):
        raise ApiError(400, "The name must be 1 to 20 letters, digits, hyphens or underscores. ERROR_DATAFIELD_INVALID")
    type_ = enum_value(lookup(body, "type"), FIELD_TYPES, "Type", "ERROR_DATAFIELD_INVALID")
    visibility = enum_value(
        lookup(body, "visibility"), VISIBILITIES, "Visibility", "ERROR_DATAFIELD_INVALID", default="Private"
    )
    default = _check_default(type_, lookup(body, "defaultValue"))
    store = app.store
    with store.lock:
        if name.upper() in store.fields:
            raise ApiError(400, "Field already exists. ERROR_NON_UNIQUE_DATAFIELD")
        field = DataField(name, type_, visibility, default)
        store.fields[name.upper()] = field
        store.touch()
        return json_response(_render_field(field), 201)


def delete_data_field(app: SandboxApp, request: Request, name: str) -> Response:
    store = app.store
    with store.lock:
        field = store.fields.get(name.upper())
        if field is None:
            raise ApiError(404, "Error: ERROR_DATAFIELD_NOTFOUND")
        if field.name.upper() in RESERVED_FIELDS:
            return json_response({"dependencies": [], "result": False})
        del store.fields[name.upper()]
        for state in store.changed.values():
            state.fields.pop(field.name.upper(), None)
        store.touch()
    return json_response({"dependencies": None, "result": True})
