"""An exchange's price difference: paid on a Stripe Checkout page (the replacement is ordered
once paid), or released when the page expires; and the exchanged value never goes back to the
card."""

import json
import time
from decimal import Decimal

import pytest

from retour.commerce.models import Payment, StockLevel
from retour.core.jobs import run_ready_jobs
from retour.refunds import exchanges, services
from retour.refunds.adapters.stripe import sign_webhook
from retour.refunds.choices import Destination, ExchangeStatus, Gateway, RefundTrigger
from retour.refunds.models import Exchange, Refund, RefundSettings
from retour.refunds.webhooks import WebhookRejected, handle_stripe_webhook
from tests.factories import VariantFactory, WarehouseFactory
from tests.refunds.helpers import SYSTEM, inspect_return, make_order, open_return, tracking_page
from tests.refunds.stripe_server import SECRET, FakeStripe

D = Decimal
pytestmark = pytest.mark.django_db
WEBHOOK_SECRET = "whsec_test"


@pytest.fixture
def stripe(store_a):
    with FakeStripe() as server:
        RefundSettings.objects.create(
            store=store_a,
            gateway=Gateway.STRIPE,
            stripe_secret_key=SECRET,
            stripe_api_base=server.url,
            stripe_webhook_secret=WEBHOOK_SECRET,
            refund_trigger=RefundTrigger.INSPECTION,
        )
        yield server


def _variant(store, price, on_hand=2):
    variant = VariantFactory(store=store, price=D(price))
    StockLevel.objects.create(
        warehouse=WarehouseFactory(store=store), variant=variant, on_hand=on_hand
    )
    return variant


def _exchange(store, price, *, instant=False):
    """Exchange the one 30.00 unit of an order for a variant at `price`, then run the jobs."""
    order = make_order(store, lines=[(1, "30.00", "0", "0")])
    line = open_return(order, resolution="exchange").lines.get()
    exchange = exchanges.request_exchange(
        return_line=line, variant=_variant(store, price), actor=SYSTEM, instant=instant
    )
    run_ready_jobs()
    exchange.refresh_from_db()
    return exchange


def _webhook(store, kind, session_id, secret=WEBHOOK_SECRET, **fields):
    obj = {"id": session_id, "object": "checkout.session", **fields}
    payload = json.dumps({"type": kind, "data": {"object": obj}}).encode()
    return handle_stripe_webhook(
        store_id=store.pk,
        payload=payload,
        signature=sign_webhook(payload, secret, int(time.time())),
    )


def test_a_dearer_replacement_gets_a_stripe_checkout_page_for_the_difference(store_a, stripe):
    exchange = _exchange(store_a, "45.00")

    session = stripe.sessions[exchange.payment_session]
    assert exchange.payment_link == session["url"]
    assert (session["amount_total"], session["currency"]) == (1500, "eur")
    assert session["client_reference_id"] == f"exchange-{exchange.pk}"
    assert exchange.return_request.rma in session["success_url"]
    assert exchange.payment_expires_at is not None
    events = exchange.return_request.events.filter(kind="exchange_payment_requested")
    assert events.get().data["payment_link"] == session["url"]


def test_asking_again_for_the_page_gives_the_same_one(store_a, stripe):
    exchange = _exchange(store_a, "45.00")
    Exchange.objects.filter(pk=exchange.pk).update(payment_session="", payment_link="")

    again = exchanges.create_payment_link(exchange_id=exchange.pk)

    assert again.payment_session == exchange.payment_session  # same idempotency key
    assert len(stripe.sessions) == 1


def test_a_cheaper_or_equal_replacement_needs_no_page(store_a, stripe):
    exchange = _exchange(store_a, "30.00")

    assert exchange.status == ExchangeStatus.RESERVED
    assert stripe.requests == []
    assert exchange.payment_link == ""


def test_a_paid_difference_orders_the_instant_replacement_once(store_a, stripe):
    exchange = _exchange(store_a, "45.00", instant=True)

    for _replay in range(2):
        _webhook(
            store_a, "checkout.session.completed", exchange.payment_session, payment_status="paid"
        )

    exchange.refresh_from_db()
    assert exchange.status == ExchangeStatus.ORDERED
    assert exchange.replacement_order.lines.get().variant_id == exchange.variant_id


def test_the_paid_difference_is_the_replacement_orders_payment_once(store_a, stripe):
    exchange = _exchange(store_a, "45.00", instant=True)
    paid = {"payment_status": "paid", "payment_intent": "pi_42", "amount_total": 1500}

    for kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        _webhook(store_a, kind, exchange.payment_session, currency="eur", **paid)

    exchange.refresh_from_db()
    payment = Payment.objects.get(order=exchange.replacement_order)
    assert (payment.gateway, payment.reference) == (Gateway.STRIPE, "pi_42")
    assert payment.captured == exchange.replacement_order.total == D("15.00")
    assert exchange.return_request.events.filter(kind="exchange_paid").count() == 1


