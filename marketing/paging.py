"""Paging that stays fast with millions of rows.

Two costs grow with a table: `COUNT(*)` for "page N of M", and `OFFSET` far into a sorted result, where the database
reads every skipped row. `LargeTablePaginator` never counts (it looks one row ahead to know whether a next page
exists), and `KeysFirstQuerySet` pages in two steps: the primary keys of the page first (an index-only scan over the
sort index skips the offset rows cheaply), then those rows with their joins.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.query import ModelIterable
from django_tables2.paginators import LazyPaginator


class KeysFirstQuerySet(QuerySet):
    """A queryset whose slices (`qs[a:b]`) fetch the keys of the slice first, then the rows in the same order.

    Only slices of model instances are affected; everything else behaves as a plain QuerySet.
    """

    def __getitem__(self, k):
        if not isinstance(k, slice) or self._iterable_class is not ModelIterable or self._result_cache is not None:
            return super().__getitem__(k)
        keys = list(QuerySet.__getitem__(self.values_list("pk", flat=True), k))
        if not keys:
            return []
        rows = {row.pk: row for row in QuerySet.filter(self, pk__in=keys).order_by()}
        return [rows[key] for key in keys if key in rows]


class LargeTablePaginator(LazyPaginator):
    """django-tables2's paginator without `COUNT(*)`; `count` is what is known so far (exact on the last page), so
    "Showing 26–50" still renders, without the total."""

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
