"""Handlers of the contact data field endpoints: list, create, delete."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from dotdigital.sandbox.http import ApiError, Request, Response, enum_value, json_response, lookup, parse_path_date
from dotdigital.sandbox.store import RESERVED_FIELDS, DataField, iso

if TYPE_CHECKING:
    from dotdigital.sandbox.app import SandboxApp

FIELD_TYPES = ("String", "Numeric", "Date", "Boolean")
VISIBILITIES = ("Private", "Public")
FIELD_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")


def _render_field(field: DataField) -> dict[str, Any]:
    return {"name": field.name, "type": field.type, "visibility": field.visibility, "defaultValue": field.default}


def list_data_fields(app: SandboxApp, request: Request) -> Response:
    with app.store.lock:
        return json_response([_render_field(f) for f in app.store.fields.values()])


def value_fits(type_: str, value: Any) -> bool:
    """Whether a JSON value can be stored in a data field of `type_` (None and "" clear any field)."""
    if value is None or value == "":
        return True
    if type_ == "String":
        return isinstance(value, str | int | float) and not isinstance(value, bool)
    if type_ == "Numeric":
        return isinstance(value, str | int | float) and _is_number(value)
    if type_ == "Date":
        return isinstance(value, str) and _is_date(value)
    if type_ == "Boolean":
        return isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false"))
    return False


def normalise_value(type_: str, value: Any) -> Any:
    """A value that fits (see `value_fits`) as Dotdigital stores and answers it: a Numeric as a JSON number
    ("7" is 7, "4.50" is 4.5), a Date as an ISO date-time in UTC, a Boolean as true/false."""
    if value is None or value == "":
        return None
    if type_ == "Boolean" and isinstance(value, str):
        return value.lower() == "true"
    if type_ == "Numeric" and isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            return float(text)
    if type_ == "Date":
        return iso(parse_path_date(value))
    return value


def _check_default(type_: str, default: Any) -> Any:
    if not value_fits(type_, default):
        raise ApiError(400, f"The default value is not a valid {type_}. ERROR_DATAFIELD_INVALID")
    return None if default in (None, "") else normalise_value(type_, default)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(number)  # NaN and Infinity are not JSON numbers


def _is_date(value: str) -> bool:
    try:
        parse_path_date(value)
    except ApiError:
        return False
    return True


def create_data_field(app: SandboxApp, request: Request) -> Response:
    body = request.json()
    if not isinstance(body, dict):
        raise ApiError(400, "The data field must be a JSON object. ERROR_DATAFIELD_INVALID")
    name = lookup(body, "name")
    if not isinstance(name, str) or not FIELD_NAME_RE.match(name):
        raise ApiError(400, "The name must be 1 to 20 letters, digits, hyphens or underscores. ERROR_DATAFIELD_INVALID")
    type_ = enum_value(lookup(body, "type"), FIELD_TYPES, "Type", "ERROR_DATAFIELD_INVALID")
    visibility = enum_value(
        lookup(body, "visibility"), VISIBILITIES, "Visibility", "ERROR_DATAFIELD_INVALID", default="Private"
    )
    default = _check_default(type_, lookup(body, "defaultValue"))
    store = app.store
    with store.lock:
        if name.upper() in store.fields:
            raise ApiError(400, "Field already exists. ERROR_NON_UNIQUE_DATAFIELD")
        field = DataField(name, type_, visibility, default)
        store.fields[name.upper()] = field
        store.touch()
        return json_response(_render_field(field), 201)


def delete_data_field(app: SandboxApp, request: Request, name: str) -> Response:
    store = app.store
    with store.lock:
        field = store.fields.get(name.upper())
        if field is None:
            raise ApiError(404, "Error: ERROR_DATAFIELD_NOTFOUND")
        if field.name.upper() in RESERVED_FIELDS:
            # Dotdigital refuses to delete its default fields outright; `result: false` means "in use" instead.
            raise ApiError(
                400, f"The data field {field.name} is a default field and cannot be deleted. ERROR_DATAFIELD_INVALID"
            )
        del store.fields[name.upper()]
        for state in store.changed.values():
            state.fields.pop(field.name.upper(), None)
        store.touch()
    return json_response({"dependencies": None, "result": True})
