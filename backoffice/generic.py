"""Building blocks for the back-office's pages: permission checks, grids and forms in the house style."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from .paging import DEFAULT_PAGE_SIZE, PAGE_SIZES, BoundedPaginator, paginate_table


class PageMixin:
    """Title, breadcrumbs and the primary actions shown in the upper-right corner of a page."""

    title: str = ""
    breadcrumbs: tuple[tuple[str, str | None], ...] = ()
    page_actions: tuple = ()

    def get_title(self) -> str:
        return self.title

    def get_breadcrumbs(self) -> list[tuple[str, str | None]]:
        return list(self.breadcrumbs) + [(self.get_title(), None)]

    def get_actions(self) -> list[dict]:
        """Every action of the page: {"label", "url", "style" (bootstrap button class suffix), "permission", "icon"}."""
        return list(self.page_actions)

    def get_page_actions(self) -> list[dict]:
        """The actions the user's permissions allow."""
        user = self.request.user
        return [a for a in self.get_actions() if not a.get("permission") or user.has_perm(a["permission"])]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(title=self.get_title(), breadcrumbs=self.get_breadcrumbs(), page_actions=self.get_page_actions())
        return context


class BackofficeMixin(LoginRequiredMixin, PermissionRequiredMixin, PageMixin):
    """Every back-office page: signed-in users only; a signed-in user without the permission gets the 403 page."""

    permission_required: str | tuple[str, ...] = ()

    def has_permission(self) -> bool:
        return self.request.user.has_perms(self.get_permission_required())

    def get_permission_required(self):
        perms = self.permission_required
        return (perms,) if isinstance(perms, str) else tuple(perms)


class GridView(BackofficeMixin, SingleTableMixin, FilterView):
    """A grid: a filter bar (search box first), sortable columns, pagination with a page size, an empty state.

    Set `table_class`, `filterset_class`, `empty_message` and optionally `empty_action` ({"label", "url"}).
    """

    template_name = "includes/grid_page.html"
    page_size = DEFAULT_PAGE_SIZE
    paginator_class = BoundedPaginator
    empty_message = "Nothing here yet."
    empty_action: dict | None = None

    def get_paginate_by(self, queryset):
        # django-tables2 paginates; ListView's own pagination would run the page query twice (and a COUNT).
        return None

    def get_table(self, **kwargs):
        table = self.get_table_class()(data=self.get_table_data(), **kwargs)
        # Sorting from the query string only: RequestConfig would also read `page` and `per_page` with int(), and
        # take -1, 7 or 10**6 (or "١٠") over the size checked here.
        RequestConfig(self.request, paginate=False).configure(table)
        paginate_table(table, self.request, self.paginator_class, default=self.page_size)
        return table

    def get_empty_action(self) -> dict | None:
        return self.empty_action

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = context.get("filter")
        context.update(
            empty_message=self.empty_message,
            empty_action=self.get_empty_action(),
            page_sizes=PAGE_SIZES,
            filtered=bool(
                filterset
                and filterset.is_bound
                and any(v for k, v in self.request.GET.items() if k in filterset.form.fields)
            ),
        )
        return context
