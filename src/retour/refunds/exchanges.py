"""Exchanges: a returned unit swapped for another variant.

The replacement's stock is reserved when the exchange is asked for, by a conditional `F()`
update (`reserved + n ≤ on_hand` checked by the database in the same statement), so two shoppers
cannot both take the last unit. Each reservation and release is also written to the stock ledger
as a `reservation` movement: Σ reservation deltas = `StockLevel.reserved`, Σ other deltas =
`on_hand`.

The price difference is the replacement's price minus what the shopper paid for the returned
units (the refund calculation's amount, discounts and tax included): positive, the shopper pays it
(a payment link); negative, it is refunded. The replacement order is created when the store's
trigger is met — or at once for an instant exchange, with the return due by a deadline.
"""

import logging
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from retour.commerce.audit import record_audit
from retour.commerce.models import (
    Order,
    OrderLine,
    Payment,
    StockLevel,
    StockMovement,
    Variant,
    Warehouse,
)
from retour.core.actors import Actor
from retour.core.errors import Conflict, InvalidRequest
from retour.core.money import quantize
from retour.refunds.adapters import GatewayError, PaymentRequest, payment_gateway_for
from retour.refunds.adapters.stripe import CheckoutOutcome
from retour.refunds.calculation import RefundInput, UnitsInput, calculate
from retour.refunds.choices import ExchangeStatus, Gateway
from retour.refunds.models import Exchange, RefundSettings
from retour.refunds.services import (
    AUTOMATIC,
    _refunded_units_by_order_line,
    claim_breakdown,
    order_input,
    trigger_passed,
)
from retour.returns import lifecycle
from retour.returns.links import tracking_path
from retour.returns.models import Claim, Return, ReturnLine
from retour.returns.services import resolve_claim

logger = logging.getLogger(__name__)

# How long the shopper has to pay a price difference (a Stripe Checkout Session lives 30 minutes
# to 24 hours); unpaid, the exchange is released and its stock goes back.
PAYMENT_WINDOW = timedelta(hours=23)


class OutOfStock(Conflict):
    code = "out_of_stock"


def _reserve(*, warehouse: Warehouse, variant: Variant, quantity: int, reference: str) -> None:
    updated = StockLevel.objects.filter(
        warehouse=warehouse, variant=variant, on_hand__gte=F("reserved") + quantity
    ).update(reserved=F("reserved") + quantity)
    if not updated:
        raise OutOfStock(
            _("“%(sku)s” is out of stock.") % {"sku": variant.sku}, variant_id=variant.pk
        )
    StockMovement.objects.create(
        warehouse=warehouse,
        variant=variant,
        delta=quantity,
        reason=StockMovement.Reason.RESERVATION,
        reference=reference,
    )


def _release(exchange: Exchange) -> None:
    StockLevel.objects.filter(warehouse=exchange.warehouse, variant=exchange.variant).update(
        reserved=F("reserved") - exchange.quantity
    )
    StockMovement.objects.create(
        warehouse=exchange.warehouse,
        variant=exchange.variant,
        delta=-exchange.quantity,
        reason=StockMovement.Reason.RESERVATION,
        reference=f"exchange:{exchange.pk}",
    )


def returned_value(return_line: ReturnLine, quantity: int) -> Decimal:
    """What the shopper paid for `quantity` units of the returned line (the next ones to be
    refunded), by the refund calculation."""
    order = return_line.return_request.order
    breakdown = calculate(
        order_input(order),
        RefundInput(
            units=[UnitsInput(line_id=return_line.order_line_id, quantity=quantity)],
            already_refunded=_refunded_units_by_order_line(order.pk),
        ),
    )
    return breakdown.items


