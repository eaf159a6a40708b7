"""The machinery of the importers' bulk writes: the result they all return, batching, checking a row against the
columns it is written to, and inserting a batch's new records without miscounting them when another writer races."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any, ClassVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from backoffice.bulk_insert import bulk_insert

BATCH_SIZE = 1000
INSERT_ATTEMPTS = 3  # a batch's INSERT is retried this often when other writers keep adding the same keys meanwhile
MAX_INTEGER = 2_147_483_647  # PostgreSQL's integer, the column type of a PositiveIntegerField


@dataclass
class UpsertResult:
    """What a bulk write did, by row key.

    `created`, `updated` and `unchanged` count the distinct keys written (a key given twice in a batch counts once);
    `skipped` counts every row refused, and `errors` holds (key, reason) for the first `MAX_ERRORS` of them: enough to
    act on, bounded for a million bad rows. `ids` maps the key of every row created, updated or found unchanged to the
    primary key of its record, so a caller can link its own records without a second query.
    """

    MAX_ERRORS: ClassVar[int] = 100

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[tuple[Any, str]] = field(default_factory=list)
    ids: dict[Any, int] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        """Records written: created or updated."""
        return self.created + self.updated

    def skip(self, key: Any, reason: str) -> None:
        """Count a refused row, and keep why while there is room."""
        self.skipped += 1
        if len(self.errors) < self.MAX_ERRORS:
            self.errors.append((key, reason))

    def merge(self, other: UpsertResult) -> UpsertResult:
        """Add `other`'s counts, errors (still bounded) and ids to this result; returns this result."""
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        self.errors.extend(other.errors[: max(0, self.MAX_ERRORS - len(self.errors))])
        self.ids.update(other.ids)
        return self

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        return self.merge(other)


class RowProblem(ValueError):
    """A row that cannot be written as it is; its message is the reason recorded in `UpsertResult.errors`."""


def batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """The rows in lists of at most `size`, read lazily so a caller can stream millions."""
    if size < 1:
        raise ValueError("batch_size must be at least 1")
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def clean_value(model: type[models.Model], name: str, value: Any) -> Any:
    """`value` as the column `name` of `model` stores it, or RowProblem saying why it cannot be stored.

    Checked here rather than left to the database because one refused value would fail the whole batch's INSERT:
    text longer than its column (never truncated silently), a value outside the field's choices, a negative or
    oversized count, a date that is not a date and time, a decimal with too many digits."""
    model_field = model._meta.get_field(name)
    if value is None:
        if model_field.null:
            return None
        if isinstance(model_field, models.CharField) and model_field.blank:
            return ""
        raise RowProblem(f"{name} is required")
    if isinstance(model_field, models.CharField):
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise RowProblem(f"{name} is not text")
        value = str(value)
        if model_field.max_length and len(value) > model_field.max_length:
            raise RowProblem(f"{name} longer than {model_field.max_length} characters")
        if model_field.choices and value not in {choice for choice, _ in model_field.flatchoices}:
            raise RowProblem(f"{name}: unknown value {value!r}")
        return value
    if isinstance(model_field, models.PositiveIntegerField):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INTEGER:
            raise RowProblem(f"{name} is not a whole number from 0 to {MAX_INTEGER:,}")
        return value
    if isinstance(model_field, models.DateTimeField):
        if not isinstance(value, datetime.datetime):
            raise RowProblem(f"{name} is not a date and time")
        # A naive time is read in the default time zone, as Django itself would, without its warning per row.
        return timezone.make_aware(value) if timezone.is_naive(value) else value
    if isinstance(model_field, models.DecimalField):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise RowProblem(f"{name} is not a number") from None
        whole_digits = model_field.max_digits - model_field.decimal_places
        if not number.is_finite() or abs(number) >= Decimal(10) ** whole_digits:
            raise RowProblem(f"{name} is not a number below {10**whole_digits:,}")
        return number
    if isinstance(model_field, models.ForeignKey):
        if isinstance(value, bool) or not isinstance(value, int):
            raise RowProblem(f"{name} is not an id")
        return value
    return value


