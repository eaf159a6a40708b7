"""Paging that stays fast with millions of rows.

Two costs grow with a table: `COUNT(*)` for "page N of M", and `OFFSET` far into a sorted result, where the database
reads every skipped row. `LargeTablePaginator` never counts (it looks one row ahead to know whether a next page
exists), and `KeysFirstQuerySet` pages in two steps: the primary keys of the page first (an index-only scan over the
sort index skips the offset rows cheaply), then those rows with their joins.
"""

from __future__ import annotations

import json

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable
from django_tables2.paginators import LazyPaginator

from backoffice.paging import BoundedPagingMixin


class KeysFirstQuerySet(QuerySet):
    """A queryset whose slices (`qs[a:b]`) fetch the keys of the slice first, then the rows in the same order.

    Only slices of model instances are affected; everything else behaves as a plain QuerySet.

    `filter_first()` is for searches: PostgreSQL, asked for the first rows in index order under a selective filter,
    likes to walk the sort index and test every row, which reads most of the table when the matches sort late
    ("Nora Silva" under S). After `filter_first()` the matches are found first (through the search indexes), then
    sorted; the cost follows the number of matches, not the size of the table. A search the planner expects to match
    more than `filter_first_limit` rows (a single letter) is left to walk the index, where matches are dense.
    """

    _filter_first = False
    filter_first_limit = 50_000  # estimated matches above which sorting them all costs more than walking the index

    def _clone(self):
        clone = super()._clone()
        clone._filter_first = self._filter_first
        return clone

    def filter_first(self) -> KeysFirstQuerySet:
        clone = self._chain()
        clone._filter_first = True
        return clone

    def _keys(self, k: slice) -> list:
        ordering = list(self.query.order_by)
        simple = ordering and all(isinstance(o, str) for o in ordering) and k.step is None
        if not (self._filter_first and simple and connections[self.db].vendor == "postgresql"):
            return list(QuerySet.__getitem__(self.values_list("pk", flat=True), k))
        fields = [o.lstrip("-") for o in ordering]
        inner_sql, params = self.order_by().values_list("pk", *fields).query.sql_with_params()
        with connections[self.db].cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {inner_sql}", params)
            plan = cursor.fetchone()[0]
        estimate = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"]
        if estimate > self.filter_first_limit:
            # So many matches that walking the sort index meets the first of them at once.
            return list(QuerySet.__getitem__(self.values_list("pk", flat=True), k))
        # "OFFSET 0" keeps the planner from pulling the ORDER BY into the filtering subquery.
        order_sql = ", ".join(f"{i} {'DESC' if o.startswith('-') else 'ASC'}" for i, o in enumerate(ordering, start=2))
        start = k.start or 0
        # Only Django-compiled SQL, column positions and integers go into this string; values stay parameters.
        sql = f"SELECT * FROM ({inner_sql} OFFSET 0) AS matches ORDER BY {order_sql}"  # noqa: S608
        if k.stop is not None:
            sql += f" LIMIT {int(k.stop) - int(start)}"
        if start:
            sql += f" OFFSET {int(start)}"
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]

    def __getitem__(self, k):
        if not isinstance(k, slice) or self._iterable_class is not ModelIterable or self._result_cache is not None:
            return super().__getitem__(k)
        keys = self._keys(k)
        if not keys:
            return []
        rows = {row.pk: row for row in QuerySet.filter(self, pk__in=keys).order_by()}
        return [rows[key] for key in keys if key in rows]


class LargeTablePaginator(BoundedPagingMixin, LazyPaginator):
    """django-tables2's paginator without `COUNT(*)`, bounded as `backoffice.paging.BoundedPaginator` is; `count` is
    what is known so far (exact on the last page), so "Showing 26–50" still renders, without the total."""

    is_lazy = True

    def page(self, number):
        page = super().page(number)
        self._seen = (page.number - 1) * self.per_page + len(page.object_list)
        if not self.is_last_page(page.number):
            self._seen += 1  # there is at least one more row
        return page

    @property
    def count(self) -> int:
        return getattr(self, "_seen", 0)
