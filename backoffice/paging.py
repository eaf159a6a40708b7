"""The one rule for the page size and the page number of every grid, and the bound on numbers read from requests.

Query strings are written by anyone: `per_page=-1`, `per_page=1000000`, `page=99999999999999999999` or `per_page=١٠`
(which `int()` reads as 10) must each give a normal page, in one of the sizes the grid offers, and never a number the
database cannot hold.
"""

from __future__ import annotations

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import HttpRequest

PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_NUMBER = 1_000_000  # past any page a person pages to; keeps OFFSET far inside the database's integers
MAX_ID = 2**63 - 1  # the largest primary key a (big) integer column holds


def positive_int(value: object, maximum: int) -> int | None:
    """`value` as an int when it is a number from 1 to `maximum` written in ASCII digits, else None.

    `str.isdigit()` accepts "²" and "١", which `int()` then refuses or reads; a 20-digit number overflows the
    database's integers. Both come from query strings and forms, so neither may reach a query.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        if not (value.isascii() and value.isdigit()) or len(value) > len(str(maximum)):
            return None
        number = int(value)
    else:
        return None
    return number if 1 <= number <= maximum else None


def offered_page_size(value: object, default: int = DEFAULT_PAGE_SIZE) -> int:
    """`value` when it is one of the offered sizes, else `default`."""
    number = positive_int(value, max(PAGE_SIZES))
    return number if number in PAGE_SIZES else default


def page_size(request: HttpRequest, default: int = DEFAULT_PAGE_SIZE, field: str = "per_page") -> int:
    """The page size the request asks for when the grids offer it, else the grid's `default`."""
    return offered_page_size(request.GET.get(field, ""), default)


def page_number(request: HttpRequest, field: str = "page") -> int:
    """The page number the request asks for, from 1 to `MAX_PAGE_NUMBER`; anything else is the first page."""
    return positive_int(request.GET.get(field, ""), MAX_PAGE_NUMBER) or 1


def paginate_table(table, request: HttpRequest, paginator_class: type[Paginator], default: int) -> None:
    """Paginate a django-tables2 table by the rules above; a page past the end shows the last page (the first, for a
    paginator that does not count its rows and so does not know the last)."""
    per_page = page_size(request, default, field=table.prefixed_per_page_field)
    try:
        table.paginate(paginator_class, per_page=per_page, page=page_number(request, field=table.prefixed_page_field))
    except EmptyPage:
        table.page = table.paginator.page(table.paginator.num_pages or 1)
    table.page_sizes = PAGE_SIZES  # the table template is rendered with only `table` in its context


class BoundedPagingMixin:
    """Paging that no caller can make fail, for code that builds a paginator itself: the page size is one of the
    sizes offered, and a page number must be ASCII digits (else `PageNotAnInteger`) no larger than `MAX_PAGE_NUMBER`
    (else `EmptyPage`). Negative or zero numbers raise `EmptyPage` too."""

    def __init__(self, object_list, per_page, *args, **kwargs):
        super().__init__(object_list, offered_page_size(per_page), *args, **kwargs)

    def validate_number(self, number):
        if isinstance(number, str) and not (number.strip().isascii() and number.strip().lstrip("-").isdigit()):
            raise PageNotAnInteger("That page number is not an integer")
        number = super().validate_number(number)
        if number > MAX_PAGE_NUMBER:
            raise EmptyPage("That page number is too large")
        return number


class BoundedPaginator(BoundedPagingMixin, Paginator):
    """Django's paginator (with its COUNT), for grids of small tables, bounded as above."""
