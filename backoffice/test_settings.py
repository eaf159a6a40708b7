"""Settings for the test suite: the real settings, with test-only keys when none are given."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "dGVzdC1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5ISE=")
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Each test run gets its own embedded-broker folder, so a running demo never shares a queue with the tests.
os.environ.setdefault("CELERY_BROKER_DIR", tempfile.mkdtemp(prefix="backoffice-test-broker-"))

# Parallel test processes (pytest-xdist) each get a Redis database of their own: a worker started by one process's
# test must never take (and drop) a task meant for another's database. Worker processes a test starts inherit it.
_xdist = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist.startswith("gw") and _xdist[2:].isdigit() and os.environ.get("REDIS_URL", "").startswith("redis"):
    _base = os.environ["REDIS_URL"].rstrip("/").rsplit("/", 1)
    _root = _base[0] if _base[-1].isdigit() else os.environ["REDIS_URL"].rstrip("/")
    os.environ["REDIS_URL"] = f"{_root}/{int(_xdist[2:]) + 1}"

from backoffice.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
