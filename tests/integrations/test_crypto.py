"""Secrets at rest: encrypted in the raw column, rotation to a new key, a clear error for a wrong key."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from integrations import crypto
from integrations.models import Integration
from tests.integrations.conftest import GOOD_TOKEN

pytestmark = pytest.mark.django_db


def raw_secrets(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM integrations_integration WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_secrets_are_not_in_clear_text_in_the_database(make_integration):
    integration = make_integration()
    raw = raw_secrets(integration.pk)
    assert raw
    assert GOOD_TOKEN not in raw
    assert "token" not in raw
    assert Integration.objects.get(pk=integration.pk).get_secrets() == {"token": GOOD_TOKEN}


def test_rotation_re_encrypts_with_the_first_key(make_integration, settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old_key
    integration = make_integration()
    before = raw_secrets(integration.pk)

    settings.FIELD_ENCRYPTION_KEY = f"{new_key},{old_key}"
    call_command("rotate_encryption_key", stdout=StringIO())
    after = raw_secrets(integration.pk)
    assert after != before

    settings.FIELD_ENCRYPTION_KEY = new_key  # the old key is gone: the rotated value must still read
    assert Integration.objects.get(pk=integration.pk).get_secrets() == {"token": GOOD_TOKEN}
    assert Fernet(new_key.encode()).decrypt(after.encode())
    with pytest.raises(InvalidToken):
        Fernet(old_key.encode()).decrypt(after.encode())


def test_a_wrong_key_gives_a_clear_error(make_integration, settings):
    integration = make_integration()
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(crypto.SecretsUnreadable, match="cannot be decrypted with the keys in FIELD_ENCRYPTION_KEY"):
        Integration.objects.get(pk=integration.pk).get_secrets()
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_encryption_key")
    # Nothing was half-rotated: the row still holds the value the original key wrote.
    assert raw_secrets(integration.pk) == integration.secrets


def test_a_malformed_key_is_a_configuration_error(settings):
    settings.FIELD_ENCRYPTION_KEY = "not-a-fernet-key"
    with pytest.raises(ImproperlyConfigured, match="key number 1 is not a valid Fernet key"):
        crypto.encrypt("x")
    settings.FIELD_ENCRYPTION_KEY = " , "
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY is empty"):
        crypto.encrypt("x")


def test_every_configured_key_decrypts_and_the_first_encrypts(settings):
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = second
    token = crypto.encrypt("old secret")
    settings.FIELD_ENCRYPTION_KEY = f"{first}, {second}"
    assert crypto.decrypt(token) == "old secret"
    new_token = crypto.encrypt("new secret")
    assert Fernet(first.encode()).decrypt(new_token.encode()) == b"new secret"
