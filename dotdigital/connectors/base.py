"""What the Dotdigital connectors share: paging ahead of the writes, and reading Dotdigital's loose JSON."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from integrations.sync import Connector, SyncContext

EPOCH = datetime(1971, 1, 1, tzinfo=UTC)  # "since the beginning" for Dotdigital's since-date calls
_DONE = object()


class DotdigitalConnector(Connector):
    """A connector of the Dotdigital type; `installation(context)` is the integration's installation."""

    @staticmethod
    def installation(context: SyncContext):
        return context.installation


def prefetched(pages: Iterable[list[dict[str, Any]]]) -> Iterator[tuple[list[dict[str, Any]], bool]]:
    """Yield (page, is_last) while a thread already fetches the next page, so the network wait of page n+1
    overlaps the writes of page n. At most one page waits in memory; errors of the fetch are raised here."""
    slot: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def fetch() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        slot.put(page, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slot.put(_DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which raises it
            slot.put(error)

    thread = threading.Thread(target=fetch, name="dotdigital-prefetch", daemon=True)
    thread.start()
    try:
        current = slot.get()
        while True:
            if isinstance(current, BaseException):
                raise current
            if current is _DONE:
                return
            following = slot.get()
            if isinstance(following, BaseException):
                # The page in hand is good: write it before failing, so the next run starts after it.
                yield current, False
                raise following
            yield current, following is _DONE
            current = following
    finally:
        stop.set()
        thread.join(timeout=5)


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
    for item in field(row, "dataFields") or []:
        if isinstance(item, dict):
            key = field(item, "key")
            if isinstance(key, str) and key:
                values[key.upper()] = field(item, "value")
    return values


def text(value: Any, limit: int) -> str:
    return "" if value is None else str(value)[:limit]
