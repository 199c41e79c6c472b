"""Insights on a large shop: every insights query on 1,000,000 orders and 300,000 returned lines.

The data set (one store, `bench-insights`) is built in SQL, `INSERT … SELECT` over a series of
numbers (`generate_series` on PostgreSQL, a recursive CTE on SQLite), never row by row: 200
products in 10 categories, 5 sizes each; 1,000,000 orders over two years (half of them with a
second line: 1,500,000 lines); 250,000 returns with 300,000 lines (a fifth of them rejected or
cancelled), their status events, refunds, labels and feedback. Twenty products are returned far
more than the others, mostly as too small.

Then it builds the cohort rollup once (timed), adds 1,000 orders and 1,000 returns and times the
incremental refresh, and times each insights query (`--samples` runs, p50 and p95) over the last
90 days and over the whole two years.

    .venv/bin/python bench/insights_bench.py                      # PostgreSQL retour_bench_insights
    .venv/bin/python bench/insights_bench.py --sqlite             # bench/data/sqlite-insights-n…
"""

# The SQL below is assembled from integers and constants of this file only.
# ruff: noqa: S608

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DATA_DIR, RESULTS_DIR, ensure_postgres_database, summarise  # noqa: E402

PG_URL = "postgres://postgres@127.0.0.1:5432/retour_bench_insights"
STORE = "bench-insights"
DAYS = 730
PRODUCTS, SIZES, CATEGORIES = 200, 5, 10
EMPTY, EMPTY_LIST = "'{}'", "'[]'"  # empty JSON, as SQL literals
REASONS = {  # code → parent code ("" at top level)
    "size": "",
    "too_small": "size",
    "too_large": "size",
    "changed_mind": "",
    "damaged": "",
    "not_as_described": "",
}


