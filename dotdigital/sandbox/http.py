"""Request/response plumbing of the sandbox's WSGI app (kept apart from the handlers)."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs


class ApiError(Exception):
    """An error answered the way Dotdigital's v2 API does: `{"message": "... ERROR_X"}`."""

    def __init__(self, status: int, message: str, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or []


class Response:
    def __init__(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "application/json; charset=utf-8",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or []


def json_response(value: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def html_response(html: str, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, html.encode("utf-8"), "text/html; charset=utf-8", headers)


def redirect(location: str) -> Response:
    return Response(302, b"", "text/plain", [("Location", location)])


class Request:
    """The parts of a WSGI environ the handlers need. Query names are case-insensitive, like Dotdigital's."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ
        self.method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        raw = environ.get("PATH_INFO") or "/"
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            raw = raw.encode("latin-1").decode("utf-8")
        self.path = re.sub(r"/{2,}", "/", raw)  # a trailing-slash endpoint joined onto /v2/... gives //v2/...
        self.query_string = environ.get("QUERY_STRING", "")
        self.query: dict[str, str] = {}
        for name, values in parse_qs(self.query_string, keep_blank_values=True).items():
            self.query[name.lower()] = values[-1]
        self.content_type = str(environ.get("CONTENT_TYPE", "") or "")
        self._body: bytes | None = None

    def header(self, name: str, default: str = "") -> str:
        key = "HTTP_" + name.upper().replace("-", "_")
        return str(self.environ.get(key, default))

    @property
    def host_url(self) -> str:
        scheme = self.environ.get("wsgi.url_scheme", "http")
        host = self.environ.get("HTTP_HOST") or f"{self.environ.get('SERVER_NAME')}:{self.environ.get('SERVER_PORT')}"
        return f"{scheme}://{host}"

    @property
    def body(self) -> bytes:
        if self._body is None:
            try:
                length = int(self.environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            self._body = self.environ["wsgi.input"].read(length) if length > 0 else b""
        return self._body

    def json(self) -> Any:
        if not self.body.strip():
            raise ApiError(400, "The request body is empty. ERROR_MALFORMED_REQUEST")
        try:
            return json.loads(self.body.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(400, "The request body is not valid JSON. ERROR_BODY_DOES_NOT_MATCH_CONTENT_TYPE") from exc

    def form(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        for name, values in parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True).items():
            fields[name] = values[-1]
        return fields

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.query.get(name.lower())
        if value is None or value == "":
            return default
        if value.lower() in ("true", "1", "yes"):
            return True
        if value.lower() in ("false", "0", "no"):
            return False
        raise ApiError(400, f"The {name} parameter must be true or false. ERROR_PARAMETER_INVALID")

    def paging(self) -> tuple[int, int]:
        try:
            select = int(self.query.get("select", "1000") or "1000")
            skip = int(self.query.get("skip", "0") or "0")
        except ValueError as exc:
            raise ApiError(400, "select and skip must be whole numbers. ERROR_PARAMETER_INVALID") from exc
        if not 1 <= select <= 1000 or skip < 0:
            raise ApiError(
                400, "`select` must be between 1 and 1000. `skip` must not be negative. ERROR_PARAMETER_INVALID"
            )
        return select, skip


def lookup(mapping: Any, *names: str, default: Any = None) -> Any:
    """A key of a request object read case-insensitively (clients send camelCase or PascalCase)."""
    if not isinstance(mapping, dict):
        return default
    wanted = {name.lower() for name in names}
    for key, value in mapping.items():
        if isinstance(key, str) and key.lower() in wanted:
            return value
    return default


def enum_value(value: Any, allowed: tuple[str, ...], what: str, code: str, default: str | None = None) -> str:
    """An enum value read case-insensitively (also as its index), answered in its canonical casing."""
    if value is None or value == "":
        if default is not None:
            return default
        raise ApiError(400, f"{what} is required. {code}")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(allowed):
        return allowed[value]
    if isinstance(value, str):
        for option in allowed:
            if option.lower() == value.strip().lower():
                return option
    raise ApiError(400, f"{what} {value!r} is not one of {', '.join(allowed)}. {code}")


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_path_date(text: str) -> datetime:
    """A date from a `.../since/{date}` path: `...Z`, `...+0000`, `...+00:00` or a bare date (taken as UTC)."""
    value = text.strip().replace(" ", "+")
    try:
        if _DATE_ONLY.match(value):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        if value[-1:] in ("Z", "z"):
            value = value[:-1] + "+00:00"
        value = _COMPACT_OFFSET.sub(r"\1:\2", value)
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ApiError(400, f"The date {text!r} is not a valid ISO 8601 date. ERROR_PARAMETER_INVALID") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
