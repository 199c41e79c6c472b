"""The refunds API: a refund requested with the inspection's deductions, once per idempotency
key; four eyes; store credit redeemed once per reference; Stripe's signed webhook."""

import json
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retour.accounts.scopes import Role, Scope
from retour.commerce.models import StockLevel
from retour.core.actors import Actor
from retour.refunds.adapters.stripe import sign_webhook
from retour.refunds.models import Exchange, Refund, RefundSettings, StoreCreditEntry
from retour.refunds.services import compute_refund
from retour.returns import services as returns
from retour.returns.services import LineRequest
from retour.warehouse import services as warehouse
from tests.api.conftest import add_money
from tests.factories import SYSTEM, OrderFactory, VariantFactory, WarehouseFactory, staff_user
from tests.refunds.helpers import make_order, open_return
from tests.refunds.stripe_server import SECRET, FakeStripe
from tests.warehouse.helpers import parcel_on_its_way, warehouse_of

pytestmark = pytest.mark.django_db
D = Decimal
S = "/api/v1/stores/store-a"


def _post(client, url, body=None, **headers):
    return client.post(
        url, data=json.dumps(body or {}), content_type="application/json", headers=headers
    )


@pytest.fixture
def inspected(store_a, warehouse_a):
    """A return of two single units, received; the second inspected with a 5.00 deduction."""
    warehouse_of(store_a)
    return_request, (first, second) = parcel_on_its_way(store_a, lines=(1, 1))
    operator = Actor.staff(warehouse_a)
    warehouse.receive_parcel(
        return_request=return_request,
        warehouse=None,
        quantities={first.pk: 1, second.pk: 1},
        extras=(),
        actor=operator,
    )
    warehouse.inspect_unit(return_line=first, unit_index=1, grade="A", actor=operator)
    warehouse.inspect_unit(
        return_line=second,
        unit_index=1,
        grade="C",
        deduction=D("5"),
        reason="Stain on the sleeve",
        actor=operator,
    )
    return_request.refresh_from_db()
    return return_request


def test_a_refund_takes_the_inspections_deductions_and_comes_back_itemised(api_a, inspected):
    full = compute_refund(inspected).breakdown.total

    response = _post(api_a, f"{S}/returns/{inspected.rma}/refunds")

    assert response.status_code == 201, response.content
    body = response.json()
    assert D(body["amount"]) == full - D("5.00")
    assert body["rma"] == inspected.rma
    assert body["status"] == "requested"
    assert sorted(line["quantity"] for line in body["lines"]) == [1, 1]
    assert [(p["destination"], p["status"]) for p in body["parts"]] == [
        ("original_payment", "pending")
    ]
    assert "Stain on the sleeve" in json.dumps(body["breakdown"])
    assert body["expected_by"]


def test_a_replayed_request_makes_one_refund(api_a, inspected):
    first = _post(api_a, f"{S}/returns/{inspected.rma}/refunds", **{"Idempotency-Key": "k-1"})
    replay = _post(api_a, f"{S}/returns/{inspected.rma}/refunds", **{"Idempotency-Key": "k-1"})
    double_click = _post(api_a, f"{S}/returns/{inspected.rma}/refunds")

    assert {first.json()["reference"], replay.json()["reference"]} == {
        double_click.json()["reference"]
    }
    assert Refund.objects.count() == 1


def test_an_idempotency_key_cannot_be_reused_for_another_return(api_a, inspected, store_a):
    _post(api_a, f"{S}/returns/{inspected.rma}/refunds", **{"Idempotency-Key": "k-1"})
    other = _inspected_twin(store_a)

    response = _post(api_a, f"{S}/returns/{other.rma}/refunds", **{"Idempotency-Key": "k-1"})

    assert response.status_code == 409
    assert response.json()["code"] == "key_reused"
    assert Refund.objects.count() == 1


def _inspected_twin(store):
    return_request, lines = parcel_on_its_way(store, lines=(1,), tracking="6A999")
    returns.receive_lines(
        return_request=return_request,
        receipts=[returns.LineReceipt(lines[0].pk, 1)],
        actor=SYSTEM,
    )
    return returns.inspect_lines(
        return_request=return_request,
        inspections=[returns.LineInspection(lines[0].pk, 1)],
        actor=SYSTEM,
    )


def test_a_refund_before_the_stores_trigger_is_409_with_the_reason(api_a, store_a):
    return_request, _lines = parcel_on_its_way(store_a)

    response = _post(api_a, f"{S}/returns/{return_request.rma}/refunds")

    assert response.status_code == 409
    assert response.json()["code"] == "refund_not_due"
    assert "Label issued" in response.json()["message"]
    assert not Refund.objects.exists()


