"""Run a hot queryset many times without paying Django's SQL compilation each time.

This relies on the compiler's documented-in-code internals (`as_sql`, `results_iter`,
`klass_info`, `get_related_populators`): check it when upgrading Django; the tests of every
caller would fail if they changed.
"""

import threading
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators


class PreparedQuery:
    """A queryset whose SQL is compiled once per thread and database, then run again with
    another id.

    Why: queries with many correlated subqueries (a return's eligibility facts, an order's
    returnable quantities) take Django milliseconds to build and compile, and the database a
    fraction of that to run. The SQL is built once
    with a sentinel id, and each run swaps the real id into the parameters and turns the rows
    into model instances the way `ModelIterable` does (converters, select_related, annotations).
    """

    SENTINEL = -739_104_227  # an id no row has, to find the id's place among the parameters

    def __init__(self, build: Callable[[int], QuerySet]) -> None:
        self._build = build
        self._local = threading.local()

    def _prepared(self, using: str):
        cache = self._local.__dict__.setdefault("by_alias", {})
        if using not in cache:
            queryset = self._build(self.SENTINEL)
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            if list(params).count(self.SENTINEL) != 1:
                raise RuntimeError("the id must appear once among the query's parameters")
            cache[using] = (queryset, compiler, sql, list(params))
        return cache[using]

    def run(self, object_id: int, using: str = DEFAULT_DB_ALIAS) -> list:
        queryset, compiler, sql, params = self._prepared(using)
        params = [object_id if p == self.SENTINEL else p for p in params]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, using)
        objects = []
        for row in compiler.results_iter([rows]):
            obj = klass_info["model"].from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in compiler.annotation_col_map.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects
