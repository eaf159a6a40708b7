"""Indexes for the contacts grid's prefix search on PostgreSQL.

Django's `istartswith` compiles to `UPPER(col::text) LIKE UPPER('abc%')` on PostgreSQL; only an expression index with
`text_pattern_ops` serves that in every collation. Other databases get nothing here (SQLite is for small data).
"""

from django.db import migrations

COLUMNS = ("first_name", "last_name", "email")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS mkt_contact_{column}_prefix_idx "
            f"ON marketing_contact (UPPER({column}::text) text_pattern_ops, id)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS mkt_contact_{column}_prefix_idx")


class Migration(migrations.Migration):
    dependencies = [("marketing", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