def test_an_api_key_cannot_override_the_units(api_a, inspected):
    line = inspected.lines.order_by("id").first()

    response = _post(
        api_a,
        f"{S}/returns/{inspected.rma}/refunds",
        {"quantities": {str(line.pk): 1}, "override_reason": "goodwill"},
    )

    assert response.status_code == 403
    assert not Refund.objects.exists()


def test_a_large_refund_waits_for_another_finance_person(store_a, inspected, session_client):
    RefundSettings.objects.create(store=store_a, four_eyes_threshold=D("1.00"))
    asker = session_client(staff_user(store_a, Role.FINANCE))
    refund = _post(asker, f"{S}/returns/{inspected.rma}/refunds").json()
    url = f"{S}/refunds/{refund['reference']}/approve"
    assert refund["status"] == "awaiting_approval"

    assert _post(asker, url).status_code == 403  # not the person who asked
    assert _post(session_client(staff_user(store_a, Role.SUPPORT)), url).status_code == 403
    approved = _post(session_client(staff_user(store_a, Role.FINANCE)), url)

    assert approved.status_code == 200
    assert approved.json()["status"] == "requested"


def test_cancelling_frees_the_refund_and_cannot_be_done_twice(api_a, inspected):
    reference = _post(api_a, f"{S}/returns/{inspected.rma}/refunds").json()["reference"]

    cancelled = _post(api_a, f"{S}/refunds/{reference}/cancel", {"reason": "wrong amount"})
    again = _post(api_a, f"{S}/refunds/{reference}/cancel")

    assert cancelled.json()["status"] == "cancelled"
    assert again.status_code == 409
    assert _post(api_a, f"{S}/refunds/{reference}/retry").status_code == 409


def _refunds(store, count, first=0):
    """`count` returns of one unit, each with a requested refund and some store credit."""
    for index in range(first, first + count):
        order = OrderFactory(store=store, number=f"Q-{index}", lines=[1])
        return_request = returns.create_return(
            order=order,
            lines=[LineRequest(order.lines.get().pk, 1)],
            method="drop_off",
            resolution="refund",
            actor=SYSTEM,
        )
        add_money(return_request)


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.json()


@pytest.mark.parametrize("url", [f"{S}/refunds", f"{S}/refunds?status=requested"])
def test_the_list_costs_the_same_queries_for_1_and_50_refunds(api_a, store_a, url):
    _refunds(store_a, 1)
    api_a.get(url)  # the key's first use of the minute writes its `last_used_at`
    one, listed = _queries(api_a, url)
    _refunds(store_a, 49, first=1)
    fifty, listed_50 = _queries(api_a, url)

    assert len(listed) == 1
    assert len(listed_50) == 50
    assert fifty == one


def test_store_credit_is_redeemed_once_per_reference(api_a, store_a):
    _refunds(store_a, 1)  # the shopper has 20.00 of credit
    code = StoreCreditEntry.objects.get().account.code
    url = f"{S}/store-credit/{code.lower()}/redeem"

    first = _post(api_a, url, {"amount": "5.00", "reference": "shop-1"})
    replay = _post(api_a, url, {"amount": "5.00", "reference": "shop-1"})
    too_much = _post(api_a, url, {"amount": "15.01", "reference": "shop-2"})
    negative = _post(api_a, url, {"amount": "-1", "reference": "shop-3"})

    assert (first.status_code, replay.status_code) == (201, 201)
    assert first.json() == replay.json()
    assert too_much.status_code == 409
    assert too_much.json()["code"] == "insufficient_credit"
    assert negative.status_code == 422
    assert D(api_a.get(f"{S}/store-credit/{code}").json()["balance"]) == D("15.00")


def test_a_key_without_the_store_credit_scope_cannot_see_a_balance(store_a, key_client):
    _refunds(store_a, 1)
    code = StoreCreditEntry.objects.get().account.code
    client = key_client(store_a, [Scope.RETURNS_READ])

    assert client.get(f"{S}/store-credit/{code}").status_code == 403


def _stripe_post(client, slug, payload, secret):
    return client.post(
        f"/api/v1/webhooks/stripe/{slug}",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": sign_webhook(payload, secret, int(time.time()))},
    )


def test_the_stripe_webhook_checks_the_stores_signature(client, store_a, store_b):
    RefundSettings.objects.create(store=store_a, stripe_webhook_secret="whsec_a")
    payload = json.dumps({"type": "customer.created", "data": {"object": {}}}).encode()

    assert _stripe_post(client, "store-a", payload, "whsec_a").json() == {"handled": "ignored"}
    assert _stripe_post(client, "store-a", payload, "whsec_b").status_code == 401
    assert _stripe_post(client, "store-b", payload, "whsec_a").status_code == 401
    assert _stripe_post(client, "nope", payload, "whsec_a").status_code == 401