def configure(sqlite: bool, orders: int) -> str:
    if sqlite:
        os.environ.pop("DATABASE_URL", None)
        os.environ["RETOUR_DATA_DIR"] = str(DATA_DIR / f"sqlite-insights-n{orders}")
        label = "SQLite " + os.environ["RETOUR_DATA_DIR"]
    else:
        url = os.environ.get("DATABASE_URL") or PG_URL
        ensure_postgres_database(url)
        os.environ["DATABASE_URL"] = url
        os.environ["RETOUR_DATA_DIR"] = str(DATA_DIR / "pg")
        label = "PostgreSQL " + url.rsplit("/", 1)[-1]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retour.settings")
    os.environ.setdefault("RETOUR_LOG_LEVEL", "WARNING")
    os.environ["RETOUR_ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    return label


class Dialect:
    """The few SQL spellings that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor: str, start: datetime):
        self.pg = vendor == "postgresql"
        self.start = start.strftime("%Y-%m-%d %H:%M:%S")

    def series(self, count: int) -> str:
        if self.pg:
            return f"WITH s(i) AS (SELECT generate_series(0::bigint, {count - 1}))"
        return (
            f"WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {count - 1})"
        )

    def at(self, seconds: str) -> str:
        """The bench's start plus an integer number of seconds."""
        if self.pg:
            return f"(TIMESTAMPTZ '{self.start}+00' + ({seconds}) * INTERVAL '1 second')"
        return f"strftime('%Y-%m-%d %H:%M:%S', '{self.start}', '+' || ({seconds}) || ' seconds')"

    def json(self, text: str) -> str:
        return f"({text})::jsonb" if self.pg else f"({text})"

    def true(self, value: bool) -> str:
        return ("TRUE" if value else "FALSE") if self.pg else ("1" if value else "0")


def _next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
    return cursor.fetchone()[0]


def _catalogue(store_id: int):
    """Products, variants, reasons and a carrier account, through the ORM (a few hundred rows)."""
    from retour.commerce.models import Product, Variant
    from retour.logistics.models import CarrierAccount
    from retour.returns.models import ReturnReason

    products = Product.objects.bulk_create(
        Product(
            store_id=store_id,
            external_id=f"P{p}",
            title=f"Product {p}",
            category=f"Category {p % CATEGORIES}",
        )
        for p in range(PRODUCTS)
    )
    sizes = ["XS", "S", "M", "L", "XL"]
    Variant.objects.bulk_create(
        Variant(
            store_id=store_id,
            product=products[v // SIZES],
            sku=f"SKU-{v}",
            options={"size": sizes[v % SIZES]},
            price=20 + v % 50,
        )
        for v in range(PRODUCTS * SIZES)
    )
    reasons = {}
    for position, (code, parent) in enumerate(REASONS.items()):
        reasons[code] = ReturnReason.objects.create(
            store_id=store_id,
            code=code,
            parent=reasons.get(parent),
            labels={"en": code.replace("_", " "), "fr": code},
            position=position,
        )
    account = CarrierAccount.objects.create(store_id=store_id, kind="own", name="Bench")
    variant_ids = list(Variant.objects.filter(store_id=store_id).order_by("pk").values_list("pk"))
    return variant_ids[0][0], {code: r.pk for code, r in reasons.items()}, account.pk


def build(orders: int) -> int:
    """The store and its data set, in SQL; returns the store's id."""
    from django.db import connection, transaction

    from retour.commerce.models import Store

    started = time.perf_counter()
    start = (datetime.now(UTC) - timedelta(days=DAYS)).replace(hour=0, minute=0, second=0)
    sql = Dialect(connection.vendor, start)
    n, span = orders, (DAYS - 1) * 86400
    with transaction.atomic():
        store = Store.objects.create(
            name="Bench insights", slug=STORE, currency="EUR", country="FR", locales=["fr", "en"]
        )
        first_variant, reason, account = _catalogue(store.pk)
        with connection.cursor() as cursor:
            o, line, ret, rline = (
                _next_id(cursor, t)
                for t in (
                    "commerce_order",
                    "commerce_orderline",
                    "returns_return",
                    "returns_returnline",
                )
            )
            for statement in _statements(sql, store.pk, n, span, o, line, ret, rline, first_variant,
                                         reason, account):  # fmt: skip
                step = time.perf_counter()
                cursor.execute(statement)
                table = statement.split("INSERT INTO ")[1].split()[0]
                seconds = time.perf_counter() - step
                print(f"  {table:<24} {cursor.rowcount:>10,} rows  {seconds:6.1f} s")
    _reset_sequences()
    if sql.pg:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"Built in {time.perf_counter() - started:.0f} s")
    return store.pk


def _statements(sql, store, n, span, o, line, ret, rline, v0, reason, account) -> list[str]:
    placed = sql.at(f"i * {span} / {n}")
    # Orders i % 4 == 0 are returned (line 1), i % 20 == 0 also their line 2. Half of the
    # returned orders (i % 8 == 0) bought one of the 20 "bad" products (p % 10 == 0).
    variant1 = (
        f"CASE WHEN i % 8 = 0 THEN {v0} + ((i / 8) * 7 % 20) * 10 * {SIZES} + (i / 8) % {SIZES} "
        f"ELSE {v0} + (i * 7919) % {PRODUCTS * SIZES} END"
    )
    variant2 = f"{v0} + (i * 104729 + 17) % {PRODUCTS * SIZES}"
    email = (
        "CASE WHEN i % 100 = 0 THEN 'serial' || ((i / 100) % 300) || '@example.com' "
        "ELSE 'shopper' || (i % 150000) || '@example.com' END"
    )
    locale = "CASE WHEN i % 3 = 0 THEN 'en' ELSE 'fr' END"
    k = "(i / 4)"  # the return's number
    status = (
        f"CASE WHEN {k} % 20 = 0 THEN 'rejected' WHEN {k} % 20 = 1 THEN 'cancelled' "
        f"WHEN {k} % 20 < 5 THEN 'approved' WHEN {k} % 20 < 7 THEN 'received' "
        f"WHEN {k} % 20 < 15 THEN 'resolved' ELSE 'closed' END"
    )
    resolution = (
        f"CASE WHEN {k} % 5 = 0 THEN 'store_credit' WHEN {k} % 5 = 1 THEN 'exchange' "
        "ELSE 'refund' END"
    )
    score = f"CASE WHEN {k} % 50 = 0 THEN 60 + {k} % 40 ELSE {k} % 40 END"
    decision = sql.json(
        f"""'{{"risk": {{"score": ' || ({score}) || ', "signals": [{{"name": "returns_90d", '
        || '"value": ' || ({k} % 7) || ', "points": ' || ({score}) || '}}]}}}}'"""
    )
    requested = sql.at(f"i * {span} / {n} + 5 * 86400")
    later = lambda days: sql.at(f"i * {span} / {n} + {5 + days} * 86400")  # noqa: E731
    bad = f"CASE WHEN (i / 8) % 10 < 7 THEN {reason['too_small']} WHEN (i / 8) % 10 < 8 THEN {reason['too_large']} ELSE {reason['damaged']} END"  # noqa: E501
    usual = (
        f"CASE {k} % 5 WHEN 0 THEN {reason['too_small']} WHEN 1 THEN {reason['too_large']} "
        f"WHEN 2 THEN {reason['changed_mind']} WHEN 3 THEN {reason['damaged']} "
        f"ELSE {reason['not_as_described']} END"
    )
    comment = (
        f"CASE WHEN {k} % 6 = 0 THEN 'Too tight at the shoulders, the size runs small' "
        f"WHEN {k} % 6 = 3 THEN 'Taille trop petite et tissu transparent' ELSE '' END"
    )
    received = f"CASE WHEN {k} % 20 >= 5 THEN 1 ELSE 0 END"
    grade = f"CASE WHEN {k} % 20 < 5 THEN '' WHEN {k} % 3 = 0 THEN 'B' ELSE 'A' END"
    disposition = f"CASE WHEN {k} % 20 < 5 THEN '' ELSE 'restock' END"
    line_status = f"CASE WHEN {k} % 20 >= 5 THEN 'received' ELSE 'expected' END"
    returns_of = f"FROM s JOIN returns_return r ON r.id = {ret} + i / 4 WHERE i % 4 = 0"

    def event(to: str, days: int, where: str) -> str:
        return (
            f"{sql.series(n)} INSERT INTO returns_returnevent (return_request_id, kind, "
            "actor_kind, actor_label, from_status, to_status, data, created_at) "
            f"SELECT {ret} + i / 4, 'status', 'system', '', '', '{to}', {sql.json(EMPTY)}, "  # noqa: E501
            f"{later(days)} FROM s WHERE i % 4 = 0 AND {where}"
        )

    return [
        f"{sql.series(n)} INSERT INTO commerce_order (id, store_id, external_id, number, email, "
        "locale, currency, placed_at, paid_at, financial_status, taxes_included, subtotal, "
        "discount_total, shipping_total, tax_total, total, shipping_address, shipping_postcode, "
        "shipping_country, payload_hash, created_at, updated_at) "
        f"SELECT {o} + i, {store}, '', 'B' || i, {email}, {locale}, 'EUR', {placed}, {placed}, "
        f"'paid', {sql.true(True)}, 0, 0, 0, 0, 0, {sql.json(EMPTY)}, '', "
        f"'FR', '', {placed}, {placed} FROM s",
        *(
            f"{sql.series(n)} INSERT INTO commerce_orderline (id, order_id, external_id, "
            "variant_id, sku, title, options, quantity, unit_price, discount, tax) "
            f"SELECT {line} + {line_id}, {o} + i, '', {variant}, 'SKU-' || ({variant} - {v0}), "
            f"'Product', {sql.json(EMPTY)}, 1, 20 + ({variant} - {v0}) % 50, "
            f"0, 0 FROM s {where}"
            for line_id, variant, where in (
                ("i", variant1, ""),
                (f"{n} + i / 2", variant2, "WHERE i % 2 = 0"),
            )
        ),
        f"{sql.series(n)} INSERT INTO returns_return (id, store_id, order_id, rma, status, method, "
        "resolution, locale, status_reason, decision, risk_score, carrier, tracking_number, "
        "created_at, updated_at, status_changed_at) "
        f"SELECT {ret} + i / 4, {store}, {o} + i, 'BR' || (i / 4), {status}, 'drop_off', "
        f"{resolution}, {locale}, '', {decision}, {score}, '', '', {requested}, {requested}, "
        f"{requested} FROM s WHERE i % 4 = 0",
        *(
            f"{sql.series(n)} INSERT INTO returns_returnline (id, return_request_id, "
            "order_line_id, quantity, reason_id, comment, resolution, status, received_qty, "
            "accepted_qty, damaged_qty, grade, disposition) "
            f"SELECT {rline} + {rline_id}, {ret} + i / 4, {line} + {line_id}, 1, {why}, "
            f"{comment}, {resolution}, {line_status}, {received}, {received}, 0, {grade}, "
            f"{disposition} FROM s WHERE {where}"
            for rline_id, line_id, why, where in (
                ("i / 4", "i", f"CASE WHEN i % 8 = 0 THEN {bad} ELSE {usual} END", "i % 4 = 0"),
                (f"{n} / 4 + i / 20", f"{n} + i / 2", usual, "i % 20 = 0"),
            )
        ),
        event("requested", 0, "1 = 1"),
        event("approved", 1, f"{k} % 20 >= 2"),
        event("received", 6, f"{k} % 20 >= 5"),
        event("resolved", 9, f"{k} % 20 >= 7"),
        event("closed", 12, f"{k} % 20 >= 15"),
        f"{sql.series(n)} INSERT INTO refunds_refund (store_id, return_request_id, order_id, "
        "reference, sequence, idempotency_key, request_key, status, currency, amount, bonus, "
        "includes_shipping, breakdown, estimate, differences, actor_kind, actor_label, "
        "override_reason, tries, last_error, created_at, updated_at, completed_at) "
        f"SELECT {store}, r.id, r.order_id, 'BF' || (i / 4), 1, 'bench-' || (i / 4), '', "
        f"'succeeded', 'EUR', 30, 0, {sql.true(False)}, {sql.json(EMPTY)}, {sql.json(EMPTY)}, "
        f"{sql.json(EMPTY_LIST)}, 'system', '', '', 1, '', {later(9)}, {later(9)}, "
        f"{later(9)} {returns_of} AND (i / 4) % 20 >= 7",
        f"{sql.series(n)} INSERT INTO logistics_shipment (store_id, return_request_id, account_id, "
        "status, idempotency_key, carrier_shipment_id, carrier_name, service, tracking_number, "
        "tracking_url, rate, currency, label_pdf, label_zpl, qr_code_url, last_error, resumable, "
        "tracking_status, first_scan_at, created_at, updated_at) "
        f"SELECT {store}, r.id, {account}, 'created', 'bench-s' || (i / 4), '', "
        f"CASE (i / 4) % 3 WHEN 0 THEN 'Colissimo' WHEN 1 THEN 'Mondial Relay' ELSE 'DHL' END, "
        f"'', '', '', 5.9, 'EUR', {_empty_bytes(sql)}, {_empty_bytes(sql)}, '', '', "
        f"{sql.true(False)}, 'unknown', CASE WHEN (i / 4) % 10 = 0 THEN NULL ELSE {later(3)} END, "
        f"{later(1)}, {later(1)} {returns_of} AND (i / 4) % 20 >= 2 AND (i / 4) % 2 = 0",
        f"{sql.series(n)} INSERT INTO portal_feedback (return_request_id, store_id, rating, "
        "comment, language, created_at, updated_at) "
        f"SELECT r.id, {store}, (i / 40) % 5 + 1, '', 'fr', {later(10)}, {later(10)} "
        f"{returns_of} AND (i / 4) % 20 >= 7 AND (i / 4) % 10 = 0",
    ]


def _empty_bytes(sql: Dialect) -> str:
    return "''::bytea" if sql.pg else "X''"


def _reset_sequences() -> None:
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    models = [
        apps.get_model(label)
        for label in (
            "commerce.Order",
            "commerce.OrderLine",
            "returns.Return",
            "returns.ReturnLine",
        )
    ]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


def timed(function, samples: int) -> tuple[dict, object]:
    seconds, result = [], None
    for _ in range(samples):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return summarise(seconds), result


def add_activity(store_id: int, count: int) -> None:
    """`count` new orders placed now and `count` returns opened on recent orders (SQL, like the
    data set), for the incremental refresh."""
    from django.db import connection, transaction

    from retour.commerce.models import Order

    now = datetime.now(UTC)
    sql = Dialect(connection.vendor, now)
    recent = list(
        Order.objects.filter(store_id=store_id, returns__isnull=True)
        .order_by("-placed_at")
        .values_list("pk", flat=True)[:count]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        o, line, ret = (
            _next_id(cursor, t) for t in ("commerce_order", "commerce_orderline", "returns_return")
        )
        stamp = sql.at("0")
        empty = sql.json("'{}'")
        cursor.execute(
            f"{sql.series(count)} INSERT INTO commerce_order (id, store_id, external_id, number, "
            "email, locale, currency, placed_at, financial_status, taxes_included, subtotal, "
            "discount_total, shipping_total, tax_total, total, shipping_address, "
            "shipping_postcode, shipping_country, payload_hash, created_at, updated_at) "
            f"SELECT {o} + i, {store_id}, '', 'N{o}-' || i, 'new' || i || '@example.com', 'fr', "
            f"'EUR', {stamp}, 'paid', {sql.true(True)}, 0, 0, 0, 0, 0, {empty}, '', 'FR', '', "
            f"{stamp}, {stamp} FROM s"
        )
        cursor.execute(
            f"{sql.series(count)} INSERT INTO commerce_orderline (id, order_id, external_id, "
            "variant_id, sku, title, options, quantity, unit_price, discount, tax) "
            f"SELECT {line} + i, {o} + i, '', (SELECT MIN(id) FROM commerce_variant WHERE "
            f"store_id = {store_id}), 'SKU-0', 'Product', {empty}, 1, 20, 0, 0 FROM s"
        )
        ids = ",".join(str(pk) for pk in recent)
        cursor.execute(
            "INSERT INTO returns_return (id, store_id, order_id, rma, status, method, resolution, "
            "locale, status_reason, decision, carrier, tracking_number, created_at, updated_at, "
            f"status_changed_at) SELECT {ret} - 1 + ROW_NUMBER() OVER (ORDER BY id), {store_id}, "
            f"id, 'NR{ret}-' || id, 'requested', 'drop_off', 'refund', 'fr', '', {empty}, '', '', "
            f"{stamp}, {stamp}, {stamp} FROM commerce_order WHERE id IN ({ids})"
        )
        cursor.execute(
            "INSERT INTO returns_returnline (return_request_id, order_line_id, quantity, comment, "
            "resolution, status, received_qty, accepted_qty, damaged_qty, grade, disposition) "
            "SELECT r.id, MIN(l.id), 1, '', 'refund', 'expected', 0, 0, 0, '', '' FROM "
            f"returns_return r JOIN commerce_orderline l ON l.order_id = r.order_id WHERE r.id >= {ret} "  # noqa: E501
            "GROUP BY r.id"
        )
    _reset_sequences()


def queries(store_id: int, days: int) -> dict:
    """Each insights query on the last `days` days, by name."""
    from django.utils import timezone

    from retour.commerce.models import Product
    from retour.insights import advice, metrics, products, shoppers

    end = timezone.localdate()
    scope = metrics.Slice((store_id,), end - timedelta(days=days - 1), end)
    bad = Product.objects.get(store_id=store_id, external_id="P0")
    return {
        "cohort_overview (rates page)": lambda: metrics.cohort_overview(scope),
        "returned_lines (resolutions, inspection)": lambda: metrics.returned_lines(scope),
        "costs": lambda: metrics.costs(scope),
        "time_to_refund": lambda: metrics.time_to_refund(scope),
        "time_per_stage": lambda: metrics.time_per_stage(scope),
        "carriers": lambda: metrics.carriers(scope),
        "satisfaction": lambda: metrics.satisfaction(scope),
        "products_to_fix": lambda: products.products_to_fix(scope),
        "comment_words (25 products)": lambda: products.comment_words(
            scope, list(Product.objects.filter(store_id=store_id).values_list("pk", flat=True))[:25]
        ),
        "shoppers.watch_list": lambda: shoppers.watch_list(scope),
        "fit_advice": lambda: advice.fit_advice(
            store_slug=STORE, product=bad.external_id, language="fr"
        ),  # fmt: skip
    }


def pages(days: int) -> dict:
    """The three insights pages through Django's test client (session, access, template)."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from retour.accounts.models import Membership
    from retour.commerce.models import Store

    user, _ = get_user_model().objects.get_or_create(username="bench-insights")
    store = Store.objects.get(slug=STORE)
    Membership.objects.get_or_create(user=user, store=store, defaults={"role": "owner"})
    client = Client()
    client.force_login(user)
    end = timezone.localdate()
    query = f"?store={STORE}&from={(end - timedelta(days=days - 1)).isoformat()}&to={end}"

    def get(path: str):
        def call():
            response = client.get(path + query)
            assert response.status_code == 200, response.status_code

        return call

    return {
        f"page {name}": get(f"/dashboard/insights/{path}")
        for name, path in (("rates", ""), ("products", "products"), ("shoppers", "shoppers"))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--days", default=f"90,{DAYS}", help="the periods timed, in days")
    parser.add_argument(
        "--keep-rollup", action="store_true", help="refresh the rollup instead of rebuilding it"
    )
    args = parser.parse_args()
    label = configure(args.sqlite, args.orders)

    from django.core.management import call_command
    from django.db import connection

    from retour.commerce.models import Order, Store
    from retour.insights import rollups
    from retour.insights.models import (
        CohortDay,
        CohortWeek,
        ResolutionTime,
        ReturnFact,
        ReturnLineFact,
        RollupState,
        StageStay,
    )

    call_command("migrate", interactive=False, verbosity=0)
    store = Store.objects.filter(slug=STORE).first()
    print(label)
    results: dict = {"database": label, "orders": args.orders, "samples": args.samples}
    if store is None:
        print(f"Building {args.orders:,} orders…")
        started = time.perf_counter()
        store = Store.objects.get(pk=build(args.orders))
        results["build_s"] = round(time.perf_counter() - started, 1)
    orders = Order.objects.filter(store=store).count()
    print(f"{orders:,} orders")
    if not args.keep_rollup:  # so that the first refresh builds it all
        RollupState.objects.filter(store=store).delete()
        CohortDay.objects.filter(store=store).delete()
        for rows in (CohortWeek, StageStay, ResolutionTime, ReturnLineFact, ReturnFact):
            rows.objects.filter(store=store).delete()
    started = time.perf_counter()
    full = rollups.refresh(store)
    results["refresh_first_s"] = round(time.perf_counter() - started, 2)
    if connection.vendor == "postgresql":  # as autovacuum would after such a write
        with connection.cursor() as cursor:
            for table in ("cohortday", "cohortweek", "stagestay", "resolutiontime",
                          "returnlinefact", "returnfact"):  # fmt: skip
                cursor.execute(f"ANALYZE insights_{table}")
    what = "refresh" if args.keep_rollup else "full build"
    seconds = results["refresh_first_s"]
    print(f"first refresh ({what}): {full.days} days, {full.rows:,} rows, {seconds} s")
    add_activity(store.pk, 1000)
    started = time.perf_counter()
    step = rollups.refresh(store)
    results["refresh_incremental_s"] = round(time.perf_counter() - started, 2)
    print(
        f"incremental refresh after 1,000 orders and 1,000 returns: {step.days} days, "
        f"{step.rows:,} rows, {results['refresh_incremental_s']} s"
    )
    for days in (int(days) for days in args.days.split(",")):
        for name, call in {**queries(store.pk, days), **pages(days)}.items():
            call()  # warm up
            figures, _ = timed(call, args.samples)
            results[f"{name} ({days} d)"] = figures
            print(f"{days:>4} d  {name:<40} p50 {figures['p50_ms']:9.1f} ms   "
                  f"p95 {figures['p95_ms']:9.1f} ms")  # fmt: skip
    RESULTS_DIR.mkdir(exist_ok=True)
    kind = "sqlite" if args.sqlite else "pg"
    (RESULTS_DIR / f"insights_{kind}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
