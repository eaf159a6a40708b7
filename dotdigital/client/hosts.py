"""The allow-list of hosts the client may talk to (and the integration form may redirect to)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from dotdigital.exceptions import HostNotAllowedError

ALLOWED_DOMAINS = ("dotdigital.com", "dotmailer.com")


def _hostname(value: str) -> str:
    """The lower-case host name of a URL, or of a bare host name."""
    if "://" not in value:
        value = f"//{value}"
    return (urlsplit(value).hostname or "").lower().rstrip(".")


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _configured_hosts() -> set[str]:
    try:
        from django.conf import settings

        url = getattr(settings, "DOTDIGITAL_API_URL", "") or ""
    except Exception:  # noqa: BLE001 - settings not configured (a plain script): only the fixed domains apply
        url = ""
    return {_hostname(url)} - {""}


def check_host_allowed(url: str, extra_hosts: Iterable[str] = ()) -> None:
    """Refuse `url` unless its host is `*.dotdigital.com`, `*.dotmailer.com`, the host of DOTDIGITAL_API_URL
    or one of `extra_hosts` (host names or URLs). HTTPS is required except on a loopback host.

    Raises HostNotAllowedError naming the host; returns None when the URL may be used.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("http", "https") or not host:
        raise HostNotAllowedError(f"{url!r} is not an http(s) URL with a host name.")
    allowed = _configured_hosts() | {_hostname(h) for h in extra_hosts}
    if not (host in allowed or any(host == d or host.endswith(f".{d}") for d in ALLOWED_DOMAINS)):
        raise HostNotAllowedError(
            f"The host {host} is not allowed: Dotdigital endpoints must be on *.dotdigital.com or *.dotmailer.com."
        )
    if parts.scheme != "https" and not is_loopback_host(host):
        raise HostNotAllowedError(f"The host {host} must be reached over HTTPS, not {parts.scheme}.")
