"""Seeded data in bounded memory: every seeded record is a pure function of (seed, index).

Sets of seeded ids (the members of an address book, the unsubscribed contacts, the contacts modified since
a date) are `Progression`s: ids in a range whose remainder modulo M is in a set of residues. They can be
counted and intersected in constant time, which is what lets a page at any `skip` of a million contacts be
found without scanning.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

MASK64 = (1 << 64) - 1


def mix(*values: int) -> int:
    """A 64-bit hash of integers (splitmix64 steps): cheap, stable across runs and platforms."""
    x = 0x243F6A8885A308D3
    for value in values:
        x = (x ^ (value & MASK64)) + 0x9E3779B97F4A7C15 & MASK64
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & MASK64
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & MASK64
        x ^= x >> 31
    return x


def seeded_hash(key: int, i: int) -> int:
    """The 64-bit hash of record i under `key`: one splitmix64 step, the hot path of every page."""
    x = (key + i * 0x9E3779B97F4A7C15) & MASK64
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & MASK64
    x = (x ^ (x >> 27)) * 0x94D049BB133111EB & MASK64
    return x ^ (x >> 31)


@dataclass(frozen=True)
class Progression:
    """The ids i with lo <= i <= hi and i % modulus in residues (sorted)."""

    lo: int
    hi: int
    modulus: int = 1
    residues: tuple[int, ...] = (0,)

    @classmethod
    def empty(cls) -> Progression:
        return cls(1, 0)

    def _upto(self, n: int) -> int:
        if n < 0:
            return 0
        full, rest = divmod(n + 1, self.modulus)
        return full * len(self.residues) + bisect_left(self.residues, rest)

    def count_le(self, x: int) -> int:
        if x < self.lo or self.hi < self.lo:
            return 0
        return self._upto(min(x, self.hi)) - self._upto(self.lo - 1)

    def __len__(self) -> int:
        return self.count_le(self.hi)

    def __contains__(self, i: int) -> bool:
        return self.lo <= i <= self.hi and (i % self.modulus) in self.residues

    def iter_from(self, x: int) -> Iterator[int]:
        start = max(x, self.lo)
        if start > self.hi or not self.residues:
            return
        base = start - start % self.modulus
        index = bisect_left(self.residues, start % self.modulus)
        residues, modulus, hi = self.residues, self.modulus, self.hi
        while True:
            if index == len(residues):
                index = 0
                base += modulus
            value = base + residues[index]
            if value > hi:
                return
            yield value
            index += 1

    def clamp(self, lo: int, hi: int) -> Progression:
        return Progression(max(self.lo, lo), min(self.hi, hi), self.modulus, self.residues)

    def intersect(self, other: Progression) -> Progression:
        modulus = math.lcm(self.modulus, other.modulus)
        others = set(other.residues)
        residues = sorted(
            value for r in self.residues for value in range(r, modulus, self.modulus) if value % other.modulus in others
        )
        return Progression(max(self.lo, other.lo), min(self.hi, other.hi), modulus, tuple(residues))


class View:
    """A Progression of seeded ids, minus the ids whose state changed (`excluded`), plus the changed or added
    ids that belong (`extra`). Pages by position in ascending id order."""

    def __init__(self, base: Progression, excluded: list[int], extra: list[int]) -> None:
        self.base = base
        self.excluded = excluded
        self.excluded_set = set(excluded)
        self.extra = extra
        self.max_id = max(base.hi if len(base) else 0, extra[-1] if extra else 0)

    def count_le(self, x: int) -> int:
        return self.base.count_le(x) - bisect_right(self.excluded, x) + bisect_right(self.extra, x)

    def __len__(self) -> int:
        return self.count_le(self.max_id)

    def page(self, skip: int, select: int) -> list[int]:
        if skip >= len(self):
            return []
        lo, hi = 0, self.max_id  # smallest x with count_le(x) > skip
        while lo < hi:
            mid = (lo + hi) // 2
            if self.count_le(mid) > skip:
                hi = mid
            else:
                lo = mid + 1
        out: list[int] = []
        extra_index = bisect_left(self.extra, lo)
        extra, excluded = self.extra, self.excluded_set
        next_extra = extra[extra_index] if extra_index < len(extra) else None
        for value in self.base.iter_from(lo):
            while next_extra is not None and next_extra < value:
                out.append(next_extra)
                if len(out) == select:
                    return out
                extra_index += 1
                next_extra = extra[extra_index] if extra_index < len(extra) else None
            if value not in excluded:
                out.append(value)
                if len(out) == select:
                    return out
        while next_extra is not None and len(out) < select:
            out.append(next_extra)
            extra_index += 1
            next_extra = extra[extra_index] if extra_index < len(extra) else None
        return out
