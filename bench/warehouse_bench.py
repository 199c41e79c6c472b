"""Receiving station: time from a scan to the return shown, server side, with many returns.

    .venv/bin/python bench/warehouse_bench.py                    # 1,000,000 returns
    .venv/bin/python bench/warehouse_bench.py --returns 100000   # smaller, quicker to build

PostgreSQL only, in its own database (`retour_bench_wh`, or --database-url): the first run
builds the data set with bulk inserts (one store, one order line shared by every return: the
look-up does not depend on what the returns hold), later runs reuse it. Two figures:

- `lookup`: `warehouse.selectors.return_for_scan` and the return's lines (the two queries);
- `view`: the whole station request (POST /dashboard/receiving/scan as the script sends it:
  session, access, look-up, panel rendered to JSON), through Django's test client.

Scans alternate between an RMA typed in lower case with a space and a label's tracking number.
Target: p95 under 30 ms.
"""

import argparse
import json
import os
import random
import sys
import time

from _common import RESULTS_DIR, ensure_postgres_database, summarise

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/retour_bench_wh"
BATCH = 20_000
TARGET_P95_MS = 30


def _rma(i: int) -> str:
    from retour.core.codes import ALPHABET

    digits = []
    for _ in range(8):
        i, r = divmod(i, 32)
        digits.append(ALPHABET[r])
    code = "".join(reversed(digits))
    return f"R-{code[:4]}-{code[4:]}"


def build(count: int) -> None:
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from retour.accounts.models import Membership
    from retour.accounts.scopes import Role
    from retour.commerce.models import Customer, Order, OrderLine, Product, Store, Variant
    from retour.returns.models import Return, ReturnLine
    from tests.factories import WarehouseFactory

    store = Store.objects.filter(slug="bench-wh").first()
    done = Return.objects.filter(store=store).count() if store is not None else 0
    if done > count:
        sys.exit(f"{connection.settings_dict['NAME']} holds {done:,} returns: drop it first.")
    if store is not None and done == count:
        return
    started = time.perf_counter()
    if store is None:
        store = Store.objects.create(
            name="Bench WH", slug="bench-wh", currency="EUR", country="FR", locales=["en"]
        )
        WarehouseFactory(store=store, code="main")
        customer = Customer.objects.create(store=store, email="bench@example.com")
        product = Product.objects.create(store=store, title="Shirt", category="apparel/shirts")
        variant = Variant.objects.create(
            store=store, product=product, sku="SHIRT-M", barcode="3700000000011", price=25
        )
        order = Order.objects.create(
            store=store,
            number="B-1",
            customer=customer,
            email=customer.email,
            currency="EUR",
            placed_at=timezone.now(),
        )
        OrderLine.objects.create(
            order=order,
            variant=variant,
            sku=variant.sku,
            title="Shirt",
            quantity=1,
            unit_price=Decimal("25"),
        )
        operator = get_user_model().objects.create_user("bench-operator")
        Membership.objects.create(user=operator, store=store, role=Role.WAREHOUSE)
    # A build cut short (a timeout) is taken up where it stopped.
    order = Order.objects.get(store=store, number="B-1")
    customer, line = order.customer, order.lines.get()
    for start in range(done, count, BATCH):
        size = min(BATCH, count - start)
        with transaction.atomic():  # a batch's returns and lines together
            returns = Return.objects.bulk_create(
                Return(
                    store=store,
                    order=order,
                    customer=customer,
                    rma=_rma(start + k),
                    status="label_issued",
                    method="drop_off",
                    resolution="refund",
                    tracking_number=f"6A{start + k:011d}FR",
                )
                for k in range(size)
            )
            ReturnLine.objects.bulk_create(
                ReturnLine(return_request=r, order_line=line, quantity=1, resolution="refund")
                for r in returns
            )
        print(f"  {start + size:,} returns", end="\r", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"\nBuilt {count:,} returns in {time.perf_counter() - started:.0f} s")


def scans(count: int, samples: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for n in range(samples):
        i = rng.randrange(count)
        rma = _rma(i)
        if n % 2:
            out.append((rma, f"6A{i:011d}FR"))
        else:
            out.append((rma, rma.lower().replace("-", " ", 1)))
    return out


def bench_lookup(store_ids, samples) -> dict:
    from retour.warehouse.selectors import return_for_scan

    timings = []
    for rma, code in samples:
        started = time.perf_counter()
        found = return_for_scan(store_ids=store_ids, code=code)
        lines = list(found.lines.all())
        timings.append(time.perf_counter() - started)
        assert found.rma == rma, code
        assert lines, code
    return summarise(timings)


def bench_view(samples) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-operator"))
    timings = []
    for rma, code in samples:
        started = time.perf_counter()
        response = client.post(
            "/dashboard/receiving/scan", {"code": code}, headers={"X-Station": "fetch"}
        )
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, code
        assert rma in response.json()["panel"], code
    return summarise(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_WH_URL", DEFAULT_URL))
    args = parser.parse_args()

    ensure_postgres_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("RETOUR_LOG_LEVEL", "WARNING")
    os.environ["RETOUR_ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retour.settings")
    sys.path.insert(0, str(RESULTS_DIR.parent.parent))  # tests.factories
    import django

    django.setup()
    from django.core.management import call_command

    from retour.commerce.models import Store

    call_command("migrate", interactive=False, verbosity=0)
    build(args.returns)
    store = Store.objects.get(slug="bench-wh")
    samples = scans(args.returns, args.samples, args.seed)
    bench_lookup([store.pk], samples[:100])  # warm-up
    results = {
        "returns": args.returns,
        "lookup": bench_lookup([store.pk], samples),
        "view": bench_view(samples),
    }
    print(json.dumps(results, indent=2))
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"warehouse-{args.returns}.json").write_text(json.dumps(results, indent=2))
    verdict = results["view"]["p95_ms"] < TARGET_P95_MS
    print(
        f"p95 of the station request: {results['view']['p95_ms']} ms "
        f"({'under' if verdict else 'OVER'} the {TARGET_P95_MS} ms target)"
    )


if __name__ == "__main__":
    main()
