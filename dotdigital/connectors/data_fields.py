"""Data fields: the account's contact data fields (name, type, visibility, default), at most once a day unless the
sync is full (Oro's rule, to spare the API); fields gone from Dotdigital are removed here."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from dotdigital.models import DataField
from integrations.sync import SyncContext

from .base import DotdigitalConnector, as_datetime, field, iso, text

INTERVAL = timedelta(days=1)


def default_of(value):
    if isinstance(value, dict):  # some accounts wrap it: {"value": ...}
        value = next(iter(value.values()), None) if value else None
    return None if value in ("", "null") else value


class DataFieldsConnector(DotdigitalConnector):
    key = "data_fields"
    label = "Data fields"

    def run(self, context: SyncContext) -> None:
        last = as_datetime(context.mark())
        now = timezone.now()
        if last is not None and now - last < INTERVAL:
            context.note(f"Not due: synced at {iso(last)}, at most once a day unless the sync is full.")
            return
        rows = context.installation.client().data_fields()
        fields = {}
        for row in rows:
            name = text(field(row, "name"), 40).strip() if isinstance(row, dict) else ""
            if not name or len(name) > 20:
                context.note(f"Data field skipped: no usable name in {str(row)[:80]}", skipped=1)
                continue
            fields[name.upper()] = {
                "name": name.upper(),
                "type": text(field(row, "type"), 20),
                "visibility": text(field(row, "visibility"), 20),
                "default_value": default_of(field(row, "defaultValue")),
            }
        integration = context.integration
        with context.atomic():
            existing = {f.name: f for f in DataField.objects.filter(integration=integration)}
            new = [
                DataField(integration=integration, last_synced_at=now, **values)
                for name, values in fields.items()
                if name not in existing
            ]
            DataField.objects.bulk_create(new)
            changed = []
            for name, data_field in existing.items():
                values = fields.get(name)
                if values is None:
                    continue
                if any(getattr(data_field, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(data_field, k, v)
                    changed.append(data_field)
                data_field.last_synced_at = now
            DataField.objects.bulk_update(
                [f for n, f in existing.items() if n in fields],
                ["type", "visibility", "default_value", "last_synced_at"],
            )
            gone = [f.pk for n, f in existing.items() if n not in fields]
            DataField.objects.filter(pk__in=gone).delete()
            context.save_mark(iso(now))
        context.report(
            read=len(rows),
            created=len(new),
            updated=len(changed),
            unchanged=len(existing) - len(changed) - len(gone),
            deleted=len(gone),
            done=len(rows),
        )
