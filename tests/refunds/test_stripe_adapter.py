"""The Stripe adapter against a local server answering Stripe's documented objects and errors."""

import json
import socket
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from retour.refunds.adapters import (
    GatewayStatus,
    PaymentRequest,
    PermanentGatewayError,
    StripeGateway,
    TransientGatewayError,
)
from retour.refunds.adapters.stripe import (
    from_stripe_amount,
    payment_from_event,
    refund_from_event,
    sign_webhook,
    to_stripe_amount,
    verify_webhook,
)
from tests.refunds.stripe_server import SECRET, FakeStripe

D = Decimal


@pytest.fixture
def stripe():
    with FakeStripe() as server:
        yield server


def _gateway(server, **kwargs) -> StripeGateway:
    return StripeGateway(secret_key=SECRET, base_url=server.url, **kwargs)


def _refund(gateway, key="retour-R-1-1-or-a1", amount="12.34"):
    return gateway.create_refund(
        payment_reference="pi_123", amount=D(amount), currency="EUR", idempotency_key=key
    )


def test_it_creates_a_refund_with_the_idempotency_key_and_minor_units(stripe):
    refund = _refund(_gateway(stripe))
    assert refund.status == GatewayStatus.SUCCEEDED
    assert refund.reference.startswith("re_")
    assert (refund.amount, refund.currency) == (D("12.34"), "EUR")
    (request,) = stripe.requests
    assert request["key"] == "retour-R-1-1-or-a1"
    assert request["form"]["amount"] == "1234"
    assert request["form"]["payment_intent"] == "pi_123"


def test_a_repeated_key_returns_the_same_refund(stripe):
    gateway = _gateway(stripe)
    first, second = _refund(gateway), _refund(gateway)
    assert first == second
    assert len(stripe.refunds) == 1


@pytest.mark.parametrize(
    ("mode", "status"),
    [("pending", GatewayStatus.PENDING), ("failed", GatewayStatus.FAILED)],
)
def test_it_reads_pending_and_failed_refunds(stripe, mode, status):
    stripe.mode = mode
    refund = _refund(_gateway(stripe))
    assert refund.status == status


def test_a_bad_key_is_a_permanent_error(stripe):
    gateway = StripeGateway(secret_key="sk_test_wrong", base_url=stripe.url)
    with pytest.raises(PermanentGatewayError) as caught:
        _refund(gateway)
    assert caught.value.http_status == 401
    assert "Invalid API Key" in caught.value.message


def test_a_card_error_is_permanent(stripe):
    stripe.mode = "card_error"
    with pytest.raises(PermanentGatewayError) as caught:
        _refund(_gateway(stripe))
    assert (caught.value.http_status, caught.value.code) == (402, "charge_already_refunded")


@pytest.mark.parametrize("mode", ["rate_limit", "server_error"])
def test_rate_limits_and_server_errors_are_transient(stripe, mode):
    stripe.mode = mode
    with pytest.raises(TransientGatewayError):
        _refund(_gateway(stripe))


def test_a_timeout_is_transient_and_the_retry_finds_the_same_refund(stripe):
    stripe.mode, stripe.delay = "slow_once", 1.0
    gateway = _gateway(stripe, timeout=0.3)
    with pytest.raises(TransientGatewayError):
        _refund(gateway)
    retried = _refund(gateway)
    assert retried.status == GatewayStatus.SUCCEEDED
    assert len(stripe.refunds) == 1  # Stripe made one refund for the two requests


def test_an_unreachable_stripe_is_transient():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gateway = StripeGateway(secret_key=SECRET, base_url=f"http://127.0.0.1:{port}", timeout=1)
    with pytest.raises(TransientGatewayError):
        _refund(gateway)


def test_it_retrieves_a_refund(stripe):
    gateway = _gateway(stripe)
    created = _refund(gateway)
    assert gateway.retrieve_refund(created.reference) == created
    with pytest.raises(PermanentGatewayError):
        gateway.retrieve_refund("re_missing")


