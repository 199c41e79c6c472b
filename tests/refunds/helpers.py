"""Orders with exact money for refund tests, and returns walked through the real services."""

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from retour.commerce.models import Fulfillment, FulfillmentLine, Order, OrderLine, Payment, Store
from retour.core.actors import Actor
from retour.refunds import services
from retour.refunds.adapters import GatewayRefund, GatewayStatus
from retour.returns import services as returns
from retour.returns.links import tracking_path
from retour.returns.services import LineInspection, LineReceipt, LineRequest
from tests.factories import CustomerFactory

D = Decimal
SYSTEM = Actor.system("tests")


def make_order(
    store: Store,
    *,
    lines: Sequence[tuple[int, str, str, str]] = ((2, "30.00", "0", "0"), (1, "40.00", "0", "0")),
    order_discount: str = "0",
    shipping: str = "0",
    shipping_tax: str = "0",
    taxes_included: bool = True,
    payments: Sequence[tuple[str, str]] | None = None,
    currency: str = "EUR",
    number: str | None = None,
) -> Order:
    """`lines`: (quantity, unit price, line discount, line tax). Totals are consistent: total =
    Σ(price × qty − discount) − order discount + shipping (+ taxes when prices exclude them).
    `payments`: (method, captured); by default one card payment of the total."""
    customer = CustomerFactory(store=store)
    now = timezone.now()
    subtotal = sum((D(price) * qty for qty, price, _d, _t in lines), D(0))
    line_discounts = sum((D(disc) for _q, _p, disc, _t in lines), D(0))
    line_tax = sum((D(tax) for _q, _p, _d, tax in lines), D(0))
    tax_total = line_tax + D(shipping_tax)
    total = subtotal - line_discounts - D(order_discount) + D(shipping)
    if not taxes_included:
        total += tax_total
    order = Order.objects.create(
        store=store,
        number=number or f"N{Order.objects.count() + 1:05d}-{customer.pk}",
        customer=customer,
        email=customer.email,
        currency=currency,
        placed_at=now - timedelta(days=10),
        paid_at=now - timedelta(days=10),
        taxes_included=taxes_included,
        subtotal=subtotal,
        discount_total=line_discounts + D(order_discount),
        shipping_total=D(shipping),
        tax_total=tax_total,
        total=total,
    )
    fulfillment = Fulfillment.objects.create(
        order=order, tracking_number=f"T{order.pk}", delivered_at=now - timedelta(days=2)
    )
    for index, (qty, price, discount, tax) in enumerate(lines):
        line = OrderLine.objects.create(
            order=order,
            sku=f"SKU-{order.pk}-{index}",
            title=f"Item {index}",
            quantity=qty,
            unit_price=D(price),
            discount=D(discount),
            tax=D(tax),
        )
        FulfillmentLine.objects.create(fulfillment=fulfillment, order_line=line, quantity=qty)
    for index, (method, captured) in enumerate(payments or [("card", str(total))]):
        Payment.objects.create(
            order=order,
            gateway="gift_card" if method == "gift_card" else "stripe",
            method=method,
            reference=f"pi_{order.pk}_{index}",
            captured=D(captured),
            created_at=now - timedelta(days=10),
        )
    return order


def open_return(order: Order, quantities: dict[int, int] | None = None, resolution="refund"):
    """A return of `quantities` (order line id → units; default all), approved."""
    lines = list(order.lines.order_by("id"))
    quantities = quantities or {line.pk: line.quantity for line in lines}
    return_request = returns.create_return(
        order=order,
        lines=[LineRequest(order_line_id=pk, quantity=qty) for pk, qty in quantities.items()],
        method="drop_off",
        resolution=resolution,
        actor=SYSTEM,
    )
    return returns.approve_return(return_request=return_request, actor=SYSTEM)


def inspect_return(return_request, accepted: dict[int, int] | None = None, received=None):
    """Receive and inspect every line: `accepted` (order line id → units) defaults to all."""
    lines = list(return_request.lines.order_by("id"))
    received = received or {}
    accepted = accepted or {}
    returns.receive_lines(
        return_request=return_request,
        receipts=[
            LineReceipt(line.pk, received.get(line.order_line_id, line.quantity)) for line in lines
        ],
        actor=SYSTEM,
    )
    return returns.inspect_lines(
        return_request=return_request,
        inspections=[
            LineInspection(
                line.pk,
                accepted.get(line.order_line_id, received.get(line.order_line_id, line.quantity)),
            )
            for line in lines
        ],
        actor=SYSTEM,
    )


class FakeGateway:
    """An in-memory gateway that dedupes by idempotency key, like Stripe; can be told to fail."""

    name = "stripe"
    automatic = True

    def __init__(self, status: str = GatewayStatus.SUCCEEDED, error: Exception | None = None):
        self.status = status
        self.error = error
        self.by_key: dict[str, GatewayRefund] = {}
        self.calls = 0

    def create_refund(self, *, payment_reference, amount, currency, idempotency_key):
        self.calls += 1
        if self.error is not None:
            raise self.error
        if idempotency_key not in self.by_key:
            self.by_key[idempotency_key] = GatewayRefund(
                reference=f"re_{len(self.by_key) + 1}",
                status=self.status,
                amount=amount,
                currency=currency,
            )
        return self.by_key[idempotency_key]

    def retrieve_refund(self, reference):
        return next(r for r in self.by_key.values() if r.reference == reference)


def tracking_page(return_request) -> str:
    """The shopper's tracking page, opened by the e-mail's signed link."""
    client = Client()
    client.get(tracking_path(return_request.store.slug, return_request.rma))
    return client.get(
        f"/returns/{return_request.store.slug}/track/{return_request.rma}/"
    ).content.decode()


def kill_the_worker_after_the_gateway_refunded(refund, monkeypatch) -> None:
    """Send `refund` once with a worker killed after the gateway refunded and before Retour
    wrote it down, then let the sweep retry it once its lease has run out."""
    record = services.record_outcome

    def killed(**kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(services, "record_outcome", killed)
    now = timezone.now()
    with pytest.raises(SystemExit):
        services.process_refund(refund.pk, now=now)
    monkeypatch.setattr(services, "record_outcome", record)
    assert services.retry_due_refunds(now=now + timedelta(seconds=30)) == 0  # still leased
    services.retry_due_refunds(now=now + services.LEASE + timedelta(seconds=1))
