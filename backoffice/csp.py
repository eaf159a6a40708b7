"""Per-view additions to the site-wide Content-Security-Policy (settings.CONTENT_SECURITY_POLICY)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csp.decorators import csp_update
from django.utils.decorators import method_decorator


def allow_frames_from(*origins: str) -> Callable[[Any], Any]:
    """Let one view's page frame the given origins; every other page keeps `frame-src 'self'`.

    On a function view: `@allow_frames_from("https://r1-app.dotdigital.com")`; on a class-based view, the same
    decorator on the class. django-csp's `csp_update` adds the origins to the site-wide `frame-src` for the
    responses of that view only.
    """
    if not origins:
        raise ValueError("allow_frames_from() needs at least one origin")
    add = csp_update({"frame-src": list(origins)})

    def decorate(view: Any) -> Any:
        if isinstance(view, type):
            return method_decorator(add, name="dispatch")(view)
        return add(view)

    return decorate
