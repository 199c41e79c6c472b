"""The staff returns queue with a million returns: one filtered page, server side.

    .venv/bin/python bench/dashboard_bench.py                    # 1,000,000 returns
    .venv/bin/python bench/dashboard_bench.py --returns 100000   # smaller, quicker to build

PostgreSQL only, in its own database (`retour_bench_dash`, or --database-url). The first run
builds the data set in SQL (`INSERT … SELECT generate_series`: one store, 2,000 orders, returns
spread over 13 statuses, 5 methods, 3 resolutions, two years of dates and risk scores 0–99, one
line each), later runs reuse it. Each figure is the whole request through Django's test client
(session, access, filters, the page of 25 rows, the capped counts per status, the template):

- `status`: `?status=pending_review` (the reviewer's queue);
- `status_method_risk`: `?status=approved&method=pickup&risk=50&sort=oldest`;
- `deep_page`: the status page 200 pages in, by its keyset cursor;
- `search`: `?q=<order number>` (a shopper's returns);
- `reads_*`: the selectors alone (`returns.queue.queue_page` + `status_counts`), in process.

Target: p95 under 100 ms for a filtered page.
"""

import argparse
import json
import os
import sys
import time

from _common import RESULTS_DIR, ensure_postgres_database, summarise

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/retour_bench_dash"
ORDERS = 2000
TARGET_P95_MS = 100

_RETURNS_SQL = """
INSERT INTO returns_return (store_id, order_id, customer_id, rma, status, method, resolution,
    locale, status_reason, decision, risk_score, carrier, tracking_number, created_at,
    updated_at, status_changed_at)
SELECT %(store)s, o.id, o.customer_id, 'R-B' || g, (%(statuses)s::text[])[1 + g %% 13],
    (%(methods)s::text[])[1 + g %% 5], (%(resolutions)s::text[])[1 + g %% 3], 'en', '',
    jsonb_build_object('outcome', 'review', 'risk', jsonb_build_object('score', g %% 100)),
    g %% 100, '', '6B' || lpad(g::text, 11, '0'), now() - g * interval '60 seconds',
    now() - g * interval '60 seconds', now() - g * interval '30 seconds'
FROM generate_series(%(start)s, %(stop)s) AS g
JOIN commerce_order o ON o.store_id = %(store)s AND o.number = 'B-' || (g %% %(orders)s)
"""
_LINES_SQL = """
INSERT INTO returns_returnline (return_request_id, order_line_id, quantity, comment,
    resolution, status, received_qty, accepted_qty, damaged_qty, grade, disposition)
SELECT r.id, l.id, 1, '', r.resolution, 'expected', 0, 0, 0, '', ''
FROM returns_return r JOIN commerce_orderline l ON l.order_id = r.order_id
WHERE r.store_id = %(store)s AND r.id > %(after)s
"""


