"""Shopify: signed webhooks recorded raw and applied once, in the platform's order; the order
read through GraphQL mapped exactly; backfill resumable by cursor; write-backs."""

import json
from decimal import Decimal

import pytest
from django.test import Client

from retour.commerce.models import Order
from retour.connectors.choices import EventStatus
from retour.connectors.models import Connection, InboundEvent
from retour.connectors.services import backfill_page
from retour.core.jobs import run_ready_jobs
from tests.connectors import shopify_samples as samples
from tests.connectors.conftest import post_webhook, shopify_headers

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
