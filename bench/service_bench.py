"""Time the two hot services in-process: the shopper's order look-up and opening a return.

    .venv/bin/python bench/service_bench.py        # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/retour_bench \
        .venv/bin/python bench/service_bench.py    # PostgreSQL

The first run generates the data set (100,000 orders); later runs reuse it. The returns the
bench opens are deleted afterwards, so the data set stays the same from run to run.
"""

import argparse
import json
import os
import sys
import time

from _common import (
    RESULTS_DIR,
    configure,
    lookup_sample,
    orders_with_two_delivered_lines,
    prepare_dataset,
    summarise,
)

MAX_LOOKUP_QUERIES = 3


def bench_lookups(store, samples: list[tuple[str, str]]) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from retour.commerce.selectors import find_order_for_shopper

    number, email = samples[0]
    with CaptureQueriesContext(connection) as captured:
        found = find_order_for_shopper(store_id=store.pk, number=number, email=email)
    assert found is not None, "the sample order was not found"
    queries = len(captured.captured_queries)
    if queries > MAX_LOOKUP_QUERIES:
        sys.exit(f"order look-up makes {queries} queries (at most {MAX_LOOKUP_QUERIES} allowed)")
    timings = []
    for number, email in samples:
        started = time.perf_counter()
        order = find_order_for_shopper(store_id=store.pk, number=number, email=email)
        timings.append(time.perf_counter() - started)
        assert order is not None
    return summarise(timings) | {"queries": queries}


def _create(order, line_ids: list[int]):
    from retour.core.actors import Actor
    from retour.returns.services import LineRequest, create_return

    return create_return(
        order=order,
        lines=[
            LineRequest(order_line_id=line_ids[0], quantity=1, reason_code="too_small"),
            LineRequest(order_line_id=line_ids[1], quantity=1, reason_code="changed_mind"),
        ],
        method="drop_off",
        resolution="refund",
        actor=Actor.system("bench"),
    )


def bench_returns(store, count: int, seed: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from retour.commerce.models import Order
    from retour.returns.models import Return

    eligible = orders_with_two_delivered_lines(store, count + 1, seed)
    orders = Order.objects.in_bulk([order_id for order_id, _number, _lines in eligible])
    created = []
    try:
        order_id, _number, line_ids = eligible[0]
        with CaptureQueriesContext(connection) as captured:
            created.append(_create(orders[order_id], line_ids).pk)
        timings = []
        for order_id, _number, line_ids in eligible[1:]:
            started = time.perf_counter()
            return_request = _create(orders[order_id], line_ids)
            timings.append(time.perf_counter() - started)
            created.append(return_request.pk)
    finally:
        # Leave the data set as it was, so every run measures the same thing.
        Return.objects.filter(pk__in=created).delete()
    return summarise(timings) | {"queries": len(captured.captured_queries)}


def _print(name: str, result: dict) -> None:
    print(
        f"{name:<28} n={result['n']:<6} p50 {result['p50_ms']:7.3f} ms   "
        f"p95 {result['p95_ms']:7.3f} ms   mean {result['mean_ms']:7.3f} ms   "
        f"{result['ops_s']:8.1f} ops/s   {result['queries']} queries"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders in the data set")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--lookups", type=int, default=5000)
    parser.add_argument("--returns", type=int, default=3000)
    args = parser.parse_args()
    label = configure(
        orders=args.orders, seed=args.seed, database_url=os.environ.get("DATABASE_URL")
    )
    store = prepare_dataset(orders=args.orders, seed=args.seed)
    print(f"Service bench on {label}: {args.orders:,} orders, one caller, in-process")
    results = {
        "database": label,
        "orders": args.orders,
        "lookup": bench_lookups(store, lookup_sample(store, args.lookups, args.seed)),
        "create_return": bench_returns(store, args.returns, args.seed),
    }
    _print("order look-up (number+email)", results["lookup"])
    _print("create return (2 lines)", results["create_return"])
    RESULTS_DIR.mkdir(exist_ok=True)
    vendor = "postgresql" if "PostgreSQL" in label else "sqlite"
    (RESULTS_DIR / f"service-{vendor}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
