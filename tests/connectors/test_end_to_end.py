"""A Shopify order arrives by webhook, the shopper returns one line in the portal, the warehouse
receives and restocks it, the refund is issued: Shopify is told with `refundCreate`, carrying
that line, its amount, the restock and our idempotency key."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from retour.commerce.models import Order
from retour.connectors.choices import WriteBackStatus
from retour.connectors.models import WriteBack
from retour.connectors.services import push_write_back, retry_write_back
from retour.core.actors import Actor
from retour.core.jobs import run_ready_jobs
from retour.returns.models import Return, ReturnEvent
from tests.connectors import shopify_samples as samples
from tests.connectors.conftest import post_webhook, shopify_headers
from tests.connectors.journey import put_away, refund_by_hand
from tests.logistics.fake_carrier import Answer
from tests.portal.flow import look_up

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_files")]


def _recent_order(shopify):
    """The documented order, placed five days ago and delivered two days ago."""
    now = timezone.now()
    node = samples.order_node(processedAt=(now - timedelta(days=5)).isoformat())
    node["fulfillments"][0]["deliveredAt"] = (now - timedelta(days=2)).isoformat()
    shopify.orders[samples.ORDER_GID] = node


def returned_and_restocked(store, owner, shopify):
    """The shopper returns one T-shirt of the webhook's order in the portal; it is received,
    graded A and restocked."""
    _recent_order(shopify)
    post_webhook(Client(), store, "shopify", samples.webhook_order(), shopify_headers)
    run_ready_jobs()
    order = Order.objects.get(store=store, external_id=samples.ORDER_GID)
    shirt = order.lines.get(external_id=samples.LINE_SHIRT)
    shopper = Client()
    portal = f"/returns/{store.slug}"
    assert order.number == "#9999"  # Shopify's name for it; the shopper types it without "#"
    assert look_up(shopper, store.slug, "9999", order.email).status_code == 302
    steps = [
        ("items", {f"qty-{shirt.pk}": "1"}),
        ("reasons", {f"reason-{shirt.pk}": "too_small"}),
        ("resolution", {"resolution": "refund"}),
        ("method", {"method": "drop_off"}),
        ("review", {}),
    ]
    for step, answers in steps:
        response = shopper.post(f"{portal}/{step}", answers)
        assert response.status_code == 302, (step, response.content.decode())
    return_request = Return.objects.get(order=order)
    assert response["Location"].endswith(return_request.rma)
    return put_away(return_request, owner)


def _returned_and_refunded(store, owner, shopify):
    """… and refunded: finance records the card and gift card parts (manual gateway)."""
    refund = refund_by_hand(returned_and_restocked(store, owner, shopify), owner)
    run_ready_jobs()
    return refund


def test_the_refund_is_written_back_with_its_line_amount_restock_and_key(
    store_a, owner_a, shopify, shopify_connection
):
    refund = _returned_and_refunded(store_a, owner_a, shopify)

    (sent,) = shopify.mutations("refundCreate")
    assert f"@idempotent(key: {json.dumps(refund.idempotency_key)})" in sent["query"]
    refund_input = sent["variables"]["input"]
    assert refund_input["orderId"] == samples.ORDER_GID
    assert refund_input["refundLineItems"] == [
        {
            "lineItemId": samples.LINE_SHIRT,
            "quantity": 1,
            "restockType": "RETURN",
            "locationId": samples.LOCATION,
        }
    ]
    # Finance already paid it back by hand: Shopify records the line and restock, moves no money.
    assert "transactions" not in refund_input
    assert "shipping" not in refund_input
    write_back = WriteBack.objects.get(kind="refund")
    assert write_back.status == WriteBackStatus.SENT
    assert write_back.remote_id == "gid://shopify/Refund/929361464"


def test_the_restock_carried_by_the_refund_is_not_sent_again(
    store_a, owner_a, shopify, shopify_connection
):
    _returned_and_refunded(store_a, owner_a, shopify)
    restock = WriteBack.objects.get(kind="restock")

    push_write_back(restock.pk)  # its delayed job, run now

    assert WriteBack.objects.get(pk=restock.pk).status == WriteBackStatus.INCLUDED
    assert shopify.mutations("inventoryAdjustQuantities") == []


def test_a_restock_sent_before_the_refund_is_not_restocked_again_by_it(
    store_a, owner_a, shopify, shopify_connection, settings
):
    settings.RETOUR_CONNECTORS = {**settings.RETOUR_CONNECTORS, "RESTOCK_DELAY": 0}
    _returned_and_refunded(store_a, owner_a, shopify)

    (adjusted,) = shopify.mutations("inventoryAdjustQuantities")
    restock = WriteBack.objects.get(kind="restock")
    assert f"@idempotent(key: {json.dumps(restock.idempotency_key)})" in adjusted["query"]
    change = adjusted["variables"]["input"]["changes"][0]
    assert change == {
        "delta": 1,
        "locationId": samples.LOCATION,
        "inventoryItemId": "gid://shopify/InventoryItem/30322695",
    }
    (refunded,) = shopify.mutations("refundCreate")
    assert [item["restockType"] for item in refunded["variables"]["input"]["refundLineItems"]] == [
        "NO_RESTOCK"
    ]


def test_a_refused_write_back_is_shown_on_the_return_and_can_be_retried(
    store_a, owner_a, shopify, shopify_connection
):
    shopify.mutation_answers["refundCreate"] = Answer(
        200,
        {
            "data": {
                "refundCreate": {
                    "refund": None,
                    "userErrors": [{"field": ["input"], "message": "Order is archived"}],
                }
            }
        },
    )
    refund = _returned_and_refunded(store_a, owner_a, shopify)

    write_back = WriteBack.objects.get(kind="refund")
    assert write_back.status == WriteBackStatus.FAILED
    event = ReturnEvent.objects.get(
        return_request=refund.return_request, kind="platform_sync_failed"
    )
    assert "Order is archived" in event.data["error"]
    del shopify.mutation_answers["refundCreate"]
    retry_write_back(write_back=write_back, actor=Actor.staff(owner_a))
    run_ready_jobs()
    first, second = shopify.mutations("refundCreate")
    assert first["variables"] == second["variables"]
    assert first["query"] == second["query"]
    assert WriteBack.objects.get(pk=write_back.pk).status == WriteBackStatus.SENT
