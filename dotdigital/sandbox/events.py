"""The individual opens and clicks of a sent campaign, computed a page at a time from the seed.

The openers of a campaign (its recipients among `Store.openers_seeded`) are numbered by rank. Each block of
BLOCK consecutive ranks gets one of SHUFFLES fixed shuffles of a multiset of open counts (and of click counts),
chosen by the block's seeded hash, so a block always holds the same number of events: the number of events
before any rank is a closed formula plus a scan of at most one block. That is what lets `skip` land anywhere
among millions of events without building them.

Within a contact, events are in date order; contacts are in id order. A contact's opens lie between its first
and last open of the activity summary, each click shortly after one of its opens. Events added while the
sandbox runs (`Store.extra_events`, dated "now") come after all the seeded ones.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import count
from typing import Any, NamedTuple

from dotdigital.sandbox.seeded import Progression, mix, seeded_hash

BLOCK = 20
OPENS_MULTISET = (1,) * 5 + (2,) * 5 + (3,) * 5 + (4,) * 5  # 50 opens in every block of 20 openers
CLICKS_MULTISET = (0,) * 7 + (1,) * 7 + (2,) * 6  # 19 clicks by 13 clickers in every block
SPREAD = 3600  # seconds between a contact's first and last open, at most
CLICK_DELAY = 55  # a click follows its open by 5 to 54 seconds
MAIL_CLIENTS = (
    ("Gmail", "", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0"),
    ("Apple Mail", "16.0", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko)"),
    ("Outlook", "2021", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)"),
    ("iOS Mail", "17.4", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15"),
)
SHUFFLES = 256  # a block takes one of this many fixed shuffles, chosen by its hash: no per-block shuffling
_SHUFFLER = random.Random(20250601)  # noqa: S311 - seeded data, not security
OPENS_BLOCKS = tuple(tuple(_SHUFFLER.sample(OPENS_MULTISET, BLOCK)) for _ in range(SHUFFLES))
CLICKS_BLOCKS = tuple(tuple(_SHUFFLER.sample(CLICKS_MULTISET, BLOCK)) for _ in range(SHUFFLES))
LINKS = (("shop", "Shop now"), ("offers", "See the offers"), ("blog", "Read more"), ("account", "Your account"))


class ContactEvents(NamedTuple):
    """One opener's seeded events: open dates, and (date, url, keyword) of each click, as epoch seconds."""

    contact_id: int
    first: int
    last: int
    opens: tuple[int, ...]
    clicks: tuple[tuple[int, str, str], ...]
    h: int