# --- exchanges -------------------------------------------------------------------------------


def _stock(line, price, on_hand=1):
    """Another variant of the returned line's product, `on_hand` in the store's warehouse."""
    returned = line.order_line.variant
    variant = VariantFactory(store=returned.store, product=returned.product, price=D(price))
    StockLevel.objects.create(
        warehouse=WarehouseFactory(store=returned.store), variant=variant, on_hand=on_hand
    )
    return variant


def _exchange_return(store, count=1):
    """A return of `count` lines of one 30.00 unit each, every line an item the shop sells."""
    order = make_order(store, lines=[(1, "30.00", "0", "0")] * count)
    for line in order.lines.all():
        line.variant = VariantFactory(store=store, price=D("30.00"))
        line.save(update_fields=["variant"])
    return_request = open_return(order, resolution="exchange")
    return return_request, list(return_request.lines.select_related("order_line__variant"))


def _lines(lines, *variants):
    return {
        "lines": [
            {"return_line_id": line.pk, "variant_id": variant.pk}
            for line, variant in zip(lines, variants, strict=True)
        ]
    }


def test_a_dearer_exchange_reserves_the_stock_and_answers_its_payment_page_once(api_a, store_a):
    with FakeStripe() as stripe:
        RefundSettings.objects.create(
            store=store_a, gateway="stripe", stripe_secret_key=SECRET, stripe_api_base=stripe.url
        )
        return_request, (line,) = _exchange_return(store_a)
        variant = _stock(line, "45.00")
        url, body = f"{S}/returns/{return_request.rma}/exchange", _lines([line], variant)

        first = _post(api_a, url, body, **{"Idempotency-Key": "swap-1"})
        again = _post(api_a, url, body, **{"Idempotency-Key": "swap-1"})

    assert first.status_code == again.status_code == 201, first.content
    assert first.json() == again.json()
    (exchange,) = first.json()
    assert (exchange["status"], exchange["sku"]) == ("awaiting_payment", variant.sku)
    assert D(exchange["price_difference"]) == D("15.00")
    assert exchange["payment_link"] == next(iter(stripe.sessions.values()))["url"]
    assert exchange["payment_expires_at"]
    assert len(stripe.sessions) == 1
    assert StockLevel.objects.get(variant=variant).reserved == 1


def test_a_cheaper_exchange_waits_reserved_with_the_difference_to_refund(api_a, store_a):
    return_request, (line,) = _exchange_return(store_a)

    response = _post(
        api_a, f"{S}/returns/{return_request.rma}/exchange", _lines([line], _stock(line, "19.99"))
    )

    assert response.status_code == 201, response.content
    (exchange,) = response.json()
    assert (exchange["status"], exchange["payment_link"]) == ("reserved", "")
    assert D(exchange["price_difference"]) == D("-10.01")


def test_a_replacement_out_of_stock_is_409_with_the_reason_and_reserves_nothing(api_a, store_a):
    return_request, (first, second) = _exchange_return(store_a, count=2)
    in_stock, sold_out = _stock(first, "30.00"), _stock(second, "30.00", on_hand=0)

    response = _post(
        api_a,
        f"{S}/returns/{return_request.rma}/exchange",
        _lines([first, second], in_stock, sold_out),
    )

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "out_of_stock"
    assert sold_out.sku in response.json()["message"]
    assert not Exchange.objects.exists()
    assert StockLevel.objects.get(variant=in_stock).reserved == 0


def test_another_stores_return_is_404_and_its_items_are_refused(api_a, store_a, store_b):
    ours, (our_line,) = _exchange_return(store_a)
    theirs, (their_line,) = _exchange_return(store_b)
    their_variant = _stock(their_line, "30.00")

    foreign_return = _post(
        api_a, f"{S}/returns/{theirs.rma}/exchange", _lines([their_line], their_variant)
    )
    foreign_item = _post(
        api_a, f"{S}/returns/{ours.rma}/exchange", _lines([our_line], their_variant)
    )

    assert foreign_return.status_code == 404, foreign_return.content
    assert foreign_item.status_code == 422, foreign_item.content
    assert theirs.rma not in foreign_item.content.decode()
    assert not Exchange.objects.exists()
    assert StockLevel.objects.get(variant=their_variant).reserved == 0


def test_an_exchange_needs_the_refunds_scope(store_a, key_client):
    return_request, (line,) = _exchange_return(store_a)
    client = key_client(store_a, [Scope.RETURNS_READ, Scope.RETURNS_RESOLVE])

    response = _post(
        client,
        f"{S}/returns/{return_request.rma}/exchange",
        _lines([line], _stock(line, "30.00")),
    )

    assert response.status_code == 403
    assert not Exchange.objects.exists()
