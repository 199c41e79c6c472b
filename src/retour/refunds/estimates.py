"""The refund a shopper can expect *before* the return exists: the portal's review step.

It builds the same `RefundInput` that `services.compute_refund(estimate=True)` builds for a
saved return (announced quantities; fees and store-credit bonus from the policy decision, see
`terms`; the store's rule for the original shipping), so the amount shown before submitting is
the one the confirmation and the refund start from.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from retour.commerce.models import Order, OrderLine
from retour.core.errors import InvalidRequest
from retour.refunds.calculation import (
    Breakdown,
    CalculationError,
    RefundInput,
    UnitsInput,
    calculate,
)
from retour.refunds.models import RefundSettings
from retour.refunds.services import order_input
from retour.refunds.terms import Units, policy_terms
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
    decision: Mapping,
    settings: RefundSettings | None = None,
) -> Breakdown:
    """The itemised estimate of returning `lines` of `order` for `resolution`, with the fees and
    bonus of the policy's `decision` on these lines (as JSON: `OrderDecision.as_json()`). No
    query when `settings` is given; `order_lines` are the order's lines, already loaded."""
    settings = settings or RefundSettings.for_store(order.store_id)
    terms = policy_terms(
        decision, {line.order_line_id: Units(line.quantity, line.quantity) for line in lines}
    )
    request = RefundInput(
        units=[UnitsInput(line_id=line.order_line_id, quantity=line.quantity) for line in lines],
        fees=terms.fees,
        shipping_rule=settings.shipping_rule,
        merchant_fault=any(line.merchant_fault for line in lines),
        to_store_credit=resolution == Resolution.STORE_CREDIT,
        store_credit_bonus_rate=terms.bonus_rate,
    )
    try:
        return calculate(order_input(order, order_lines), request)
    except CalculationError as error:
        raise InvalidRequest(_("This order's amounts do not add up: %s") % error) from error
