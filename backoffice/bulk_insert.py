"""`bulk_insert(objs)`: Django's `bulk_create` for the importers' hot paths, a few times cheaper per row on PostgreSQL.

A sync writes hundreds of thousands of rows. `bulk_create` spends most of its time per value in Python: each field's
`pre_save` and `get_db_prep_save`, then psycopg's client-side cursor quoting every parameter into the SQL text
(about 70 microseconds a row of ten columns, more than PostgreSQL takes to write it). Here, on PostgreSQL, the rows
go as one array per column (`INSERT ... SELECT * FROM UNNEST(%s::type[], ...)`, the statement Django itself builds)
through a server-side-binding cursor, so psycopg's C dumpers send the arrays without quoting them. Other databases
get `bulk_create` unchanged.

What it keeps of `bulk_create`: `auto_now`/`auto_now_add` fields set to now, field defaults already on the instance,
the new primary keys set on the instances (in order, as Django's own UNNEST insert relies on), `ignore_conflicts`
(then no keys are returned, as with `bulk_create`), and database errors raised as Django's (an `IntegrityError` on a
unique key, which the callers' savepoints handle). What it does not do: signals (bulk_create sends none either),
multi-table inheritance, or fields that need a placeholder of their own (none of the models it is used for).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone


def _column_type(field: models.Field, connection) -> str:
    """The column's type without its length (`varchar`, `bigint`: an array parameter is cast to `<type>[]`); a
    relation's is its target's."""
    return (field.target_field if field.is_relation else field).db_type(connection).split("(")[0]


def _converter(field: models.Field, connection) -> Any:
    """How one column's Python values become what psycopg sends; None when the value goes as it is."""
    if isinstance(field, models.JSONField):
        from psycopg.types.json import Jsonb

        encoder = field.encoder

        def to_jsonb(value: Any) -> Any:
            if value is None:
                return None
            return Jsonb(value, dumps=(lambda obj: encoder().encode(obj)) if encoder else None)

        return to_jsonb
    return None


def bulk_insert(objs: Sequence[models.Model], *, ignore_conflicts: bool = False, batch_size: int = 5000) -> None:
    """Insert `objs` (all of one model) like `Model.objects.bulk_create(objs, ignore_conflicts=...)`."""
    if not objs:
        return
    model = type(objs[0])
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, ignore_conflicts=ignore_conflicts, batch_size=batch_size)
        return
    opts = model._meta
    # An automatic primary key is the database's to give (bulk_create with explicit keys is not what this is for).
    fields = [f for f in opts.concrete_fields if not (f.primary_key and isinstance(f, AutoFieldMixin))]
    now = timezone.now()
    for field in fields:
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            for obj in objs:
                if field.auto_now or getattr(obj, field.attname) is None:
                    setattr(obj, field.attname, now)
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    types = ", ".join(f"%s::{_column_type(f, connection)}[]" for f in fields)
    # Identifiers come from the model, quoted by the backend; every value is a bound parameter.
    sql = f"INSERT INTO {qn(opts.db_table)} ({columns}) SELECT * FROM UNNEST({types})"  # noqa: S608
    pk = opts.pk
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    else:
        sql += f" RETURNING {qn(pk.column)}"
    converters = [_converter(f, connection) for f in fields]
    import psycopg

    connection.ensure_connection()
    for start in range(0, len(objs), batch_size):
        batch = objs[start : start + batch_size]
        arrays = []
        for field, convert in zip(fields, converters, strict=True):
            values = [getattr(obj, field.attname) for obj in batch]
            arrays.append([convert(v) for v in values] if convert else values)
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, arrays, binary=True)  # binary arrays: no quoting of each element in Python
            if not ignore_conflicts:
                for obj, (value,) in zip(batch, cursor.fetchall(), strict=True):
                    setattr(obj, pk.attname, value)
                    obj._state.adding = False
                    obj._state.db = using


