"""Grid building blocks shared by the apps' django-tables2 tables."""

from __future__ import annotations

from collections.abc import Callable

import django_tables2 as tables
from django.contrib.auth.context_processors import PermWrapper
from django.middleware.csrf import get_token
from django.template.loader import get_template

from .generic import allowed_actions

ROW_ACTIONS_TEMPLATE = "includes/row_actions.html"


class ActionsColumn(tables.Column):
    """The per-row actions menu, rendered from a small template with the user's permissions.

    Unlike `TemplateColumn(template_name=...)`, which renders each cell with the request and so runs every context
    processor (menu, roles: a few queries) once per row, this renders with a plain context: no query per row.
    Either give a `template_name` of your own (it sees `record`, `perms` and `csrf_token`), or `actions`: a callable
    `(record) -> list of action dicts` (see `backoffice.generic.action`), rendered as the shared dropdown menu with
    the ones the user is not allowed dropped.
    """

    def __init__(self, template_name: str = ROW_ACTIONS_TEMPLATE, *, actions: Callable | None = None, **kwargs):
        kwargs.setdefault("verbose_name", "")
        kwargs.setdefault("orderable", False)
        kwargs.setdefault("empty_values", ())
        kwargs.setdefault("attrs", {"td": {"class": "text-end"}})
        super().__init__(**kwargs)
        self.template_name = template_name
        self.actions = actions

    def render(self, record, table, **kwargs):
        request = table.request
        if not hasattr(table, "_actions_context"):
            table._actions_context = {"perms": PermWrapper(request.user), "csrf_token": get_token(request)}
        context = {**table._actions_context, "record": record}
        if self.actions is not None:
            context["actions"] = allowed_actions(self.actions(record), request.user)
            context["next"] = request.get_full_path()
        return get_template(self.template_name).render(context)
