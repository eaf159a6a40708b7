"""The sandbox's account: seeded contacts, address books, campaigns and data fields, plus what changed.

Seeded contact i (1 <= i <= N) is computed from (seed, i) whenever it is needed; only contacts that were
changed, added or deleted after start-up are held in memory.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dotdigital.sandbox.config import SandboxConfig
from dotdigital.sandbox.seeded import Progression, View, mix, seeded_hash
from dotdigital.sandbox.words import BOOK_NAMES, FIRST_NAMES, LAST_NAMES

ANCHOR = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)  # seeded history ends here; changes made at run time are "now"
DOMAINS = ("example.com", "example.org", "example.net")
OPT_IN_TYPES = ("Single", "Single", "Single", "Double", "VerifiedDouble", "Unknown")
SUPPRESSION_MODULUS = 100
UNSUBSCRIBED_RESIDUES = (7, 41, 77)
OTHER_SUPPRESSIONS = {19: "HardBounced", 63: "IspComplained", 88: "MailBlocked"}
SUBSCRIBED_LIKE = ("Subscribed", "PendingOptIn", "SoftBounced")
DEFAULT_FIELDS = (
    ("FIRSTNAME", "String"),
    ("LASTNAME", "String"),
    ("FULLNAME", "String"),
    ("GENDER", "String"),
    ("POSTCODE", "String"),
    ("LASTSUBSCRIBED", "Date"),
)
DEFAULT_FIELD_KEYS = frozenset(name for name, _type in DEFAULT_FIELDS)
LOWER_NAMES = {name: name.lower() for name in (*FIRST_NAMES, *LAST_NAMES)}
GENDERS = ("Female", "Male", None)
POSTCODE_AREAS = "ABCDEFGHKLMNPRSTW"
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
# Default fields Dotdigital will not delete (reference §6 names ADDRESS too, which this account does not have).
RESERVED_FIELDS = frozenset({"FIRSTNAME", "LASTNAME", "FULLNAME", "GENDER", "POSTCODE", "LASTSUBSCRIBED", "ADDRESS"})
BOOK_ID_BASE = 1000
CAMPAIGN_ID_BASE = 2000


def iso(moment: datetime) -> str:
    """Dotdigital's date-time format: UTC, milliseconds, Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class ContactState:
    """A contact whose state differs from (or is not in) the seeded data."""

    id: int
    email: str
    opt_in_type: str
    email_type: str
    status: str
    fields: dict[str, Any]
    created: datetime
    modified: datetime
    removed: datetime | None = None


@dataclass
class AddressBook:
    id: int
    name: str
    visibility: str
    seeded: Progression


@dataclass
class DataField:
    name: str
    type: str
    visibility: str
    default: Any = None


@dataclass
class ImportJob:
    id: str
    book_id: int | None
    header: list[str]
    rows: list[dict[str, str]]
    due: float
    status: str = "NotFinished"
    report: dict[str, int] = field(default_factory=dict)
    faults: list[tuple[str, dict[str, str]]] = field(default_factory=list)


