"""Secrets typed into a form whose save failed its connection check: kept encrypted in the session only, under a
random token the page carries back, so the next Save or Check connection uses them without rendering them."""

from __future__ import annotations

import secrets as token_generator
from functools import wraps

from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from .. import crypto
from ..registry import registry

PENDING_SESSION_KEY = "integrations.pending_secrets"
MAX_PENDING = 5
PENDING_FIELD = "pending_secrets"  # the form field carrying the token of secrets kept in the session


def secret_post_parameters(view):
    """Mark the secret fields of every registered type (and the pending-secrets token) as sensitive POST
    parameters, so error reports never show them. The names are read per request: types register in ready()."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        names = {name for integration_type in registry.all() for name in integration_type.secret_fields}
        return sensitive_post_parameters(*sorted(names), PENDING_FIELD)(view)(request, *args, **kwargs)

    return wrapper


@sensitive_variables()
def stash_pending_secrets(request, values: dict[str, str]) -> str:
    """Keep secrets typed into a form whose save failed its connection check, encrypted, in the session only."""
    if not values:
        return ""
    pending = dict(request.session.get(PENDING_SESSION_KEY, {}))
    while len(pending) >= MAX_PENDING:
        pending.pop(next(iter(pending)))
    token = token_generator.token_urlsafe(16)
    pending[token] = crypto.encrypt_json(values)
    request.session[PENDING_SESSION_KEY] = pending
    return token


@sensitive_variables()
def pending_secrets(request, token: str, *, pop: bool = False) -> dict[str, str]:
    pending = dict(request.session.get(PENDING_SESSION_KEY, {}))
    stored = pending.pop(token, None) if pop else pending.get(token)
    if pop:
        request.session[PENDING_SESSION_KEY] = pending
    if not stored:
        return {}
    try:
        return crypto.decrypt_json(stored)
    except crypto.SecretsUnreadable:
        return {}
