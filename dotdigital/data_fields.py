"""Data fields written from the pages: created and deleted in Dotdigital first, then here; notes; Synchronize.

Dotdigital cannot change a data field once created (Oro's "Existing data fields cannot be updated"): only the local
notes are editable. Each refusal becomes a `DataFieldRefused` that names the form field it concerns and says, in
plain words, what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from dotdigital.exceptions import DotdigitalError, NotFoundError, ValidationError
from dotdigital.installation import SOURCE
from dotdigital.integration import explain
from dotdigital.models import DataField
from integrations.crypto import SecretsUnreadable
from integrations.models import Integration, SyncTrigger
from integrations.services import ScheduleResult, schedule_sync

TYPES = ("String", "Numeric", "Date", "Boolean")
VISIBILITIES = ("Private", "Public")
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
NAME_RULE = "Use 1 to 20 letters, digits, hyphens (-) or underscores (_), with no spaces."
CONNECTOR = "data_fields"
YES = ("yes", "true", "1", "y", "on")
NO = ("no", "false", "0", "n", "off")


class DefaultDoesNotFit(ValueError):
    """The default value typed does not fit the data field's type."""


class DataFieldRefused(Exception):
    """Dotdigital (or the check before calling it) refused: `field` is the form field to show it beside, or ""
    for a message about the whole form (Dotdigital unreachable, say); `dependencies` what uses a field."""

    def __init__(self, message: str, field: str = "", dependencies: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.dependencies = dependencies or []

    def __str__(self) -> str:
        return self.message


def parse_default(type_: str, raw: Any) -> Any:
    """The JSON value Dotdigital takes as the default of a `type_` field, from what was typed (None when blank).

    Numeric: a number (an int when whole, as Oro sends it); Date: `YYYY-MM-DDTHH:MM:SS`; Boolean: Yes/No (or
    true/false, 1/0); String: as typed. Raises DefaultDoesNotFit with the reason.
    """
    text = "" if raw is None else str(raw).strip()
    if text == "":
        return None
    if type_ == "Numeric":
        try:
            number = Decimal(text.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text) else text)
        except InvalidOperation:
            raise DefaultDoesNotFit(f"“{text}” is not a number: enter digits, for example 10 or 4.5.") from None
        if not number.is_finite():
            raise DefaultDoesNotFit(f"“{text}” is not a number: enter digits, for example 10 or 4.5.")
        return int(number) if number == number.to_integral_value() else float(number)
    if type_ == "Date":
        moment = parse_datetime(text) if "T" in text or " " in text else None
        day = None if moment else parse_date(text)
        if moment is None and day is None:
            raise DefaultDoesNotFit(f"“{text}” is not a date: enter it as YYYY-MM-DD, for example 2025-12-31.")
        if moment is None:
            moment = datetime.combine(day, time())
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    if type_ == "Boolean":
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return False
        raise DefaultDoesNotFit(f"“{text}” is not Yes or No: choose Yes or No, or leave it blank.")
    return text


def display_default(type_: str, value: Any) -> str:
    """A stored default as the grid shows it: Yes/No for booleans, a date for dates, "" when there is none."""
    if isinstance(value, dict):  # some accounts wrap it: {"value": ...}
        value = next(iter(value.values()), None) if value else None
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or type_ == "Boolean":
        if isinstance(value, str):
            value = value.strip().lower() in YES
        return "Yes" if value else "No"
    if type_ == "Date" and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return moment.strftime("%Y-%m-%d") if moment.time() == time() else moment.strftime("%Y-%m-%d %H:%M")
        day = parse_date(value)
        return day.isoformat() if isinstance(day, date) else value
    return str(value)


def name_taken(integration: Integration, name: str) -> bool:
    return DataField.objects.filter(integration=integration, name__iexact=name).exists()


def _refusal(error: DotdigitalError, name: str) -> DataFieldRefused:
    """What a Dotdigital refusal of a create means, and where on the form to say it."""
    code = error.code or ""
    message = (error.message or "").lower()
    if code == "ERROR_NON_UNIQUE_DATAFIELD":
        return DataFieldRefused(
            f"Dotdigital already has a data field named {name}. Press Synchronize on the Data Fields page to see "
            "it here, or choose another name.",
            "name",
        )
    if code == "ERROR_DATAFIELD_LIMITEXCEEDED":
        return DataFieldRefused(
            "The Dotdigital account has reached its limit of data fields. Delete data fields it no longer uses, "
            "then try again."
        )
    if code == "ERROR_DATAFIELD_INVALID" or isinstance(error, ValidationError):
        if "default" in message:
            return DataFieldRefused(f"Dotdigital refused this default value for the type: {error.message}", "default")
        if "name" in message:
            return DataFieldRefused(f"Dotdigital refused this name. {NAME_RULE} ({error.message})", "name")
        if "type" in message:
            return DataFieldRefused(f"Dotdigital refused this type: {error.message}", "type")
        if "visibility" in message:
            return DataFieldRefused(f"Dotdigital refused this visibility: {error.message}", "visibility")
    return DataFieldRefused(f"The data field was not created. {explain(error)} Nothing was lost: try again.")