def build(count: int) -> None:
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from retour.accounts.models import Membership
    from retour.accounts.scopes import Role
    from retour.commerce.models import Customer, Order, OrderLine, Product, Store, Variant
    from retour.returns.choices import Resolution, ReturnMethod, ReturnStatus
    from retour.returns.models import Return

    store = Store.objects.filter(slug="bench-dash").first()
    done = Return.objects.filter(store=store).count() if store is not None else 0
    if done and done != count:
        sys.exit(f"{connection.settings_dict['NAME']} holds {done:,} returns: drop it first.")
    if done == count:
        return
    started = time.perf_counter()
    store = Store.objects.create(
        name="Bench dashboard", slug="bench-dash", currency="EUR", country="FR", locales=["en"]
    )
    product = Product.objects.create(store=store, title="Shirt", category="apparel/shirts")
    variant = Variant.objects.create(store=store, product=product, sku="SHIRT-M", price=25)
    customers = Customer.objects.bulk_create(
        Customer(store=store, email=f"shopper{n}@example.com") for n in range(ORDERS)
    )
    orders = Order.objects.bulk_create(
        Order(
            store=store,
            number=f"B-{n}",
            customer=customer,
            email=customer.email,
            currency="EUR",
            placed_at=timezone.now(),
        )
        for n, customer in enumerate(customers)
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            variant=variant,
            sku=variant.sku,
            title="Shirt",
            quantity=1,
            unit_price=Decimal(10 + n % 200),
        )
        for n, order in enumerate(orders)
    )
    reviewer = get_user_model().objects.create_user("bench-reviewer")
    Membership.objects.create(user=reviewer, store=store, role=Role.SUPPORT)
    params = {
        "store": store.pk,
        "orders": ORDERS,
        "statuses": list(ReturnStatus.values),
        "methods": list(ReturnMethod.values),
        "resolutions": list(Resolution.values),
    }
    with connection.cursor() as cursor:
        for start in range(1, count + 1, 100_000):
            stop = min(start + 99_999, count)
            cursor.execute(_RETURNS_SQL, {**params, "start": start, "stop": stop})
            print(f"  {stop:,} returns", end="\r", flush=True)
        cursor.execute(_LINES_SQL, {"store": store.pk, "after": 0})
        # Vacuumed, not only analysed: the counts per status are index-only scans, which read
        # the table too while its visibility map is empty.
        cursor.execute("VACUUM (ANALYZE)")
    print(f"\nBuilt {count:,} returns in {time.perf_counter() - started:.0f} s")


def bench_page(client, url: str, samples: int) -> dict:
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, url
        # Rows are shown: each has its checkbox for the bulk actions.
        assert b'name="rma"' in response.content, url
    return summarise(timings)


def bench_reads(store_id: int, params: dict, samples: int) -> dict:
    """The selectors alone (the page's rows and the counts), without the request around them."""
    from django.http import QueryDict

    from retour.returns import queue

    query = QueryDict(mutable=True)
    query.update(params)
    filters = queue.parse_filters(query)
    stores = {"bench-dash": store_id}
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        assert queue.queue_page(stores=stores, filters=filters).rows
        queue.status_counts(stores=stores, filters=filters)
        timings.append(time.perf_counter() - started)
    return summarise(timings)


def _deep_cursor(store_id: int) -> str:
    from retour.returns import queue

    filters = queue.QueueFilters(statuses=("pending_review",))
    cursor = ""
    for _ in range(200):
        page = queue.queue_page(
            stores={"bench-dash": store_id}, filters=filters, cursor=cursor, limit=25
        )
        cursor = page.next_cursor
    return cursor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DASH_URL", DEFAULT_URL))
    args = parser.parse_args()

    ensure_postgres_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("RETOUR_LOG_LEVEL", "WARNING")
    os.environ["RETOUR_ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retour.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from retour.commerce.models import Store

    call_command("migrate", interactive=False, verbosity=0)
    build(args.returns)
    store = Store.objects.get(slug="bench-dash")
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-reviewer"))
    pages = {
        "status": "/dashboard/returns/?status=pending_review",
        "status_method_risk": (
            "/dashboard/returns/?status=approved&method=pickup&risk=50&sort=oldest"
        ),
        "deep_page": (f"/dashboard/returns/?status=pending_review&cursor={_deep_cursor(store.pk)}"),
        "search": "/dashboard/returns/?q=B-1234",
    }
    for url in pages.values():
        bench_page(client, url, 10)  # warm-up
    results = {
        "returns": args.returns,
        **{k: bench_page(client, u, args.samples) for k, u in pages.items()},
        "reads_status": bench_reads(store.pk, {"status": "pending_review"}, args.samples),
        "reads_status_method_risk": bench_reads(
            store.pk,
            {"status": "approved", "method": "pickup", "risk": "50", "sort": "oldest"},
            args.samples,
        ),
    }
    print(json.dumps(results, indent=2))
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"dashboard-{args.returns}.json").write_text(json.dumps(results, indent=2))
    worst = max(results[k]["p95_ms"] for k in pages)
    print(f"worst p95 {worst:.1f} ms: {'OK' if worst < TARGET_P95_MS else 'ABOVE'} the target")


if __name__ == "__main__":
    main()
