"""Shared by the benchmarks: pick the database, build (or reuse) the data set, summarise timings.

The data set is the `demo-fr` store of `retour demo-data` with N orders, generated from a seed.
On SQLite it lives in bench/data/sqlite-n{N}-s{seed}/; on PostgreSQL in the database that
DATABASE_URL names (created if missing).
"""

import os
import random
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"
RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/retour_bench"
STORE = "demo-fr"
# Inside the default policy's 30-day window (and the EU's 14 days), with a margin for the time
# since the data set was generated.
WINDOW_DAYS = 12


def postgres_reachable(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(_server_url(url), connect_timeout=2).close()
    except psycopg.Error:
        return False
    return True


def _server_url(url: str) -> str:
    """The same server's `postgres` maintenance database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def ensure_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_server_url(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            print(f"Creating PostgreSQL database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure(*, orders: int, seed: int, database_url: str | None) -> str:
    """Point Retour's settings at the bench database, then set Django up. Returns a label."""
    if database_url:
        ensure_postgres_database(database_url)
        os.environ["DATABASE_URL"] = database_url
        os.environ["RETOUR_DATA_DIR"] = str(DATA_DIR / "pg")
        label = "PostgreSQL " + urlsplit(database_url).path.lstrip("/")
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["RETOUR_DATA_DIR"] = str(DATA_DIR / f"sqlite-n{orders}-s{seed}")
        label = "SQLite " + os.environ["RETOUR_DATA_DIR"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retour.settings")
    os.environ.setdefault("RETOUR_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    return label


def prepare_dataset(*, orders: int, seed: int):
    """The bench store, generated on first use; exits if the database holds another data set."""
    from django.core.management import call_command

    from retour.commerce.models import Order, Store
    from retour.demo.generator import generate

    call_command("migrate", interactive=False, verbosity=0)
    store = Store.objects.filter(slug=STORE).first()
    if store is None:
        print(f"Generating the data set: {orders:,} orders (seed {seed})…")
        generate(orders=orders, seed=seed, store_slugs=[STORE], returns=200, progress=print)
        store = Store.objects.get(slug=STORE)
    count = Order.objects.filter(store=store).count()
    if count != orders:
        sys.exit(
            f"The bench database holds {count:,} orders, not {orders:,}: drop it "
            "(or point DATABASE_URL at another database) to generate a new data set."
        )
    return store


def lookup_sample(store, count: int, seed: int) -> list[tuple[str, str]]:
    """(order number, e-mail) of `count` random orders."""
    from retour.commerce.models import Order

    numbers = list(Order.objects.filter(store=store).values_list("number", flat=True))
    chosen = random.Random(seed).sample(numbers, min(count, len(numbers)))
    emails = dict(
        Order.objects.filter(store=store, number__in=chosen).values_list("number", "email")
    )
    return [(number, emails[number]) for number in chosen]


def orders_with_two_delivered_lines(store, count: int, seed: int) -> list[tuple[int, str, list]]:
    """(order id, number, [two order line ids]) of orders no return or claim touched yet,
    delivered recently enough to be inside the return window of the default policy."""
    from datetime import timedelta

    from django.utils import timezone

    from retour.commerce.models import FulfillmentLine

    rows = FulfillmentLine.objects.filter(
        fulfillment__order__store=store,
        fulfillment__delivered_at__gte=timezone.now() - timedelta(days=WINDOW_DAYS),
        order_line__order__returns__isnull=True,
        order_line__order__claims__isnull=True,
    ).values_list("order_line__order_id", "order_line__order__number", "order_line_id")
    lines: dict[tuple[int, str], list[int]] = defaultdict(list)
    for order_id, number, line_id in rows:
        lines[(order_id, number)].append(line_id)
    eligible = [(key[0], key[1], ids[:2]) for key, ids in lines.items() if len(ids) >= 2]
    eligible.sort()
    random.Random(seed).shuffle(eligible)
    return eligible[:count]


def summarise(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    total = sum(ordered)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
        "mean_ms": round(total / len(ordered) * 1000, 3),
        "ops_s": round(len(ordered) / total, 1),
    }


def start_server(
    port: int,
    log: Path,
    extra_env: dict[str, str] | None = None,
    *,
    workers: int = 2,
    threads: int = 2,
):
    """`retour serve` (by default its own 2 workers × 2 threads) on 127.0.0.1:port, once
    /healthz answers (else exit)."""
    import subprocess
    import time
    import urllib.request

    command = [str(ROOT / ".venv/bin/retour"), "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--threads", str(threads)]
    env = os.environ | {"RETOUR_LOG_LEVEL": "WARNING"} | (extra_env or {})
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


def run_wrk(
    *,
    port: int,
    script: str,
    requests: Path,
    connections: int,
    seconds: int,
    env: dict | None = None,
) -> dict:
    """One bounded wrk run on 127.0.0.1 with a Lua script that prints a `BENCH k=v …` line."""
    import re
    import subprocess

    threads = min(connections, 2)
    run_env = os.environ | {"BENCH_REQUESTS": str(requests), "BENCH_THREADS": str(threads)}
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(BENCH_DIR / script),
        f"http://127.0.0.1:{port}",
    ]
    output = subprocess.run(
        command, env=run_env | (env or {}), capture_output=True, text=True, check=True
    ).stdout
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
        # wrk counts answers >= 400 here (a 302 is not one).
        "non_2xx": raw["non2xx"],
        "socket_errors": raw["socket_errors"],
    }


def print_http_result(name: str, result: dict) -> None:
    print(
        f"{name:<26} c={result['connections']:<2} {result['rps']:8.1f} req/s   "
        f"p50 {result['p50_ms']:7.2f} ms   p95 {result['p95_ms']:7.2f} ms   "
        f"non-2xx {result['non_2xx']}   socket errors {result['socket_errors']}"
    )
