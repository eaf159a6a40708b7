"""Building blocks for the back-office's pages: permission checks, grids and forms in the house style."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from .paging import DEFAULT_PAGE_SIZE, PAGE_SIZES, BoundedPaginator, paginate_table

CONFIRMED_FIELD = "confirmed"  # set by the confirmation dialog (static/js/confirm.js) or the confirmation page


def action(
    label: str,
    url: str,
    *,
    permission: str = "",
    style: str = "primary",
    icon: str = "",
    method: str = "get",
    confirm: str = "",
    confirm_label: str = "",
    fields: Mapping[str, str] | None = None,
    disabled: str = "",
    testid: str = "",
) -> dict:
    """One action of a page (upper-right corner) or of a grid row.

    `method="post"` renders a small form with the CSRF token and the hidden `fields`; `confirm` is a question asked
    before it acts (a dialog, or a confirmation page without JavaScript); `disabled` is why it cannot be used now,
    shown as the disabled button's tooltip. `permission` hides it from users who lack it.
    """
    return {
        "label": label,
        "url": url,
        "permission": permission,
        "style": style,
        "icon": icon,
        "method": method.lower(),
        "confirm": confirm,
        "confirm_label": confirm_label or label,
        "fields": dict(fields or {}),
        "disabled": disabled,
        "testid": testid,
    }


def allowed_actions(actions: Iterable[dict], user) -> list[dict]:
    """The actions `user`'s permissions allow."""
    return [a for a in actions if not a.get("permission") or user.has_perm(a["permission"])]


def safe_next(request, fallback: str) -> str:
    """The `next` the form posted, when it points at this site; else `fallback` (no open redirect)."""
    target = request.POST.get("next", "") or request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


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
        """Every action of the page, as built by `action()`."""
        return list(self.page_actions)

    def get_page_actions(self) -> list[dict]:
        """The actions the user's permissions allow."""
        return allowed_actions(self.get_actions(), self.request.user)

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


class ConfirmPostMixin:
    """A POST action that asks first: without the confirmation (the dialog's, or this page's), it renders a page
    with the question and a button that posts the same fields again, confirmed. Works without JavaScript."""

    confirm_question: str = "Are you sure?"
    confirm_label: str = "Confirm"
    confirm_template = "includes/confirm_post.html"

    def get_confirm_question(self) -> str:
        return self.confirm_question

    def needs_confirmation(self) -> bool:
        return self.request.POST.get(CONFIRMED_FIELD) != "1"

    def ask_confirmation(self, *, cancel_url: str) -> TemplateResponse:
        fields = [(k, v) for k, v in self.request.POST.items() if k not in ("csrfmiddlewaretoken", CONFIRMED_FIELD)]
        return TemplateResponse(
            self.request,
            self.confirm_template,
            {
                "title": self.confirm_label,
                "breadcrumbs": [],
                "question": self.get_confirm_question(),
                "confirm_label": self.confirm_label,
                "fields": fields,
                "cancel_url": safe_next(self.request, cancel_url),
            },
        )


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
