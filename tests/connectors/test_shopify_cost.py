"""Shopify refuses, before running it, a query whose requested cost is above 1,000 points: the
fake Admin API prices each query by Shopify's documented rules (`shopify_cost`) and refuses as
Shopify does; every query the adapter can send stays well within the limit, and a refusal is
shown on the connection, not retried."""

from decimal import Decimal

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from retour.commerce.models import Order
from retour.connectors import jobs
from retour.connectors.adapters.base import (
    CreditFacts,
    PaymentPartFacts,
    RefundFacts,
    RefundLineFacts,
    RestockFacts,
    send_json,
)
from retour.connectors.adapters.shopify import (
    ADJUST_MUTATION,
    BULK_QUERY,
    BULK_RUN_MUTATION,
    BULK_STATUS_QUERY,
    CREDIT_MUTATION,
    FULFILLMENT_LINE_ITEMS,
    FULFILLMENTS_PER_QUERY,
    LINE_ITEMS,
    ORDER_QUERY,
    ORDERS_PER_PAGE,
    ORDERS_QUERY,
    REFUND_MUTATION,
    SHIPPING_LINES,
    VARIANT_QUERY,
    ShopifyConnector,
    fulfillment_lines_query,
)
from retour.connectors.choices import EventStatus
from retour.connectors.models import Connection, InboundEvent
from retour.connectors.services import backfill_page
from retour.core.jobs import run_ready_jobs
from tests.connectors import shopify_samples as samples
from tests.connectors.conftest import GRAPHQL, post_webhook, shopify_headers
from tests.connectors.shopify_cost import Unpriceable, requested_cost

# What a query of the adapter may request: a fifth below Shopify's limit, so that a few more
# fields, or a Shopify pricing a field above the default, do not take it over.
WITHIN = 800

# ---- the calculator ------------------------------------------------------------------------


def test_it_prices_shopify_s_documented_breakdown():
    """Shopify's cost breakdown of a page of 10 customers (Shopify/shopify-api-js #602): each
    node an object (1), times 10, plus 2 for the connection."""
    assert requested_cost("query { customers(first: 10) { nodes { id phone } } }") == 12


def test_scalars_are_free_objects_cost_one_and_nested_connections_multiply():
    assert requested_cost("{ shop { name currencyCode } }") == 1
    query = (
        "query Products($n: Int!) { products(first: $n) { pageInfo { hasNextPage } "
        "edges { cursor node { id vendor { name } variants(first: 5) { nodes { id } } } } } }"
    )
    # 2 + 10 products × (the node 1 + vendor 1 + variants 2 + 5 × 1) + pageInfo 1
    assert requested_cost(query, {"n": 10}) == 2 + 10 * (1 + 1 + 2 + 5) + 1


def test_a_mutation_costs_ten_with_what_it_selects():
    query = (
        'mutation { tagsAdd(id: "gid://shopify/Order/1", tags: ["vip"]) { userErrors { field } } }'
    )
    assert requested_cost(query) == 10 + 1


def test_a_connection_without_first_or_last_cannot_be_priced():
    with pytest.raises(Unpriceable, match="first or last"):
        requested_cost("{ orders { nodes { id } } }")


# ---- the fake answers as Shopify does --------------------------------------------------------

# The page sizes the adapter asked for before it minded the cost: 250 line items, 20 shipping
# lines and 250 lines a fulfillment with each order, 50 orders a backfill page.
FORMER = {
    "lineItems(first: 10)": "lineItems(first: 250)",
    "shippingLines(first: 5)": "shippingLines(first: 20)",
    "fulfillmentLineItems(first: 10)": "fulfillmentLineItems(first: 250)",
}


def _former(query: str) -> str:
    for now, before in FORMER.items():
        assert now in query
        query = query.replace(now, before)
    return query


def _post(shopify, query: str, variables: dict) -> dict:
    return send_json(
        "POST", shopify.fake.url + GRAPHQL, body={"query": query, "variables": variables}
    )


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        (ORDERS_QUERY, {"first": 50, "after": None}, 156_203),
        (ORDER_QUERY, {"id": samples.ORDER_GID}, 3_124),
    ],
    ids=["backfill page", "one order"],
)
def test_the_former_queries_are_refused_for_their_cost(shopify, query, variables, cost):
    answer = _post(shopify, _former(query), variables)

    assert "data" not in answer
    (error,) = answer["errors"]
    assert error["extensions"] == {"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": 1000}
    assert error["message"].startswith(
        f"Query cost is {cost}, which exceeds the single query max cost limit (1000)."
    )


def test_an_answer_reports_the_requested_cost(shopify):
    answer = _post(shopify, ORDER_QUERY, {"id": samples.ORDER_GID})

    assert answer["data"]["order"]["name"] == "#9999"
    assert answer["extensions"]["cost"]["requestedQueryCost"] == 169


# ---- every query of the adapter within the limit ---------------------------------------------

