"""Many rows of one model written straight to its table, for the bulk importer: PostgreSQL's
COPY, `executemany` elsewhere. No model instance per row (Django's `bulk_create` spends most of
its time building and preparing them): each row is a mapping holding (at least) the fields'
attnames, the fields not given take their default (`auto_now`/`auto_now_add`: now), and only the
values that need it are converted (JSON dumped; datetimes adapted where the backend stores
text)."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from django.db import connection, models, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone

_dumps = json.JSONEncoder(default=str).encode


def _json(value: Any) -> str | None:
    if value is None:
        return None
    if value == {}:  # most lines' options: not worth a dump
        return "{}"
    return _dumps(value)


def _text_array(values: Iterable[Any]) -> str:
    """A `text[]` literal: psycopg's list dumper, in Python, took longer than the query."""
    quoted = (str(value).replace("\\", "\\\\").replace('"', '\\"') for value in values)
    return "{" + ",".join(f'"{value}"' for value in quoted) + "}"


class Table:
    def __init__(self, model: type[models.Model], *, with_pk: bool = False) -> None:
        fields = [
            field for field in model._meta.concrete_fields if with_pk or not field.primary_key
        ]
        now = timezone.now()
        self.model = model
        self.fields = fields
        self.defaults = {
            field.attname: now
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            else field.get_default()
            for field in fields
        }
        # One C call picks a row's values in column order; keys that are not columns are left.
        self.values = operator.itemgetter(*(field.attname for field in fields))
        self.converts = [
            (index, convert)
            for index, field in enumerate(fields)
            if (convert := self._converter(field)) is not None
        ]

    @staticmethod
    def _converter(field: models.Field) -> Callable[[Any], Any] | None:
        if isinstance(field, models.JSONField):
            return _json
        if isinstance(field, models.DateTimeField) and connection.vendor != "postgresql":
            return connection.ops.adapt_datetimefield_value
        return None

    def _tuples(self, rows: Iterable[Mapping[str, Any]]) -> Iterator[tuple | list]:
        values, defaults, converts = self.values, self.defaults, self.converts
        for row in rows:
            items = list(values(defaults | row))
            for index, convert in converts:
                items[index] = convert(items[index])
            yield items

    def _copy(self, cursor: Any, table: str, columns: str, rows: Iterable[Mapping]) -> None:
        # psycopg's own cursor: its errors become Django's (IntegrityError) here.
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for values in self._tuples(rows):
                copy.write_row(values)

    def _copy_ignoring_conflicts(
        self, cursor: Any, table: str, columns: str, rows: Iterable[Mapping]
    ) -> None:
        """COPY into a temporary table, then one `INSERT … SELECT … ON CONFLICT DO NOTHING` in
        the rows' order (`ctid`: processes inserting the same keys in one order never
        deadlock): a statement per row cost more than the rest of a new customer's order."""
        staging = connection.ops.quote_name(f"staging_{self.model._meta.db_table}")
        # Names from the model, quoted; no values in these statements.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP"  # noqa: S608
            f" AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        self._copy(cursor, staging, columns, rows)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging}"  # noqa: S608
            f" ORDER BY ctid ON CONFLICT DO NOTHING"
        )
        cursor.execute(f"DROP TABLE {staging}")

    def write(self, rows: Iterable[Mapping[str, Any]], *, ignore_conflicts: bool = False) -> None:
        """Insert the rows; with `ignore_conflicts`, a row a unique constraint refuses is left
        out."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(field.column) for field in self.fields)
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                copy = self._copy_ignoring_conflicts if ignore_conflicts else self._copy
                copy(cursor, table, columns, rows)
                return
            on_conflict = OnConflict.IGNORE if ignore_conflicts else None
            verb = connection.ops.insert_statement(on_conflict=on_conflict)
            suffix = connection.ops.on_conflict_suffix_sql(self.fields, on_conflict, None, None)
            marks = ", ".join(["%s"] * len(self.fields))
            # Table and column names come from the model, quoted; the values are parameters.
            insert = f"{verb} {table} ({columns}) VALUES ({marks}) {suffix}"  # noqa: S608
            cursor.executemany(insert, list(self._tuples(rows)))


def next_ids(model: type[models.Model], count: int) -> list[int] | None:
    """`count` new ids from the sequence of `model`'s primary key, taken ahead so that rows
    written with them need not be read back (PostgreSQL); None where there is no sequence."""
    if connection.vendor != "postgresql":
        return None
    query = (
        "SELECT nextval(q.s) FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass AS s) AS q,"
        " generate_series(1, %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [model._meta.db_table, model._meta.pk.column, count])
        return [pk for (pk,) in cursor.fetchall()]


def ids_by(model: type[models.Model], key: str, values: list[str], *, store: Any) -> dict[str, int]:
    """`{value of key: id}` for the rows of `model` in `store` whose `key` (a text column, never
    blank: the lookups' keys are validated) is one of `values`.

    On PostgreSQL, one query probes the store's unique index once per value: the values travel
    as one `text[]` (psycopg's list dumper, in Python, took longer than the query), and each is
    looked up on its own, a plan any statistics give. `= ANY(array)` was read as a scan of the
    store's rows while the tables had no statistics yet (a bulk import into a new store: 0.3 s a
    batch at 1,000,000 orders), and cannot use a partial index (orders' external ids) unless its
    condition is repeated. SQLite's `IN` needs that condition too (`exclude`)."""
    if not values:
        return {}
    if connection.vendor != "postgresql":
        matching = model._default_manager.filter(store=store, **{f"{key}__in": values})
        return dict(matching.exclude(**{key: ""}).values_list(key, "pk"))
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(key).column)
    # Names from the model, quoted; the values are parameters.
    query = (
        f"SELECT k.v, (SELECT t.id FROM {table} t WHERE t.store_id = %s AND t.{column} = k.v"  # noqa: S608
        f" AND NOT (t.{column} = '')) FROM unnest(%s::text[]) AS k(v)"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [store.pk, _text_array(values)])
        return {value: pk for value, pk in cursor.fetchall() if pk is not None}
