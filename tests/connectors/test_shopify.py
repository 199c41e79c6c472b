"""Shopify: signed webhooks recorded raw and applied once, in the platform's order; the order
read through GraphQL mapped exactly; backfill resumable by cursor; write-backs."""

import base64
import json
import re
from decimal import Decimal

import pytest
from django.test import Client

from retour.commerce.models import Order
from retour.connectors.adapters.base import ConnectorError
from retour.connectors.choices import EventStatus
from retour.connectors.models import Connection, InboundEvent
from retour.connectors.services import backfill_page
from retour.core.jobs import run_ready_jobs
from tests.connectors import shopify_samples as samples
from tests.connectors.conftest import GRAPHQL, post_webhook, shopify_headers
from tests.logistics.fake_carrier import Answer

pytestmark = pytest.mark.django_db
D = Decimal


def _deliver(store, payload, **header_args):
    return post_webhook(
        Client(), store, "shopify", payload, lambda body: shopify_headers(body, **header_args)
    )


def test_a_signed_order_webhook_creates_the_order_mapped_exactly(
    store_a, shopify, shopify_connection
):
    response = _deliver(store_a, samples.webhook_order())
    run_ready_jobs()

    assert response.status_code == 200, response.content
    order = Order.objects.get(store=store_a, external_id=samples.ORDER_GID)
    assert (order.number, order.currency, order.taxes_included) == ("#9999", "EUR", True)
    assert (order.subtotal, order.discount_total, order.shipping_total) == (D(70), D(5), D("4.9"))
    assert (order.tax_total, order.total) == (D("11.65"), D("69.9"))
    shirt, cap = order.lines.order_by("id")
    assert (shirt.sku, shirt.quantity, shirt.unit_price) == ("IPOD2008GREEN", 2, D(25))
    assert (shirt.discount, shirt.tax, cap.discount, cap.tax) == (D(5), D("7.5"), D(0), D("3.33"))
    assert shirt.title == "T-shirt – Green / M"
    payments = {p.reference: (p.gateway, p.method, p.captured) for p in order.payments.all()}
    assert payments == {
        samples.GIFT_CARD_SALE: ("gift_card", "gift_card", D(20)),
        samples.CARD_CAPTURE: ("shopify_payments", "card", D("49.9")),
    }
    (shipment,) = order.fulfillments.all()
    assert [(line.order_line_id, line.quantity) for line in shipment.lines.all()] == [(shirt.pk, 2)]
    assert shipment.delivered_at is not None
    assert shipment.tracking_number == "6A12345678901"
    assert order.customer.external_id == samples.CUSTOMER
    assert order.shipping_postcode == "75002"


def test_the_raw_webhook_is_kept_for_replay(store_a, shopify, shopify_connection):
    payload = samples.webhook_order()
    _deliver(store_a, payload)

    event = InboundEvent.objects.get()
    assert json.loads(event.body) == payload
    assert event.headers["x-shopify-topic"] == "orders/create"
    assert event.resource_id == samples.ORDER_GID


def test_a_webhook_with_a_wrong_signature_is_refused_and_not_recorded(
    store_a, shopify, shopify_connection
):
    response = _deliver(store_a, samples.webhook_order(), secret="not-the-secret")

    assert response.status_code == 401
    assert not InboundEvent.objects.exists()


def test_a_body_changed_after_signing_is_refused(store_a, shopify, shopify_connection):
    body = json.dumps(samples.webhook_order()).encode()
    headers = shopify_headers(body)
    tampered = body.replace(b"69.90", b"0.01")

    response = Client().post(
        f"/connectors/{store_a.slug}/shopify/webhook",
        data=tampered,
        content_type="application/json",
        **headers,
    )

    assert response.status_code == 401


def test_a_replayed_delivery_is_recorded_once_and_applied_once(
    store_a, shopify, shopify_connection
):
    first = _deliver(store_a, samples.webhook_order())
    run_ready_jobs()
    again = _deliver(store_a, samples.webhook_order())
    run_ready_jobs()

    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert InboundEvent.objects.count() == 1
    assert len(shopify.fake.calls("POST", "/admin/api/2026-04/graphql.json")) == 1
    assert Order.objects.filter(store=store_a).count() == 1


