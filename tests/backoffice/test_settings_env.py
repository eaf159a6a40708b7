"""Settings read from the environment: refusals when DEBUG is off, database and broker chosen by variables."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django, json; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'name': str(settings.DATABASES['default']['NAME']), 'broker': settings.CELERY_BROKER_URL, "
    "'debug': settings.DEBUG}))"
)
VARIABLES = (
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "DEBUG",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "ALLOWED_HOSTS",
    "BEHIND_PROXY",
)


def run_settings(**env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="backoffice.settings", **env_vars)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


KEYS = {
    "SECRET_KEY": "s3cret-for-the-test",
    "FIELD_ENCRYPTION_KEY": "dGVzdC1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5ISE=",
    "ALLOWED_HOSTS": "backoffice.example.com",
}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEY"])
def test_debug_off_refuses_a_missing_key_with_one_line(missing):
    given = {k: v for k, v in KEYS.items() if k != missing}
    result = run_settings(DEBUG="0", **given)
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert lines == [f"Configuration error: set the {missing} environment variable (it is required when DEBUG is off)."]


def test_debug_on_allows_development_defaults():
    result = run_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is True


def test_defaults_are_sqlite_under_var_and_the_embedded_broker():
    result = run_settings(**KEYS)
    assert result.returncode == 0, result.stderr
    chosen = json.loads(result.stdout)
    assert chosen["engine"] == "django.db.backends.sqlite3"
    assert chosen["name"] == str(ROOT / "var" / "db.sqlite3")
    assert chosen["broker"] == "filesystem://"


def test_database_url_and_redis_url_choose_postgresql_and_redis():
    result = run_settings(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test", REDIS_URL="redis://127.0.0.1:6379/3", **KEYS
    )
    assert result.returncode == 0, result.stderr
    chosen = json.loads(result.stdout)
    assert chosen["engine"] == "django.db.backends.postgresql"
    assert chosen["name"] == "test"
    assert chosen["broker"] == "redis://127.0.0.1:6379/3"


def test_celery_broker_url_wins_over_redis_url():
    result = run_settings(CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:5672//", REDIS_URL="redis://x:6379/0", **KEYS)
    assert json.loads(result.stdout)["broker"] == "amqp://guest:guest@127.0.0.1:5672//"


def test_debug_off_refuses_empty_allowed_hosts_with_one_line():
    given = {k: v for k, v in KEYS.items() if k != "ALLOWED_HOSTS"}
    result = run_settings(DEBUG="0", **given)
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Configuration error: set the ALLOWED_HOSTS environment variable")


def test_behind_a_proxy_the_login_throttle_counts_the_forwarded_client():
    probe = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.AXES_IPWARE_PROXY_COUNT, list(settings.AXES_IPWARE_META_PRECEDENCE_ORDER), "
        "settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS]))"
    )
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="backoffice.settings", BEHIND_PROXY="1", **KEYS)
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [1, ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"], True, 31536000]
