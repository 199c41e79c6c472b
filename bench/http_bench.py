"""Load-test the API over HTTP with wrk: `retour serve` (gunicorn, 2 worker processes with 2
threads each, its default) on PostgreSQL, 127.0.0.1 only.

    .venv/bin/python bench/http_bench.py        # DATABASE_URL defaults to the bench database

Runs GET /api/v1/stores/demo-fr/orders/{number} and POST /api/v1/stores/demo-fr/returns (two
lines, each request on another order) at 1 and 8 connections, 10 s each. Needs wrk
(`apt-get install wrk`). The returns it opens are deleted at the end.
"""

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from _common import (
    DEFAULT_PG_URL,
    RESULTS_DIR,
    STORE,
    configure,
    lookup_sample,
    orders_with_two_delivered_lines,
    postgres_reachable,
    prepare_dataset,
    print_http_result,
    run_wrk,
    start_server,
)

RETURN_RATE_CEILING = 1500  # returns/s we prepare distinct orders for
CONNECTIONS = (1, 8)


def _api_key(store) -> str:
    from retour.accounts.models import ApiKey
    from retour.accounts.scopes import Scope
    from retour.accounts.services import create_api_key
    from retour.core.actors import Actor

    ApiKey.objects.filter(store=store, name="bench").delete()
    _key, raw = create_api_key(
        store=store,
        name="bench",
        scopes=[Scope.ORDERS_READ, Scope.RETURNS_WRITE],
        actor=Actor.system("bench"),
    )
    return raw


def _write_requests(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _read_requests(store, seed: int) -> list[str]:
    return [
        f"GET /api/v1/stores/{STORE}/orders/{number}"
        for number, _email in lookup_sample(store, 5000, seed)
    ]


def _return_requests(store, count: int, seed: int) -> list[list[str]]:
    """Distinct eligible orders for each run: a return consumes the lines it takes."""
    eligible = orders_with_two_delivered_lines(store, count * len(CONNECTIONS), seed)
    runs = []
    for run in range(len(CONNECTIONS)):
        bodies = []
        for _order_id, number, line_ids in eligible[run::2]:
            body = {
                "order_number": number,
                "method": "drop_off",
                "resolution": "refund",
                "lines": [
                    {"order_line_id": line_ids[0], "quantity": 1, "reason": "too_small"},
                    {"order_line_id": line_ids[1], "quantity": 1, "reason": "changed_mind"},
                ],
            }
            bodies.append(f"POST /api/v1/stores/{STORE}/returns {json.dumps(body)}")
        runs.append(bodies)
    return runs


def _wrk(port: int, token: str, requests: Path, connections: int, seconds: int) -> dict:
    return run_wrk(
        port=port,
        script="cycle.lua",
        requests=requests,
        connections=connections,
        seconds=seconds,
        env={"BENCH_TOKEN": token},
    )


def run(args: argparse.Namespace, store, token: str) -> dict:
    work = RESULTS_DIR / "http"
    work.mkdir(parents=True, exist_ok=True)
    reads = _write_requests(work / "reads.txt", _read_requests(store, args.seed))
    writes = [
        _write_requests(work / f"returns-{i}.txt", bodies)
        for i, bodies in enumerate(
            _return_requests(store, RETURN_RATE_CEILING * args.seconds, args.seed)
        )
    ]
    server = start_server(args.port, work / "server.log")
    results: dict = {"database": os.environ["DATABASE_URL"].rsplit("/", 1)[-1]}
    try:
        _wrk(args.port, token, reads, 2, 2)  # warm up both workers' connections
        results["read_order"] = [_wrk(args.port, token, reads, c, args.seconds) for c in (1, 8)]
        results["create_return"] = [
            _wrk(args.port, token, writes[i], c, args.seconds) for i, c in enumerate((1, 8))
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk (or brew install wrk), then rerun.")
    url = os.environ.get("DATABASE_URL") or DEFAULT_PG_URL
    if not url.startswith("postgres") or not postgres_reachable(url):
        sys.exit(f"PostgreSQL is needed at {url} (set DATABASE_URL).")
    label = configure(orders=args.orders, seed=args.seed, database_url=url)
    store = prepare_dataset(orders=args.orders, seed=args.seed)

    from retour.returns.models import Return

    last_return = Return.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    print(f"HTTP bench on {label}: gunicorn 2 workers × 2 threads, wrk {args.seconds} s per run")
    try:
        results = run(args, store, _api_key(store))
    finally:
        # The bench's returns are the newest ones: remove them so the data set stays as it was.
        Return.objects.filter(store=store, pk__gt=last_return).delete()
    for result in results["read_order"]:
        print_http_result("GET order", result)
    for result in results["create_return"]:
        print_http_result("POST return (2 lines)", result)
    (RESULTS_DIR / "http.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