def clean_moment(name: str, value: Any) -> datetime.datetime | None:
    """An optional date and time given by a row under `name` (not a column of its own), made aware as Django would."""
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        raise RowProblem(f"{name} is not a date and time")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def clean_id(name: str, value: Any) -> int:
    """A row's reference to a record by primary key."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RowProblem(f"{name} is not an id: {value!r}")
    return value


def clean_values(model: type[models.Model], values: Mapping[str, Any]) -> dict[str, Any]:
    """Every value of a row cleaned by `clean_value` (the first problem is raised)."""
    return {name: clean_value(model, name, value) for name, value in values.items()}


def differences(record: models.Model, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values that differ from what `record` holds."""
    return {name: value for name, value in values.items() if getattr(record, name) != value}


def apply(record: models.Model, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        setattr(record, name, value)


def insert_missing(
    model: type[models.Model],
    find_existing: Callable[[], dict[Any, Any]],
    build_new: Callable[[dict[Any, Any]], list[models.Model]],
) -> tuple[dict[Any, Any], list[models.Model]]:
    """Insert the records of a batch that do not exist yet, and say exactly which ones were inserted.

    `find_existing()` reads the batch's existing records (key -> record); `build_new(existing)` makes the records to
    insert. A plain INSERT (no ON CONFLICT DO NOTHING) either inserts every new record or fails on a key another writer
    added after the read; then it is rolled back to a savepoint and the batch read again, so that record is treated as
    existing (updated with the batch's values) rather than skipped silently and miscounted as created. Call inside a
    transaction. The inserted records come back with their primary keys (PostgreSQL and SQLite 3.35+ return them).
    """
    for attempt in range(1, INSERT_ATTEMPTS + 1):
        existing = find_existing()
        new = build_new(existing)
        if not new:
            return existing, new
        try:
            with transaction.atomic():
                bulk_insert(new)
        except IntegrityError:
            if attempt == INSERT_ATTEMPTS:
                raise
            continue
        return existing, new
    raise AssertionError("unreachable")  # pragma: no cover


def merge_by_key(rows: Iterable[tuple[Any, dict[str, Any]]]) -> dict[Any, dict[str, Any]]:
    """One set of values per key, applying a batch's rows in order: a later row's values win, keys it leaves out keep
    an earlier row's. (PostgreSQL refuses an INSERT ... ON CONFLICT DO UPDATE that touches a row twice, and a
    `bulk_update` naming a record twice would write one of the two at random.)"""
    merged: dict[Any, dict[str, Any]] = {}
    for key, values in rows:
        merged.setdefault(key, {}).update(values)
    return merged


def existing_pks(model: type[models.Model], pks: Iterable[int]) -> set[int]:
    """Which of `pks` exist: one query, so a row naming a deleted record is skipped instead of failing the batch's
    foreign key."""
    wanted = set(pks)
    if not wanted:
        return set()
    return set(model.objects.filter(pk__in=wanted).values_list("pk", flat=True))


def save_changed(model: type[models.Model], records: list[models.Model], fields: set[str]) -> None:
    """One UPDATE of the changed records (Django splits it only past the database's parameter limit), with their
    `updated_at` moved to now."""
    if not records:
        return
    now = timezone.now()
    for record in records:
        record.updated_at = now
    model.objects.bulk_update(records, sorted(fields | {"updated_at"}))


def write_changes(
    model: type[models.Model],
    existing: Mapping[Any, Any],
    values_by_key: Mapping[Any, dict[str, Any]],
    result: UpsertResult,
) -> dict[Any, int]:
    """Update the existing records whose values differ, in one UPDATE; count them and the unchanged. Returns their
    ids by key."""
    changed, fields = [], set()
    for key, record in existing.items():
        diff = differences(record, values_by_key[key])
        if diff:
            apply(record, diff)
            fields.update(diff)
            changed.append(record)
        else:
            result.unchanged += 1
    save_changed(model, changed, fields)
    result.updated += len(changed)
    return {key: record.pk for key, record in existing.items()}