@transaction.atomic
def request_exchange(
    *,
    return_line: ReturnLine,
    variant: Variant,
    actor: Actor,
    quantity: int | None = None,
    warehouse: Warehouse | None = None,
    instant: bool = False,
    return_due_days: int = 14,
    payment_link: str = "",
) -> Exchange:
    """Swap returned units for another variant of the store, reserving its stock now."""
    return_request = Return.objects.select_for_update().get(pk=return_line.return_request_id)
    return_line = ReturnLine.objects.select_related("return_request__order", "order_line").get(
        pk=return_line.pk
    )
    quantity = quantity or return_line.quantity
    if not 0 < quantity <= return_line.quantity:
        raise InvalidRequest(_("Exchange between 1 and the returned quantity."))
    if variant.store_id != return_request.store_id:
        raise InvalidRequest(_("This item is not sold by the store."))
    warehouse = warehouse or (
        Warehouse.objects.filter(store_id=return_request.store_id)
        .order_by("-is_default", "id")
        .first()
    )
    if warehouse is None:
        raise InvalidRequest(_("The store has no warehouse to take the replacement from."))
    if (
        Exchange.objects.filter(return_line=return_line)
        .exclude(status=ExchangeStatus.RELEASED)
        .exists()
    ):
        raise Conflict(_("This item is already being exchanged."))
    order = return_request.order
    paid = returned_value(return_line, quantity)
    new_value = quantize(variant.price * quantity, order.currency)
    difference = new_value - paid
    exchange = Exchange.objects.create(
        store_id=return_request.store_id,
        return_request=return_request,
        return_line=return_line,
        variant=variant,
        warehouse=warehouse,
        quantity=quantity,
        currency=order.currency,
        returned_value=paid,
        new_value=new_value,
        price_difference=difference,
        payment_link=payment_link if difference > 0 else "",
        status=ExchangeStatus.AWAITING_PAYMENT if difference > 0 else ExchangeStatus.RESERVED,
        instant=instant,
        return_due_by=timezone.now() + timedelta(days=return_due_days) if instant else None,
    )
    _reserve(
        warehouse=warehouse, variant=variant, quantity=quantity, reference=f"exchange:{exchange.pk}"
    )
    lifecycle.record_event(
        return_request,
        "exchange_requested",
        actor=actor,
        data={
            "exchange": exchange.pk,
            "variant": variant.sku,
            "quantity": quantity,
            "price_difference": str(difference),
            "instant": instant,
        },
    )
    if instant and difference <= 0:
        place_replacement_order(exchange=exchange, actor=actor)
    return exchange


def request_exchanges(
    *, return_request: Return, choices: Mapping[int, int], actor: Actor, request_key: str = ""
) -> list[Exchange]:
    """Exchange several lines of a return (return line id → variant id) all or none, by the
    rules of `exchange_offers.exchange_lines` (the dashboard's), then, outside the transaction,
    ask at once for the payment page of each dearer replacement (on a gateway error the job
    enqueued with the exchange tries again). The same `request_key` (the API's
    `Idempotency-Key`) gives back the exchanges it made."""
    made = _exchange_once(
        return_request=return_request, choices=choices, actor=actor, request_key=request_key
    )
    for exchange in made:
        if exchange.status == ExchangeStatus.AWAITING_PAYMENT and not exchange.payment_session:
            try:
                create_payment_link(exchange_id=exchange.pk)
            except GatewayError as error:
                logger.warning(
                    "payment page not made yet: %s", error, extra={"exchange": exchange.pk}
                )
    return list(
        Exchange.objects.filter(pk__in=[e.pk for e in made])
        .select_related("variant", "replacement_order")
        .order_by("id")
    )


@transaction.atomic
def _exchange_once(
    *, return_request: Return, choices: Mapping[int, int], actor: Actor, request_key: str
) -> list[Exchange]:
    # exchange_offers builds on this module: imported here, not at the top.
    from retour.refunds.exchange_offers import exchange_lines

    # The return's row lock first: a request repeated at the same time waits, then finds the
    # exchanges of its key instead of making them twice.
    Return.objects.select_for_update().filter(pk=return_request.pk).first()
    if request_key:
        replayed = list(
            Exchange.objects.filter(store_id=return_request.store_id, request_key=request_key)
        )
        if any(e.return_request_id != return_request.pk for e in replayed):
            raise Conflict(_("This Idempotency-Key was used for another request."))
        if replayed:
            return replayed
    made = exchange_lines(return_request=return_request, choices=choices, actor=actor)
    Exchange.objects.filter(pk__in=[e.pk for e in made]).update(request_key=request_key)
    return made