class Store:
    """The account's data. All access goes through one lock (the server is threaded)."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.version = 0
        n = config.contacts
        self.n = n
        self.interval = max(1, min(600, int(730 * 86400 / max(n, 1))))
        self.start = ANCHOR - timedelta(seconds=self.interval * (n + 1))
        self.start_epoch = int(self.start.timestamp())
        self.contact_key = mix(config.seed, 1)
        self.modified_key = mix(config.seed, 3)
        self._days: dict[int, str] = {}
        self._clock: dict[int, str] = {}
        self._extra_fields_json = ""
        self._extra_fields_version = -1
        self.changed: dict[int, ContactState] = {}
        self.deleted: set[int] = set()
        self.email_index: dict[str, int] = {}  # emails of changed/added contacts
        self.next_contact_id = n + 1
        self.books: dict[int, AddressBook] = {}
        self.book_added: dict[int, set[int]] = {}
        self.book_removed: dict[int, set[int]] = {}
        for k in range(1, config.address_books + 1):
            book_id = BOOK_ID_BASE + k
            if k == 1:
                seeded = Progression(1, n)
            else:
                modulus = 2 + (k - 2) % 9
                seeded = Progression(1, n, modulus, (mix(config.seed, 11, k) % modulus,))
            name = BOOK_NAMES[(k - 1) % len(BOOK_NAMES)] + ("" if k <= len(BOOK_NAMES) else f" {k}")
            self.books[book_id] = AddressBook(book_id, name, "Public" if k % 2 else "Private", seeded)
        self.next_book_id = BOOK_ID_BASE + config.address_books + 1
        self.fields: dict[str, DataField] = {
            name.upper(): DataField(name, type_, "Public") for name, type_ in DEFAULT_FIELDS
        }
        self.unsubscribed_seeded = Progression(1, n, SUPPRESSION_MODULUS, UNSUBSCRIBED_RESIDUES)
        self.suppressed_seeded = Progression(
            1, n, SUPPRESSION_MODULUS, tuple(sorted((*UNSUBSCRIBED_RESIDUES, *OTHER_SUPPRESSIONS)))
        )
        self.openers_seeded = Progression(1, n, 5, (1, 2, 3, 4))
        self.imports: dict[str, ImportJob] = {}
        self.deletions: dict[str, str] = {}
        self.change_cursor = 0
        # Opens and clicks added while running, by campaign index (seeded ones are computed: sandbox/events.py).
        self.extra_events: dict[int, list[Any]] = {}
        self.campaign_events: dict[int, Any] = {}
        self._views: OrderedDict[tuple, View] = OrderedDict()

    def touch(self) -> None:
        self.version += 1
        self._views.clear()

    # -- seeded contacts ---------------------------------------------------------------------------------------

    def created_epoch(self, i: int) -> int:
        return self.start_epoch + self.interval * i

    def created_of(self, i: int) -> datetime:
        return datetime.fromtimestamp(self.created_epoch(i), tz=UTC)

    def modified_of(self, i: int) -> datetime:
        jitter = seeded_hash(self.modified_key, i) % self.interval  # < interval, so dates still grow with the id
        return datetime.fromtimestamp(self.created_epoch(i) + jitter, tz=UTC)

    def first_seeded_since(self, moment: datetime, modified: bool = True) -> int:
        """The smallest seeded id whose modified (or created) date is >= moment (dates grow with the id)."""
        lo, hi = 1, self.n + 1
        date_of = self.modified_of if modified else self.created_of
        while lo < hi:
            mid = (lo + hi) // 2
            if date_of(mid) >= moment:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def iso_epoch(self, epoch: int) -> str:
        day, rest = divmod(epoch, 86400)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = datetime.fromtimestamp(day * 86400, tz=UTC).strftime("%Y-%m-%d")
        clock = self._clock.get(rest)  # at most 86,400 entries: bounded
        if clock is None:
            clock = self._clock[rest] = f"T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}.000Z"
        return prefix + clock

    def seeded_status(self, i: int) -> str:
        residue = i % SUPPRESSION_MODULUS
        if residue in UNSUBSCRIBED_RESIDUES:
            return "Unsubscribed"
        return OTHER_SUPPRESSIONS.get(residue, "Subscribed")

    def seeded_parts(self, i: int) -> tuple[str, str, str, str, str, str | None, str]:
        """(first, last, email, optInType, emailType, gender, postcode) of seeded contact i."""
        h = seeded_hash(self.contact_key, i)
        first, last = FIRST_NAMES[h % 50], LAST_NAMES[(h >> 8) % 50]
        return (
            first,
            last,
            f"{LOWER_NAMES[first]}.{LOWER_NAMES[last]}.{i}@{DOMAINS[(h >> 16) % 3]}",
            OPT_IN_TYPES[(h >> 20) % 6],
            "PlainText" if (h >> 24) % 5 == 0 else "Html",
            GENDERS[(h >> 28) % 3],
            f"{POSTCODE_AREAS[(h >> 32) % 17]}{(h >> 36) % 20 + 1} {(h >> 42) % 10}"
            f"{POSTCODE_LETTERS[(h >> 46) % 20]}{POSTCODE_LETTERS[(h >> 52) % 20]}",
        )

    def seeded_email(self, i: int) -> str:
        return self.seeded_parts(i)[2]

    def seeded_email_html(self, i: int) -> tuple[str, bool]:
        """(email, emailType is Html) of seeded contact i: the part of `seeded_parts` an event row needs."""
        h = seeded_hash(self.contact_key, i)
        email = (
            f"{LOWER_NAMES[FIRST_NAMES[h % 50]]}.{LOWER_NAMES[LAST_NAMES[(h >> 8) % 50]]}.{i}@{DOMAINS[(h >> 16) % 3]}"
        )
        return email, (h >> 24) % 5 != 0

    def seeded_state(self, i: int) -> ContactState:
        first, last, email, opt_in, email_type, gender, postcode = self.seeded_parts(i)
        status = self.seeded_status(i)
        modified = self.modified_of(i)
        return ContactState(
            id=i,
            email=email,
            opt_in_type=opt_in,
            email_type=email_type,
            status=status,
            fields={
                "FIRSTNAME": first,
                "LASTNAME": last,
                "FULLNAME": f"{first} {last}",
                "GENDER": gender,
                "POSTCODE": postcode,
                "LASTSUBSCRIBED": self.iso_epoch(self.created_epoch(i)),
            },
            created=self.created_of(i),
            modified=modified,
            removed=modified if status not in SUBSCRIBED_LIKE else None,
        )

    def seeded_json(self, i: int, full: bool) -> str:
        """Seeded contact i as JSON text, written directly: every value comes from fixed, JSON-safe lists."""
        first, last, email, opt_in, email_type, gender, postcode = self.seeded_parts(i)
        if full:
            if self._extra_fields_version != self.version:
                self._extra_fields_json = "".join(
                    "," + json.dumps({"key": f.name, "value": f.default}, separators=(",", ":"))
                    for key, f in self.fields.items()
                    if key not in DEFAULT_FIELD_KEYS
                )
                self._extra_fields_version = self.version
            gender_json = "null" if gender is None else f'"{gender}"'
            data = (
                f'[{{"key":"FIRSTNAME","value":"{first}"}},{{"key":"LASTNAME","value":"{last}"}},'
                f'{{"key":"FULLNAME","value":"{first} {last}"}},{{"key":"GENDER","value":{gender_json}}},'
                f'{{"key":"POSTCODE","value":"{postcode}"}},'
                f'{{"key":"LASTSUBSCRIBED","value":"{self.iso_epoch(self.created_epoch(i))}"}}'
                f"{self._extra_fields_json}]"
            )
        else:
            data = "null"
        return (
            f'{{"id":{i},"email":"{email}","optInType":"{opt_in}","emailType":"{email_type}",'
            f'"dataFields":{data},"status":"{self.seeded_status(i)}"}}'
        )

    def contact_json(self, contact_id: int, full: bool) -> str:
        if contact_id in self.changed or contact_id > self.n:
            return json.dumps(self.render_contact(contact_id, full), separators=(",", ":"), ensure_ascii=False)
        return self.seeded_json(contact_id, full)

    def contact(self, contact_id: int) -> ContactState | None:
        """The current state of a contact, or None if it does not exist."""
        if contact_id in self.deleted:
            return None
        state = self.changed.get(contact_id)
        if state is not None:
            return state
        if 1 <= contact_id <= self.n:
            return self.seeded_state(contact_id)
        return None

    def contact_by_email(self, email: str) -> ContactState | None:
        email = email.strip().lower()
        contact_id = self.email_index.get(email)
        if contact_id is not None:
            return self.contact(contact_id)
        local, _, _domain = email.partition("@")
        number = local.rpartition(".")[2]
        if number.isdigit():
            i = int(number)
            if 1 <= i <= self.n and i not in self.changed and i not in self.deleted and self.seeded_email(i) == email:
                return self.seeded_state(i)
        return None

    # -- rendering ---------------------------------------------------------------------------------------------

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields.values()]

    def render_contact(self, contact_id: int, full: bool) -> dict[str, Any] | None:
        state = self.contact(contact_id)
        if state is None:
            return None
        data = None
        if full:
            values = {key.upper(): value for key, value in state.fields.items()}
            data = [{"key": f.name, "value": values.get(f.name.upper(), f.default)} for f in self.fields.values()]
        return {
            "id": state.id,
            "email": state.email,
            "optInType": state.opt_in_type,
            "emailType": state.email_type,
            "dataFields": data,
            "status": state.status,
        }

    def render_suppression(self, contact_id: int) -> dict[str, Any] | None:
        state = self.contact(contact_id)
        if state is None:
            return None
        return {
            "suppressedContact": {
                "id": state.id,
                "email": state.email,
                "optInType": state.opt_in_type,
                "emailType": state.email_type,
                "dataFields": None,
                "status": state.status,
            },
            "dateRemoved": iso(state.removed or state.modified),
            "reason": state.status,
        }

    # -- views -------------------------------------------------------------------------------------------------

    def is_member(self, book_id: int, contact_id: int) -> bool:
        if contact_id in self.book_added.get(book_id, ()):
            return True
        book = self.books[book_id]
        return contact_id in book.seeded and contact_id not in self.book_removed.get(book_id, ())

    def view(self, key: tuple, base: Progression, matches: Callable[[ContactState], bool], book_id: int | None = None):
        """A View over `base`, corrected for every contact whose state differs from the seed."""
        cached = self._views.get(key)
        if cached is not None:
            self._views.move_to_end(key)
            return cached
        dirty = set(self.changed) | self.deleted
        if book_id is not None:
            dirty |= self.book_added.get(book_id, set()) | self.book_removed.get(book_id, set())
        excluded = sorted(i for i in dirty if i in base)
        extra = []
        for i in sorted(dirty):
            state = self.contact(i)
            if state is not None and (book_id is None or self.is_member(book_id, i)) and matches(state):
                extra.append(i)
        view = View(base, excluded, extra)
        self._views[key] = view
        if len(self._views) > 128:
            self._views.popitem(last=False)
        return view

    def all_contacts(self) -> View:
        return self.view(("all",), Progression(1, self.n), lambda s: True)

    def book_contacts(self, book_id: int, since: datetime | None = None) -> View:
        base = self.books[book_id].seeded
        if since is None:
            return self.view(("book", book_id), base, lambda s: True, book_id)
        base = base.clamp(self.first_seeded_since(since), self.n)
        return self.view(("book-mod", book_id, since), base, lambda s: s.modified >= since, book_id)

    def contacts_since(self, since: datetime, kind: str) -> View:
        """kind: modified | created | unsubscribed | suppressed."""
        start = self.first_seeded_since(since, modified=kind != "created")
        if kind == "modified":
            return self.view((kind, since), Progression(start, self.n), lambda s: s.modified >= since)
        if kind == "created":
            return self.view((kind, since), Progression(start, self.n), lambda s: s.created >= since)
        seeded = self.unsubscribed_seeded if kind == "unsubscribed" else self.suppressed_seeded
        return self.view((kind, since), seeded.clamp(start, self.n), self._suppressed_matcher(kind, since))

    def book_unsubscribed_since(self, book_id: int, since: datetime) -> View:
        base = self.books[book_id].seeded.intersect(self.unsubscribed_seeded)
        base = base.clamp(self.first_seeded_since(since), self.n)
        return self.view(("book-unsub", book_id, since), base, self._suppressed_matcher("unsubscribed", since), book_id)

    @staticmethod
    def _suppressed_matcher(kind: str, since: datetime) -> Callable[[ContactState], bool]:
        def matches(state: ContactState) -> bool:
            if state.removed is None or state.removed < since:
                return False
            return state.status == "Unsubscribed" if kind == "unsubscribed" else state.status not in SUBSCRIBED_LIKE

        return matches

    def book_size(self, book_id: int) -> int:
        return len(self.book_contacts(book_id))

    # -- changes -----------------------------------------------------------------------------------------------

    def _editable(self, contact_id: int) -> ContactState | None:
        state = self.contact(contact_id)
        if state is not None and contact_id not in self.changed:
            self.changed[contact_id] = state
            self.email_index[state.email] = contact_id
        return state

    def upsert(self, email: str, fields: dict[str, Any], opt_in_type: str | None = None, email_type: str | None = None):
        """Create or update a contact by email; returns (state, created)."""
        now = datetime.now(UTC)
        existing = self.contact_by_email(email)
        if existing is not None:
            state = self._editable(existing.id)
            assert state is not None
            state.fields.update(fields)
            state.opt_in_type = opt_in_type or state.opt_in_type
            state.email_type = email_type or state.email_type
            state.modified = now
            self.touch()
            return state, False
        contact_id = self.next_contact_id
        self.next_contact_id += 1
        state = ContactState(
            id=contact_id,
            email=email.strip().lower(),
            opt_in_type=opt_in_type or "Single",
            email_type=email_type or "Html",
            status="Subscribed",
            fields=dict(fields),
            created=now,
            modified=now,
        )
        self.changed[contact_id] = state
        self.email_index[state.email] = contact_id
        self.touch()
        return state, True

    def add_to_book(self, book_id: int, contact_id: int) -> None:
        self.book_removed.setdefault(book_id, set()).discard(contact_id)
        if contact_id not in self.books[book_id].seeded:
            self.book_added.setdefault(book_id, set()).add(contact_id)
        self.touch()

    def remove_from_book(self, book_id: int, contact_id: int) -> None:
        self.book_added.setdefault(book_id, set()).discard(contact_id)
        if contact_id in self.books[book_id].seeded:
            self.book_removed.setdefault(book_id, set()).add(contact_id)
        self.touch()

    def modify(self, contact_id: int, fields: dict[str, Any] | None = None) -> ContactState | None:
        state = self._editable(contact_id)
        if state is None:
            return None
        state.fields.update(fields or {"POSTCODE": f"SB{self.version % 90 + 10} {contact_id % 10}XY"})
        state.modified = datetime.now(UTC)
        self.touch()
        return state

    def unsubscribe(self, contact_id: int) -> ContactState | None:
        state = self._editable(contact_id)
        if state is None:
            return None
        now = datetime.now(UTC)
        state.status, state.removed, state.modified = "Unsubscribed", now, now
        self.touch()
        return state

    def pick_contacts(self, count: int, subscribed_only: bool = False) -> list[int]:
        """Seed-determined existing contacts for the change endpoint (never the same twice in a row)."""
        picked: list[int] = []
        top = self.next_contact_id - 1
        attempts = 0
        while len(picked) < count and top > 0 and attempts < count * 50 + 100:
            attempts += 1
            self.change_cursor += 1
            candidate = mix(self.config.seed, 97, self.change_cursor) % top + 1
            state = self.contact(candidate)
            if state is None or candidate in picked or (subscribed_only and state.status != "Subscribed"):
                continue
            picked.append(candidate)
        return picked
