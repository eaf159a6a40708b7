"""The Django admin site of the back-office: the stock site, with changelist lookups bounded to the columns' ranges.

A changelist filters by whatever the query string says (`?owner=...`, `?id__in=...`); a number past the column's
integers goes through Django's foreign-key and `__in` lookups unchecked and fails inside the database, a 500. The
site's changelists refuse such a lookup as Django refuses any lookup it cannot use: a redirect to `?e=1`.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, router
from django.db.models import Field, ForeignKey, Model
from django.db.models.constants import LOOKUP_SEP


def lookup_field(model: type[Model], lookup: str) -> Field | None:
    """The column a changelist lookup (`owner`, `owner_id`, `owner__id__exact`, `id__in`) compares its value with."""
    opts, field = model._meta, None
    for part in lookup.split(LOOKUP_SEP):
        try:
            field = opts.get_field(part)
        except FieldDoesNotExist:
            break  # a lookup or transform name: `exact`, `in`, `gte`, `year`
        if field.is_relation and field.related_model is not None:
            opts = field.related_model._meta
    if field is not None and field.is_relation and field.related_model is not None:
        field = field.target_field if isinstance(field, ForeignKey) else field.related_model._meta.pk
    return field


def out_of_range(model: type[Model], lookup: str, value: str) -> bool:
    """Whether `value` holds a whole number past the range of the integer column `lookup` compares it with."""
    field = lookup_field(model, lookup)
    if field is None:
        return False
    ops = connections[router.db_for_read(model)].ops
    internal_type = field.get_internal_type()
    if internal_type not in ops.integer_field_ranges:
        return False
    low, high = ops.integer_field_range(internal_type)
    for item in value.split(","):  # the admin splits `__in` values on commas
        text = item.strip()
        if text.isascii() and text.lstrip("+-").isdigit():
            number = int(text)
            if (low is not None and number < low) or (high is not None and number > high):
                return True
    return False


class BoundedChangeList(ChangeList):
    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        for lookup, values in lookup_params.items():
            if any(out_of_range(self.model, lookup, value) for value in values):
                raise IncorrectLookupParameters(f"{lookup}: a number past the range of its column")
        return lookup_params


class BoundedLookupsMixin:
    """A ModelAdmin whose changelist refuses numbers past the range of the columns they filter."""

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList


class BackofficeAdminSite(admin.AdminSite):
    """The default admin site (see `backoffice.admin_config`): every ModelAdmin registered on it, Django's and other
    packages' included, gets `BoundedLookupsMixin`."""

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, BoundedLookupsMixin):
            admin_class = type(admin_class.__name__, (BoundedLookupsMixin, admin_class), {"__module__": __name__})
        super().register(model_or_iterable, admin_class, **options)
