"""Fetching ahead of the writes: `prefetched` for one listing, `streams_ahead` for independent ones in parallel."""

from __future__ import annotations

import threading
import time

import pytest

from dotdigital.connectors.base import prefetched, streams_ahead


def test_prefetched_yields_every_page_with_the_last_marked_and_raises_after_the_good_pages():
    assert list(prefetched(iter([[1], [2], [3]]))) == [([1], False), ([2], False), ([3], True)]

    def failing():
        yield [1]
        raise RuntimeError("call failed")

    seen = []
    with pytest.raises(RuntimeError, match="call failed"):
        for page, is_last in prefetched(failing()):
            seen.append((page, is_last))
    assert seen == [([1], False)]


class RecordingClient:
    """Stands for a DotdigitalClient: records which threads use it at the same time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.users: set[int] = set()
        self.shared = False
        self.lock = threading.Lock()

    def pages(self, key: int, count: int):
        with self.lock:
            if self.users:
                self.shared = True
            self.users.add(threading.get_ident())
        try:
            for number in range(count):
                time.sleep(0.01)
                yield [f"{key}-{number}"]
        finally:
            with self.lock:
                self.users.discard(threading.get_ident())


def test_streams_ahead_keeps_their_order_overlaps_them_and_never_shares_a_client():
    clients = [RecordingClient(f"c{n}") for n in range(3)]
    in_flight, most = [0], [0]
    lock = threading.Lock()

    def opener(key):
        def open_listing(client):
            with lock:
                in_flight[0] += 1
                most[0] = max(most[0], in_flight[0])
            yield from client.pages(key, 3)
            with lock:
                in_flight[0] -= 1

        return open_listing

    written = []
    for key, pages in streams_ahead(((key, opener(key)) for key in range(8)), clients):
        for page, is_last in pages:
            written.append((key, page[0], is_last))
    assert [row[:2] for row in written] == [(k, f"{k}-{n}") for k in range(8) for n in range(3)]
    assert [row[2] for row in written] == [False, False, True] * 8
    assert not any(client.shared for client in clients)
    assert 1 < most[0] <= len(clients)


def test_streams_ahead_raises_a_listing_error_in_order_and_stops_the_others():
    clients = [RecordingClient("a"), RecordingClient("b")]

    def broken(client):
        yield ["ok"]
        raise RuntimeError("campaign 2 failed")

    streams = [(1, lambda c: c.pages(1, 2)), (2, broken), (3, lambda c: c.pages(3, 50))]
    written = []
    with pytest.raises(RuntimeError, match="campaign 2 failed"):
        for key, pages in streams_ahead(streams, clients):
            for page, _ in pages:
                written.append((key, page[0]))
    assert written == [(1, "1-0"), (1, "1-1"), (2, "ok")]