def test_an_older_update_arriving_late_does_not_overwrite_a_newer_one(
    store_a, shopify, shopify_connection
):
    shopify.orders[samples.ORDER_GID] = samples.order_node(
        updatedAt="2026-03-03T09:00:00Z", email="new@example.com"
    )
    _deliver(
        store_a,
        samples.webhook_order(updated_at="2026-03-03T09:00:00Z"),
        topic="orders/updated",
        webhook_id="newer",
    )
    run_ready_jobs()
    _deliver(store_a, samples.webhook_order(), topic="orders/updated", webhook_id="older")
    run_ready_jobs()

    order = Order.objects.get(store=store_a)
    assert order.email == "new@example.com"
    assert InboundEvent.objects.get(key="older").status == EventStatus.IGNORED
    assert len(shopify.fake.calls("POST", "/admin/api/2026-04/graphql.json")) == 1


def test_a_fulfillment_webhook_reads_the_order_again(store_a, shopify, shopify_connection):
    shopify.orders[samples.ORDER_GID] = samples.order_node(fulfillments=[])
    _deliver(store_a, samples.webhook_order())
    run_ready_jobs()
    shopify.orders[samples.ORDER_GID] = samples.order_node(updatedAt="2026-03-02T16:00:01Z")

    _deliver(store_a, samples.webhook_fulfillment(), topic="fulfillments/create", webhook_id="ff-1")
    run_ready_jobs()

    order = Order.objects.get(store=store_a)
    assert order.fulfillments.count() == 1


def test_a_store_without_the_connection_answers_404(store_b, shopify, shopify_connection):
    response = _deliver(store_b, samples.webhook_order())

    assert response.status_code == 404


def test_a_platform_that_is_down_is_retried_and_the_error_shown(store_a, fake, shopify_connection):
    from tests.logistics.fake_carrier import Answer

    fake.on("POST", "/admin/api/2026-04/graphql.json", Answer(503, {"errors": "down"}))
    _deliver(store_a, samples.webhook_order())
    run_ready_jobs()

    event = InboundEvent.objects.get()
    assert event.status == EventStatus.RECEIVED  # a retry is scheduled
    assert "503" in Connection.objects.get().last_error
    assert not Order.objects.exists()


def test_backfill_reads_every_page_and_resumes_from_its_cursor(
    store_a, shopify, shopify_connection
):
    first = samples.order_node()
    second = samples.order_node(
        id="gid://shopify/Order/2", name="#10000", updatedAt="2026-03-05T10:00:00Z"
    )
    shopify.pages = [[first], [second]]

    step = backfill_page(shopify_connection.pk)
    assert not step.done
    assert Connection.objects.get().cursor == "1"
    step = backfill_page(shopify_connection.pk)

    assert step.done
    assert Connection.objects.get().backfill_done_at is not None
    assert set(Order.objects.values_list("number", flat=True)) == {"#9999", "#10000"}
    afters = [r.json()["variables"]["after"] for r in shopify.fake.requests]
    assert afters == [None, "1"]


# ---- orders read whole: nested connections followed page by page ----------------------------


def _follow_ups(shopify):
    """The reads after the first: (owner id, connection read further) of each."""
    return [
        (read["variables"]["id"], re.search(r"\(id: \$id\) \{ (\w+)\(", read["query"]).group(1))
        for read in shopify.reads()[1:]
    ]


def test_backfill_imports_a_600_line_order_whole_with_one_request_per_extra_page(
    store_a, shopify, shopify_connection
):
    shopify.pages = [[samples.big_order_node(lines=600, fulfilled=300), samples.order_node()]]

    backfill_page(shopify_connection.pk)

    order = Order.objects.get(store=store_a, external_id=samples.BIG_ORDER_GID)
    assert order.lines.count() == 600
    assert order.subtotal == D(6000)
    (shipment,) = order.fulfillments.all()
    assert shipment.lines.count() == 300
    assert Order.objects.get(store=store_a, external_id=samples.ORDER_GID).lines.count() == 2
    # 600 lines: 10 with the order, then 8 pages of 75; 300 fulfilment lines: 10, 250, 40.
    # The small order: none.
    assert (
        _follow_ups(shopify)
        == [(samples.BIG_ORDER_GID, "lineItems")] * 8
        + [(samples.BIG_FULFILLMENT, "fulfillmentLineItems")] * 2
    )
    event = InboundEvent.objects.get(resource_id=samples.BIG_ORDER_GID)
    assert len(json.loads(event.body)["lineItems"]["nodes"]) == 600  # kept raw, whole


