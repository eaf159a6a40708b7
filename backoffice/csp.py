"""Per-view additions to the site-wide Content-Security-Policy (settings.CONTENT_SECURITY_POLICY)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csp.decorators import csp_update
from django.http import HttpResponseBase
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


def allow_frames_on(response: HttpResponseBase, *origins: str) -> HttpResponseBase:
    """`allow_frames_from` for one response, when the origin is known only at request time (it is per account).

    Sets django-csp's per-response update, which its middleware adds to the site-wide `frame-src`.
    """
    if not origins:
        raise ValueError("allow_frames_on() needs at least one origin")
    update = dict(getattr(response, "_csp_update", None) or {})
    update["frame-src"] = [*update.get("frame-src", []), *origins]
    response._csp_update = update  # type: ignore[attr-defined]
    return response