def insert_values(
    model: type[models.Model],
    field_names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """PostgreSQL only: insert rows given as value tuples (in `field_names` order, already as their columns store
    them) with `INSERT ... SELECT * FROM UNNEST(...) ON CONFLICT DO NOTHING`, one array per column bound in binary, no
    model instance per row; returns the `returning` columns (SQL expressions of the table's columns) of the rows it
    inserted. A row that conflicts with a unique key (one present, or one another transaction commits meanwhile) is
    left out, without an error: the caller reads those afterwards."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        raise NotImplementedError("insert_values is PostgreSQL's; use bulk_create elsewhere")
    if not rows:
        return []
    fields = [model._meta.get_field(name) for name in field_names]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    types = ", ".join(f"%s::{_column_type(f, connection)}[]" for f in fields)
    # Identifiers come from the model, quoted by the backend; every value is a bound parameter.
    sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) SELECT * FROM UNNEST({types}) ON CONFLICT DO NOTHING"  # noqa: S608
    if returning:
        sql += f" RETURNING {', '.join(returning)}"
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)], binary=True)
        return cursor.fetchall() if returning else []


def update_rows(model: type[models.Model], field_names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Update rows given as (pk, *values in `field_names` order) tuples: on PostgreSQL one
    `UPDATE ... FROM UNNEST(...)` with an array per column bound in binary; elsewhere `bulk_update`. (Django's
    `bulk_update` builds a `CASE WHEN` per row and field: its Python cost grows with rows x fields, and was most of a
    sync's time when a thousand links changed.)"""
    if not rows:
        return
    using = router.db_for_write(model)
    connection = connections[using]
    opts = model._meta
    fields = [opts.get_field(name) for name in field_names]
    if connection.vendor != "postgresql":
        objs = []
        for row in rows:
            obj = model(pk=row[0])
            for field, value in zip(fields, row[1:], strict=True):
                setattr(obj, field.attname, value)
            objs.append(obj)
        model._default_manager.using(using).bulk_update(objs, [field.name for field in fields])
        return
    import json

    import psycopg

    qn = connection.ops.quote_name

    json_at = {i for i, field in enumerate(fields) if isinstance(field, models.JSONField)}
    names = [f"c{i}" for i in range(len(fields))]
    arrays = [f"%s::{_column_type(opts.pk, connection)}[]"] + [
        "%s::text[]" if i in json_at else f"%s::{_column_type(field, connection)}[]" for i, field in enumerate(fields)
    ]
    assignments = ", ".join(
        f"{qn(field.column)} = u.{name}{'::jsonb' if i in json_at else ''}"
        for i, (field, name) in enumerate(zip(fields, names, strict=True))
    )
    # Identifiers come from the model, quoted by the backend; every value is a bound parameter.
    sql = (
        f"UPDATE {qn(opts.db_table)} AS t SET {assignments} "  # noqa: S608
        f"FROM UNNEST({', '.join(arrays)}) AS u(pk, {', '.join(names)}) WHERE t.{qn(opts.pk.column)} = u.pk"
    )
    columns = [list(column) for column in zip(*rows, strict=True)]
    for i in json_at:
        columns[i + 1] = [None if value is None else json.dumps(value) for value in columns[i + 1]]
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, columns, binary=True)


def insert_rows(model: type[models.Model], field_names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows given as value tuples (in `field_names` order; a relation by its name takes the related pk) that
    are known not to exist yet: COPY on PostgreSQL, no model instance per row; `bulk_create` elsewhere.

    For writers that own the keys they insert (a sync job, alone on its integration's rows by the job claim): a
    duplicate is an error, as with a plain INSERT, not silently skipped.
    """
    if not rows:
        return
    using = router.db_for_write(model)
    connection = connections[using]
    fields = [model._meta.get_field(name) for name in field_names]
    if connection.vendor != "postgresql":
        model._default_manager.using(using).bulk_create(
            [model(**{field.attname: value for field, value in zip(fields, row, strict=True)}) for row in rows]
        )
        return
    import json

    qn = connection.ops.quote_name
    json_positions = [i for i, field in enumerate(fields) if isinstance(field, models.JSONField)]
    columns = ", ".join(qn(field.column) for field in fields)
    connection.ensure_connection()
    statement = f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN"
    with (
        connection.wrap_database_errors,
        connection.connection.cursor() as cursor,
        cursor.copy(statement) as copy,
    ):
        for row in rows:
            if json_positions:
                row = list(row)
                for i in json_positions:
                    row[i] = None if row[i] is None else json.dumps(row[i])
            copy.write_row(row)