KEY = '"retour-refund-1"'
ADAPTER_QUERIES = {
    "one order": (ORDER_QUERY, {"id": samples.ORDER_GID}),
    "backfill page": (ORDERS_QUERY, {"first": ORDERS_PER_PAGE, "after": "1"}),
    "backfill page since an export": (
        ORDERS_QUERY,
        {"first": ORDERS_PER_PAGE, "after": None, "query": "updated_at:>='2026-03-10T08:00:00Z'"},
    ),
    "bulk export started": (BULK_RUN_MUTATION, {"query": BULK_QUERY}),
    "bulk export polled": (BULK_STATUS_QUERY, {"id": "gid://shopify/BulkOperation/1"}),
    "fulfillment lines of exported orders": (
        fulfillment_lines_query(FULFILLMENTS_PER_QUERY),
        {f"f{n}": samples.BIG_FULFILLMENT for n in range(FULFILLMENTS_PER_QUERY)},
    ),
    "more line items": (LINE_ITEMS.rest_query, {"id": samples.ORDER_GID, "after": "c"}),
    "more shipping lines": (SHIPPING_LINES.rest_query, {"id": samples.ORDER_GID, "after": "c"}),
    "more fulfillment lines": (
        FULFILLMENT_LINE_ITEMS.rest_query,
        {"id": samples.BIG_FULFILLMENT, "after": "c"},
    ),
    "variant look-up": (VARIANT_QUERY, {"query": 'sku:"CAP-RED"'}),
    "refundCreate": (REFUND_MUTATION % KEY, {}),
    "inventoryAdjustQuantities": (ADJUST_MUTATION % KEY, {}),
    "storeCreditAccountCredit": (CREDIT_MUTATION, {}),
}


@pytest.mark.parametrize("name", ADAPTER_QUERIES)
def test_every_query_the_adapter_can_send_is_well_within_the_limit(name):
    assert requested_cost(*ADAPTER_QUERIES[name]) <= WITHIN


def test_reading_big_orders_and_writing_back_stays_within_the_limit(
    store_a, shopify, shopify_connection
):
    """The queries as sent: a backfill page with a 600-line order, its follow-ups, the webhook's
    read of it, a refund, a restock (its variant looked up) and store credit."""
    shopify.pages = [[samples.big_order_node(lines=600, fulfilled=300), samples.order_node()]]
    shopify.orders[samples.BIG_ORDER_GID] = samples.big_order_node(lines=600, fulfilled=300)
    backfill_page(shopify_connection.pk)
    post_webhook(
        Client(),
        store_a,
        "shopify",
        {**samples.webhook_order(), "admin_graphql_api_id": samples.BIG_ORDER_GID},
        lambda body: shopify_headers(body, webhook_id="big"),
    )
    run_ready_jobs()
    connector = ShopifyConnector(
        base_url=shopify.fake.url,
        credentials={"access_token": "shpat_test"},
        options={"location_id": samples.LOCATION},
    )
    refund = RefundFacts(
        order_external_id=samples.ORDER_GID,
        currency="EUR",
        reference="RF-1",
        rma="R-1",
        lines=[RefundLineFacts(samples.LINE_CAP, 1, Decimal("20"), 1)],
        shipping=Decimal("0"),
        amount=Decimal("20"),
        parts=[PaymentPartFacts(samples.CARD_CAPTURE, "shopify_payments", Decimal("20"))],
    )
    restock = RestockFacts("CAP-RED", "", "", 1, "1")
    credit = CreditFacts(samples.CUSTOMER, "jon@example.com", Decimal("5"), "EUR", "1")
    for request in (
        connector.refund_request(refund),
        connector.restock_request(restock),
        connector.credit_request(credit),
    ):
        connector.send(request, idempotency_key="retour-1")

    assert Order.objects.get(external_id=samples.BIG_ORDER_GID).lines.count() == 600
    assert InboundEvent.objects.get(key="big").status == EventStatus.IGNORED  # already read
    assert len(shopify.costs) == 1 + 8 + 2 + 1 + 8 + 2 + 4
    assert max(shopify.costs) <= WITHIN


# ---- a refusal, and the page size option ---------------------------------------------------


def test_a_backfill_page_refused_for_its_cost_is_shown_on_the_connection_and_not_retried(
    store_a, shopify, shopify_connection
):
    shopify.pages = [[samples.order_node()]]
    shopify.max_cost = 500  # a Shopify pricing the page above its limit

    jobs.backfill.enqueue(shopify_connection.pk)
    run_ready_jobs()

    connection = Connection.objects.get()
    assert connection.last_error.startswith(
        "Shopify refused a query of Retour's as too costly: Query cost is 679, which exceeds "
        "the single query max cost limit (500)."
    )
    assert connection.cursor == ""
    assert not Order.objects.exists()
    assert DBTaskResult.objects.filter(task_path=jobs.backfill.module_path).count() == 1


def test_an_order_read_refused_for_its_cost_fails_its_event_with_the_reason(
    store_a, shopify, shopify_connection
):
    shopify.max_cost = 100

    post_webhook(Client(), store_a, "shopify", samples.webhook_order(), shopify_headers)
    run_ready_jobs()

    event = InboundEvent.objects.get()
    assert event.status == EventStatus.FAILED  # failed at once: the same query would fail again
    assert "Query cost is 169, which exceeds the single query max cost limit (100)" in event.error
    assert len(shopify.reads()) == 1


@pytest.mark.parametrize(("option", "first"), [(50, ORDERS_PER_PAGE), ("2", 2), (0, 1)])
def test_the_page_size_option_is_kept_within_the_cost_limit(
    store_a, shopify, shopify_connection, option, first
):
    Connection.objects.update(options={"page_size": option})
    shopify.pages = [[samples.order_node()]]

    backfill_page(shopify_connection.pk)

    (read,) = shopify.reads()
    assert read["variables"]["first"] == first
    assert Order.objects.count() == 1


def test_a_page_size_that_is_not_a_number_is_shown_on_the_connection(
    store_a, shopify, shopify_connection
):
    Connection.objects.update(options={"page_size": "lots"})

    jobs.backfill.enqueue(shopify_connection.pk)
    run_ready_jobs()

    assert Connection.objects.get().last_error == "option page_size must be a number, not 'lots'"
    assert not shopify.fake.requests
