"""Data field mappings: which marketing contact fields feed which Dotdigital data fields, per integration.

- `contact_fields()`: the contact fields a row may use and their kind, read from `Contact._meta`;
- `row_problems()`: the rules of a row (type fit, several fields only for String, two-way only for one field);
- `save_mapping()` / `delete_mapping()`: the writes of the pages; a change moves `DataFieldMapping.changed_at`;
- `create_default_mappings()`: FIRSTNAME, LASTNAME and FULLNAME after an integration's first data-field sync;
- `mapping_for_export()` and `export_values()`: what the export of marketing lists reads;
- `two_way_fields()` and `contact_value()`: what the contacts import writes back into marketing contacts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, NamedTuple

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from dotdigital.models import DataField, DataFieldMapping, DataFieldMappingRow
from integrations.models import Integration, SyncMark
from marketing.models import Contact

# Not mappable: the key, the owner and where the contact came from, and the timestamps the database keeps.
EXCLUDED_FIELDS = frozenset({"id", "owner", "source", "created_at", "updated_at"})
# The email identifies the contact in both systems: Dotdigital's copy never overwrites ours.
NOT_TWO_WAY = frozenset({"email"})
DEFAULT_ROWS = (("FIRSTNAME", ("first_name",)), ("LASTNAME", ("last_name",)), ("FULLNAME", ("first_name", "last_name")))
DEFAULTS_MARK = ("data_fields", "default_mappings")  # (connector, scope) of the SyncMark saying defaults were made

STRING, NUMBER, DATE, BOOLEAN = "string", "number", "date", "boolean"
KIND_LABELS = {STRING: "text", NUMBER: "a number", DATE: "a date", BOOLEAN: "yes/no"}
# Which contact-field kinds fit a data field type (Oro's rule: anything goes to String).
TYPE_FITS = {
    "String": frozenset({STRING, NUMBER, DATE, BOOLEAN}),
    "Numeric": frozenset({NUMBER}),
    "Date": frozenset({DATE}),
    "Boolean": frozenset({BOOLEAN}),
}


@dataclass(frozen=True)
class ContactField:
    name: str
    label: str
    kind: str
    two_way: bool  # may Dotdigital's value be written back into it


def _kind(model_field: models.Field) -> str | None:
    if isinstance(model_field, models.BooleanField):
        return BOOLEAN
    if isinstance(model_field, models.DateField):  # DateTimeField is a DateField
        return DATE
    if isinstance(model_field, models.IntegerField | models.FloatField | models.DecimalField):
        return NUMBER
    if isinstance(model_field, models.CharField | models.TextField | models.EmailField):
        return STRING
    return None  # binary, JSON and the like: not mappable


@cache
def contact_fields() -> tuple[ContactField, ...]:
    """The marketing Contact's mappable fields, in the model's order."""
    fields = []
    for model_field in Contact._meta.get_fields():
        if not model_field.concrete or model_field.is_relation or model_field.name in EXCLUDED_FIELDS:
            continue
        kind = _kind(model_field)
        if kind is None:
            continue
        label = str(model_field.verbose_name)
        fields.append(
            ContactField(model_field.name, label[:1].upper() + label[1:], kind, model_field.name not in NOT_TWO_WAY)
        )
    return tuple(fields)


def contact_field(name: str) -> ContactField | None:
    return next((f for f in contact_fields() if f.name == name), None)


def contact_field_label(name: str) -> str:
    found = contact_field(name)
    return found.label if found else name


def row_problems(data_field: DataField, names: Sequence[str], two_way: bool) -> dict[str, str]:
    """What is wrong with a row mapping `names` to `data_field`, by form field ("contact_fields", "two_way")."""
    problems: dict[str, str] = {}
    if not names:
        return {"contact_fields": "Choose the contact field that feeds this data field."}
    unknown = [name for name in names if contact_field(name) is None]
    if unknown:
        return {"contact_fields": f"Not a contact field that can be mapped: {', '.join(unknown)}."}
    if len(names) > 1 and data_field.type != "String":
        problems["contact_fields"] = (
            f"Several contact fields can only be joined into a String data field; {data_field.name} is "
            f"{data_field.type}. Choose one contact field."
        )
    else:
        fits = TYPE_FITS.get(data_field.type, frozenset())
        for name in names:
            found = contact_field(name)
            if found.kind not in fits:
                problems["contact_fields"] = (
                    f"{found.label} holds {KIND_LABELS[found.kind]}, which does not fit the {data_field.type} data "
                    f"field {data_field.name}. Choose a {data_field.type} data field or another contact field."
                )
                break
    if two_way and len(names) > 1:
        problems["two_way"] = "Two-way sync needs a single contact field: Dotdigital's value cannot be split."
    elif two_way and not contact_field(names[0]).two_way:
        problems["two_way"] = f"{contact_field(names[0]).label} identifies the contact: it is never written back."
    return problems


class MappedField(NamedTuple):
    """One row as the export and the contacts import read it."""

    data_field: str
    type: str
    contact_fields: tuple[str, ...]
    two_way: bool


class ExportMapping(NamedTuple):
    fields: list[MappedField]
    changed_at: datetime | None


def mapping_for_export(integration: Integration | int) -> ExportMapping:
    """The integration's mapping for the export: its rows (data field name, type, contact fields, two-way) and when
    it last changed (None without a mapping). The export re-sends every member once when `changed_at` is newer
    than its own mark."""
    integration_id = integration if isinstance(integration, int) else integration.pk
    mapping = DataFieldMapping.objects.filter(integration_id=integration_id).only("changed_at").first()
    if mapping is None:
        return ExportMapping([], None)
    rows = mapping.rows.select_related("data_field").order_by("data_field__name")
    return ExportMapping(
        [MappedField(r.data_field.name, r.data_field.type, tuple(r.contact_fields), r.two_way) for r in rows],
        mapping.changed_at,
    )


def _export_value(type_: str, values: list[Any]) -> Any:
    if type_ == "String":
        parts = [_as_text(v) for v in values]
        return " ".join(p for p in parts if p)
    value = values[0] if values else None
    if value is None or value == "":
        return ""
    if type_ == "Date":
        if isinstance(value, datetime):
            return (timezone.localtime(value) if timezone.is_aware(value) else value).strftime("%Y-%m-%dT%H:%M:%S")
        if isinstance(value, date):
            return datetime.combine(value, time()).strftime("%Y-%m-%dT%H:%M:%S")
    if type_ == "Boolean":
        return "true" if value else "false"
    return value


def holds(type_: str, held: Any, exported: Any) -> bool:
    """Whether Dotdigital's value of a data field (`held`, as its API gives it: typed JSON) is the value the export
    would send (`exported`, as `export_values` gives it). Only a certain match counts: a value that cannot be read
    as the field's type is taken as different, so the export sends it rather than skip a change."""
    if held is None or held == "":
        return exported is None or exported == ""
    if exported is None or exported == "":
        return False
    if type_ == "Numeric":
        try:
            return Decimal(str(held)) == Decimal(str(exported))
        except InvalidOperation:
            return False
    if type_ == "Date":
        ours, theirs = parse_datetime(str(exported)), parse_datetime(str(held))
        if ours is None or theirs is None:
            return False
        # Dotdigital answers in UTC (often without a zone); the export writes local time without one.
        if timezone.is_naive(ours):
            ours = timezone.make_aware(ours)
        if timezone.is_naive(theirs):
            theirs = theirs.replace(tzinfo=UTC)
        return ours == theirs
    if type_ == "Boolean":
        return str(held).lower() == str(exported).lower()
    return str(held) == str(exported)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value).strip()


