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

    def _prepared(self, using: str):
        cache = self._local.__dict__.setdefault("by_alias", {})
        if using not in cache:
            compiler = self._build(*self._sentinels).query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            params = list(params)
            places = [params.index(sentinel) for sentinel in self._sentinels]
            if any(params.count(sentinel) != 1 for sentinel in self._sentinels):
                raise RuntimeError("each argument must appear once among the query's parameters")
            cache[using] = (compiler, sql, params, places)
        return cache[using]

    def run(self, *values, using: str = DEFAULT_DB_ALIAS) -> list:
        compiler, sql, params, places = self._prepared(using)
        params = list(params)
        for place, value in zip(places, values, strict=True):
            params[place] = value
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
