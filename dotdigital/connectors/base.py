"""What the Dotdigital connectors share: paging ahead of the writes, and reading Dotdigital's loose JSON."""

from __future__ import annotations

import collections
import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from dotdigital.client import DotdigitalClient
from integrations.sync import Connector, SyncContext

EPOCH = datetime(1971, 1, 1, tzinfo=UTC)  # "since the beginning" for Dotdigital's since-date calls
_DONE = object()


class DotdigitalConnector(Connector):
    """A connector of the Dotdigital type; `installation(context)` is the integration's installation."""

    @staticmethod
    def installation(context: SyncContext):
        return context.installation


class Prefetch:
    """A thread fetching the pages of one listing ahead of its consumer, started at once; iterate it for
    (page, is_last). At most one page waits in memory; errors of the fetch are raised to the consumer, after the
    pages fetched before them. `close()` stops the thread (iteration closes it at its end)."""

    def __init__(self, pages: Iterable[list[dict[str, Any]]]) -> None:
        self._pages = pages
        self._slot: queue.Queue = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fetch, name="dotdigital-prefetch", daemon=True)
        self._thread.start()

    def _offer(self, item: Any) -> bool:
        """Hand `item` to the consumer; False when it stopped listening."""
        while not self._stop.is_set():
            try:
                self._slot.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def _fetch(self) -> None:
        try:
            for page in self._pages:
                if not self._offer(page):
                    return
            self._offer(_DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which raises it
            self._offer(error)

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(queue.Empty):
            self._slot.get_nowait()  # a fetch blocked on a full slot sees the stop at once
        self._thread.join(timeout=5)

    def __iter__(self) -> Iterator[tuple[list[dict[str, Any]], bool]]:
        try:
            current = self._slot.get()
            while True:
                if isinstance(current, BaseException):
                    raise current
                if current is _DONE:
                    return
                following = self._slot.get()
                if isinstance(following, BaseException):
                    # The page in hand is good: write it before failing, so the next run starts after it.
                    yield current, False
                    raise following
                yield current, following is _DONE
                current = following
        finally:
            self.close()


def prefetched(pages: Iterable[list[dict[str, Any]]]) -> Iterator[tuple[list[dict[str, Any]], bool]]:
    """Yield (page, is_last) while a thread already fetches the next page, so the network wait of page n+1
    overlaps the writes of page n. At most one page waits in memory; errors of the fetch are raised here."""
    yield from Prefetch(pages)


def streams_ahead(
    streams: Iterable[tuple[Any, Callable[[DotdigitalClient], Iterable[list[dict[str, Any]]]]]],
    clients: Sequence[DotdigitalClient],
) -> Iterator[tuple[Any, Iterator[tuple[list[dict[str, Any]], bool]]]]:
    """Independent listings (other campaigns, other streams) fetched up to `len(clients)` at a time, consumed in
    their order: yields (key, its pages as `prefetched` gives them). `streams` gives (key, open) where
    `open(client)` starts the listing on a client. Listing n runs on client n modulo the number of clients, and
    starts only once listing n - len(clients) was consumed to its end, so no two threads ever share a client (a
    requests Session is not thread-safe), at most that many calls are in flight (within the rate limit) and at
    most that many pages wait in memory. The consumer (the main thread) does every write, report and heartbeat."""
    width = max(1, len(clients))
    pending = iter(enumerate(streams))
    window: collections.deque[tuple[Any, Prefetch]] = collections.deque()

    def start_next() -> None:
        for number, (key, open_listing) in pending:
            window.append((key, Prefetch(open_listing(clients[number % width]))))
            return

    try:
        for _ in range(width):
            start_next()
        while window:
            key, fetch = window[0]
            yield key, iter(fetch)
            fetch.close()  # consumed (or abandoned by the consumer): its client is free again
            window.popleft()
            start_next()
    finally:
        for _key, fetch in window:
            fetch.close()


def write_pages(
    context: SyncContext,
    pages: Iterable[list[dict[str, Any]]],
    write: Callable[[list[dict[str, Any]]], dict[str, int]],
    *,
    scope: str,
    started: datetime,
) -> None:
    """Write each page in its own transaction and report its counts; the mark of `scope` (the time the listing was
    asked for) is saved in the transaction of the last page, or on its own when the listing was empty."""
    marked = False
    for page, is_last in prefetched(pages):
        with context.atomic():
            counts = write(page)
            if is_last:
                context.save_mark(iso(started), scope)
                marked = True
        context.report(**counts)
    if not marked:
        with context.atomic():
            context.save_mark(iso(started), scope)


def field(row: dict[str, Any], name: str, default: Any = None) -> Any:
    """A key of a Dotdigital JSON object read case-insensitively (its casing is not always consistent)."""
    if name in row:
        return row[name]
    lowered = name.lower()
    for key, value in row.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return default


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def as_datetime(value: Any) -> datetime | None:
    """A Dotdigital date-time (ISO 8601, often without a zone: UTC) as an aware datetime, or None."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def data_fields_of(row: dict[str, Any]) -> dict[str, Any]:
    """`dataFields: [{"key": "FIRSTNAME", "value": "Ann"}, ...]` as {"FIRSTNAME": "Ann"} (null when not full)."""
    values: dict[str, Any] = {}
    items = row["dataFields"] if "dataFields" in row else field(row, "dataFields")
    for item in items or ():
        if not isinstance(item, dict):
            continue
        # The documented spelling first (a page holds thousands of these), any other casing through `field`.
        key = item["key"] if "key" in item else field(item, "key")
        if isinstance(key, str) and key:
            values[key.upper()] = item["value"] if "value" in item else field(item, "value")
    return values


def text(value: Any, limit: int) -> str:
    return "" if value is None else str(value)[:limit]