def test_amounts_convert_exactly_to_stripe_minor_units():
    assert to_stripe_amount(D("12.34"), "EUR") == 1234
    assert to_stripe_amount(D("500"), "JPY") == 500
    assert to_stripe_amount(D("1.230"), "KWD") == 1230
    assert to_stripe_amount(D("100"), "ISK") == 10000  # Stripe treats ISK as two-decimal
    assert from_stripe_amount(1234, "eur") == D("12.34")
    with pytest.raises(PermanentGatewayError):
        to_stripe_amount(D("1.234"), "KWD")  # Stripe wants multiples of 10 fils
    with pytest.raises(PermanentGatewayError):
        to_stripe_amount(D("1.5"), "JPY")


def test_a_webhook_signature_is_checked():
    refund_object = {"id": "re_1", "object": "refund", "amount": 100, "currency": "eur"}
    event = {"type": "refund.updated", "data": {"object": {**refund_object, "status": "failed"}}}
    payload = json.dumps(event).encode()
    header = sign_webhook(payload, "whsec_test", 1_700_000_000)
    event = verify_webhook(payload, header, "whsec_test", now=1_700_000_010)
    refund = refund_from_event(event)
    assert (refund.reference, refund.status) == ("re_1", GatewayStatus.FAILED)
    with pytest.raises(PermanentGatewayError, match="does not match"):
        verify_webhook(payload + b" ", header, "whsec_test", now=1_700_000_010)
    with pytest.raises(PermanentGatewayError, match="too old"):
        verify_webhook(payload, header, "whsec_test", now=1_700_009_999)


def _payment(expires_in: timedelta) -> PaymentRequest:
    return PaymentRequest(
        amount=D("15.00"),
        currency="EUR",
        description="Price difference",
        reference="exchange-7",
        idempotency_key="retour-R-1-exchange-7",
        return_url="https://returns.example/track/",
        expires_at=datetime.now(UTC) + expires_in,
        email="ada@example.com",
    )


def test_it_opens_a_checkout_page_for_an_amount_in_minor_units(stripe):
    page = _gateway(stripe).create_payment_page(_payment(timedelta(hours=23)))

    form = stripe.requests[-1]["form"]
    assert page.url == stripe.sessions[page.reference]["url"]
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][unit_amount]"] == "1500"
    assert form["client_reference_id"] == "exchange-7"
    assert stripe.requests[-1]["key"] == "retour-R-1-exchange-7"


def test_a_page_open_longer_than_stripe_allows_is_refused(stripe):
    with pytest.raises(PermanentGatewayError):
        _gateway(stripe).create_payment_page(_payment(timedelta(days=2)))


@pytest.mark.parametrize(
    ("kind", "payment_status", "outcome"),
    [
        ("checkout.session.completed", "paid", ("cs_1", "paid")),
        ("checkout.session.completed", "unpaid", None),  # a delayed method: not paid yet
        ("checkout.session.async_payment_succeeded", "paid", ("cs_1", "paid")),
        ("checkout.session.async_payment_failed", "unpaid", ("cs_1", "failed")),
        ("checkout.session.expired", "unpaid", ("cs_1", "expired")),
        ("refund.updated", "paid", None),
    ],
)
def test_checkout_events_say_whether_the_page_was_paid(kind, payment_status, outcome):
    obj = {"id": "cs_1", "object": "checkout.session", "payment_status": payment_status}

    found = payment_from_event({"type": kind, "data": {"object": obj}})

    assert (found and (found.session, found.outcome)) == outcome


def test_a_paid_page_names_the_payment_and_its_amount_in_our_units():
    obj = {
        "id": "cs_1",
        "object": "checkout.session",
        "payment_status": "paid",
        "payment_intent": "pi_9",
        "amount_total": 1500,
        "currency": "eur",
    }

    found = payment_from_event({"type": "checkout.session.completed", "data": {"object": obj}})

    assert (found.payment_reference, found.amount, found.currency) == ("pi_9", Decimal("15"), "EUR")
