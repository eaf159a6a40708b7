"""Places on the contact, marketing list and email campaign pages where other apps show themselves.

`marketing` knows nothing of the integrations; an integration app registers a panel from its `AppConfig.ready()`:

    from marketing.models import MarketingList
    from marketing.panels import register_panel

    register_panel(MarketingList, "dotdigital", render_address_book_panel, order=50)

`render(request, obj)` returns the panel's HTML as a `SafeString` (from `render_to_string` or `format_html`) or None
to show nothing for this object. A plain `str` is treated as text and escaped (`conditional_escape`), so HTML built
with an f-string shows as its source instead of running: build markup with templates or `format_html`.
A panel that raises is logged and left out, so one broken integration never breaks the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model
from django.http import HttpRequest
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

logger = logging.getLogger(__name__)

PanelRenderer = Callable[[HttpRequest, Model], "str | None"]


@dataclass(frozen=True)
class Panel:
    model: type[Model]
    key: str
    render: PanelRenderer
    order: int = 100


_panels: dict[tuple[type[Model], str], Panel] = {}


def register_panel(model: type[Model], key: str, render: PanelRenderer, order: int = 100) -> Panel:
    """Show `render(request, obj)` on the view page of every `model` object; a second call with the same key replaces
    the first."""
    panel = Panel(model=model, key=key, render=render, order=order)
    _panels[(model, key)] = panel
    return panel


def unregister_panel(model: type[Model], key: str) -> None:
    _panels.pop((model, key), None)


def panels_for(model: type[Model]) -> list[Panel]:
    return sorted((p for (m, _), p in _panels.items() if m is model), key=lambda p: (p.order, p.key))


def render_panels(request: HttpRequest, obj: Model) -> list[SafeString]:
    """The HTML of every panel registered for `obj`'s model, in order, leaving out empty and failing ones; a
    renderer's plain `str` is escaped, only a `SafeString` goes out as HTML."""
    html = []
    for panel in panels_for(type(obj)):
        try:
            content = panel.render(request, obj)
        except Exception:  # an integration's bug must not take the marketing page down with it
            logger.exception("Panel %r for %s %s failed", panel.key, type(obj).__name__, obj.pk)
            continue
        if content:
            html.append(conditional_escape(content))  # SafeString kept as it is, any other str escaped
    return html
