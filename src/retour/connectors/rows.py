"""Many rows of one model written straight to its table, for the bulk importer: PostgreSQL's
COPY, `executemany` elsewhere. No model instance per row (Django's `bulk_create` spends most of
its time building and preparing them): each row is a dict keyed by the fields' attnames, the
fields not given take their default (`auto_now`/`auto_now_add`: now), and only the values that
need it are converted (JSON dumped; datetimes adapted where the backend stores text)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import connection, models
from django.utils import timezone


def _identity(value: Any) -> Any:
    return value


class Table:
    def __init__(self, model: type[models.Model]) -> None:
        fields = [field for field in model._meta.concrete_fields if not field.primary_key]
        now = timezone.now()
        self.model = model
        self.fields = fields
        self.defaults = {
            field.attname: now
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            else field.get_default()
            for field in fields
        }
        self.convert = [self._converter(field) for field in fields]

    @staticmethod
    def _converter(field: models.Field) -> Callable[[Any], Any]:
        if isinstance(field, models.JSONField):
            return lambda value: None if value is None else json.dumps(value, default=str)
        if isinstance(field, models.DateTimeField) and connection.vendor != "postgresql":
            return connection.ops.adapt_datetimefield_value
        return _identity

    def _tuples(self, rows: Iterable[Mapping[str, Any]]) -> Iterable[tuple]:
        names = [field.attname for field in self.fields]
        pairs = list(zip(names, self.convert, strict=True))
        defaults = self.defaults
        for row in rows:
            yield tuple(
                convert(row[name] if name in row else defaults[name]) for name, convert in pairs
            )

    def write(self, rows: Iterable[Mapping[str, Any]]) -> None:
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(field.column) for field in self.fields)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for values in self._tuples(rows):
                        copy.write_row(values)
                return
            # Table and column names come from the model, quoted; the values are parameters.
            marks = ", ".join(["%s"] * len(self.fields))
            insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(insert, list(self._tuples(rows)))


def ids_by(
    model: type[models.Model], key: str, values: list[Any], **filters: Any
) -> dict[Any, int]:
    """`{value of key: id}` for the rows of `model` (narrowed by `filters`) whose `key` is one of
    `values`. On PostgreSQL the values travel as one array (`= ANY(%s)`): a list of thousands of
    `IN` parameters costs more to build and parse than the query takes to run."""
    rows = model._default_manager.filter(**filters)
    if connection.vendor != "postgresql":
        return dict(rows.filter(**{f"{key}__in": values}).values_list(key, "pk"))
    column = connection.ops.quote_name(model._meta.get_field(key).column)
    matching = rows.extra(where=[f"{column} = ANY(%s)"], params=[list(values)])  # noqa: S610
    return dict(matching.values_list(key, "pk"))