@transaction.atomic
def record_difference_paid(
    *,
    exchange: Exchange,
    actor: Actor,
    gateway: str = Gateway.MANUAL,
    reference: str = "",
    amount: Decimal | None = None,
) -> Exchange:
    """The shopper paid the price difference: through the payment page (its webhook names the
    gateway's payment and amount) or to finance (the difference, by hand). The payment is kept
    on the exchange and becomes the replacement order's `Payment`, so what came in is traced
    like what goes out. The same payment told twice changes nothing."""
    exchange = Exchange.objects.select_for_update().get(pk=exchange.pk)
    if reference and exchange.paid_reference == reference:
        return exchange  # a replayed webhook
    if exchange.status != ExchangeStatus.AWAITING_PAYMENT:
        raise Conflict(_("This exchange is not waiting for a payment."))
    paid = {
        "status": ExchangeStatus.RESERVED,
        "paid_amount": exchange.price_difference if amount is None else amount,
        "paid_gateway": gateway,
        "paid_reference": reference or f"exchange-{exchange.pk}",
        "paid_at": timezone.now(),
    }
    Exchange.objects.filter(pk=exchange.pk).update(**paid)
    for name, value in paid.items():
        setattr(exchange, name, value)
    lifecycle.record_event(
        exchange.return_request,
        "exchange_paid",
        actor=actor,
        data={
            "exchange": exchange.pk,
            "amount": str(exchange.paid_amount),
            "gateway": gateway,
            "reference": exchange.paid_reference,
        },
    )
    # Paid after the return reached its trigger: nothing else to wait for.
    return_request = exchange.return_request
    if exchange.instant or trigger_passed(
        return_request, RefundSettings.for_store(return_request.store_id)
    ):
        place_replacement_order(exchange=exchange, actor=actor)
    return exchange


@transaction.atomic
def send_claim_replacements(*, claim: Claim, actor: Actor) -> list[Exchange]:
    """A claim approved with a replacement: the same variant for each claimed line, reserved in
    the store's default warehouse and ordered at once as an exchange is (a replacement order
    the shopper pays nothing for: no money moves), then the claim is resolved. One line out of
    stock refuses them all (`OutOfStock`; the caller's transaction rolls back), so that staff
    can approve with a refund instead. Called again, it gives back the replacements it made."""
    claim = Claim.objects.select_for_update().select_related("order").get(pk=claim.pk)
    made = list(
        Exchange.objects.filter(claim_line__claim=claim)
        .exclude(status=ExchangeStatus.RELEASED)
        .order_by("pk")
    )
    if made:
        return made
    warehouse = (
        Warehouse.objects.filter(store_id=claim.store_id).order_by("-is_default", "id").first()
    )
    if warehouse is None:
        raise InvalidRequest(_("The store has no warehouse to take the replacement from."))
    paid = {line.line_id: line.paid for line in claim_breakdown(claim).lines}
    for line in claim.lines.select_related("order_line__variant").order_by("id"):
        variant = line.order_line.variant
        if variant is None:
            raise InvalidRequest(
                _("“%(item)s” is not in the catalogue: approve the claim with a refund instead.")
                % {"item": line.order_line.title}
            )
        exchange = Exchange.objects.create(
            store_id=claim.store_id,
            claim_line=line,
            variant=variant,
            warehouse=warehouse,
            quantity=line.quantity,
            currency=claim.order.currency,
            returned_value=paid[line.order_line_id],
            new_value=paid[line.order_line_id],
            price_difference=0,
        )
        try:
            _reserve(
                warehouse=warehouse,
                variant=variant,
                quantity=line.quantity,
                reference=f"exchange:{exchange.pk}",
            )
        except OutOfStock as error:
            raise OutOfStock(
                _("“%(sku)s” is out of stock: approve the claim with a refund instead.")
                % {"sku": variant.sku},
                variant_id=variant.pk,
            ) from error
        made.append(exchange)
    orders = [place_replacement_order(exchange=exchange, actor=actor) for exchange in made]
    resolve_claim(claim=claim, actor=actor, reference=", ".join(order.number for order in orders))
    return made