class CampaignEvents:
    """The seeded opens and clicks of one sent campaign (see the module docstring)."""

    def __init__(
        self,
        seed: int,
        index: int,
        topic: str,
        openers: Progression,
        sent_epoch: int,
        last_epoch: Callable[[int], int],
    ) -> None:
        self.seed = seed
        self.sent_epoch = sent_epoch
        self.index = index
        self.openers = openers
        self.size = len(openers)
        self.last_epoch = last_epoch
        slug = topic.lower().replace(" ", "-")
        self.urls = tuple(
            (f"https://shop.sandbox.example.com/{path}/{slug}?utm_campaign={index}", keyword) for path, keyword in LINKS
        )
        self.block_key = mix(seed, 31, index)
        self.contact_key = mix(seed, 29, index)
        self._boundaries: dict[tuple[str, float], tuple[list[tuple[int, int, int]], int, int]] = {}

    # -- counts per rank -------------------------------------------------------------------------------------

    def _block(self, kind: str, b: int) -> tuple[int, ...]:
        if kind == "opens":
            return OPENS_BLOCKS[seeded_hash(self.block_key, b) % SHUFFLES]
        return CLICKS_BLOCKS[(seeded_hash(self.block_key, b) >> 16) % SHUFFLES]

    def count_at(self, kind: str, rank: int) -> int:
        return self._block(kind, rank // BLOCK)[rank % BLOCK]

    def before(self, kind: str, rank: int) -> int:
        """Events of the openers of rank < rank."""
        b, rest = divmod(rank, BLOCK)
        return b * sum(OPENS_MULTISET if kind == "opens" else CLICKS_MULTISET) + sum(self._block(kind, b)[:rest])

    def total(self, kind: str) -> int:
        return self.before(kind, self.size)

    def clickers(self) -> int:
        b, rest = divmod(self.size, BLOCK)
        per_block = sum(1 for value in CLICKS_MULTISET if value)
        return b * per_block + sum(1 for value in self._block("clicks", b)[:rest] if value)

    def rank_of(self, contact_id: int) -> int | None:
        return self.openers.count_le(contact_id) - 1 if contact_id in self.openers else None

    def nth(self, rank: int) -> int:
        lo, hi = self.openers.lo, self.openers.hi
        while lo < hi:
            mid = (lo + hi) // 2
            if self.openers.count_le(mid) > rank:
                hi = mid
            else:
                lo = mid + 1
        return lo

    # -- one contact -----------------------------------------------------------------------------------------

    def contact(self, contact_id: int, rank: int) -> ContactEvents:
        h = seeded_hash(self.contact_key, contact_id)
        b, p = divmod(rank, BLOCK)
        block_hash = seeded_hash(self.block_key, b)
        k = OPENS_BLOCKS[block_hash % SHUFFLES][p]
        c = CLICKS_BLOCKS[(block_hash >> 16) % SHUFFLES][p]
        last = self.last_epoch(contact_id)
        if k > 1:
            # Never before the send: the first opens of the earliest contacts are squeezed after it.
            first = last - min(h % SPREAD, last - self.sent_epoch - 30)
            first = min(first, last - (k - 1))  # a second apart at least: no two opens of a contact at one instant
            opens = tuple(first + (last - first) * j // (k - 1) for j in range(k))
        else:
            first, opens = last, (last,)
        if not c:
            return ContactEvents(contact_id, first, last, opens, (), h)
        urls = self.urls
        clicks = [
            (opens[min(j, k - 1)] + 5 + (h >> (16 + 4 * j)) % (CLICK_DELAY - 5), *urls[(h >> (24 + 3 * j)) % len(urls)])
            for j in range(c)
        ]
        if c > 1:
            clicks.sort()
            for j in range(1, c):  # one instant, one click: a later click moves on a second
                if clicks[j][0] <= clicks[j - 1][0]:
                    clicks[j] = (clicks[j - 1][0] + 1, *clicks[j][1:])
        return ContactEvents(contact_id, first, last, opens, tuple(clicks), h)

    def first_contact_after(self, epoch: float) -> int:
        """The smallest contact id whose last open is after `epoch` (last opens grow with the id)."""
        lo, hi = self.openers.lo, self.openers.hi + 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.last_epoch(mid) > epoch:
                hi = mid
            else:
                lo = mid + 1
        return lo

    # -- pages -----------------------------------------------------------------------------------------------

    @staticmethod
    def _dates(kind: str, events: ContactEvents) -> list[int]:
        return list(events.opens) if kind == "opens" else [click[0] for click in events.clicks]

    def _boundary(self, kind: str, since: float) -> tuple[list[tuple[int, int, int]], int, int]:
        """For a since-date: the contacts with some but maybe not all events after `since`, as (rank, first event
        after, events after), their number of events after, and the rank from which every event is after."""
        key = (kind, since)
        cached = self._boundaries.get(key)
        if cached is not None:
            return cached
        lo_id = self.first_contact_after(since - CLICK_DELAY)
        hi_id = self.first_contact_after(since + SPREAD - 1)
        start = self.openers.count_le(lo_id - 1)
        end = self.openers.count_le(hi_id - 1)
        rows: list[tuple[int, int, int]] = []
        total = 0
        for rank, contact_id in zip(range(start, end), self.openers.iter_from(lo_id), strict=False):
            dates = self._dates(kind, self.contact(contact_id, rank))
            after = [j for j, date in enumerate(dates) if date > since]
            if after:
                rows.append((rank, after[0], len(after)))
                total += len(after)
        if len(self._boundaries) > 64:
            self._boundaries.clear()
        self._boundaries[key] = (rows, total, end)
        return rows, total, end

    def _walk(self, kind: str, rank: int, skip_in_first: int) -> Iterator[tuple[ContactEvents, int]]:
        """(contact, event index) from the event `skip_in_first` of the opener at `rank` to the last event."""
        if rank >= self.size:
            return
        for r, contact_id in zip(count(rank), self.openers.iter_from(self.nth(rank)), strict=False):
            if r >= self.size:
                return
            events = self.contact(contact_id, r)
            for j in range(skip_in_first if r == rank else 0, len(self._dates(kind, events))):
                yield events, j

    def seeded_page(self, kind: str, skip: int, select: int, since: float | None) -> tuple[list, int]:
        """(contact events, event index) pairs of one page of seeded events, and how many seeded events match."""
        if since is None:
            boundary, boundary_total, full_from = [], 0, 0
        else:
            boundary, boundary_total, full_from = self._boundary(kind, since)
        matching = boundary_total + self.total(kind) - self.before(kind, full_from)
        out: list[tuple[ContactEvents, int]] = []
        if skip >= matching:
            return out, matching
        position = skip
        if position < boundary_total:
            for rank, first_after, after in boundary:
                if position >= after:
                    position -= after
                    continue
                events = self.contact(self.nth(rank), rank)
                for j in range(first_after + position, first_after + after):
                    out.append((events, j))
                    if len(out) == select:
                        return out, matching
                position = 0
            rank, inside = full_from, 0
        else:
            target = self.before(kind, full_from) + position - boundary_total
            rank, inside = self._locate(kind, target)
        for pair in self._walk(kind, rank, inside):
            out.append(pair)
            if len(out) == select:
                break
        return out, matching

    def _locate(self, kind: str, target: int) -> tuple[int, int]:
        """(rank, event index) of the event numbered `target` among all of the campaign's events of `kind`."""
        per_block = sum(OPENS_MULTISET if kind == "opens" else CLICKS_MULTISET)
        b = target // per_block
        seen = b * per_block
        for position, value in enumerate(self._block(kind, b)):
            if seen + value > target:
                return b * BLOCK + position, target - seen
            seen += value
        return self.size, 0


def open_json(email: str, events: ContactEvents, j: int, iso_epoch: Callable[[int], str], html: bool) -> str:
    """An ApiCampaignContactOpen as JSON text, written directly (every value is JSON-safe by construction)."""
    client, version, agent = MAIL_CLIENTS[(events.h >> (40 + j)) % len(MAIL_CLIENTS)]
    return (
        f'{{"contactId":{events.contact_id},"email":"{email}","mailClient":"{client}",'
        f'"mailClientVersion":"{version}","ipAddress":"192.0.2.{events.h % 250 + 1}","userAgent":"{agent}",'
        f'"isHtml":{"true" if html else "false"},"isForward":false,"dateOpened":"{iso_epoch(events.opens[j])}"}}'
    )


def click_json(email: str, events: ContactEvents, j: int, iso_epoch: Callable[[int], str]) -> str:
    """An ApiCampaignContactClick as JSON text, written directly."""
    date, url, keyword = events.clicks[j]
    agent = MAIL_CLIENTS[(events.h >> 40) % len(MAIL_CLIENTS)][2]
    return (
        f'{{"contactId":{events.contact_id},"email":"{email}","url":"{url}",'
        f'"ipAddress":"192.0.2.{events.h % 250 + 1}","userAgent":"{agent}","dateClicked":"{iso_epoch(date)}",'
        f'"keyword":"{keyword}"}}'
    )


@dataclass(frozen=True)
class ExtraEvent:
    """An open or click added while the sandbox runs (by `/_sandbox/change`)."""

    contact_id: int
    kind: str  # "opens" | "clicks"
    at: datetime
    url: str | None = None
    keyword: str | None = None

    def render(self, email: str, iso: Callable[[datetime], str], html: bool) -> dict[str, Any]:
        if self.kind == "opens":
            client, version, agent = MAIL_CLIENTS[self.contact_id % len(MAIL_CLIENTS)]
            return {
                "contactId": self.contact_id,
                "email": email,
                "mailClient": client,
                "mailClientVersion": version,
                "ipAddress": "198.51.100.7",
                "userAgent": agent,
                "isHtml": html,
                "isForward": False,
                "dateOpened": iso(self.at),
            }
        return {
            "contactId": self.contact_id,
            "email": email,
            "url": self.url,
            "ipAddress": "198.51.100.7",
            "userAgent": MAIL_CLIENTS[self.contact_id % len(MAIL_CLIENTS)][2],
            "dateClicked": iso(self.at),
            "keyword": self.keyword,
        }
