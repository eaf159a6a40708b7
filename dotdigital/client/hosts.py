"""The allow-list of hosts the client may talk to (and the integration form may redirect to).

A URL is judged on the host and port that urllib3, which really connects, reads from it. Parsers disagree on odd
URLs (urlsplit keeps a backslash inside the host, urllib3 ends the host there; Unicode look-alikes of `/`, `@` and
`#` are turned into separators by NFKC or IDNA), so a URL is first held to a strict shape that every parser reads
the same way: visible ASCII only, no backslash, no user name or password, a plain host name (or IP address) and
an optional numeric port. Then urllib3's `parse_url` must read the same scheme, host and port, or the URL is
refused. Every refusal is a HostNotAllowedError, never a ValueError from a parser.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from urllib3.util import parse_url

from dotdigital.exceptions import HostNotAllowedError

ALLOWED_DOMAINS = ("dotdigital.com", "dotmailer.com")
DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]  # (scheme, host, port)

_URL_RE = re.compile(
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)(?P<query>\?[^#]*)?(?P<fragment>#.*)?$",
    re.DOTALL,
)
_AUTHORITY_RE = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME_RE = re.compile(rf"^(?:{_LABEL}\.)*{_LABEL}\.?$")


@dataclass(frozen=True)
class _ParsedUrl:
    origin: Origin
    path: str
    query: str | None  # with its "?", None when there is none
    fragment: str | None  # with its "#"


def _shown(value: str) -> str:
    return repr(value) if len(value) <= 120 else repr(value[:117] + "...")


def _parse(url: str) -> _ParsedUrl:
    """The origin, path, query and fragment of `url`, or HostNotAllowedError saying what is wrong with it."""
    if not isinstance(url, str):
        raise HostNotAllowedError(f"{url!r} is not a URL.")
    if "\\" in url:
        raise HostNotAllowedError(
            f"{_shown(url)} contains a backslash, which some URL parsers read as the end of the host name."
        )
    odd = next((char for char in url if not "\x21" <= char <= "\x7e"), None)
    if odd is not None:
        raise HostNotAllowedError(
            f"{_shown(url)} contains the character U+{ord(odd):04X}: an API address has visible ASCII characters "
            "only, with no spaces."
        )
    match = _URL_RE.match(url)
    if match is None or match["scheme"].lower() not in DEFAULT_PORTS:
        raise HostNotAllowedError(f"{_shown(url)} is not an http(s) URL with a host name.")
    scheme = match["scheme"].lower()
    authority = match["authority"]
    if "@" in authority:
        raise HostNotAllowedError(f"{_shown(url)} has a user name or password (something before an @) in its address.")
    parts = _AUTHORITY_RE.match(authority)
    if parts is None:
        raise HostNotAllowedError(f"{_shown(url)} does not have a plain host name and port.")
    host = parts["host"].lower()
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError as exc:
            raise HostNotAllowedError(f"{_shown(url)} does not have a valid IPv6 address.") from exc
    elif not _HOST_NAME_RE.match(host):
        raise HostNotAllowedError(f"{_shown(url)} does not have a valid host name.")
    port = int(parts["port"]) if parts["port"] else DEFAULT_PORTS[scheme]
    if not 0 < port <= 65535:
        raise HostNotAllowedError(f"{_shown(url)} has port {port}, which does not exist.")
    # Decide with the parser that connects: if urllib3 reads another scheme, host, port or a user name, refuse.
    try:
        connected = parse_url(url)
    except ValueError as exc:  # LocationParseError is a ValueError
        raise HostNotAllowedError(f"{_shown(url)} is not a URL the HTTP library can read.") from exc
    if (
        (connected.scheme or "").lower() != scheme
        or connected.auth is not None
        or (connected.host or "").lower() != host
        or (connected.port or DEFAULT_PORTS[scheme]) != port
    ):
        raise HostNotAllowedError(f"{_shown(url)} is read as another host by the HTTP library.")
    return _ParsedUrl(
        origin=(scheme, host.strip("[]").rstrip("."), port),
        path=match["path"],
        query=match["query"],
        fragment=match["fragment"],
    )


def _origin(value: str) -> Origin | None:
    """(scheme, lower-case host, port) of a configured URL, the port defaulted from the scheme; a bare host name is
    taken as https on 443. None when the URL does not pass the strict shape check."""
    if "://" not in value:
        value = f"https://{value}"
    try:
        return _parse(value).origin
    except HostNotAllowedError:
        return None


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


def is_dotdigital_domain(host: str) -> bool:
    """True for dotdigital.com, dotmailer.com and their subdomains (the host name only, lower case)."""
    return _is_dotdigital_domain(host)


def _check_origin(origin: Origin, extra_hosts: Iterable[str]) -> None:
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


def check_host_allowed(url: str, extra_hosts: Iterable[str] = ()) -> None:
    """Refuse `url` unless it is on `*.dotdigital.com` or `*.dotmailer.com` over HTTPS on port 443, or it has
    exactly the scheme, host and port of DOTDIGITAL_API_URL or of one of `extra_hosts` (URLs; a bare host name
    means https on 443). Plain HTTP is accepted only on a loopback host (the sandbox). The URL must also have the
    strict shape described in this module's docstring and no fragment; a path and a query are allowed (this is
    the check of every request the client sends).

    Raises HostNotAllowedError naming the host or the flaw; returns None when the URL may be used.
    """
    parsed = _parse(url)
    if parsed.fragment is not None:
        raise HostNotAllowedError(f"{_shown(url)} has a fragment (#…).")
    _check_origin(parsed.origin, extra_hosts)


def check_endpoint_allowed(url: str, extra_hosts: Iterable[str] = ()) -> str:
    """`check_host_allowed` for a base address (an account's ApiEndpoint, the Custom OAuth Domain): also refuse a
    path other than "" or "/", a query and a fragment. Returns the address without its trailing "/"."""
    parsed = _parse(url)
    if parsed.query is not None:
        raise HostNotAllowedError(f"{_shown(url)} has a query string (?…); an API address has none.")
    if parsed.fragment is not None:
        raise HostNotAllowedError(f"{_shown(url)} has a fragment (#…); an API address has none.")
    if parsed.path not in ("", "/"):
        raise HostNotAllowedError(f"{_shown(url)} has a path ({parsed.path}); an API address is only a host.")
    _check_origin(parsed.origin, extra_hosts)
    return url.removesuffix("/")


def _show(origin: Origin) -> str:
    scheme, host, port = origin
    shown_host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown_host}:{port}"
