"""Bulk import bench: N orders × 3 lines from JSON Lines into PostgreSQL and SQLite.

    python bench/import_bench.py --orders 1000000 [--pg postgres://…/retour_bench_import]

Writes the file once (bench/data/import-N.jsonl), imports it into a fresh database of each
engine with `retour.connectors.bulk.import_orders`, and prints orders/s and the peak RSS (flat
memory: the RSS does not grow with N). The machine may be shared: figures are pessimistic.
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "src"))


def write_file(orders: int) -> Path:
    path = BENCH_DIR / "data" / f"import-{orders}.jsonl"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        for n in range(orders):
            lines = [
                {"external_id": f"{n}-{i}", "sku": f"SKU-{(n * 3 + i) % 5000}",
                 "title": f"Item {i}", "quantity": 1 + i, "unit_price": "19.90",
                 "discount": "1.00", "tax": "3.15"}
                for i in range(3)
            ]  # fmt: skip
            order = {
                "external_id": f"gid://shop/Order/{n}",
                "number": f"#{n}",
                "email": f"shopper{n % 50000}@example.com",
                "currency": "EUR",
                "placed_at": "2026-03-01T10:00:00Z",
                "subtotal": "119.40",
                "discount_total": "3.00",
                "total": "116.40",
                "shipping_address": {"postcode": "75002", "country": "FR"},
                "lines": lines,
            }
            out.write(json.dumps(order) + "\n")
    return path


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run(database_url: str, path: Path, batch: int, workers: int) -> dict:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retour.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from retour.commerce.models import Store
    from retour.connectors.bulk import import_orders
    from retour.core.actors import Actor

    store, _ = Store.objects.get_or_create(
        slug="import-bench", defaults={"name": "Import bench", "currency": "EUR", "country": "FR"}
    )
    started, cpu_started = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
    with path.open() as handle:
        report = import_orders(
            store=store,
            path=path,
            handle=handle,
            actor=Actor.system("bench"),
            batch_size=batch,
            workers=workers,
        )
    seconds = time.perf_counter() - started
    return {
        "database": database_url.split("://")[0],
        "orders": report.created,
        "workers": workers,
        "errors": len(report.errors),
        "seconds": round(seconds, 1),
        "orders_per_s": round(report.created / seconds),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_rss_worker_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "cpu_s": {
            "parent": round(_cpu(resource.RUSAGE_SELF) - cpu_started, 1),
            "workers": round(_cpu(resource.RUSAGE_CHILDREN), 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--engine", choices=["sqlite", "pg"], required=True)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/retour_bench_import")
    args = parser.parse_args()
    path = write_file(args.orders)
    if args.engine == "pg":
        import psycopg

        name = args.pg.rsplit("/", 1)[1]
        admin = args.pg.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = args.pg
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='retour-import-')}/db.sqlite3"
    load_before = os.getloadavg()[0]
    figures = run(url, path, args.batch, args.workers)
    figures |= {"load_average": {"before": load_before, "after": os.getloadavg()[0]}}
    out = BENCH_DIR / "results" / f"import-{args.engine}-{args.orders}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
