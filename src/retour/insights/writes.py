"""How the refresh writes its rows: in bulk, without a model instance per row."""

from collections.abc import Sequence

from django.db import connection
from django.db.models import QuerySet

BATCH = 5000


def insert_rows(model, columns: Sequence[str], rows: list[tuple]) -> None:
    """Writes the rows with plain `executemany`: a model instance per row (`bulk_create`) cost
    ten times the database's own work on a full build (1,000,000 rows)."""
    table = connection.ops.quote_name(model._meta.db_table)
    names, marks = ", ".join(columns), ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 (names of ours)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def insert_select(model, columns: Sequence[str], select: QuerySet, prefix: str) -> int:
    """Writes what `select` reads, by the database itself (`INSERT … SELECT`): each column from
    the select's value named `prefix` + the column's name. How many rows."""
    sql, params = select.query.sql_with_params()
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(name) for name in columns)
    picked = ", ".join(f"picked.{quote(prefix + name)}" for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {picked} FROM ({sql}) picked",  # noqa: S608
            params,
        )
        return cursor.rowcount
