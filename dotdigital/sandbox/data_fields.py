"""Handlers of the contact data field endpoints: list, create, delete."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from dotdigital.sandbox.http import ApiError, Request, Response, enum_value, json_response, lookup, parse_path_date
from dotdigital.sandbox.store import RESERVED_FIELDS, DataField

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


def _check_default(type_: str, default: Any) -> Any:
    if default is None or default == "":
        return None
    ok = {
        "String": isinstance(default, str | int | float) and not isinstance(default, bool),
        "Numeric": _is_number(default),
        "Date": isinstance(default, str) and _is_date(default),
        "Boolean": isinstance(default, bool) or str(default).lower() in ("true", "false"),
    }[type_]
    if not ok:
        raise ApiError(400, f"The default value is not a valid {type_}. ERROR_DATAFIELD_INVALID")
    if type_ == "Boolean" and not isinstance(default, bool):
        return str(default).lower() == "true"
    return default


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


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
            return json_response({"dependencies": [], "result": False})
        del store.fields[name.upper()]
        for state in store.changed.values():
            state.fields.pop(field.name.upper(), None)
        store.touch()
    return json_response({"dependencies": None, "result": True})
