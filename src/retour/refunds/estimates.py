"""The refund a shopper can expect *before* the return exists: the portal's review step.

It builds the same `RefundInput` that `services.compute_refund(estimate=True)` builds for a
saved return (announced quantities, the store's fees, shipping rule and store-credit bonus), so
the amount shown before submitting is the one the confirmation and the refund start from.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from retour.commerce.models import Order, OrderLine
from retour.core.errors import InvalidRequest
from retour.refunds.calculation import (
    Breakdown,
    CalculationError,
    Fee,
    RefundInput,
    UnitsInput,
    calculate,
)
from retour.refunds.models import RefundSettings
from retour.refunds.services import order_input
from retour.returns.choices import Resolution


@dataclass(frozen=True)
class EstimatedLine:
    order_line_id: int
    quantity: int
    merchant_fault: bool = False


def estimate_refund(
    *,
    order: Order,
    order_lines: Sequence[OrderLine],
    lines: Sequence[EstimatedLine],
    resolution: str,
    settings: RefundSettings | None = None,
) -> Breakdown:
    """The itemised estimate of returning `lines` of `order` for `resolution` (no query when
    `settings` is given; `order_lines` are the order's lines, already loaded)."""
    settings = settings or RefundSettings.for_store(order.store_id)
    merchant_fault = any(line.merchant_fault for line in lines)
    fees = [Fee("restocking", rate=settings.restocking_fee_rate)]
    if not merchant_fault:
        fees.append(Fee("return_shipping", amount=settings.return_shipping_fee))
    request = RefundInput(
        units=[UnitsInput(line_id=line.order_line_id, quantity=line.quantity) for line in lines],
        fees=fees,
        shipping_rule=settings.shipping_rule,
        merchant_fault=merchant_fault,
        to_store_credit=resolution == Resolution.STORE_CREDIT,
        store_credit_bonus_rate=settings.store_credit_bonus_rate,
    )
    try:
        return calculate(order_input(order, order_lines), request)
    except CalculationError as error:
        raise InvalidRequest(_("This order's amounts do not add up: %s") % error) from error
