"""What `manage.py check` refuses before anything is served, and what a fresh clone's first `migrate` creates."""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Variables a developer's shell or CI may set that would change what these runs see.
CLEARED = (
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "DEBUG",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "ALLOWED_HOSTS",
    "BEHIND_PROXY",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_COOKIES",
    "SECURE_SSL_REDIRECT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # the browser tests' conftest sets it; check --deploy rightly refuses it
)
# Fixed test-only keys (32 bytes each, url-safe base64), so test ids stay the same from run to run.
VALID_KEY = "dGVzdC1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5ISE="
OTHER_KEY = "YW5vdGhlci10ZXN0LW9ubHktZmllbGQta2V5LTMyYiE="
PRODUCTION = {
    "DEBUG": "0",
    "BEHIND_PROXY": "1",
    "SECRET_KEY": "kq3Vf8-long-random-production-like-secret-7Zp2LmN0xR4tYw9uBc6",
    "FIELD_ENCRYPTION_KEY": VALID_KEY,
    "ALLOWED_HOSTS": "backoffice.example.com",
}


def manage(*args: str, cwd: Path = ROOT, **env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(DJANGO_SETTINGS_MODULE="backoffice.settings", PYTHONPATH=str(cwd), **env_vars)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        umask=0o022,  # the usual umask, under which files are created world-readable unless asked otherwise
    )


@pytest.mark.parametrize(
    ("value", "position"),
    [("notakey", 1), (f"{VALID_KEY},notakey", 2), (f"{VALID_KEY}, {OTHER_KEY}, c2hvcnQ=", 3)],
    ids=["alone", "second", "third-too-short"],
)
def test_check_refuses_a_malformed_field_encryption_key_and_names_it(value, position):
    result = manage("check", DEBUG="1", FIELD_ENCRYPTION_KEY=value)
    assert result.returncode != 0
    assert "integrations.E001" in result.stderr
    assert "FIELD_ENCRYPTION_KEY" in result.stderr
    assert f"key number {position} " in result.stderr
    # Only the position is named: the keys themselves never reach a log.
    assert VALID_KEY not in result.stderr + result.stdout


def test_check_refuses_a_field_encryption_key_of_commas_only():
    result = manage("check", DEBUG="1", FIELD_ENCRYPTION_KEY=" , ")
    assert result.returncode != 0
    assert "integrations.E001" in result.stderr and "FIELD_ENCRYPTION_KEY" in result.stderr


def test_check_accepts_valid_keys():
    result = manage("check", DEBUG="1", FIELD_ENCRYPTION_KEY=f"{VALID_KEY},{OTHER_KEY}")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_with_production_settings_reports_nothing():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "System check identified no issues" in result.stdout


def test_behind_a_proxy_hsts_lasts_a_year_and_covers_subdomains():
    probe = (
        "from django.conf import settings; "
        "print(settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_SSL_REDIRECT)"
    )
    result = manage("shell", "--no-imports", "-c", probe, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["31536000", "True", "True"]


def _fresh_clone(tmp_path: Path) -> Path:
    """A project folder without var/: the settings package copied (its location decides BASE_DIR), the rest linked."""
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(ROOT / "manage.py", clone / "manage.py")
    shutil.copytree(ROOT / "backoffice", clone / "backoffice", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("integrations", "marketing", "dotdigital", "templates", "static"):
        (clone / name).symlink_to(ROOT / name)
    return clone


def test_migrate_on_a_fresh_clone_creates_var_and_a_private_database(tmp_path):
    clone = _fresh_clone(tmp_path)
    result = manage("migrate", "--no-input", "-v", "0", cwd=clone, DEBUG="1")
    assert result.returncode == 0, result.stderr
    var = clone / "var"
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    assert stat.S_IMODE((var / "db.sqlite3").stat().st_mode) == 0o600


def test_a_sqlite_database_named_by_database_url_is_created_private(tmp_path):
    database = tmp_path / "elsewhere.sqlite3"
    result = manage("migrate", "--no-input", "-v", "0", DEBUG="1", DATABASE_URL=f"sqlite:///{database}")
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    # SQLite gives its WAL and shared-memory files the database file's mode.
    for companion in tmp_path.glob("elsewhere.sqlite3-*"):
        assert stat.S_IMODE(companion.stat().st_mode) == 0o600, companion
