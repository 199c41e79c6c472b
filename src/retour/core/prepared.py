"""Run a hot queryset many times without paying Django's SQL compilation each time.

This relies on the compiler's documented-in-code internals (`as_sql`, `results_iter`,
`klass_info`, `get_related_populators`): check it when upgrading Django; the tests of every
caller would fail if they changed.

On PostgreSQL the statement is also prepared on the server, once per connection: planning the
eligibility reads (correlated sums per line) took 1.1 ms of PostgreSQL's CPU per portal page,
three times their execution (EXPLAIN ANALYZE, bench/portal_bench.py). Django leaves psycopg's
prepared statements off for the sake of transaction-mode poolers; PgBouncer keeps them since 1.21
(`max_prepared_statements`); `RETOUR_DB_PREPARED_STATEMENTS=0` turns them off (settings.py).
"""

import threading
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler
from psycopg import Cursor


class PreparedQuery:
    """A queryset whose SQL is compiled once per thread and database, then run again with other
    values of its arguments.

    Why: Django builds and compiles a queryset's SQL on every evaluation; for the hot reads (an
    order's returnable quantities, a return's eligibility facts, the API key) that costs more
    than the database takes to run them. The SQL is built once with sentinel arguments, and each
    run swaps the real values into the parameters and turns the rows into model instances the
    way `ModelIterable` does (converters, select_related, annotations).

    `kinds` gives the type of each argument of `build` (int ids, str codes); each sentinel must
    land exactly once among the parameters, unchanged.
    """

    def __init__(self, build: Callable[..., QuerySet], kinds: tuple[type, ...] = (int,)) -> None:
        self._build = build
        # Values no row has, to find each argument's place among the parameters.
        self._sentinels = [
            -739_104_227 - index if kind is int else f"\x1fsentinel-{index}\x1f"
            for index, kind in enumerate(kinds)
        ]
        self._local = threading.local()

    def _prepared(self, using: str) -> "_Compiled":
        cache = self._local.__dict__.setdefault("by_alias", {})
        if using not in cache:
            compiler = self._build(*self._sentinels).query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            params = list(params)
            places = [params.index(sentinel) for sentinel in self._sentinels]
            if any(params.count(sentinel) != 1 for sentinel in self._sentinels):
                raise RuntimeError("each argument must appear once among the query's parameters")
            cache[using] = _Compiled(compiler, sql, params, places)
        return cache[using]

    def run(self, *values, using: str = DEFAULT_DB_ALIAS) -> list:
        compiled = self._prepared(using)
        params = list(compiled.params)
        for place, value in zip(compiled.places, values, strict=True):
            params[place] = value
        with _cursor(connections[using]) as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return compiled.objects(rows, using)


class _Compiled:
    """A query's SQL and what turns its rows into model instances, worked out once: the
    converters and related populators that Django would otherwise rebuild on every run."""

    def __init__(self, compiler: SQLCompiler, sql: str, params: list, places: list[int]) -> None:
        self.sql, self.params, self.places = sql, params, places
        self.compiler = compiler
        select, klass_info = compiler.select, compiler.klass_info
        columns = [column[0] for column in select[: compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise RuntimeError("composite fields are not supported")
        self.converters = compiler.get_converters(columns)
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.model = klass_info["model"]
        self.init_list = [column[0].target.attname for column in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, compiler.using)
        self.annotations = list(compiler.annotation_col_map.items())

    def objects(self, rows: list, using: str) -> list:
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        objects = []
        for row in rows:
            obj = self.model.from_db(using, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, position in self.annotations:
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects


def _cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """Django's cursor, or on PostgreSQL one that binds the parameters on the server and runs a
    prepared statement. Not while queries are logged (DEBUG, tests counting queries): Django's
    log reads the SQL off a client-side cursor, so there the same SQL runs unprepared."""
    if connection.vendor != "postgresql" or connection.queries_logged:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    return connection.make_cursor(_PreparingCursor(connection.connection))


class _PreparingCursor(Cursor):
    def execute(self, query, params=None, **options):
        return super().execute(query, params, prepare=True, **options)
