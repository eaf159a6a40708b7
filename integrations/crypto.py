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


def _keys() -> list[str]:
    raw = getattr(settings, "FIELD_ENCRYPTION_KEY", "") or ""
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is empty: set it to one or more comma-separated Fernet keys.")
    return keys


def fernet() -> MultiFernet:
    """The MultiFernet for the configured keys; the first key encrypts."""
    fernets = []
    for position, key in enumerate(_keys(), start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEY: key number {position} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes). Make one with "
                '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.'
            ) from exc
    return MultiFernet(fernets)


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
