"""Encryption of secrets at rest with the key(s) in `settings.FIELD_ENCRYPTION_KEY`.

The setting holds one or more Fernet keys separated by commas. The first key encrypts; every key decrypts, so a
new key can be put in front of the old one and `manage.py rotate_encryption_key` re-encrypts the stored values
with it before the old key is removed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretsUnreadable(Exception):
    """Stored secrets that none of the configured keys can decrypt."""


MAKE_A_KEY = '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`'


def _split(raw: str) -> list[str]:
    # Blanks around commas and a trailing comma are forgiven: they are easy to leave in while rotating.
    return [key.strip() for key in (raw or "").split(",") if key.strip()]


def key_problems(raw: str) -> list[str]:
    """What is wrong with a FIELD_ENCRYPTION_KEY value, one sentence per bad key (empty when every key is usable).

    A sentence names the key's position among the comma-separated ones, never the key itself.
    """
    keys = _split(raw)
    if not keys:
        return [
            "FIELD_ENCRYPTION_KEY is empty: set it to one or more comma-separated Fernet keys. "
            f"Make one with {MAKE_A_KEY}."
        ]
    problems = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            problems.append(
                f"FIELD_ENCRYPTION_KEY: key number {position} is not a valid Fernet key (32 url-safe base64-encoded "
                f"bytes; several keys are separated by commas). Make one with {MAKE_A_KEY}."
            )
    return problems


def fernet() -> MultiFernet:
    """The MultiFernet for the configured keys; the first key encrypts."""
    raw = getattr(settings, "FIELD_ENCRYPTION_KEY", "") or ""
    problems = key_problems(raw)
    if problems:
        raise ImproperlyConfigured(" ".join(problems))
    return MultiFernet([Fernet(key) for key in _split(raw)])


def encrypt(plaintext: str) -> str:
    """Encrypt a text with the first key."""
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a text encrypted with any of the configured keys."""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretsUnreadable(
            "The stored secrets cannot be decrypted with the keys in FIELD_ENCRYPTION_KEY. If the key was changed, "
            "put the new key first and the old one after it (comma-separated), then run "
            "`python manage.py rotate_encryption_key`."
        ) from exc


def encrypt_json(values: dict) -> str:
    """Encrypt a dict of secrets as one token; an empty dict is stored as an empty string."""
    return encrypt(json.dumps(values, sort_keys=True)) if values else ""


def decrypt_json(token: str) -> dict:
    return json.loads(decrypt(token)) if token else {}


def rotate(token: str) -> str:
    """Re-encrypt a token with the first key (it may have been encrypted with any configured key)."""
    if not token:
        return token
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretsUnreadable("A stored value cannot be decrypted with any key in FIELD_ENCRYPTION_KEY.") from exc


@dataclass(frozen=True)
class EncryptedColumn:
    """A text column that holds Fernet tokens, for `rotate_encryption_key` to find."""

    model_label: str
    field_name: str


_columns: list[EncryptedColumn] = []


def register_encrypted_column(model_label: str, field_name: str) -> None:
    """Declare a column of encrypted tokens (called from an app's `ready()`); rotation re-encrypts it."""
    column = EncryptedColumn(model_label, field_name)
    if column not in _columns:
        _columns.append(column)


def encrypted_columns() -> list[EncryptedColumn]:
    return list(_columns)