def test_a_difference_paid_before_the_trigger_is_kept_until_the_replacement_is_ordered(
    store_a, stripe
):
    exchange = _exchange(store_a, "45.00")
    _webhook(
        store_a,
        "checkout.session.completed",
        exchange.payment_session,
        payment_status="paid",
        payment_intent="pi_7",
        amount_total=1500,
        currency="eur",
    )
    exchange.refresh_from_db()
    assert (exchange.paid_reference, exchange.paid_amount) == ("pi_7", D("15.00"))

    inspect_return(exchange.return_request)
    run_ready_jobs()

    exchange.refresh_from_db()
    assert Payment.objects.get(order=exchange.replacement_order).reference == "pi_7"


def test_a_completed_page_whose_payment_is_still_pending_orders_nothing(store_a, stripe):
    exchange = _exchange(store_a, "45.00", instant=True)

    _webhook(
        store_a, "checkout.session.completed", exchange.payment_session, payment_status="unpaid"
    )

    exchange.refresh_from_db()
    assert exchange.status == ExchangeStatus.AWAITING_PAYMENT


def test_a_paid_exchange_ships_when_the_return_reaches_the_stores_trigger(store_a, stripe):
    exchange = _exchange(store_a, "45.00")
    _webhook(store_a, "checkout.session.completed", exchange.payment_session, payment_status="paid")
    exchange.refresh_from_db()
    assert exchange.status == ExchangeStatus.RESERVED  # the return has not come back yet

    inspect_return(exchange.return_request)
    run_ready_jobs()

    exchange.refresh_from_db()
    assert exchange.status == ExchangeStatus.ORDERED


def test_an_expired_page_releases_the_exchange_and_its_stock(store_a, stripe):
    exchange = _exchange(store_a, "45.00")

    _webhook(store_a, "checkout.session.expired", exchange.payment_session)

    exchange.refresh_from_db()
    assert exchange.status == ExchangeStatus.RELEASED
    assert StockLevel.objects.get(variant=exchange.variant).reserved == 0


def test_a_forged_or_foreign_webhook_is_refused_and_changes_nothing(store_a, store_b, stripe):
    exchange = _exchange(store_a, "45.00")
    with pytest.raises(WebhookRejected):
        _webhook(store_a, "checkout.session.expired", exchange.payment_session, secret="whsec_x")
    with pytest.raises(WebhookRejected):  # store B has no Stripe secret
        _webhook(store_b, "checkout.session.expired", exchange.payment_session)

    exchange.refresh_from_db()
    assert exchange.status == ExchangeStatus.AWAITING_PAYMENT


def test_the_exchanged_value_pays_the_replacement_and_only_the_difference_is_refunded(
    store_a, stripe
):
    exchange = _exchange(store_a, "19.99")  # 30.00 paid, the replacement costs 19.99
    order = exchange.return_request.order

    inspect_return(exchange.return_request)
    run_ready_jobs()

    refund = Refund.objects.get()
    parts = {part.destination: part.amount for part in refund.allocations.all()}
    assert parts == {Destination.EXCHANGE: D("19.99"), Destination.ORIGINAL_PAYMENT: D("10.01")}
    assert [request["form"]["amount"] for request in stripe.requests] == ["1001"]
    assert Payment.objects.get(order=order).refunded == D("10.01")
    exchange.refresh_from_db()
    assert exchange.status == ExchangeStatus.ORDERED


def test_a_signed_refund_webhook_settles_a_pending_stripe_refund(store_a, stripe):
    stripe.mode = "pending"
    order = make_order(store_a)
    refund = services.request_refund(
        return_request=inspect_return(open_return(order)), actor=SYSTEM
    )
    refund = services.process_refund(refund.pk)
    reference = refund.allocations.get().gateway_reference
    obj = {"id": reference, "object": "refund", "amount": 10000, "currency": "eur"}
    payload = json.dumps(
        {"type": "refund.updated", "data": {"object": {**obj, "status": "succeeded"}}}
    )

    for _replay in range(2):
        assert (
            handle_stripe_webhook(
                store_id=store_a.pk,
                payload=payload.encode(),
                signature=sign_webhook(payload.encode(), WEBHOOK_SECRET, int(time.time())),
            )
            == "refund"
        )

    assert Payment.objects.get(order=order).refunded == D("100.00")
    with pytest.raises(WebhookRejected):
        handle_stripe_webhook(
            store_id=store_a.pk,
            payload=payload.encode(),
            signature=sign_webhook(payload.encode(), WEBHOOK_SECRET, int(time.time()) - 3600),
        )


def test_an_exchange_return_without_its_replacement_is_not_refunded_to_the_card(store_a, stripe):
    order = make_order(store_a, lines=[(1, "30.00", "0", "0")])
    return_request = inspect_return(open_return(order, resolution="exchange"))

    run_ready_jobs()

    assert not Refund.objects.exists()
    assert stripe.requests == []
    assert return_request.events.filter(kind="refund_alert").exists()


def test_the_tracking_page_offers_the_payment_page_of_the_difference(store_a, stripe, static_files):
    exchange = _exchange(store_a, "45.00")

    html = tracking_page(exchange.return_request)

    assert f'href="{exchange.payment_link}"' in html
    assert "15.00" in html