def test_each_follow_up_starts_after_the_last_page_read(store_a, shopify, shopify_connection):
    shopify.pages = [[samples.big_order_node(lines=160, fulfilled=0)]]

    backfill_page(shopify_connection.pk)

    first, *rest = shopify.reads()
    assert "lineItems(first: 10)" in first["query"]
    assert [json.loads(base64.b64decode(r["variables"]["after"])) for r in rest] == [
        {"last": 9},
        {"last": 84},
    ]
    assert all("lineItems(first: 75, after: $after)" in r["query"] for r in rest)
    assert Order.objects.get().lines.count() == 160


def test_an_order_that_fits_in_one_page_is_read_in_one_request(
    store_a, shopify, shopify_connection
):
    shopify.orders[samples.BIG_ORDER_GID] = samples.big_order_node(lines=10, fulfilled=10)
    _deliver(store_a, {**samples.webhook_order(), "admin_graphql_api_id": samples.BIG_ORDER_GID})
    run_ready_jobs()

    assert Order.objects.get(store=store_a).lines.count() == 10
    assert len(shopify.reads()) == 1


def test_a_page_of_small_orders_is_read_in_one_request(store_a, shopify, shopify_connection):
    shopify.pages = [
        [samples.order_node(id=f"gid://shopify/Order/{n}", name=f"#{n}") for n in range(1, 5)]
    ]

    step = backfill_page(shopify_connection.pk)

    assert step.done
    assert Order.objects.filter(store=store_a).count() == 4
    (read,) = shopify.reads()
    assert read["variables"]["first"] == 4


def test_a_webhook_reads_its_order_whole_too(store_a, shopify, shopify_connection):
    """The webhook's body only names the order: it is read through GraphQL, all of it."""
    shopify.orders[samples.BIG_ORDER_GID] = samples.big_order_node(lines=600, fulfilled=300)

    _deliver(store_a, {**samples.webhook_order(), "admin_graphql_api_id": samples.BIG_ORDER_GID})
    run_ready_jobs()

    order = Order.objects.get(store=store_a)
    assert order.lines.count() == 600
    assert order.fulfillments.get().lines.count() == 300
    assert len(shopify.reads()) == 1 + 8 + 2


def test_every_fulfillment_and_transaction_is_read(store_a, shopify, shopify_connection):
    """`fulfillments` and `transactions` are plain lists: `first` would cut them, nothing pages
    them; 60 parcels and 120 partial refunds are read whole."""
    node = samples.order_node()
    shirt = node["lineItems"]["nodes"][0]
    shirt["quantity"] = 60
    parcel = node["fulfillments"][0]
    node["fulfillments"] = [
        {
            **parcel,
            "id": f"gid://shopify/Fulfillment/{n}",
            "fulfillmentLineItems": {"nodes": [{"quantity": 1, "lineItem": {"id": shirt["id"]}}]},
        }
        for n in range(1, 61)
    ]
    node["transactions"] += [
        {
            "id": f"gid://shopify/OrderTransaction/{9000 + n}",
            "kind": "REFUND",
            "status": "SUCCESS",
            "gateway": "shopify_payments",
            "processedAt": "2026-03-05T10:00:00Z",
            "createdAt": "2026-03-05T10:00:00Z",
            "amountSet": {"shopMoney": {"amount": "0.1", "currencyCode": "EUR"}},
            "parentTransaction": {"id": samples.CARD_CAPTURE},
        }
        for n in range(120)
    ]
    shopify.orders[samples.ORDER_GID] = node

    _deliver(store_a, samples.webhook_order())
    run_ready_jobs()

    order = Order.objects.get(store=store_a)
    assert order.fulfillments.count() == 60
    assert order.payments.get(reference=samples.CARD_CAPTURE).refunded == D("12.0")
    assert len(shopify.reads()) == 1


def test_a_throttled_follow_up_imports_nothing_and_is_retried(store_a, shopify, shopify_connection):
    shopify.pages = [[samples.big_order_node(lines=600, fulfilled=0)]]
    default = shopify.answer
    throttled = Answer(
        200,
        {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]},
    )
    shopify.fake.on(
        "POST",
        GRAPHQL,
        lambda r: throttled if "after: $after" in r.json()["query"] else default(r),
    )

    with pytest.raises(ConnectorError) as raised:
        backfill_page(shopify_connection.pk)

    assert raised.value.retryable
    assert not Order.objects.exists()  # never a part of the order
    assert Connection.objects.get().cursor == ""  # the page is read again
    shopify.fake.on("POST", GRAPHQL, default)
    backfill_page(shopify_connection.pk)
    assert Order.objects.get().lines.count() == 600
