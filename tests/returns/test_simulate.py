"""Simulating a draft policy on the store's past returns, before it is published."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retour.returns import services
from retour.returns.eligibility import simulate_policy
from retour.returns.services import LineRequest
from tests.factories import SYSTEM, OrderFactory

pytestmark = pytest.mark.django_db

DRAFT = {
    "rules": [
        {
            "id": "cheap",
            "when": {"line_price": {"max": "30"}},
            "then": {"decision": "returnless", "add_fee": "1"},
        },
        {"id": "sizes", "when": {"reasons": ["size"]}, "then": {"decision": "approve"}},
        {"id": "nothing", "when": {"countries": ["JP"]}, "then": {"decision": "review"}},
    ]
}


def _past_return(store, price: str, reason: str, quantity: int = 1):
    order = OrderFactory(store=store, lines=[quantity], lines__unit_price=Decimal(price))
    line = order.lines.get()
    return services.create_return(
        order=order,
        lines=[LineRequest(line.pk, quantity, reason)],
        method="drop_off",
        resolution="refund",
        actor=SYSTEM,
    )


def test_it_counts_lines_orders_and_money_per_rule(store_a):
    _past_return(store_a, "25.00", "too_small", quantity=2)  # cheap, then sizes (parent)
    _past_return(store_a, "80.00", "too_large")  # sizes
    _past_return(store_a, "20.00", "defective")  # cheap

    report = simulate_policy(store_a.pk, DRAFT)

    assert (report.cases, report.lines, report.eligible) == (3, 3, 3)
    cheap, sizes, nothing = report.rule("cheap"), report.rule("sizes"), report.rule("nothing")
    assert (cheap.lines, cheap.orders, cheap.value, cheap.decided) == (2, 2, Decimal("70"), 2)
    assert cheap.fees == Decimal("2")
    assert (sizes.lines, sizes.value, sizes.decided) == (2, Decimal("130"), 1)
    assert (nothing.lines, nothing.value) == (0, Decimal("0"))
    assert report.outcomes == {"returnless": 2, "approve": 1}
    assert report.value_by_outcome == {"returnless": Decimal("70"), "approve": Decimal("80")}


def test_it_reads_the_past_in_one_query_and_writes_nothing(store_a):
    for price in ("10.00", "20.00", "30.00"):
        _past_return(store_a, price, "too_small")

    with CaptureQueriesContext(connection) as queries:
        simulate_policy(store_a.pk, DRAFT)

    assert len(queries) == 1
    assert not any(q["sql"].startswith(("INSERT", "UPDATE")) for q in queries.captured_queries)