def order_reserved_replacements(*, return_id: int, actor: Actor) -> list[Order]:
    """The return reached its trigger: order the replacements whose stock waits reserved (the
    ones waiting for their price difference are ordered when it is paid)."""
    reserved = Exchange.objects.filter(
        return_request_id=return_id, status=ExchangeStatus.RESERVED, replacement_order=None
    ).values_list("pk", flat=True)
    return [place_replacement_order(exchange=Exchange(pk=pk), actor=actor) for pk in list(reserved)]


def needs_payment(data: Mapping[str, Any]) -> bool:
    """From an `exchange_requested` event's data: does the shopper owe a price difference?"""
    return Decimal(str(data.get("price_difference") or "0")) > 0


def create_payment_link(*, exchange_id: int, gateway: Any = None) -> Exchange:
    """Ask the gateway for the page where the shopper pays the price difference. Called by a
    job after the exchange committed, outside any transaction; the idempotency key and the
    expiry derive from the exchange, so a retried call gets the same page back. An exchange
    that has its page, or no longer waits for a payment, is left as it is; without a payment
    gateway finance collects the difference and records it (`record_difference_paid`)."""
    exchange = Exchange.objects.select_related("return_request__order", "store").get(pk=exchange_id)
    gateway = gateway or payment_gateway_for(RefundSettings.for_store(exchange.store_id))
    waiting = exchange.status == ExchangeStatus.AWAITING_PAYMENT and not exchange.payment_session
    if not waiting or gateway is None:
        return exchange
    return_request, expires_at = exchange.return_request, exchange.created_at + PAYMENT_WINDOW
    with translation.override(return_request.locale or None):
        description = _("Price difference for the exchange of return %(rma)s") % {
            "rma": return_request.rma
        }
    page = gateway.create_payment_page(
        PaymentRequest(
            amount=exchange.price_difference,
            currency=exchange.currency,
            description=description,
            reference=f"exchange-{exchange.pk}",
            idempotency_key=f"retour-{return_request.rma}-exchange-{exchange.pk}",
            return_url=django_settings.PUBLIC_URL
            + tracking_path(exchange.store.slug, return_request.rma),
            expires_at=expires_at,
            email=return_request.order.email,
        )
    )
    with transaction.atomic():
        if Exchange.objects.filter(pk=exchange.pk, payment_session="").update(
            payment_session=page.reference, payment_link=page.url, payment_expires_at=expires_at
        ):
            lifecycle.record_event(
                return_request,
                "exchange_payment_requested",
                actor=AUTOMATIC,
                data={
                    "exchange": exchange.pk,
                    "amount": str(exchange.price_difference),
                    "currency": exchange.currency,
                    "payment_link": page.url,
                    "pay_by": expires_at.isoformat(),
                },
            )
    exchange.refresh_from_db()
    return exchange


def record_payment_outcome(*, store_id: int, checkout: CheckoutOutcome) -> Exchange | None:
    """The gateway says the shopper paid the difference (the replacement can be ordered) or
    the page expired or the payment failed (the exchange is released, its stock goes back).
    Repeated events change nothing; an unknown page is ignored (None)."""
    exchange = Exchange.objects.filter(store_id=store_id, payment_session=checkout.session).first()
    if exchange is None or exchange.status != ExchangeStatus.AWAITING_PAYMENT:
        return exchange
    actor = Actor.system("payments")
    if checkout.outcome == "paid":
        return record_difference_paid(
            exchange=exchange,
            actor=actor,
            gateway=Gateway.STRIPE,
            reference=checkout.payment_reference or checkout.session,
            amount=checkout.amount if checkout.currency == exchange.currency else None,
        )
    return release_exchange(exchange=exchange, actor=actor, reason=f"payment {checkout.outcome}")


