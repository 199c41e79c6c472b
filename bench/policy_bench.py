"""Eligibility of a 50-line order under a 100-rule policy, in process.

Two measurements, each N times on the same order:

- engine: `policy.engine.evaluate` on facts already loaded (pure Python, no database);
- order: `returns.eligibility.evaluate_order`, what the portal, the API and `create_return` run:
  the order with its policy and shopper history (one query), its lines with quantities and
  dates (one query), then the engine.

Both evaluate the shopper's full request (reason, method, resolution per line), so the rules on
reasons and methods are exercised. The 100 rules set conditions on the line (price, category,
tags, reason, days since delivery) so none is skipped by the once-per-order pre-filter: the
engine checks 5,000 rule-line pairs per order. Target: under 5 ms per order, with a constant
number of queries. Writes bench/results/policy.json.

    .venv/bin/python bench/policy_bench.py [-n 2000]

It uses its own SQLite database in bench/data/policy/, rebuilt on every run.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / "data" / "policy"
RESULTS_DIR = BENCH_DIR / "results"
TARGET_MS = 5.0
LINES = 50
RULES = 100
CATEGORIES = ["apparel/shirts", "apparel/shoes", "home/kitchen", "beauty", "electronics"]
TAGS = ["sale", "new", "cotton", "premium", "bulky", "fragile"]
REASONS = ["too_small", "too_large", "changed_mind", "defective", "not_as_described"]


def _setup() -> None:
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    DATA_DIR.mkdir(parents=True)
    os.environ["RETOUR_DATA_DIR"] = str(DATA_DIR)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("RETOUR_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retour.settings")
    sys.path.insert(0, str(BENCH_DIR.parent / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _rules() -> list[dict]:
    """100 rules on line facts, decisions last, so every rule is checked on every line."""
    rules = []
    for i in range(RULES - 3):
        when: dict = {"line_price": {"min": str(5 + i % 40), "max": str(400 - i % 50)}}
        if i % 2:
            when["categories"] = [CATEGORIES[i % len(CATEGORIES)]]
        if i % 3 == 0:
            when["tags"] = [TAGS[i % len(TAGS)], TAGS[(i + 1) % len(TAGS)]]
        if i % 5 == 0:
            when["reasons"] = [REASONS[i % len(REASONS)]]
        if i % 7 == 0:
            when["days_since_delivery"] = {"max": str(10 + i % 20)}
        then: dict = {"add_fee": "0.10"} if i % 4 else {"forbid_methods": ["pickup"]}
        if i % 11 == 0:
            then = {"require_photos": True}
        rules.append({"id": f"rule-{i:03d}", "when": when, "then": then})
    rules.append(
        {
            "id": "keep-cheap",
            "when": {"line_price": {"max": "8"}},
            "then": {"decision": "returnless"},
        }
    )
    rules.append(
        {
            "id": "review-dear",
            "when": {"line_price": {"min": "300"}},
            "then": {"decision": "review"},
        }
    )
    rules.append({"id": "approve-rest", "then": {"decision": "approve"}})
    return rules


def _data():
    from django.utils import timezone

    from retour.commerce.models import (
        Customer,
        Fulfillment,
        FulfillmentLine,
        Order,
        OrderLine,
        Product,
        Store,
        Variant,
    )
    from retour.core.actors import Actor
    from retour.policy.services import publish_policy
    from retour.returns.services import install_default_reasons

    actor = Actor.system("bench")
    store = Store.objects.create(
        name="Bench", slug="bench", currency="EUR", country="FR", timezone="Europe/Paris"
    )
    install_default_reasons(store=store, actor=actor)
    publish_policy(
        store=store,
        document={
            "window_days": 30,
            "restocking_fee": {"percent": "5", "waived_for_store_credit": True},
            "shipping_fees": {"mail": {"flat": "4.90"}, "drop_off": {"flat": "3.90"}},
            "label_costs": {"mail": "6", "drop_off": "4.5"},
            "store_credit_bonus_percent": "10",
            "overrides": [{"category": "apparel/shoes", "window_days": 60}],
            "rules": _rules(),
        },
        actor=actor,
    )
    customer = Customer.objects.create(store=store, email="bench@example.com")
    now = timezone.now()
    order = Order.objects.create(
        store=store,
        number="B-1",
        customer=customer,
        email=customer.email,
        currency="EUR",
        placed_at=now - timedelta(days=8),
        total=Decimal("0"),
        shipping_country="FR",
        shipping_postcode="75001",
        shipping_address={"line1": "1 rue de Rivoli", "postcode": "75001"},
    )
    fulfillment = Fulfillment.objects.create(
        order=order, shipped_at=now - timedelta(days=7), delivered_at=now - timedelta(days=5)
    )
    total = Decimal("0")
    for i in range(LINES):
        product = Product.objects.create(
            store=store,
            external_id=f"p{i}",
            title=f"Product {i}",
            category=CATEGORIES[i % len(CATEGORIES)],
            tags=[TAGS[i % len(TAGS)], TAGS[(i * 7) % len(TAGS)]],
        )
        price = Decimal(5 + (i * 37) % 350)
        variant = Variant.objects.create(store=store, product=product, sku=f"S{i}", price=price)
        line = OrderLine.objects.create(
            order=order,
            variant=variant,
            sku=variant.sku,
            title=product.title,
            quantity=2,
            unit_price=price,
        )
        FulfillmentLine.objects.create(fulfillment=fulfillment, order_line=line, quantity=2)
        total += price * 2
    Order.objects.filter(pk=order.pk).update(total=total, subtotal=total)
    return store, Order.objects.get(pk=order.pk)


def _choice(order):
    from retour.returns.eligibility import RequestedLine, make_choice
    from retour.returns.models import ReturnReason

    reasons = {
        r.code: r
        for r in ReturnReason.objects.filter(store_id=order.store_id).select_related("parent")
    }
    lines = [
        RequestedLine(line.pk, 1, reasons[REASONS[index % len(REASONS)]])
        for index, line in enumerate(order.lines.order_by("id"))
    ]
    return make_choice(method="mail", resolution="refund", lines=lines)


def _summary(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
        "mean_ms": round(sum(ordered) / len(ordered) * 1000, 3),
    }


def _time(function, count: int) -> list[float]:
    for _warm in range(20):
        function()
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="evaluations per measurement")
    args = parser.parse_args()
    _setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from retour.policy.engine import evaluate
    from retour.policy.selectors import compiled
    from retour.returns.eligibility import (
        _version,
        evaluate_loaded,
        evaluate_order,
        lines_with_facts,
        order_facts,
        order_with_facts,
    )
    from retour.returns.risk import assess

    _store, order = _data()
    choice = _choice(order)
    loaded, lines = order_with_facts(order.pk, history=True), lines_with_facts(order.pk)
    facts = order_facts(loaded, lines, assess(loaded))
    policy = compiled(_version(loaded))
    now = timezone.now()
    decision = evaluate(policy, facts, now, choice)
    assert len(decision.lines) == LINES
    assert len(policy.rules) == RULES
    fired = sum(len(line.fired_rules) for line in decision.lines)

    with CaptureQueriesContext(connection) as captured:
        evaluation = evaluate_order(order, choice=choice)
    queries = len(captured.captured_queries)
    assert (
        evaluation.decision
        == evaluate_loaded(loaded, lines, choice=choice, now=evaluation.evaluated_at).decision
    )

    engine = _summary(_time(lambda: evaluate(policy, facts, now, choice), args.n))
    full = _summary(_time(lambda: evaluate_order(order, choice=choice), args.n))
    results = {
        "lines": LINES,
        "rules": RULES,
        "rule_line_pairs_fired": fired,
        "engine": engine,
        "order": full | {"queries": queries},
        "target_ms": TARGET_MS,
    }
    print(f"Eligibility: {LINES} lines × {RULES} rules ({fired} rule firings), in process, SQLite")
    for name, result in (("engine only", engine), ("order (2 queries + engine)", full)):
        print(
            f"{name:<28} n={result['n']:<6} p50 {result['p50_ms']:7.3f} ms   "
            f"p95 {result['p95_ms']:7.3f} ms   mean {result['mean_ms']:7.3f} ms"
        )
    print(f"queries per evaluation: {queries}")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "policy.json").write_text(json.dumps(results, indent=2))
    if full["p50_ms"] > TARGET_MS:
        sys.exit(f"p50 {full['p50_ms']} ms is over the {TARGET_MS} ms target")


if __name__ == "__main__":
    main()