def export_values(fields: Iterable[MappedField], contact: Contact | Mapping[str, Any]) -> dict[str, Any]:
    """The data-field values of one contact (a Contact or a dict of its fields), by data field name: several
    contact fields joined with a space, dates as `YYYY-MM-DDTHH:MM:SS`, booleans as true/false."""
    get = contact.get if isinstance(contact, Mapping) else lambda name: getattr(contact, name, None)
    return {f.data_field: _export_value(f.type, [get(name) for name in f.contact_fields]) for f in fields}


def two_way_fields(integration: Integration) -> list[tuple[str, ContactField]]:
    """(data field name, contact field) of the integration's two-way rows: what the contacts import writes back."""
    rows = DataFieldMappingRow.objects.filter(mapping__integration=integration, two_way=True).select_related(
        "data_field"
    )
    pairs = []
    for row in rows:
        found = contact_field(row.contact_fields[0]) if len(row.contact_fields) == 1 else None
        if found is not None and found.two_way:
            pairs.append((row.data_field.name, found))
    return pairs


class NotConvertible(ValueError):
    pass


def contact_value(target: ContactField, value: Any) -> Any:
    """A Dotdigital data-field value converted for a contact field (None clears it). Raises NotConvertible."""
    if value is None or value == "":
        return None
    if target.kind == STRING:
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return str(value)
    if target.kind == NUMBER:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise NotConvertible(f"{value!r} is not a number") from None
    if target.kind == DATE:
        text = str(value)
        moment = parse_datetime(text)
        found = moment.date() if moment else parse_date(text)
        if found is None:
            raise NotConvertible(f"{value!r} is not a date")
        return found
    if target.kind == BOOLEAN:
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise NotConvertible(f"{value!r} is not true or false")
    raise NotConvertible(f"no conversion to {target.kind}")


