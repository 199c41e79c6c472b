"""Load-test the API over HTTP with wrk: `retour serve` (gunicorn, 2 worker processes with 4
threads each) on PostgreSQL, 127.0.0.1 only.

    .venv/bin/python bench/http_bench.py        # DATABASE_URL defaults to the bench database

Runs GET /api/v1/stores/demo-fr/orders/{number} and POST /api/v1/stores/demo-fr/returns (two
lines, each request on another order) at 1 and 8 connections, 10 s each. Needs wrk
(`apt-get install wrk`). The returns it opens are deleted at the end.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _common import (
    BENCH_DIR,
    DEFAULT_PG_URL,
    RESULTS_DIR,
    ROOT,
    STORE,
    configure,
    lookup_sample,
    orders_with_two_delivered_lines,
    postgres_reachable,
    prepare_dataset,
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


def _start_server(port: int, log: Path) -> subprocess.Popen:
    command = [str(ROOT / ".venv/bin/retour"), "serve", "--port", str(port), "--workers", "2"]
    env = os.environ | {"RETOUR_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit(f"the server did not start: see {log}")


def _wrk(port: int, token: str, requests: Path, connections: int, seconds: int) -> dict:
    threads = min(connections, 2)
    env = os.environ | {
        "BENCH_TOKEN": token,
        "BENCH_REQUESTS": str(requests),
        "BENCH_THREADS": str(threads),
    }
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(BENCH_DIR / "cycle.lua"),
        f"http://127.0.0.1:{port}",
    ]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^BENCH (.*)$", output, re.MULTILINE)
    if match is None:
        sys.exit(f"unexpected wrk output:\n{output}")
    raw = {key: int(value) for key, value in (item.split("=") for item in match[1].split())}
    return {
        "connections": connections,
        "requests": raw["requests"],
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "non_2xx": raw["non2xx"],
        "socket_errors": raw["socket_errors"],
    }


def _print(name: str, result: dict) -> None:
    print(
        f"{name:<26} c={result['connections']:<2} {result['rps']:8.1f} req/s   "
        f"p50 {result['p50_ms']:7.2f} ms   p95 {result['p95_ms']:7.2f} ms   "
        f"non-2xx {result['non_2xx']}   socket errors {result['socket_errors']}"
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
    server = _start_server(args.port, work / "server.log")
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
    print(f"HTTP bench on {label}: gunicorn 2 workers × 4 threads, wrk {args.seconds} s per run")
    try:
        results = run(args, store, _api_key(store))
    finally:
        # The bench's returns are the newest ones: remove them so the data set stays as it was.
        Return.objects.filter(store=store, pk__gt=last_return).delete()
    for result in results["read_order"]:
        _print("GET order", result)
    for result in results["create_return"]:
        _print("POST return (2 lines)", result)
    (RESULTS_DIR / "http.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