def create_data_field(
    integration: Integration,
    *,
    name: str,
    type: str,  # noqa: A002 - Dotdigital's word
    visibility: str,
    default: Any = None,
    notes: str = "",
) -> DataField:
    """Create the field in Dotdigital, then here (only when Dotdigital accepted it). The name is upper-cased, as
    Dotdigital stores it. Raises DataFieldRefused (checked before any call, or Dotdigital's refusal)."""
    name = (name or "").strip().upper()
    if not NAME_RE.match(name):
        raise DataFieldRefused(NAME_RULE, "name")
    if name_taken(integration, name):
        raise DataFieldRefused(f"Field with such name already exists in the integration “{integration}”.", "name")
    if type not in TYPES:
        raise DataFieldRefused(f"Choose one of {', '.join(TYPES)}.", "type")
    try:
        value = parse_default(type, default)
    except DefaultDoesNotFit as problem:
        raise DataFieldRefused(f"Default value doesn't match the field's type. {problem}", "default") from None
    try:
        body = (
            integration.installation()
            .interactive_client()
            .create_data_field(name, type=type, visibility=visibility, default=value)
        )
    except DotdigitalError as error:
        raise _refusal(error, name) from error
    except SecretsUnreadable as error:
        raise DataFieldRefused(str(error)) from error
    stored = body.get("defaultValue", value) if isinstance(body, dict) else value
    return DataField.objects.create(
        integration=integration,
        name=name,
        type=type,
        visibility=visibility,
        default_value=value if stored is None and value is not None else stored,
        notes=notes,
        last_synced_at=timezone.now(),
    )


def describe_dependencies(dependencies: Any) -> list[str]:
    """Dotdigital's `dependencies` (strings, or `{"type", "objectId"}` objects) as lines a person reads."""
    if not dependencies:
        return []
    if not isinstance(dependencies, list):
        dependencies = [dependencies]
    lines = []
    for item in dependencies:
        if isinstance(item, dict):
            kind = next((v for k, v in item.items() if k.lower() == "type"), "") or "Item"
            object_id = next((v for k, v in item.items() if k.lower() == "objectid"), "")
            lines.append(f"{kind} {object_id}".strip())
        else:
            lines.append(str(item))
    return lines


def delete_data_field(data_field: DataField) -> None:
    """Delete the field in Dotdigital, then here. A field Dotdigital no longer has is deleted here too.

    Raises DataFieldRefused: a default (reserved) field, one in use (with what uses it), or Dotdigital unreachable.
    """
    try:
        answer = data_field.integration.installation().interactive_client().delete_data_field(data_field.name)
    except NotFoundError:
        answer = {"result": True}  # already gone in Dotdigital: nothing there to keep it for
    except ValidationError as error:
        if error.status == 409:
            raise DataFieldRefused(
                f"The data field {data_field.name} cannot be removed: it is in use elsewhere in Dotdigital. "
                f"({error.message})"
            ) from error
        raise DataFieldRefused(
            f"Dotdigital refused to delete {data_field.name}: it is one of the account's default fields, which "
            f"cannot be deleted, or it is not valid. Dotdigital said: {error.message}"
        ) from error
    except DotdigitalError as error:
        raise DataFieldRefused(f"The data field was not deleted. {explain(error)}") from error
    except SecretsUnreadable as error:
        raise DataFieldRefused(str(error)) from error
    result = next((v for k, v in answer.items() if k.lower() == "result"), True) if isinstance(answer, dict) else True
    if result is False:
        dependencies = describe_dependencies(next((v for k, v in answer.items() if k.lower() == "dependencies"), None))
        raise DataFieldRefused(
            f"The data field {data_field.name} cannot be removed: it is in use elsewhere in Dotdigital. Remove it "
            "from what uses it, then delete it again.",
            dependencies=dependencies,
        )
    data_field.delete()


def update_notes(data_field: DataField, notes: str) -> None:
    """Notes are ours alone: Dotdigital has no such thing, and a data field cannot be changed there."""
    DataField.objects.filter(pk=data_field.pk).update(notes=notes)
    data_field.notes = notes


@dataclass(frozen=True)
class SyncRequest:
    integration: Integration
    result: ScheduleResult


def synchronize_data_fields(
    *, user: AbstractBaseUser | None, integration: Integration | None = None
) -> list[SyncRequest]:
    """Queue, for each active Dotdigital integration (or the one given), a job of the data-fields connector alone,
    full so that the once-a-day rule does not skip it; a running job of the integration is returned instead."""
    integrations = Integration.objects.active().of_type(SOURCE).order_by("name")
    if integration is not None:
        integrations = integrations.filter(pk=integration.pk)
    return [
        SyncRequest(
            integration,
            schedule_sync(integration, trigger=SyncTrigger.BUTTON, user=user, connectors=[CONNECTOR], full=True),
        )
        for integration in integrations.select_related("default_owner")
    ]