# -- writes ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowSpec:
    data_field: DataField
    contact_fields: tuple[str, ...]
    two_way: bool


@transaction.atomic
def save_mapping(
    integration: Integration, rows: Iterable[RowSpec], *, user: AbstractBaseUser | None
) -> DataFieldMapping:
    """Make the integration's mapping hold exactly `rows` (checked by the form); `changed_at` moves only when
    something changed, so the export re-sends the lists only then."""
    mapping, created = DataFieldMapping.objects.select_for_update().get_or_create(integration=integration)
    wanted = {row.data_field.pk: row for row in rows}
    existing = {row.data_field_id: row for row in mapping.rows.all()}
    gone = [row.pk for data_field_id, row in existing.items() if data_field_id not in wanted]
    changed = []
    for data_field_id, spec in wanted.items():
        row = existing.get(data_field_id)
        if row is not None and (tuple(row.contact_fields), row.two_way) != (spec.contact_fields, spec.two_way):
            row.contact_fields, row.two_way = list(spec.contact_fields), spec.two_way
            changed.append(row)
    new = [
        DataFieldMappingRow(
            mapping=mapping, data_field=spec.data_field, contact_fields=list(spec.contact_fields), two_way=spec.two_way
        )
        for data_field_id, spec in wanted.items()
        if data_field_id not in existing
    ]
    DataFieldMappingRow.objects.filter(pk__in=gone).delete()
    DataFieldMappingRow.objects.bulk_update(changed, ["contact_fields", "two_way"])
    DataFieldMappingRow.objects.bulk_create(new)
    mapping.updated_by = user if user is not None and user.is_authenticated else None
    if created or gone or changed or new:
        mapping.changed_at = timezone.now()
    mapping.save()
    return mapping


def delete_mapping(mapping: DataFieldMapping) -> None:
    """Delete the mapping and its rows; the export then sends the email alone."""
    mapping.delete()


def create_default_mappings(integration: Integration) -> int:
    """FIRSTNAME ← first name, LASTNAME ← last name, FULLNAME ← first and last name, for the data fields the
    account has, once per integration: after its first data-field sync, and only when it has no mapping rows yet.

    A SyncMark remembers it was done, so a mapping that a user emptied or deleted is never re-created behind their
    back. Returns how many rows were created.
    """
    connector, scope = DEFAULTS_MARK
    if SyncMark.objects.filter(integration=integration, connector=connector, scope=scope).exists():
        return 0
    if not SyncMark.objects.filter(integration=integration, connector=connector, scope="").exists():
        return 0  # the data fields were never read: wait for the first sync that reads them
    created = 0
    with transaction.atomic():
        if not DataFieldMappingRow.objects.filter(mapping__integration=integration).exists():
            fields = {
                f.name: f
                for f in DataField.objects.filter(integration=integration, name__in=[n for n, _ in DEFAULT_ROWS])
            }
            specs = [
                RowSpec(fields[name], tuple(names), False)
                for name, names in DEFAULT_ROWS
                if name in fields and not row_problems(fields[name], names, False)
            ]
            if specs:
                save_mapping(integration, specs, user=None)
                created = len(specs)
        SyncMark.objects.create(integration=integration, connector=connector, scope=scope, value=created)
    return created
