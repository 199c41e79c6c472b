"""A function over a stream of items in worker processes, results in the items' order."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def ordered_map(
    function: Callable[[Item], Result],
    items: Iterable[Item],
    *,
    workers: int,
    initializer: Callable[[], None] | None = None,
) -> Iterator[Result]:
    """`map(function, items)` in `workers` forked processes. At most two items per worker are
    in flight: the stream is read as the results are used, so memory stays flat however long it
    is. An error in a worker is raised here, at its item's turn; the items not started are
    dropped."""
    context = multiprocessing.get_context("fork")
    pending: deque[Future[Result]] = deque()
    with ProcessPoolExecutor(workers, mp_context=context, initializer=initializer) as pool:
        try:
            for item in items:
                pending.append(pool.submit(function, item))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