@transaction.atomic
def place_replacement_order(*, exchange: Exchange, actor: Actor) -> Order:
    """Create the replacement order (shipped by the shop like any order): the reservation
    becomes the order's line. Called when the store's trigger is met, or at once for an
    instant exchange."""
    # Only the exchange's row: PostgreSQL cannot lock the nullable side of the outer joins (an
    # exchange is of a return or of a claim).
    exchange = (
        Exchange.objects.select_for_update(of=("self",))
        .select_related("return_request__order", "claim_line__claim__order", "variant__product")
        .get(pk=exchange.pk)
    )
    if exchange.status != ExchangeStatus.RESERVED:
        raise Conflict(_("This exchange cannot be ordered now (“%s”).") % exchange.status)
    claim = exchange.claim_line.claim if exchange.claim_line_id else None
    original = claim.order if claim else exchange.return_request.order
    now = timezone.now()
    paid_by_return = min(exchange.returned_value, exchange.new_value)
    replacement = Order.objects.create(
        store_id=exchange.store_id,
        number=f"{original.number}-X{exchange.pk}",
        customer_id=original.customer_id,
        email=original.email,
        locale=original.locale,
        currency=exchange.currency,
        placed_at=now,
        paid_at=now,
        taxes_included=original.taxes_included,
        subtotal=exchange.new_value,
        discount_total=paid_by_return,
        total=exchange.new_value - paid_by_return,
        shipping_address=original.shipping_address,
        shipping_postcode=original.shipping_postcode,
        shipping_country=original.shipping_country,
    )
    OrderLine.objects.create(
        order=replacement,
        variant=exchange.variant,
        sku=exchange.variant.sku,
        title=exchange.variant.title or exchange.variant.product.title,
        options=exchange.variant.options,
        quantity=exchange.quantity,
        unit_price=exchange.variant.price,
        discount=paid_by_return,
    )
    if exchange.paid_amount:
        Payment.objects.create(
            order=replacement,
            gateway=exchange.paid_gateway,
            method="card" if exchange.paid_gateway == Gateway.STRIPE else "manual",
            reference=exchange.paid_reference,
            captured=exchange.paid_amount,
            created_at=exchange.paid_at or now,
        )
    Exchange.objects.filter(pk=exchange.pk).update(
        status=ExchangeStatus.ORDERED, replacement_order=replacement
    )
    data = {"exchange": exchange.pk, "order": replacement.number}
    if claim is not None:
        record_audit(
            store=original.store,
            actor=actor,
            verb="exchange.ordered",
            obj=replacement,
            data={"exchange": exchange.pk, "claim": claim.number},
        )
        # The claim's history shows the replacement ordered (its page reads the audit log).
        record_audit(
            store=original.store,
            actor=actor,
            verb="claim.replacement_ordered",
            obj=claim,
            data=data,
        )
        return replacement
    record_audit(
        store=original.store,
        actor=actor,
        verb="exchange.ordered",
        obj=replacement,
        data={"exchange": exchange.pk, "return": exchange.return_request.rma},
    )
    lifecycle.record_event(exchange.return_request, "exchange_ordered", actor=actor, data=data)
    return replacement


@transaction.atomic
def release_exchange(*, exchange: Exchange, actor: Actor, reason: str = "") -> Exchange:
    """Cancel an exchange not yet ordered: its stock goes back."""
    exchange = Exchange.objects.select_for_update().get(pk=exchange.pk)
    if exchange.status not in (ExchangeStatus.RESERVED, ExchangeStatus.AWAITING_PAYMENT):
        raise Conflict(_("This exchange can no longer be released."))
    _release(exchange)
    Exchange.objects.filter(pk=exchange.pk).update(status=ExchangeStatus.RELEASED)
    exchange.status = ExchangeStatus.RELEASED
    lifecycle.record_event(
        exchange.return_request,
        "exchange_released",
        actor=actor,
        data={"exchange": exchange.pk, "reason": reason},
    )
    return exchange


__all__ = [
    "OutOfStock",
    "create_payment_link",
    "order_reserved_replacements",
    "record_payment_outcome",
    "place_replacement_order",
    "record_difference_paid",
    "release_exchange",
    "request_exchange",
    "request_exchanges",
    "send_claim_replacements",
]
