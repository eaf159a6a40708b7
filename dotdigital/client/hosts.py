"""The allow-list of hosts the client may talk to (and the integration form may redirect to)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from dotdigital.exceptions import HostNotAllowedError

ALLOWED_DOMAINS = ("dotdigital.com", "dotmailer.com")
DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]  # (scheme, host, port)


def _origin(value: str) -> Origin | None:
    """(scheme, lower-case host, port) of a URL, the port defaulted from the scheme; a bare host name is taken
    as https on 443. None when there is no host, the scheme is not http(s) or the port is not a number."""
    value = value.strip()
    if "://" not in value:
        value = f"https://{value}"
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in DEFAULT_PORTS or not host:
        return None
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return scheme, host, port


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _configured_url() -> str:
    try:
        from django.conf import settings

        return getattr(settings, "DOTDIGITAL_API_URL", "") or ""
    except Exception:  # noqa: BLE001 - settings not configured (a plain script): only the fixed domains apply
        return ""


def _is_dotdigital_domain(host: str) -> bool:
    return any(host == d or host.endswith(f".{d}") for d in ALLOWED_DOMAINS)


def check_host_allowed(url: str, extra_hosts: Iterable[str] = ()) -> None:
    """Refuse `url` unless it is on `*.dotdigital.com` or `*.dotmailer.com` over HTTPS on port 443, or it has
    exactly the scheme, host and port of DOTDIGITAL_API_URL or of one of `extra_hosts` (URLs; a bare host name
    means https on 443). Plain HTTP is accepted only on a loopback host (the sandbox).

    Raises HostNotAllowedError naming the host; returns None when the URL may be used.
    """
    origin = _origin(url) if "://" in url else None
    if origin is None:
        raise HostNotAllowedError(f"{url!r} is not an http(s) URL with a host name.")
    scheme, host, port = origin
    if scheme != "https" and not is_loopback_host(host):
        raise HostNotAllowedError(f"The host {host} must be reached over HTTPS, not {scheme}.")
    if _is_dotdigital_domain(host):
        if port != DEFAULT_PORTS["https"]:
            raise HostNotAllowedError(f"The host {host} is allowed on the HTTPS port 443 only, not on port {port}.")
        return
    allowed = {_origin(value) for value in (_configured_url(), *extra_hosts) if value} - {None}
    if origin in allowed:
        return
    configured = ", ".join(_show(other) for other in sorted(allowed) if other[1] == host)
    if configured:
        raise HostNotAllowedError(
            f"The host {host} is allowed only as configured ({configured}), not as {_show(origin)}."
        )
    raise HostNotAllowedError(
        f"The host {host} is not allowed: Dotdigital endpoints must be on *.dotdigital.com or *.dotmailer.com."
    )


def _show(origin: Origin) -> str:
    scheme, host, port = origin
    shown_host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown_host}:{port}"
