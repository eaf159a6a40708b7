"""System checks of the integrations app: `manage.py check` (and so runserver and migrate) refuse to start on them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error

from . import crypto


def check_field_encryption_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Refuse a FIELD_ENCRYPTION_KEY that cannot encrypt or decrypt, before a page that needs it answers 500."""
    raw = getattr(settings, "FIELD_ENCRYPTION_KEY", "") or ""
    return [
        Error(
            problem,
            hint="Set FIELD_ENCRYPTION_KEY to one or more comma-separated Fernet keys, the encrypting one first.",
            id="integrations.E001",
        )
        for problem in crypto.key_problems(raw)
    ]
