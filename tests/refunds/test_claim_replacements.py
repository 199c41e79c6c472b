"""An approved claim with a replacement reserves the same variant's stock and orders it as an
exchange's replacement is ordered, for nothing: no refund, no payment. Out of stock, the approval
is refused and the claim stays open."""

import json

import pytest

from retour.commerce.models import Order, Payment, StockLevel, StockMovement
from retour.events.models import OutboxEvent
from retour.refunds.models import Exchange, Refund
from retour.returns import services as returns
from retour.returns.choices import ClaimStatus
from retour.returns.models import Claim
from retour.returns.services import LineRequest
from tests.factories import SYSTEM, OrderFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def _claim(store, units=2):
    order = OrderFactory(store=store, lines=[3])
    return returns.create_claim(
        order=order,
        kind="damaged",
        lines=[LineRequest(order.lines.get().pk, units)],
        actor=SYSTEM,
    )


def _stock(claim, on_hand):
    variant = claim.lines.get().order_line.variant
    warehouse = WarehouseFactory(store=claim.store)
    return StockLevel.objects.create(warehouse=warehouse, variant=variant, on_hand=on_hand)


def _approve(client, claim):
    return client.post(
        f"/api/v1/stores/{claim.store.slug}/claims/{claim.number}/decide",
        data=json.dumps({"approve": True, "resolution": "replacement"}),
        content_type="application/json",
    )


def test_a_replacement_reserves_the_same_variant_and_orders_it_for_nothing(store_a, api_a):
    claim = _claim(store_a)
    level = _stock(claim, on_hand=5)
    payments = Payment.objects.count()

    answer = _approve(api_a, claim)

    assert answer.status_code == 200
    level.refresh_from_db()
    assert level.reserved == 2
    assert StockMovement.objects.get(variant=level.variant).delta == 2
    exchange = Exchange.objects.get()
    assert (exchange.claim_line.claim_id, exchange.return_request_id) == (claim.pk, None)
    assert exchange.price_difference == 0
    replacement = exchange.replacement_order
    assert replacement.total == 0
    assert replacement.lines.get().variant == level.variant
    assert replacement.lines.get().quantity == 2
    assert Payment.objects.count() == payments
    assert not Refund.objects.exists()
    body = answer.json()
    assert body["status"] == ClaimStatus.RESOLVED
    assert body["refund"] is None
    assert body["replacements"] == [
        {
            "sku": level.variant.sku,
            "quantity": 2,
            "status": "ordered",
            "order_number": replacement.number,
        }
    ]


def test_a_replacement_out_of_stock_is_refused_and_the_claim_stays_open(store_a, api_a):
    claim = _claim(store_a)
    level = _stock(claim, on_hand=1)
    orders = Order.objects.count()

    answer = _approve(api_a, claim)

    assert answer.status_code == 409
    assert "approve the claim with a refund instead" in answer.json()["message"]
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.OPEN
    level.refresh_from_db()
    assert level.reserved == 0
    assert not Exchange.objects.exists()
    assert Order.objects.count() == orders
    assert not OutboxEvent.objects.filter(type="claim.approved").exists()


def test_a_second_approval_sends_no_second_replacement(store_a, api_a):
    claim = _claim(store_a)
    level = _stock(claim, on_hand=5)

    first, second = _approve(api_a, claim), _approve(api_a, claim)

    assert (first.status_code, second.status_code) == (200, 409)
    assert Exchange.objects.count() == 1
    level.refresh_from_db()
    assert level.reserved == 2


def test_the_claims_page_shows_its_replacement(store_a, owner_a, session_client, api_a):
    claim = _claim(store_a)
    _stock(claim, on_hand=5)
    _approve(api_a, claim)
    replacement = Exchange.objects.get().replacement_order

    page = session_client(owner_a).get(f"/dashboard/claims/{claim.number}/").content.decode()

    assert 'id="claim-replacements"' in page
    assert replacement.number in page
