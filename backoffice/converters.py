"""The `<id:...>` URL converter: a primary key in a URL, bounded before it reaches the database.

Django's `<int:...>` takes any number of digits; an id past the database's 64-bit integers then fails inside the
query (SQLite raises OverflowError, PostgreSQL an out-of-range error) and the page answers 500 instead of 404. This
converter does not match such a number, so the URL resolves to nothing: a 404.
"""

from __future__ import annotations

from .paging import MAX_ID, positive_int


class IdConverter:
    regex = "[0-9]{1,19}"  # 2**63 - 1 has 19 digits; to_python refuses the 19-digit numbers above it

    def to_python(self, value: str) -> int:
        number = positive_int(value, MAX_ID)
        if number is None:
            raise ValueError(f"{value} is not an id")  # Django reads ValueError as "this pattern does not match"
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)
